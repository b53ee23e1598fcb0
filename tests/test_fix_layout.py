"""How fixes lay out what they write: a call grown past the project's line length (.ruff.toml,
ruff.toml, [tool.ruff] or [tool.black] line-length, else 88) is broken one argument per line as black and ruff write
it, and a new import goes in the third-party group. Exact output, re-linted clean, a second
--fix changes nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from helpers import run, write_tree

SERVICE = """\
    import openai
    from tenacity import retry

    client = openai.OpenAI(max_retries=0)


    class Service:
        @retry
        async def ask(self, prompt):
            return await client.chat.completions.create(model="m", messages=[])
    """

BROKEN = '''\
    import openai
    from tenacity import (
        retry,
        stop_after_attempt,
        retry_if_not_exception_type,
        wait_exponential_jitter,
    )

    client = openai.OpenAI(max_retries=0)


    class Service:
        @retry(
            stop=stop_after_attempt(3),
            retry=retry_if_not_exception_type(
                (
                    openai.BadRequestError,
                    openai.AuthenticationError,
                    openai.PermissionDeniedError,
                    openai.NotFoundError,
                    openai.UnprocessableEntityError,
                ),
            ),
            wait=wait_exponential_jitter(max=60),
        )
        async def ask(self, prompt):
            return await client.chat.completions.create(model="m", messages=[])
    '''


def fixed(root: Path, name: str, *flags: str) -> str:
    """The file after ``check --fix``, checked clean after it, and unchanged by a second --fix."""
    result = run(root, "check", "--fix", *flags, name)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (root / name).read_text()
    again = run(root, "check", *flags, name)
    assert (again.returncode, again.stdout) == (0, "All checks passed!\n")
    assert run(root, "check", "--fix", *flags, name).returncode == 0
    assert (root / name).read_text() == text
    compile(text, name, "exec")
    return text


def test_a_call_past_the_line_length_is_broken_one_argument_per_line(tmp_path):
    write_tree(tmp_path, {"svc.py": SERVICE})
    assert fixed(tmp_path, "svc.py") == textwrap.dedent(BROKEN)


@pytest.mark.parametrize("config", [
    {"pyproject.toml": "[tool.ruff]\nline-length = 320\n"},
    {"pyproject.toml": "[tool.black]\nline-length = 320\n"},
    {"pyproject.toml": "[tool.retrylint]\n\n[tool.ruff]\nline-length = 320\n\n[tool.black]\nline-length = 40\n"},
    {"ruff.toml": "line-length = 320\n", "pyproject.toml": "[tool.ruff]\nline-length = 40\n"},
    {".ruff.toml": "line-length = 320\n", "ruff.toml": "line-length = 40\n"},
])
def test_the_line_length_is_the_formatters(tmp_path, config):
    write_tree(tmp_path, {"svc.py": SERVICE, **config})
    assert fixed(tmp_path, "svc.py") == textwrap.dedent(SERVICE).replace(
        "from tenacity import retry\n",
        "from tenacity import retry, stop_after_attempt, retry_if_not_exception_type, wait_exponential_jitter\n",
    ).replace("    @retry\n", "    @retry(stop=stop_after_attempt(3), retry=retry_if_not_exception_type((openai.BadRequestError,"
              " openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError,"
              " openai.UnprocessableEntityError)), wait=wait_exponential_jitter(max=60))\n")


def test_a_call_within_the_line_length_stays_on_one_line(tmp_path):
    source = "from tenacity import retry\n\n\n@retry\ndef fetch():\n    return 1\n"
    write_tree(tmp_path, {"jobs.py": source})
    assert fixed(tmp_path, "jobs.py") == (
        "from tenacity import retry, stop_after_attempt\n\n\n@retry(stop=stop_after_attempt(3))\ndef fetch():\n    return 1\n"
    )


def test_a_multi_line_call_keeps_its_layout(tmp_path):
    source = "from tenacity import retry, wait_fixed\n\n\n@retry(\n    wait=wait_fixed(1)\n)\ndef fetch():\n    return 1\n"
    write_tree(tmp_path, {"jobs.py": source})
    assert fixed(tmp_path, "jobs.py") == (
        "from tenacity import retry, wait_fixed, stop_after_attempt\n\n\n"
        "@retry(\n    wait=wait_fixed(1),\n    stop=stop_after_attempt(3)\n)\ndef fetch():\n    return 1\n"
    )


def test_a_call_inside_another_breaks_the_outer_one(tmp_path):
    """As black does: the outermost bracket on the line is split first."""
    source = textwrap.dedent("""\
        import instructor
        import openai
        from tenacity import Retrying

        client = instructor.from_openai(openai.OpenAI(max_retries=0))


        def extract(text):
            return client.chat.completions.create(model="gpt-4o", response_model=dict, max_retries=Retrying())
        """)
    write_tree(tmp_path, {"extract.py": source})
    assert fixed(tmp_path, "extract.py", "--select", "RTL001") == source.replace(
        "import Retrying\n", "import Retrying, stop_after_attempt\n"
    ).replace(
        '(model="gpt-4o", response_model=dict, max_retries=Retrying())',
        '(\n        model="gpt-4o",\n        response_model=dict,\n'
        "        max_retries=Retrying(stop=stop_after_attempt(3)),\n    )",
    )


LLM = """\
    import openai

    client = openai.OpenAI(max_retries=0)
    """

TASKS = '''\
    """Tasks."""

    from __future__ import annotations

    import logging

    from tenacity import retry, stop_after_attempt, wait_exponential_jitter

    from myapp.llm import client

    from .models import Invoice

    log = logging.getLogger(__name__)


    @retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60))
    def summarise(invoice: Invoice):
        return client.chat.completions.create(model="m", messages=[])
    '''

ERRORS = ("BadRequestError", "AuthenticationError", "PermissionDeniedError", "NotFoundError", "UnprocessableEntityError")


def tasks_fixed(tmp_path: Path, tasks: str) -> str:
    write_tree(tmp_path, {"myapp/__init__.py": "", "myapp/models.py": "class Invoice:\n    pass\n",
                          "myapp/llm.py": LLM, "myapp/tasks.py": tasks})
    return fixed(tmp_path, "myapp/tasks.py")


DECORATOR = "@retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60))\n"
FIXED_DECORATOR = (
    "@retry(\n    stop=stop_after_attempt(3),\n    wait=wait_exponential_jitter(max=60),\n"
    "    retry=retry_if_not_exception_type(\n        (\n"
    + "".join(f"            {error},\n" for error in ERRORS)
    + "        ),\n    ),\n)\n"
)


def test_a_new_import_goes_in_the_third_party_group(tmp_path):
    """After tenacity, before the project's own imports; tenacity's is extended."""
    expected = textwrap.dedent(TASKS).replace(
        "import retry, stop_after_attempt, wait_exponential_jitter\n",
        "import (\n    retry,\n    stop_after_attempt,\n    wait_exponential_jitter,\n    retry_if_not_exception_type,\n)\n"
        f"from openai import (\n" + "".join(f"    {name},\n" for name in ERRORS) + ")\n",
    ).replace(DECORATOR, FIXED_DECORATOR)
    assert tasks_fixed(tmp_path, TASKS) == expected


def test_a_short_line_length_breaks_a_short_call(tmp_path):
    source = "from tenacity import retry\n\n\n@retry\ndef fetch():\n    return 1\n"
    write_tree(tmp_path, {"jobs.py": source, "pyproject.toml": "[tool.black]\nline-length = 30\n"})
    assert fixed(tmp_path, "jobs.py") == (
        "from tenacity import (\n    retry,\n    stop_after_attempt,\n)\n\n\n"
        "@retry(\n    stop=stop_after_attempt(\n        3,\n    ),\n)\ndef fetch():\n    return 1\n"
    )


def test_a_line_length_that_cannot_be_used_is_one_warning_line_and_fixes_keep_to_88(tmp_path):
    write_tree(tmp_path, {"svc.py": SERVICE, "other.py": SERVICE, "ruff.toml": "line-length = 1000\n"})
    result = run(tmp_path, "check", "--fix", "--unsafe-fixes", "--no-cache", "-j1")
    assert result.returncode == 0, result.stdout
    assert result.stderr == (f"retrylint: warning: line-length in {tmp_path}/ruff.toml is 1000, not a line length"
                             " from 1 to 320: fixes keep to 88\n")
    assert (tmp_path / "svc.py").read_text() == (tmp_path / "other.py").read_text() == textwrap.dedent(BROKEN)
