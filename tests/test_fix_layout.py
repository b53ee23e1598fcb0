"""How fixes lay out what they write: a call grown past the project's line length (.ruff.toml,
ruff.toml, [tool.ruff] or [tool.black] line-length, else 88) is broken one argument per line as black and ruff write
it, and a new import goes in the third-party group. Exact output, re-linted clean, a second
--fix changes nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from retrylint.config import ConfigResolver
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
                )
            ),
            wait=wait_exponential_jitter(max=60),
        )
        async def ask(self, prompt):
            return await client.chat.completions.create(model="m", messages=[])
    '''


def fixed(root: Path, name: str, *flags: str) -> str:
    """The file after ``check --fix``, checked clean after it, unchanged by a second --fix and, if
    ruff format left the file as it was, by ruff format."""
    before = (root / name).read_text()
    result = run(root, "check", "--fix", *flags, name)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (root / name).read_text()
    again = run(root, "check", *flags, name)
    assert (again.returncode, again.stdout) == (0, "All checks passed!\n")
    assert run(root, "check", "--fix", *flags, name).returncode == 0
    assert (root / name).read_text() == text
    compile(text, name, "exec")
    line_length = ConfigResolver(warn=lambda message: None).settings_for(root / name).line_length
    if ruff_format(before, line_length) == before:  # a file ruff format leaves as it is, it leaves so after the fix
        assert ruff_format(text, line_length) == text
    return text


def ruff_format(text: str, line_length: int) -> str | None:
    """``text`` as ``ruff format`` writes it at ``line_length`` (None without ruff: the test extras install it)."""
    if importlib.util.find_spec("ruff") is None:
        return None
    command = [sys.executable, "-m", "ruff", "format", "--isolated", "--line-length", str(line_length), "-"]
    result = subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


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
    + "        )\n    ),\n)\n"
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
        "@retry(\n    stop=stop_after_attempt(3)\n)\ndef fetch():\n    return 1\n"
    )


def test_a_line_length_that_cannot_be_used_is_one_warning_line_and_fixes_keep_to_88(tmp_path):
    write_tree(tmp_path, {"svc.py": SERVICE, "other.py": SERVICE, "ruff.toml": "line-length = 1000\n"})
    result = run(tmp_path, "check", "--fix", "--unsafe-fixes", "--no-cache", "-j1")
    assert result.returncode == 0, result.stdout
    assert result.stderr == (f"retrylint: warning: line-length in {tmp_path}/ruff.toml is 1000, not a line length"
                             " from 1 to 320: fixes keep to 88\n")
    assert (tmp_path / "svc.py").read_text() == (tmp_path / "other.py").read_text() == textwrap.dedent(BROKEN)


LONG = "a_really_long_name_that_goes_past_the_limit_of_the_line_length"


@pytest.mark.parametrize("line, laid", [
    # a call's lone argument: no trailing comma (black and ruff add none), whatever its form
    (f"y = call_something({LONG}_xxxxxxxxxxxxxx)\n", f"y = call_something(\n    {LONG}_xxxxxxxxxxxxxx\n)\n"),
    (f"y = call_something(*{LONG}_xxxxxxxxxxxxx)\n", f"y = call_something(\n    *{LONG}_xxxxxxxxxxxxx\n)\n"),
    (f"y = call_something(keyword={LONG}_xxxxx)\n", f"y = call_something(\n    keyword={LONG}_xxxxx\n)\n"),
    (f"y = call_something(x for x in {LONG}_xx)\n", f"y = call_something(\n    x for x in {LONG}_xx\n)\n"),
    # still too long on its own line: broken one level further, still without a comma after it
    (f"y = call_something(other_call({LONG}, {LONG}))\n",
     f"y = call_something(\n    other_call(\n        {LONG},\n        {LONG},\n    )\n)\n"),
    (f"y = call_something(({LONG}, {LONG}))\n",
     f"y = call_something(\n    (\n        {LONG},\n        {LONG},\n    )\n)\n"),
    # a one-element tuple keeps the comma it needs; a lone imported name gets one, as black writes it
    (f"y = call_something(({LONG}_xxxxxxxxxxxxxxxxxxxxxxxxxxxx,))\n",
     f"y = call_something(\n    (\n        {LONG}_xxxxxxxxxxxxxxxxxxxxxxxxxxxx,\n    )\n)\n"),
    (f"from some_module_name import {LONG}_xx\n", f"from some_module_name import (\n    {LONG}_xx,\n)\n"),
    # two arguments: each on its own line, and a trailing comma
    (f"y = call_something({LONG}, {LONG})\n", f"y = call_something(\n    {LONG},\n    {LONG},\n)\n"),
])
def test_a_lone_argument_is_broken_without_a_trailing_comma_as_black_writes_it(line, laid):
    """Exactly what black and ruff format write for the line (ruff, where installed, says so)."""
    import libcst as cst

    from retrylint.fixing.layout import one_per_line

    statement = cst.parse_statement(line)
    small = statement.body[0]
    node = small.value if isinstance(small, cst.Assign) else small
    new = one_per_line(node, "", 88)
    result = cst.Module(body=[statement.deep_replace(node, new)]).code
    assert result == laid
    assert ruff_format(line, 88) in (None, laid)
    assert ruff_format(laid, 88) in (None, laid)
