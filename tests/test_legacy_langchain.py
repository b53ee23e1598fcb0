"""LangChain's OpenAI chat models before langchain-openai (``langchain.chat_models.ChatOpenAI``):
a retry layer of their own under a caller's, with the semantics of the langchain release the
project pins (before 0.0.332: tenacity ``stop_after_attempt(max_retries)``, 6 attempts by default),
else the newest (``max_retries=2`` handed to the openai client)."""

from __future__ import annotations

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

from helpers import check, src, write_tree

# gpt-engineer 0.1.0 core/ai.py: a factory annotated ``-> BaseChatModel`` builds either model.
APP = src(
    """
    import backoff
    import openai
    from langchain.chat_models import AzureChatOpenAI, ChatOpenAI
    from langchain.chat_models.base import BaseChatModel


    class AI:
        def __init__(self, model, azure_endpoint=""):
            self.azure_endpoint = azure_endpoint
            self.llm = create_chat_model(self, model)
            self.small = ChatOpenAI(model=model, max_retries=3)

        @backoff.on_exception(backoff.expo, openai.error.RateLimitError, max_tries=7, max_time=45)
        def backoff_inference(self, messages, callbacks):
            return self.llm(messages, callbacks=callbacks)

        @backoff.on_exception(backoff.expo, openai.error.RateLimitError, max_tries=7, max_time=45)
        def small_inference(self, messages):
            return self.small.predict_messages(messages)


    def create_chat_model(self, model: str) -> BaseChatModel:
        if self.azure_endpoint:
            return AzureChatOpenAI(deployment_name=model, openai_api_base=self.azure_endpoint)
        return ChatOpenAI(model=model, temperature=0.1, client=openai.ChatCompletion)
    """
)


def messages(tmp_path, pins: str | None) -> dict[tuple[str, int], str]:
    write_tree(tmp_path, {"ai.py": APP, **({"requirements.txt": pins} if pins is not None else {})})
    return {(d["code"], d["line"]): d["message"] for d in check(tmp_path, "ai.py") if d["code"] == "RTL005"}


def test_pinned_langchain_before_0_0_332_retries_six_attempts_by_itself(tmp_path):
    found = messages(tmp_path, "langchain==0.0.240\nopenai==0.27.8\n")
    assert found == {
        ("RTL005", 13): (
            "BaseChatModel.__call__ runs under 2 retry layers: backoff.on_exception on 'backoff_inference' (7) x"
            " LangChain chat model (6: retries 5, langchain before 0.0.332 retried by itself, 6 attempts by default,"
            " pinned 0.0.240) = up to 42 calls per run; chain backoff_inference -> BaseChatModel.__call__ (via"
            " attribute); let one layer retry"),
        ("RTL005", 17): (
            "predict_messages runs under 2 retry layers: backoff.on_exception on 'small_inference' (7) x"
            " LangChain chat model (3: retries 2, max_retries=3 counts every attempt, pinned langchain 0.0.240) = up"
            " to 21 calls per run; chain small_inference -> predict_messages (via attribute); let one"
            " layer retry"),
    }


@pytest.mark.parametrize("pins", [None, "langchain>=0.0.240\n", "langchain==0.0.332\n", "langchain==0.3.27\n"])
def test_unpinned_or_newer_langchain_hands_two_retries_to_the_openai_client(tmp_path, pins):
    found = messages(tmp_path, pins)
    assert "x LangChain chat model (3: retries 2 by default) = up to 21 calls per run" in found[("RTL005", 13)]
    assert "x LangChain chat model (4: retries 3) = up to 28 calls per run" in found[("RTL005", 17)]


def test_a_model_built_once_gets_max_retries_0_and_relints_clean():
    engine = Engine(Settings(select=("RTL005",)))
    fixed = engine.fix_source(APP, "ai.py", unsafe=True).source
    assert fixed == APP.replace("ChatOpenAI(model=model, max_retries=3)", "ChatOpenAI(model=model, max_retries=0)")
    # The factory may build either model: a keyword on one would not stop the other, so no fix there.
    assert [(d.line, d.code) for d in engine.lint_source(fixed, "ai.py")] == [(13, "RTL005")]
    assert engine.fix_source(fixed, "ai.py", unsafe=True).source == fixed


def test_models_whose_retries_are_off_or_unknown_are_valid():
    source = (
        APP.replace("openai_api_base=self.azure_endpoint)", "openai_api_base=self.azure_endpoint, max_retries=0)")
        .replace("client=openai.ChatCompletion)", "client=openai.ChatCompletion, max_retries=0)")
        .replace("max_retries=3", "max_retries=0")
    )
    assert Engine(Settings(select=("RTL005",))).lint_source(source, "ai.py") == []
    local = APP.replace("return AzureChatOpenAI(", "return Ollama(").replace(
        "from langchain.chat_models.base import", "from langchain.llms import Ollama\nfrom langchain.chat_models.base import")
    assert [d.line for d in Engine(Settings(select=("RTL005",))).lint_source(local, "ai.py")] == [18]
