"""Fixes on the LLM frameworks' retry layers (their findings are in cases/forms/llm_frameworks.cases)."""

from __future__ import annotations

from retrylint.engine import Engine
from retrylint.settings import Settings
from helpers import src


def fixed(source: str) -> str:
    result = Engine(Settings(select=("RTL005",))).fix_source(source, "tasks.py", unsafe=True)
    again = Engine(Settings(select=("RTL005",))).fix_source(result.source, "tasks.py", unsafe=True)
    assert again.source == result.source
    return result.source


ROUTER = src(
    """
    import litellm
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

    router = litellm.Router(model_list=[])


    @retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60), retry=retry_if_exception_type(litellm.RateLimitError))
    def ask(text):
        return router.completion(model="gpt-4o", messages=[])
    """
)


def test_litellm_router_fix_turns_its_retries_off_and_relints_clean():
    result = fixed(ROUTER)
    assert result == ROUTER.replace("litellm.Router(model_list=[])", "litellm.Router(model_list=[], num_retries=0)")
    assert Engine(Settings(select=("RTL005",))).lint_source(result, "tasks.py") == []
