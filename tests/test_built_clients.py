"""The retries an SDK client is built with, read where the client is made through a factory or a
branch (llama-index-llms-openai 0.8.3, llama-index-embeddings-openai 0.7.0, camel-ai 0.2.90):
a factory that stores the client on ``self`` and returns the attribute, its ``**options`` with
``max_retries`` from a field llama-index declares with its re-exported pydantic Field; a parameter
annotated with the client, read from what its callers pass; a factory returning one of two clients
(``AzureOpenAI(...) if azure else OpenAI(...)``) called inline; ``self._client = client`` when one is
handed in, ``self._client = Anthropic(max_retries=...)`` otherwise. In one module and across
modules; VALID cases: the same forms with the retries off stay off the stack, and a parameter whose
callers pass clients of different counts is counted with the SDK's default."""

from __future__ import annotations

from helpers import check, write_tree

HEAD = """\
from typing import Any, Dict, Optional

import anthropic
import openai
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from openai import AzureOpenAI, OpenAI
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

RETRY = retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
"""

CACHED = """

class LLM(BaseLLM):
    max_retries: int = Field(default={retries}, description="The maximum number of API retries.", ge=0)
    _client: Optional[OpenAI] = PrivateAttr()

    def __init__(self, max_retries: int = {retries}, openai_client: Optional[OpenAI] = None) -> None:
        super().__init__(max_retries=max_retries)
        self._client = openai_client

    def _get_client(self) -> OpenAI:
        if self._client is None:
            self._client = OpenAI(**self._get_credential_kwargs())
        return self._client

    def _get_credential_kwargs(self) -> Dict[str, Any]:
        return {{"api_key": "k", "max_retries": self.max_retries}}

    @RETRY
    def chat(self, text):
        client = self._get_client()
        return client.chat.completions.create(model="m", messages=[text])
"""

EMBED = """

def get_embedding(client: OpenAI, text: str):
    return client.embeddings.create(model="m", input=[text])
"""

EMBEDDER = """

class Embedder(BaseEmbedding):
    max_retries: int = Field(default={retries}, ge=0)

    def _get_client(self) -> OpenAI:
        return OpenAI(max_retries=self.max_retries)

    def embed(self, text):
        client = self._get_client()

        @RETRY
        def _retryable(text):
            return get_embedding(client, text)

        return _retryable(text)
"""

EITHER = """

class Chat:
    def __init__(self, azure=False, max_retries={retries}):
        self.azure = azure
        self.max_retries = max_retries

    def _client(self) -> OpenAI:
        return AzureOpenAI(max_retries=self.max_retries) if self.azure else OpenAI(max_retries=self.max_retries)

    @RETRY
    def ask(self, text):
        return self._client().chat.completions.create(model="m", messages=[text])
"""

HANDED = """

class Model:
    def __init__(self, client: Optional[Any] = None, max_retries: int = {retries}):
        if client is not None:
            self._client = client
        else:
            self._client = anthropic.Anthropic(max_retries=max_retries)

    @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(anthropic.RateLimitError))
    def run(self, text):
        return self._client.messages.create(model="m", max_tokens=5, messages=[text])
"""


def rtl005(tmp_path, path: str) -> list[tuple[int, str]]:
    return [(d["line"], d["message"]) for d in check(tmp_path, path) if d["code"] == "RTL005"]


def stack(layer: str, call: str, client: str, count: int, chain: str) -> str:
    return (f"{call} runs under 2 retry layers: tenacity @retry on '{layer}' (3) x {client} ({count + 1}: retries "
            f"{count} by default) = up to {3 * (count + 1)} calls per run; chain {chain}; let one layer retry")


def test_a_client_cached_on_self_by_a_factory_keeps_the_retries_of_its_options(tmp_path):
    write_tree(tmp_path, {"llm.py": HEAD + CACHED.format(retries=3)})
    assert rtl005(tmp_path, "llm.py") == [
        (28, stack("chat", "chat.completions.create", "OpenAI client", 3,
                   "chat -> chat.completions.create (via factory return)")),
    ]


def test_a_client_cached_on_self_with_its_retries_off_is_off_the_stack(tmp_path):
    write_tree(tmp_path, {"llm.py": HEAD + CACHED.format(retries=0)})
    assert rtl005(tmp_path, "llm.py") == []


def test_a_parameter_annotated_with_the_client_is_what_its_caller_passes(tmp_path):
    write_tree(tmp_path, {"emb.py": HEAD + EMBED + EMBEDDER.format(retries=10)})
    assert rtl005(tmp_path, "emb.py") == [
        (25, stack("_retryable", "embeddings.create", "OpenAI client", 10,
                   "_retryable -> get_embedding (emb.py:12) -> embeddings.create (via annotation)")),
    ]


def test_a_parameter_annotated_with_the_client_across_modules(tmp_path):
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/utils.py": "from openai import OpenAI\n" + EMBED,
        "pkg/base.py": HEAD + "from .utils import get_embedding\n" + EMBEDDER.format(retries=10),
    })
    assert rtl005(tmp_path, "pkg/base.py") == [
        (22, stack("_retryable", "embeddings.create", "OpenAI client", 10,
                   "_retryable -> get_embedding (pkg/utils.py:4) -> embeddings.create (via annotation)")),
    ]


def test_an_annotated_parameter_passed_a_client_with_its_retries_off_is_off_the_stack(tmp_path):
    write_tree(tmp_path, {"emb.py": HEAD + EMBED + EMBEDDER.format(retries=0)})
    assert rtl005(tmp_path, "emb.py") == []


def test_an_annotated_parameter_whose_callers_disagree_has_the_sdks_default(tmp_path):
    other = "\n\ndef other(text):\n    return get_embedding(OpenAI(max_retries=7), text)\n"
    write_tree(tmp_path, {"emb.py": HEAD + EMBED + EMBEDDER.format(retries=10) + other})
    assert rtl005(tmp_path, "emb.py") == [
        (25, stack("_retryable", "embeddings.create", "OpenAI client", 2,
                   "_retryable -> get_embedding (emb.py:12) -> embeddings.create (via annotation)")),
    ]


def test_a_factory_returning_one_of_two_clients_called_inline(tmp_path):
    write_tree(tmp_path, {"chat.py": HEAD + EITHER.format(retries=5)})
    assert rtl005(tmp_path, "chat.py") == [
        (20, stack("ask", "chat.completions.create", "OpenAI client", 5,
                   "ask -> chat.completions.create (via factory return)")),
    ]


def test_a_factory_returning_one_of_two_clients_with_retries_off(tmp_path):
    write_tree(tmp_path, {"chat.py": HEAD + EITHER.format(retries=5).replace("max_retries=self.max_retries", "max_retries=0")})
    assert rtl005(tmp_path, "chat.py") == []


def test_a_client_made_unless_one_is_handed_in(tmp_path):
    write_tree(tmp_path, {"model.py": HEAD + HANDED.format(retries=3)})
    assert rtl005(tmp_path, "model.py") == [
        (19, stack("run", "messages.create", "Anthropic client", 3, "run -> messages.create (via attribute)")),
    ]


def test_a_client_made_unless_one_is_handed_in_with_retries_off(tmp_path):
    write_tree(tmp_path, {"model.py": HEAD + HANDED.format(retries=0)})
    assert rtl005(tmp_path, "model.py") == []
