"""Billable calls inferred from their shape (issue 11): when a receiver's type cannot be known, a
call only an SDK makes, with the keywords that shape needs (catalog billable ``shapes``), is the
paid call; the chain says so, the fix names no SDK the module does not import, and config
``infer-billable-shapes = false`` turns it off. VALID shapes stay silent."""

from __future__ import annotations

import pytest

from helpers import at, check, found, lint, src, write_tree

LAYER = """
from tenacity import retry, stop_after_attempt, wait_exponential

{prelude}

@retry(stop=stop_after_attempt(3), wait=wait_exponential())
def ask({params}):
    return {call}
"""

# name -> (code before the layer, the retried call, the shape the chain names)
INVALID = {
    "openai-chat-parameter": ("", "client.chat.completions.create(model='m', messages=[text])", "chat.completions.create"),
    "openai-embeddings-on-attribute": ("", "client.llm.embeddings.create(model='m', input=[text])", "embeddings.create"),
    "openai-responses": ("", "client.responses.create(model='m', input=text)", "responses.create"),
    "anthropic-messages": ("", "client.messages.create(model='m', max_tokens=5, messages=[text])", "messages.create"),
    "google-genai-async": ("", "client.aio.models.generate_content(model='m', contents=text)", "models.generate_content"),
    "bedrock-converse": ("", "client.converse(modelId='m', messages=[text])", "converse"),
    "attribute-annotated-any": ("from typing import Any\n\nclass Holder:\n    llm: Any = None\n",
                                "Holder().llm.chat.completions.create(model='m', messages=[text])", "chat.completions.create"),
    "unknown-factory-result": ("from vendor import make_client", "make_client().chat.completions.create(model='m', messages=[text])",
                               "chat.completions.create"),
}

VALID = {
    "without-the-keywords": ("", "client.chat.completions.create(text)"),
    "messages-create-without-max-tokens": ("", "client.messages.create(model=text, messages=[text])"),
    "a-project-class-with-that-shape": (
        """
class Completions:
    def create(self, model, messages):
        return model

class Chat:
    completions = Completions()

class Recorder:
    chat = Chat()

client = Recorder()
""",
        "client.chat.completions.create(model='m', messages=[text])",
    ),
    "another-call-name": ("", "client.chat.completions.list(model='m', messages=[text])"),
    "converse-without-model-id": ("", "client.converse(messages=[text])"),
    # a receiver whose type is known to be something else (tests/test_typeflow.py VALID has more)
    "annotated-otherwise": ("class Recorder:\n    pass\n\nclass Holder:\n    llm: Recorder = Recorder()\n",
                            "Holder().llm.chat.completions.create(model='m', messages=[text])"),
    "parameter-annotated-otherwise": ("", "client.chat.completions.create(model='m', messages=[text])", "client: str, text"),
}


def layer(prelude: str, call: str, params: str = "client, text") -> str:
    if "client = Recorder()" in prelude:
        params = "text"
    return src(LAYER.replace("{prelude}", prelude.strip()).replace("{call}", call).replace("{params}", params))


@pytest.mark.parametrize("case", sorted(INVALID))
def test_a_call_with_an_sdk_shape_is_billable_when_its_receiver_is_unknown(case):
    prelude, call, shape = INVALID[case]
    source = layer(prelude, call)
    diagnostics = lint(source)
    assert [(d.code, d.line) for d in diagnostics] == [("RTL002", at(source, "@retry"))]
    rtl002 = diagnostics[0]
    assert f"around billable ask -> {shape} (inferred from the call's shape) and declares no non-retryable errors; " \
           "stop at once on the errors that never heal" in rtl002.message
    assert rtl002.chain[-1].to_json() == {"path": "tasks.py", "line": at(source, "return "), "name": shape, "via": "call shape"}
    assert rtl002.fix is None  # which SDK it is, the module does not say: no import is written


@pytest.mark.parametrize("case", sorted(VALID))
def test_calls_without_an_sdk_shape_stay_silent(case):
    assert found(layer(*VALID[case])) == []


def test_the_inference_is_off_with_the_config_key():
    source = layer(*INVALID["openai-chat-parameter"][:2])
    assert found(source, infer_billable_shapes=False) == []


def test_an_sdk_the_module_imports_gives_the_fix_its_errors():
    source = src(
        """
        import openai
        from tenacity import retry, stop_after_attempt, wait_exponential

        @retry(stop=stop_after_attempt(3), wait=wait_exponential())
        def ask(client, text):
            return client.chat.completions.create(model='m', messages=[text])
        """
    )
    (rtl002,) = lint(source)
    assert rtl002.message.endswith("stop at once on BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, "
                                   "UnprocessableEntityError")
    assert rtl002.fix is not None and rtl002.fix.message.startswith("Do not retry BadRequestError")


def test_config_key_across_modules(tmp_path):
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.retrylint]\ninfer-billable-shapes = false\n",
        "llm.py": """
            def complete(client, text):
                return client.chat.completions.create(model='m', messages=[text])
            """,
        "tasks.py": """
            from tenacity import retry, stop_after_attempt, wait_exponential

            from llm import complete

            @retry(stop=stop_after_attempt(3), wait=wait_exponential())
            def ask(client, text):
                return complete(client, text)
            """,
    })
    assert check(tmp_path, "tasks.py") == []
    (tmp_path / "pyproject.toml").write_text("[tool.retrylint]\ninfer-billable-shapes = true\n")
    findings = check(tmp_path, "tasks.py")
    assert [(f["code"], f["line"]) for f in findings] == [("RTL002", 5)]
    assert [(link["name"], link["via"]) for link in findings[0]["chain"]] == [
        ("ask", ""), ("complete", "import"), ("chat.completions.create", "call shape")]


def test_a_config_value_that_is_not_a_bool_is_refused(tmp_path):
    from helpers import run

    write_tree(tmp_path, {"pyproject.toml": "[tool.retrylint]\ninfer-billable-shapes = 'no'\n", "ok.py": "x = 1\n"})
    result = run(tmp_path, "check", "ok.py")
    assert result.returncode == 2
    assert "infer-billable-shapes" in result.stderr and "must be true or false, got 'no'" in result.stderr
