"""Fixes on the LLM frameworks' retry layers (their findings are in cases/forms/llm_frameworks.cases)."""

from __future__ import annotations

import json

from retrylint.engine import Engine
from retrylint.settings import Settings
import pytest

from helpers import check, run, src, write_tree


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


def test_litellm_router_with_a_retry_policy_gets_no_fix():
    """num_retries=0 leaves RetryPolicy(RateLimitErrorRetries=...) retrying: the fix is not offered."""
    source = ROUTER.replace("litellm.Router(model_list=[])", "litellm.Router(model_list=[], retry_policy={\"RateLimitErrorRetries\": 1})")
    found = Engine(Settings(select=("RTL005",))).lint_source(source, "tasks.py")
    assert [(d.code, d.line, d.fix) for d in found] == [("RTL005", 7, None)]
    assert fixed(source) == source


def test_litellm_router_with_fallbacks_gets_no_fix():
    """num_retries=0 leaves each fallback group tried: the stack stays, so no fix is offered."""
    source = ROUTER.replace("litellm.Router(model_list=[])", 'litellm.Router(model_list=[], fallbacks=[{"gpt-4o": ["gpt-4o-mini"]}])')
    found = Engine(Settings(select=("RTL005",))).lint_source(source, "tasks.py")
    assert [(d.code, d.line, d.fix) for d in found] == [("RTL005", 7, None)]
    assert "LiteLLM Router (6: retries 2 by default, on each of 2 model groups: 1 fallback) = up to 18 calls" in found[0].message
    assert fixed(source) == source


def test_litellm_router_fallbacks_of_another_model_group_leave_the_fix():
    """The call's model group has no fallback list: num_retries=0 undoes the stack, so it is offered."""
    source = ROUTER.replace("litellm.Router(model_list=[])", 'litellm.Router(model_list=[], fallbacks=[{"o1": ["gpt-4o"]}])')
    result = fixed(source)
    assert result == source.replace('fallbacks=[{"o1": ["gpt-4o"]}])', 'fallbacks=[{"o1": ["gpt-4o"]}], num_retries=0)')
    assert Engine(Settings(select=("RTL005",))).lint_source(result, "tasks.py") == []


def test_litellm_router_fallbacks_read_in_another_module(tmp_path):
    write_tree(tmp_path, {
        "llm.py": """
            import litellm

            FALLBACKS = [{"gpt-4o": ["gpt-4o-mini", "claude-3-haiku", "gemini-2.0-flash"]}]
            router = litellm.Router(model_list=[], num_retries=1, fallbacks=FALLBACKS)
            """,
        "tasks.py": """
            import litellm
            from celery import shared_task

            from llm import router


            @shared_task(autoretry_for=(litellm.RateLimitError,), max_retries=2, retry_backoff=True)
            def nightly(text):
                return router.completion(model="gpt-4o", messages=[])
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py") if d["code"] == "RTL005"]
    assert found == [("RTL005", 7, (
        "completion runs under 2 retry layers: Celery task on 'nightly' (3) x LiteLLM Router (8: retries 1, on each of"
        " 4 model groups: 3 fallbacks) = up to 24 calls per run; chain nightly -> completion; let one layer retry"))]


def test_litellm_router_default_fallbacks_of_another_module_in_check_and_report(tmp_path):
    """default_fallbacks applies to the fallback groups too: with max_fallbacks=3, gpt-4o then
    gpt-4o-mini (-> claude-3-haiku -> gpt-4o-mini) then claude-3-haiku (-> gpt-4o-mini): 6 groups."""
    write_tree(tmp_path, {
        "llm.py": """
            import litellm


            class Llm:
                def __init__(self):
                    self.router = litellm.Router(model_list=[], num_retries=1, max_fallbacks=3,
                                                 default_fallbacks=["gpt-4o-mini", "claude-3-haiku"])

                def ask(self, text):
                    return self.router.completion(model="gpt-4o", messages=[{"role": "user", "content": text}])
            """,
        "tasks.py": """
            import litellm
            from celery import shared_task

            from llm import Llm


            @shared_task(autoretry_for=(litellm.RateLimitError,), max_retries=2, retry_backoff=True)
            def nightly(text):
                return Llm().ask(text)
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py") if d["code"] == "RTL005"]
    assert found == [("RTL005", 7, (
        "completion runs under 2 retry layers: Celery task on 'nightly' (3) x LiteLLM Router (12: retries 1, on each of"
        " 6 model groups: 5 fallbacks) = up to 36 calls per run; chain nightly -> ask (llm.py:9) -> completion"
        " (via attribute); let one layer retry"))]
    points = json.loads(run(tmp_path, "report", "--format", "json", "tasks.py").stdout)
    (point,) = [point for point in points if point["path"] == "tasks.py"]
    assert point["layers"] == [
        "Celery task on 'nightly' (3)",
        "LiteLLM Router (12: retries 1, on each of 6 model groups: 5 fallbacks)",
    ]
    assert (point["attempts"], point["billed_calls"]) == (36, 36)


LITELLM_NUM_RETRIES = src(
    """
    import litellm


    def ask(text):
        return litellm.completion(model="gpt-4o", messages=[], num_retries=3)
    """
)


def test_litellm_num_retries_fix_waits_exponentially_and_relints_clean():
    engine = Engine(Settings(select=("RTL006",)))
    result = engine.fix_source(LITELLM_NUM_RETRIES, "tasks.py").source
    assert result == LITELLM_NUM_RETRIES.replace(
        'litellm.completion(model="gpt-4o", messages=[], num_retries=3)',
        'litellm.completion(\n        model="gpt-4o",\n        messages=[],\n        num_retries=3,\n'
        '        retry_strategy="exponential_backoff_retry",\n    )',
    )
    assert engine.lint_source(result, "tasks.py") == []
    assert engine.fix_source(result, "tasks.py").source == result


def test_litellm_completion_with_retries_fix_waits_exponentially_and_relints_clean():
    source = LITELLM_NUM_RETRIES.replace("completion(model=\"gpt-4o\", messages=[], num_retries=3)", "completion_with_retries(model=\"gpt-4o\", messages=[])")
    engine = Engine(Settings(select=("RTL006",)))
    result = engine.fix_source(source, "tasks.py").source
    assert result == source.replace(
        'litellm.completion_with_retries(model="gpt-4o", messages=[])',
        'litellm.completion_with_retries(\n        model="gpt-4o",\n        messages=[],\n'
        '        retry_strategy="exponential_backoff_retry",\n    )',
    )
    assert result != source
    assert engine.lint_source(result, "tasks.py") == []
    assert engine.fix_source(result, "tasks.py").source == result


BARE_RETRYING = src(
    """
    import instructor
    import openai
    from tenacity import Retrying

    client = instructor.from_openai(openai.OpenAI(max_retries=0))


    def extract(text):
        return client.chat.completions.create(model="gpt-4o", response_model=dict, messages=[], max_retries=Retrying())
    """
)


def test_instructor_bare_retrying_fix_caps_it_and_relints_clean():
    engine = Engine(Settings(select=("RTL001",)))
    result = engine.fix_source(BARE_RETRYING, "tasks.py").source
    assert result == BARE_RETRYING.replace(
        "from tenacity import Retrying", "from tenacity import Retrying, stop_after_attempt"
    ).replace(
        '(model="gpt-4o", response_model=dict, messages=[], max_retries=Retrying())',
        '(\n        model="gpt-4o",\n        response_model=dict,\n        messages=[],\n'
        "        max_retries=Retrying(stop=stop_after_attempt(3)),\n    )",
    )
    assert engine.lint_source(result, "tasks.py") == []
    assert engine.fix_source(result, "tasks.py").source == result


def test_instructor_client_made_in_another_module(tmp_path):
    write_tree(tmp_path, {
        "llm.py": """
            import instructor
            from openai import OpenAI

            client = instructor.from_openai(OpenAI())


            def extract(text):
                return client.chat.completions.create(model="gpt-4o", response_model=dict, messages=[], max_retries=1)
            """,
        "tasks.py": """
            import openai
            from celery import shared_task

            from llm import extract


            @shared_task(autoretry_for=(openai.RateLimitError,), max_retries=3, retry_backoff=True)
            def nightly(text):
                return extract(text)
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py") if d["code"] == "RTL005"]
    assert found == [("RTL005", 7, (
        "chat.completions.create runs under 3 retry layers: Celery task on 'nightly' (4) x instructor max_retries (2)"
        " x OpenAI client (3: retries 2 by default) = up to 24 calls per run; chain nightly -> extract (llm.py:7)"
        " -> chat.completions.create; let one layer retry (instructor max_retries: each retry re-asks with the"
        " failed answer appended: billed again, with a longer prompt each time)"))]


def test_celery_redelivery_turned_on_in_the_apps_module(tmp_path):
    write_tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True)
            """,
        "proj/tasks.py": """
            import openai

            from proj.celery import app

            client = openai.OpenAI(max_retries=0)


            @app.task
            def summarize(text):
                return client.chat.completions.create(model="gpt-4o", messages=[])
            """,
    })
    found = [(d["code"], d["path"], d["line"]) for d in check(tmp_path, "proj/tasks.py")]
    assert found == [("RTL001", "proj/tasks.py", 8)]


RETRY_CONFIG = src(
    """
    from pydantic_ai.retries import AsyncTenacityTransport, RetryConfig
    from tenacity import wait_exponential

    transport = AsyncTenacityTransport(config=RetryConfig(wait=wait_exponential(max=30)))
    """
)


def test_pydantic_ai_retry_config_fix_caps_it_and_relints_clean():
    engine = Engine(Settings(select=("RTL001",)))
    result = engine.fix_source(RETRY_CONFIG, "tasks.py").source
    assert result == RETRY_CONFIG.replace(
        "from tenacity import wait_exponential", "from tenacity import wait_exponential, stop_after_attempt"
    ).replace(
        "(config=RetryConfig(wait=wait_exponential(max=30)))",
        "(\n    config=RetryConfig(wait=wait_exponential(max=30), stop=stop_after_attempt(3))\n)",
    )
    assert engine.lint_source(result, "tasks.py") == []
    assert engine.fix_source(result, "tasks.py").source == result


PINNED_APP = """
    import boto3
    import instructor
    import openai
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

    client = instructor.from_openai(openai.OpenAI())
    bedrock = boto3.client("bedrock-runtime")


    def extract(text):
        return client.chat.completions.create(model="gpt-4o", response_model=dict, messages=[], token_budget=9000)


    @retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60), retry=retry_if_exception_type(TimeoutError))
    def ask(text):
        return bedrock.converse(modelId="m", messages=[])
    """

OLD_INSTRUCTOR = "instructor max_retries (instructor 1.14.5: max_retries counts every attempt, and every error is retried)"


@pytest.mark.parametrize("name, text", [
    ("requirements.txt", "instructor==1.14.5\nbotocore==1.42.74 ; python_version >= '3.9'\n"),
    ("pyproject.toml", "[project]\nname = 'app'\ndependencies = ['instructor[anthropic]==1.14.5', 'botocore==1.42.74']\n"),
    ("uv.lock", "version = 1\n[[package]]\nname = 'instructor'\nversion = '1.14.5'\n[[package]]\nname = 'botocore'\nversion = '1.42.74'\n"),
    ("poetry.lock", "[[package]]\nname = 'Instructor'\nversion = '1.14.5'\n[[package]]\nname = 'botocore'\nversion = '1.42.74'\n"),
    ("Pipfile.lock", '{"default": {"instructor": {"version": "==1.14.5"}, "botocore": {"version": "==1.42.74"}}}'),
])
def test_pinned_older_releases_use_their_semantics(tmp_path, name, text):
    write_tree(tmp_path, {name: text, "app.py": PINNED_APP})
    found = {(d["code"], d["line"]): d["message"] for d in check(tmp_path, "app.py")}
    assert found[("RTL005", 11)] == (
        f"chat.completions.create runs under 2 retry layers: {OLD_INSTRUCTOR} (3) x OpenAI client (3: retries 2 by"
        " default) = up to 9 calls per run; chain extract -> chat.completions.create; let one layer retry")
    assert found[("RTL002", 11)].startswith(f"{OLD_INSTRUCTOR} (up to 3 attempts) retries on every exception")
    assert found[("RTL005", 14)] == (
        "converse runs under 2 retry layers: tenacity @retry on 'ask' (3) x boto3 bedrock-runtime client (5: retries 4,"
        " legacy mode, botocore's default before 1.44, pinned 1.42.74) = up to 15 calls per run; chain ask -> converse;"
        " let one layer retry")


def test_newer_or_unpinned_releases_use_the_newest_semantics(tmp_path):
    write_tree(tmp_path, {"requirements.txt": "instructor>=1.10\nbotocore==1.44.0\n", "app.py": PINNED_APP})
    found = {(d["code"], d["line"]): d["message"] for d in check(tmp_path, "app.py")}
    assert found[("RTL005", 11)].startswith("chat.completions.create runs under 2 retry layers: instructor max_retries (4)")
    assert ("RTL002", 11) not in found
    assert "boto3 bedrock-runtime client (3: retries 2 by default)" in found[("RTL005", 14)]


TOGETHER_APP = """
    from together import RateLimitError, Together
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

    client = Together()


    @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(RateLimitError))
    def ask(text):
        return client.chat.completions.create(model="m", messages=[text])
    """


@pytest.mark.parametrize("pins, client", [
    ("together==1.5.35\n", "Together client (6: retries 5, together 1.x retried 5 times by default, pinned 1.5.35) = up to 18"),
    ("together>=2\n", "Together client (3: retries 2 by default) = up to 9"),
])
def test_a_together_1x_pin_counts_its_five_retries(tmp_path, pins, client):
    write_tree(tmp_path, {"requirements.txt": pins, "app.py": TOGETHER_APP})
    found = {(d["code"], d["line"]): d["message"] for d in check(tmp_path, "app.py")}
    assert found == {("RTL005", 7): (
        f"chat.completions.create runs under 2 retry layers: tenacity @retry on 'ask' (3) x {client} calls per run;"
        " chain ask -> chat.completions.create; let one layer retry")}


def test_a_pin_file_over_the_size_limit_pins_nothing_and_is_not_read_whole(tmp_path):
    """A 17 MiB uv.lock (sparse) is past the limit every file read keeps: newest semantics, no crash."""
    write_tree(tmp_path, {"app.py": PINNED_APP})
    with open(tmp_path / "uv.lock", "wb") as lock:
        lock.truncate(17 * 1024 * 1024)
    found = {(d["code"], d["line"]): d["message"] for d in check(tmp_path, "app.py")}
    assert found[("RTL005", 11)].startswith("chat.completions.create runs under 2 retry layers: instructor max_retries (4)")
    assert ("RTL002", 11) not in found


@pytest.mark.parametrize("pins, shown", [
    ("boto3==1.28.0\n", "pinned boto3 1.28.0 (botocore 1.31.0)"),
    ("boto3==1.29.7\n", "pinned boto3 1.29.7 (botocore 1.32.7)"),
    ("boto3==1.40.37\n", "pinned boto3 1.40.37 (botocore 1.40.37)"),
    ("boto3==1.44.0\nbotocore==1.43.96\n", "pinned 1.43.96"),  # botocore's own pin wins
])
def test_a_boto3_pin_implies_botocores_version(tmp_path, pins, shown):
    write_tree(tmp_path, {"requirements.txt": pins, "app.py": PINNED_APP})
    found = {(d["code"], d["line"]): d["message"] for d in check(tmp_path, "app.py")}
    assert found[("RTL005", 14)] == (
        "converse runs under 2 retry layers: tenacity @retry on 'ask' (3) x boto3 bedrock-runtime client (5: retries 4,"
        f" legacy mode, botocore's default before 1.44, {shown}) = up to 15 calls per run; chain ask -> converse;"
        " let one layer retry")


@pytest.mark.parametrize("pins", ["boto3==1.44.0\n", "boto3==1.44.8\n", "boto3==1.28.0\nbotocore==1.44.0\n", "boto3>=1.28\n"])
def test_a_boto3_pin_of_144_or_later_keeps_standard_mode(tmp_path, pins):
    write_tree(tmp_path, {"requirements.txt": pins, "app.py": PINNED_APP})
    found = {(d["code"], d["line"]): d["message"] for d in check(tmp_path, "app.py")}
    assert "boto3 bedrock-runtime client (3: retries 2 by default)" in found[("RTL005", 14)]


DSPY_CALLED = src(
    """
    import dspy
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

    lm = dspy.LM("openai/gpt-4o-mini")


    @retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60), retry=retry_if_exception_type(TimeoutError))
    def ask(text):
        return lm(text)
    """
)


def test_dspy_lm_called_fix_turns_its_retries_off_and_relints_clean():
    result = fixed(DSPY_CALLED)
    assert result == DSPY_CALLED.replace('dspy.LM("openai/gpt-4o-mini")', 'dspy.LM("openai/gpt-4o-mini", num_retries=0)')
    assert Engine(Settings(select=("RTL005",))).lint_source(result, "tasks.py") == []


def test_dspy_lm_called_by_a_wrapper_class_in_another_module(tmp_path):
    write_tree(tmp_path, {
        "llm.py": """
            import dspy


            class Writer:
                def __init__(self):
                    self.lm = dspy.LM("openai/gpt-4o-mini", num_retries=5)

                def write(self, text):
                    return self.lm(messages=[{"role": "user", "content": text}])
            """,
        "tasks.py": """
            from celery import shared_task

            from llm import Writer


            @shared_task(autoretry_for=(TimeoutError,), max_retries=2, retry_backoff=True)
            def nightly(text):
                return Writer().write(text)
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py")]
    assert found == [("RTL005", 6, (
        "LM.__call__ runs under 2 retry layers: Celery task on 'nightly' (3) x DSPy LM (6: retries 5) = up to 18 calls"
        " per run; chain nightly -> write (llm.py:8) -> LM.__call__ (via attribute); let one layer retry"))]


def test_celery_timeout_redelivery_set_in_the_apps_module(tmp_path):
    write_tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.task_acks_late = True
            app.conf.task_acks_on_timeout = False
            app.conf.task_time_limit = 900
            """,
        "proj/tasks.py": """
            import openai

            from proj.celery import app

            client = openai.OpenAI(max_retries=0)


            class Writer:
                def write(self, text):
                    return client.chat.completions.create(model="gpt-4o", messages=[])


            @app.task
            def summarize(text):
                return Writer().write(text)
            """,
    })
    found = [(d["code"], d["path"], d["line"], d["message"].partition(":")[0]) for d in check(tmp_path, "proj/tasks.py")]
    assert found == [("RTL001", "proj/tasks.py", 13, "Celery redelivery (acks_late + time_limit, acks_on_timeout=False)"
                      " on 'summarize' retries without limit")]


def test_guardrails_guard_in_a_wrapper_class_of_another_module(tmp_path):
    write_tree(tmp_path, {
        "guards.py": """
            from guardrails import Guard
            from pydantic import BaseModel


            class Pet(BaseModel):
                name: str


            class PetExtractor:
                def __init__(self):
                    self.guard = Guard.for_pydantic(output_class=Pet)

                def extract(self, text):
                    return self.guard(model="gpt-4o", messages=[{"role": "user", "content": text}], num_reasks=2)
            """,
        "tasks.py": """
            import openai
            from celery import shared_task

            from guards import PetExtractor


            @shared_task(autoretry_for=(openai.RateLimitError,), max_retries=3, retry_backoff=True)
            def nightly(text):
                return PetExtractor().extract(text)
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py")]
    assert found == [("RTL005", 7, (
        "Guard.__call__ runs under 3 retry layers: Celery task on 'nightly' (4) x Guardrails num_reasks (3) x LiteLLM"
        " (provider SDK retries) (3: retries 2 by default) = up to 36 calls per run; chain nightly -> extract"
        " (guards.py:13) -> Guard.__call__ (via attribute); let one layer retry"
        " (Guardrails num_reasks: each retry re-asks with the last failed answer appended: billed again, with a longer"
        " prompt than the first)"))]


def test_report_shows_the_guard_and_the_client_its_llm_api_belongs_to(tmp_path):
    write_tree(tmp_path, {
        "clients.py": """
            import openai

            client = openai.OpenAI(max_retries=3)
            """,
        "tasks.py": """
            import openai
            from celery import shared_task
            from guardrails import Guard
            from pydantic import BaseModel

            from clients import client


            class Pet(BaseModel):
                name: str


            class PetExtractor:
                def __init__(self):
                    self.guard = Guard.for_pydantic(output_class=Pet)

                def extract(self, text):
                    return self.guard(client.chat.completions.create, model="gpt-4o", messages=[], num_reasks=2)


            @shared_task(autoretry_for=(openai.RateLimitError,), max_retries=1, retry_backoff=True)
            def nightly(text):
                return PetExtractor().extract(text)
            """,
    })
    (point,) = json.loads(run(tmp_path, "report", "--format", "json").stdout)
    assert point["layers"] == ["Celery task on 'nightly' (2)", "Guardrails num_reasks (3)", "OpenAI client (4: retries 3)"]
    assert (point["attempts"], point["billed_calls"]) == (24, 24)
    assert point["findings"] == ["RTL005"]


def test_dspy_refine_of_another_module_under_a_celery_task(tmp_path):
    write_tree(tmp_path, {
        "programs.py": """
            import dspy

            qa = dspy.Refine(module=dspy.Predict("question -> answer"), N=4, reward_fn=lambda args, pred: 1.0, threshold=1.0)


            class Answerer:
                def __init__(self):
                    self.program = qa

                def answer(self, question):
                    return self.program(question=question)
            """,
        "tasks.py": """
            from celery import shared_task

            from programs import Answerer


            @shared_task(autoretry_for=(TimeoutError,), max_retries=2, retry_backoff=True)
            def nightly(question):
                return Answerer().answer(question)
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py")]
    assert found == [("RTL005", 6, (
        "Refine.__call__ runs under 2 retry layers: Celery task on 'nightly' (3) x DSPy Refine (4) = up to 12 calls per"
        " run; chain nightly -> answer (programs.py:10) -> Refine.__call__ (via attribute); let one layer retry"))]


def test_guardrails_use_and_configure_statements_of_another_module_in_check_and_report(tmp_path):
    write_tree(tmp_path, {
        "guards.py": """
            from guardrails import Guard
            from guardrails.hub import ValidLength

            guard = Guard()
            guard.use(ValidLength(max=80, on_fail="reask"))
            guard.configure(num_reasks=3)
            """,
        "tasks.py": """
            import openai
            from celery import shared_task

            from guards import guard

            client = openai.OpenAI(max_retries=1)


            @shared_task(autoretry_for=(openai.RateLimitError,), max_retries=1, retry_backoff=True)
            def nightly(output):
                return guard.parse(output, llm_api=client.chat.completions.create)
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py")]
    assert found == [("RTL005", 9, (
        "parse runs under 3 retry layers: Celery task on 'nightly' (2) x Guardrails parse num_reasks (3) x OpenAI client"
        " (2: retries 1) = up to 12 calls per run; chain nightly -> parse; let one layer retry (Guardrails parse"
        " num_reasks: each retry re-asks with the last failed answer appended: billed again, with a longer prompt than"
        " the first)"))]
    (point,) = json.loads(run(tmp_path, "report", "--format", "json").stdout)
    assert point["layers"] == ["Celery task on 'nightly' (2)", "Guardrails parse num_reasks (3)", "OpenAI client (2: retries 1)"]
    assert (point["attempts"], point["billed_calls"]) == (12, 12)
    assert point["findings"] == ["RTL005"]


PYDANTIC_AI_TOOLS = {
    "agents.py": """
        from pydantic_ai import Agent

        agent = Agent("openai:gpt-4o", retries=1, model_settings={"max_retries": 0})
        """,
    "tools.py": """
        import openai
        from pydantic_ai import ModelRetry

        from agents import agent

        client = openai.OpenAI(max_retries=2)


        @agent.tool_plain(retries=3)
        def lookup(q: str) -> str:
            reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
            if not reply.choices:
                raise ModelRetry("no answer: ask again")
            return reply.choices[0].message.content
        """,
    "tasks.py": """
        from celery import shared_task

        import tools
        from agents import agent


        @shared_task(autoretry_for=(TimeoutError,), max_retries=2, retry_backoff=True)
        def nightly(q):
            return agent.run_sync(q).output
        """,
}


def test_pydantic_ai_tool_of_another_module_counts_in_a_run_and_over_its_sdk_call(tmp_path):
    write_tree(tmp_path, PYDANTIC_AI_TOOLS)
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tools.py")]
    assert found == [
        ("RTL003", 9, (
            "pydantic-ai tool retries on 'lookup' (up to 4 attempts) can re-run billable calls that already succeeded:"
            " chat.completions.create (billed again when the tool raises ModelRetry after it, a re-ask that runs the tool"
            " again); worst case: 4 attempts x 1 billable call = 4 billed calls; chain lookup -> chat.completions.create;"
            " store each result and skip work already done before calling again")),
        ("RTL005", 9, (
            "chat.completions.create runs under 2 retry layers: pydantic-ai tool retries on 'lookup' (4) x OpenAI client"
            " (3: retries 2) = up to 12 calls per run; chain lookup -> chat.completions.create; let one layer retry")),
    ]
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "tasks.py")]
    assert found == [
        ("RTL005", 7, (
            "run_sync runs under 2 retry layers: Celery task on 'nightly' (3) x pydantic-ai Agent retries (4) = up to 12"
            " calls per run; chain nightly -> run_sync; let one layer retry (pydantic-ai Agent retries: each retry"
            " re-asks with the failed answer appended: billed again, with a longer prompt each time)")),
    ]


def test_report_shows_a_pydantic_ai_tool_over_its_sdk_client_and_the_run_with_the_tools_budget(tmp_path):
    write_tree(tmp_path, PYDANTIC_AI_TOOLS)
    points = {p["layer"]: p for p in json.loads(run(tmp_path, "report", "--format", "json").stdout)}
    tool = points["pydantic-ai tool retries on 'lookup'"]
    assert tool["layers"] == ["pydantic-ai tool retries on 'lookup' (4)", "OpenAI client (3: retries 2)"]
    assert (tool["path"], tool["line"], tool["attempts"], tool["billed_calls"], tool["findings"]) == ("tools.py", 9, 12, 12, ["RTL003", "RTL005"])
    task = points["Celery task on 'nightly'"]
    assert task["layers"] == ["Celery task on 'nightly' (3)", "pydantic-ai Agent retries (4)"]
    assert (task["attempts"], task["billed_calls"], task["findings"]) == (12, 12, ["RTL005"])


def test_report_counts_a_1x_agents_tool_retries_for_its_tool(tmp_path):
    write_tree(tmp_path, {"tasks.py": """
        import openai
        from pydantic_ai import Agent, ModelRetry

        client = openai.OpenAI(max_retries=1)
        older = Agent("openai:gpt-4o", tool_retries=2, model_settings={"max_retries": 0})


        @older.tool_plain
        def lookup(q: str) -> str:
            reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
            if not reply.choices:
                raise ModelRetry("no answer: ask again")
            return reply.choices[0].message.content
        """})
    (point,) = json.loads(run(tmp_path, "report", "--format", "json").stdout)
    assert point["layers"] == ["pydantic-ai tool retries on 'lookup' (3)", "OpenAI client (2: retries 1)"]
    assert (point["line"], point["attempts"], point["billed_calls"], point["findings"]) == (8, 6, 6, ["RTL003", "RTL005"])
