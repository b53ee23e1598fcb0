"""Raw HTTP requests to paid provider endpoints (analysis/endpoints.py): which URLs count, and the
lm-eval layout across modules, where only a subclass in another module gives ``base_url`` its
provider URL. The forms one module shows are in cases/forms/http_endpoints.cases."""

from __future__ import annotations

import pytest
from helpers import check, write_tree

from retrylint.analysis.endpoints import endpoint_of
from retrylint.analysis.model import ModuleModel
from retrylint.analysis.model.strings import DEFAULTS, HOLE, PASSED, PLAIN, string_values, texts
from retrylint.catalog import load_catalog
from retrylint.catalog_endpoints import compile_base_urls, compile_senders
from retrylint.catalog_schema import CatalogError

CATALOG = load_catalog()


@pytest.mark.parametrize("url, host", [
    ("https://api.openai.com/v1/chat/completions", "api.openai.com"),
    ("https://api.openai.com:443/v1/embeddings/", "api.openai.com"),
    ("https://API.OpenAI.com/v1/responses", "api.openai.com"),
    (f"https://{HOLE}.openai.azure.com/openai/deployments/{HOLE}/chat/completions?api-version={HOLE}", "*.openai.azure.com"),
    (f"https://generativelanguage.googleapis.com/v1beta/models/{HOLE}:generateContent?key={HOLE}", "generativelanguage.googleapis.com"),
    ("https://api.anthropic.com/v1/messages", "api.anthropic.com"),
    ("https://api.deepseek.com/chat/completions", "api.deepseek.com"),
])
def test_paid_endpoints(url, host):
    found = endpoint_of(CATALOG.endpoints, url)
    assert found is not None and found.host == host


@pytest.mark.parametrize("url", [
    "https://api.openai.com/v1/moderations", "https://api.openai.com/v1/models", "https://api.anthropic.com/v1/messages/count_tokens",
    f"https://api.openai.com/v1/{HOLE}", f"https://{HOLE}/v1/chat/completions", f"{HOLE}/v1/chat/completions",
    "https://api.openai.com.evil.example/v1/chat/completions", "http://localhost:8000/v1/chat/completions",
    f"https://api.openai.com/v1/chat/completions{HOLE}", "api.openai.com/v1/chat/completions",
    f"https://generativelanguage.googleapis.com/v1beta/models/{HOLE}:countTokens",
])
def test_free_unknown_and_other_urls(url):
    assert endpoint_of(CATALOG.endpoints, url) is None


def test_a_sender_must_name_its_url_parameter():
    with pytest.raises(CatalogError, match="with a parameter 'url'"):
        compile_senders(["requests.post(endpoint)"])
    assert compile_senders(["httpx.Client.request(method, url)"])["httpx.Client.request"].url == 1


READER = '''
import os

BASE = "https://api.openai.com/v1"
PATH = "/chat/completions" if os.environ.get("CHAT") else "/completions"


def pick():
    return "a" if os.environ.get("A") else "b"


def urls(resource, base=BASE, port=8000):
    joined = BASE + PATH
    formatted = f"https://{resource}.openai.azure.com/{base}"
    local = f"http://localhost:{port}/v1"
    return joined, formatted, local, base, resource, pick(), os.environ["X"], b"bytes", "a" "b"
'''


def test_the_one_reader_of_literal_text():
    model = ModuleModel(READER, "m.py", CATALOG)
    function = next(f for f in model.functions if f.name == "urls")
    returned = function.node.body.body[-1].body[0].value.elements
    found = [texts(element.value, function.scope, DEFAULTS) for element in returned]
    assert found == [
        frozenset({"https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1/completions"}),
        frozenset({f"https://{HOLE}.openai.azure.com/https://api.openai.com/v1"}),
        frozenset({f"http://localhost:{HOLE}/v1"}),  # a number is not text
        frozenset({"https://api.openai.com/v1"}),
        frozenset({HOLE}), frozenset({"a", "b"}), frozenset({HOLE}), frozenset({HOLE}), frozenset({"ab"}),
    ]
    assert texts(returned[3].value, function.scope, PLAIN) == frozenset({HOLE})  # a parameter, read plainly
    assert texts(returned[3].value, function.scope, PASSED) == frozenset({"https://api.openai.com/v1"})
    assert string_values(model, returned[0].value, function.scope) == (
        {"https://api.openai.com/v1/chat/completions", "https://api.openai.com/v1/completions"}, True)
    assert string_values(model, returned[1].value, function.scope) == (set(), False)


LM_EVAL = {
    "lm_eval/__init__.py": "",
    "lm_eval/models/__init__.py": "",
    "lm_eval/models/api_models.py": """
        import requests
        from aiohttp import ClientSession
        from tenacity import retry, stop_after_attempt, wait_exponential


        class TemplateAPI:
            def __init__(self, model=None, base_url=None, max_retries=3):
                self.model = model
                self.base_url = base_url
                self.max_retries = max_retries

            async def amodel_call(self, session: ClientSession, messages):
                async with session.post(self.base_url, json={"model": self.model, "messages": messages}) as response:
                    response.raise_for_status()
                    return await response.json()

            async def get_batched_requests(self, requests_):
                async with ClientSession() as session:
                    retry_ = retry(stop=stop_after_attempt(self.max_retries), wait=wait_exponential(multiplier=0.5, min=1, max=10),
                                   reraise=True)(self.amodel_call)
                    return [await retry_(session=session, messages=messages) for messages in requests_]
        """,
    "lm_eval/models/openai_completions.py": """
        from lm_eval.models.api_models import TemplateAPI


        class LocalCompletionsAPI(TemplateAPI):
            def __init__(self, base_url=None, **kwargs):
                super().__init__(base_url=base_url, **kwargs)


        class OpenAICompletionsAPI(LocalCompletionsAPI):
            def __init__(self, base_url="https://api.openai.com/v1/completions", **kwargs):
                super().__init__(base_url=base_url, **kwargs)
        """,
}


def test_a_provider_url_a_subclass_in_another_module_passes_to_init(tmp_path):
    write_tree(tmp_path, LM_EVAL)
    found = check(tmp_path, "lm_eval/models/api_models.py")
    assert [(d["code"], d["line"]) for d in found] == [("RTL002", 19), ("RTL003", 19)]
    assert found[0]["chain"][-1] == {"path": "lm_eval/models/api_models.py", "line": 13, "name": "aiohttp.ClientSession.post",
                                     "via": "provider endpoint api.openai.com"}
    assert "billable amodel_call -> aiohttp.ClientSession.post (via provider endpoint api.openai.com)" in found[0]["message"]
    assert not [d for d in found if d["code"] == "RTL005"]  # a raw request has no SDK retries


def test_a_subclass_passing_a_local_server_bills_nothing(tmp_path):
    files = dict(LM_EVAL)
    files["lm_eval/models/openai_completions.py"] = LM_EVAL["lm_eval/models/openai_completions.py"].replace(
        "https://api.openai.com/v1/completions", "http://localhost:8000/v1/completions")
    write_tree(tmp_path, files)
    assert check(tmp_path, "lm_eval/models/api_models.py") == []


def test_a_base_url_client_must_name_its_keyword():
    with pytest.raises(CatalogError, match=r"\[http\] base_urls 'httpx.Client' must read"):
        compile_base_urls(["httpx.Client"])
    assert compile_base_urls(["httpx.Client(base_url)"]) == {"httpx.Client": "base_url"}


CLIENTS = {
    "app/__init__.py": "",
    "app/clients.py": """
        import httpx

        OPENAI_BASE = "{base}"


        def make_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=OPENAI_BASE, timeout=60)
        """,
    "app/chat.py": """
        from tenacity import retry, stop_after_attempt, wait_exponential

        from app.clients import make_client


        class Chat:
            def __init__(self):
                self.http = make_client()

            @retry(stop=stop_after_attempt(3), wait=wait_exponential(max=10))
            async def complete(self, body):
                return await self.http.post("/chat/completions", json=body)
        """,
}


def test_a_relative_url_on_a_client_another_module_builds_with_a_provider_base_url(tmp_path):
    write_tree(tmp_path, {name: text.replace("{base}", "https://api.openai.com/v1") for name, text in CLIENTS.items()})
    found = check(tmp_path, "app/chat.py")
    assert [(d["code"], d["line"], d["message"]) for d in found] == [
        ("RTL002", 10, "tenacity @retry on 'complete' (up to 3 attempts) retries on every exception around billable "
                       "complete -> httpx.AsyncClient.post (via provider endpoint api.openai.com under the client's "
                       "base_url) and declares no non-retryable errors; stop at once on the errors that never heal"),
    ]
    assert found[0]["chain"][-1] == {"path": "app/chat.py", "line": 12, "name": "httpx.AsyncClient.post",
                                     "via": "provider endpoint api.openai.com under the client's base_url"}


def test_a_relative_url_on_a_client_another_module_builds_for_a_local_server_bills_nothing(tmp_path):
    write_tree(tmp_path, {name: text.replace("{base}", "http://localhost:8000/v1") for name, text in CLIENTS.items()})
    assert check(tmp_path, "app/chat.py") == []
