"""A parameter with no usable annotation (none, or ``Any``) typed from what the project's calls pass
it (analysis/model/caller_args.py), in one module and across the modules of a folder: the chain
says ``via caller argument``, and the client's retries are read from the constructor the callers
pass. VALID cases: callers that disagree, pass something unknown, hide the argument in
``**options``, pass a client whose retries are off, or are too many modules to read."""

from __future__ import annotations

from helpers import check, run, write_tree

HELPER = """\
from openai import OpenAI
from tenacity import retry, stop_after_attempt, wait_exponential


@retry(stop=stop_after_attempt(3), wait=wait_exponential())
def ask(client, text):
    return client.chat.completions.create(model="m", messages=[text])


def main():
    return ask({client}, "hi")
"""

RTL002 = ("tenacity @retry on 'ask' (up to 3 attempts) retries on every exception around billable ask -> "
          "chat.completions.create (via caller argument) and declares no non-retryable errors; stop at once on "
          "BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError")
SHAPED = RTL002.replace("via caller argument", "inferred from the call's shape")  # only the call's shape says it is paid
RTL005 = ("chat.completions.create runs under 2 retry layers: tenacity @retry on 'ask' (3) x OpenAI client (3: "
          "retries 2 by default) = up to 9 calls per run; chain ask -> chat.completions.create (via caller "
          "argument); let one layer retry")


FIXED = """\
from openai import (
    OpenAI,
    BadRequestError,
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
    UnprocessableEntityError,
)
from tenacity import (
    retry,
    stop_after_attempt,
    wait_exponential,
    retry_if_not_exception_type,
)


@retry(
    stop=stop_after_attempt(3),
    wait=wait_exponential(),
    retry=retry_if_not_exception_type(
        (
            BadRequestError,
            AuthenticationError,
            PermissionDeniedError,
            NotFoundError,
            UnprocessableEntityError,
        )
    ),
)
def ask(client, text):
    return client.chat.completions.create(model="m", messages=[text])


def main():
    return ask(OpenAI(max_retries=0), "hi")
"""


def found(tmp_path, path: str) -> list[tuple[str, int, str]]:
    return [(d["code"], d["line"], d["message"]) for d in check(tmp_path, path)]


def test_an_unannotated_parameter_is_what_its_one_caller_passes(tmp_path):
    write_tree(tmp_path, {"app.py": HELPER.format(client="OpenAI()")})
    diagnostics = check(tmp_path, "app.py")
    assert [(d["code"], d["line"], d["message"]) for d in diagnostics] == [("RTL002", 5, RTL002), ("RTL005", 5, RTL005)]
    assert diagnostics[1]["chain"] == [
        {"path": "app.py", "line": 5, "name": "ask", "via": ""},
        {"path": "app.py", "line": 7, "name": "chat.completions.create", "via": "caller argument"},
    ]
    assert diagnostics[1]["fix"]["message"] == "Pass max_retries=0 to the OpenAI client"  # at the caller's constructor
    assert diagnostics[1]["fix"]["edits"] == [
        {"line": 11, "column": 23, "end_line": 11, "end_column": 23, "content": "max_retries=0"}]


def test_the_fix_at_the_callers_constructor_relints_clean(tmp_path):
    write_tree(tmp_path, {"app.py": HELPER.format(client="OpenAI()")})
    first = run(tmp_path, "check", "--fix", "--unsafe-fixes", "--exit-zero", "app.py")
    assert first.returncode == 0, first.stderr
    fixed = (tmp_path / "app.py").read_text()
    assert fixed == FIXED
    assert check(tmp_path, "app.py") == []
    run(tmp_path, "check", "--fix", "--unsafe-fixes", "--exit-zero", "app.py")
    assert (tmp_path / "app.py").read_text() == fixed


def test_callers_in_other_modules_of_the_folder_type_an_any_parameter(tmp_path):
    """llama-index-llms-bedrock-converse 0.15.5: utils.converse_with_retry(client: Any, ...) retries
    client.converse, and base.py passes the bedrock-runtime client it built with botocore retries."""
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/utils.py": """
            from typing import Any

            from tenacity import retry, stop_after_attempt, wait_exponential


            def converse_with_retry(client: Any, model: str, max_retries: int = 3, session: Any = None, **kwargs: Any):
                @retry(stop=stop_after_attempt(max_retries), wait=wait_exponential())
                def _converse_with_retry(**kwargs):
                    return client.converse(**kwargs)

                return _converse_with_retry(modelId=model, **kwargs)
            """,
        "pkg/base.py": """
            import boto3
            from botocore.config import Config

            from .utils import converse_with_retry


            class BedrockConverse:
                def __init__(self, max_retries: int = 10):
                    self._client = boto3.client("bedrock-runtime", config=Config(retries={"max_attempts": 4}))

                def chat(self, messages):
                    return converse_with_retry(client=self._client, model="m", messages=messages)

                def stream_chat(self, messages):
                    return converse_with_retry(self._client, "m", messages=messages)
            """,
    })
    diagnostics = check(tmp_path, "pkg/utils.py")
    assert [(d["code"], d["line"], d["message"]) for d in diagnostics] == [
        ("RTL002", 7, "tenacity @retry on '_converse_with_retry' (up to 3 attempts by default) retries on every "
                      "exception around billable _converse_with_retry -> converse (via caller argument) and declares "
                      "no non-retryable errors; stop at once on the errors that never heal"),
        ("RTL005", 7, "converse runs under 2 retry layers: tenacity @retry on '_converse_with_retry' (3 by default) "
                      "x boto3 bedrock-runtime client (5: retries 4) = up to 15 calls per run; "
                      "chain _converse_with_retry -> converse (via caller argument); let one layer retry"),
    ]
    assert diagnostics[1]["fix"] is None  # the client is built in another file


def test_a_method_parameter_typed_from_a_call_on_self(tmp_path):
    write_tree(tmp_path, {"svc.py": """
        import anthropic
        import backoff


        class Writer:
            def __init__(self):
                self.llm = anthropic.Anthropic(max_retries=3)

            def run(self):
                return self.write(self.llm, "text")

            @backoff.on_exception(backoff.expo, anthropic.RateLimitError, max_tries=4)
            def write(self, llm, text):
                return llm.messages.create(model="m", max_tokens=10, messages=[text])
        """})
    assert found(tmp_path, "svc.py") == [
        ("RTL005", 12, "messages.create runs under 2 retry layers: backoff.on_exception on 'write' (4) x Anthropic "
                       "client (4: retries 3) = up to 16 calls per run; chain write -> messages.create (via caller "
                       "argument); let one layer retry"),
    ]


def test_callers_that_disagree_leave_the_parameter_unknown(tmp_path):
    source = HELPER.format(client="OpenAI()") + "\n\ndef other():\n    return ask(Groq(), 'ho')\n"
    write_tree(tmp_path, {"app.py": "from groq import Groq\n" + source})
    assert found(tmp_path, "app.py") == [("RTL002", 6, SHAPED)]


def test_a_caller_passing_something_unknown_leaves_it_unknown(tmp_path):
    source = HELPER.format(client="OpenAI()") + "\n\ndef other(client):\n    return ask(client, 'ho')\n"
    write_tree(tmp_path, {"app.py": source})
    assert found(tmp_path, "app.py") == [("RTL002", 5, SHAPED)]


def test_an_argument_hidden_in_options_leaves_it_unknown(tmp_path):
    source = HELPER.format(client="OpenAI()") + "\n\ndef other(**options):\n    return ask(text='ho', **options)\n"
    write_tree(tmp_path, {"app.py": source})
    assert found(tmp_path, "app.py") == [("RTL002", 5, SHAPED)]


def test_a_client_passed_with_its_retries_off_does_not_stack(tmp_path):
    write_tree(tmp_path, {"app.py": HELPER.format(client="OpenAI(max_retries=0)")})
    assert found(tmp_path, "app.py") == [("RTL002", 5, RTL002)]


def test_callers_in_too_many_modules_leave_it_unknown(tmp_path):
    files = {"pkg/__init__.py": "", "pkg/app.py": HELPER.format(client="OpenAI()")}
    files.update({f"pkg/caller{n}.py": "from openai import OpenAI\nfrom .app import ask\n\nask(OpenAI(), 'x')\n"
                  for n in range(9)})
    write_tree(tmp_path, files)
    assert found(tmp_path, "pkg/app.py") == [("RTL002", 5, SHAPED)]
    (tmp_path / "pkg/caller8.py").unlink()  # eight: read
    assert found(tmp_path, "pkg/app.py") == [("RTL002", 5, RTL002), ("RTL005", 5, RTL005)]


WRITER = """\
from openai import OpenAI
from tenacity import retry, stop_after_attempt, wait_exponential


class Writer:
    def __init__(self, llm, name="w"):
        self.llm = llm
        self.name = name

    @retry(stop=stop_after_attempt(3), wait=wait_exponential())
    def write(self, text):
        return self.llm.chat.completions.create(model="m", messages=[text])


def main():
    return Writer({client}).write("hi")
"""


def test_an_attribute_set_from_an_init_parameter_is_what_the_constructor_calls_pass(tmp_path):
    write_tree(tmp_path, {"writer.py": WRITER.format(client="OpenAI()")})
    diagnostics = check(tmp_path, "writer.py")
    assert [(d["code"], d["line"], d["message"]) for d in diagnostics] == [
        ("RTL002", 10, RTL002.replace("'ask'", "'write'").replace("ask ->", "write ->").replace(
            "caller argument", "attribute")),
        ("RTL005", 10, RTL005.replace("'ask'", "'write'").replace("ask ->", "write ->").replace(
            "caller argument", "attribute")),
    ]
    assert diagnostics[1]["fix"]["edits"] == [
        {"line": 16, "column": 26, "end_line": 16, "end_column": 26, "content": "max_retries=0"}]


def test_constructor_calls_that_disagree_leave_the_attribute_unknown(tmp_path):
    source = "from groq import Groq\n" + WRITER.format(client="OpenAI()") + "\n\nWriter(Groq())\n"
    write_tree(tmp_path, {"writer.py": source})
    assert found(tmp_path, "writer.py") == [
        ("RTL002", 11, SHAPED.replace("'ask'", "'write'").replace("ask ->", "write ->"))]
