"""The OpenAI Agents SDK across modules and in ``retrylint report``: the runner's replays add to
the SDK client's attempts (a sum in the stack), and Runner.run's max_turns caps the billed turns
(findings on single modules are in cases/forms/openai_agents.cases)."""

from __future__ import annotations

import json

from helpers import check, run, src, write_tree

from retrylint.engine import Engine
from retrylint.settings import Settings

SETUP = """
    from agents import Agent, ModelRetrySettings, ModelSettings, retry_policies

    support = Agent(
        name="support",
        model_settings=ModelSettings(retry=ModelRetrySettings(max_retries=2, policy=retry_policies.provider_suggested())),
    )
    """

SERVICE = """
    import openai
    from agents import Runner
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

    from setup_agents import support


    class Assistant:
        def __init__(self):
            self.agent = support

        @retry(stop=stop_after_attempt(4), wait=wait_exponential_jitter(max=60), retry=retry_if_exception_type(openai.RateLimitError))
        async def answer(self, question):
            result = await Runner.run(self.agent, question, max_turns=MAX_TURNS)
            return result.final_output
    """


def test_agent_made_in_another_module_adds_its_replays_to_the_sdk_client(tmp_path):
    write_tree(tmp_path, {"setup_agents.py": SETUP, "service.py": SERVICE.replace("MAX_TURNS", "3")})
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "service.py")]
    assert found == [("RTL005", 12, (
        "Runner.run runs under 3 retry layers: tenacity @retry on 'answer' (4) x (Agents SDK's OpenAI client"
        " (3: retries 2 by default) + Agents SDK ModelRetrySettings (2 more)) = up to 20 calls per run;"
        " chain answer -> Runner.run; let one layer retry"))]


def test_agent_in_another_module_with_max_retries_zero_leaves_one_layer(tmp_path):
    setup = SETUP.replace("max_retries=2, policy=retry_policies.provider_suggested()", "max_retries=0")
    write_tree(tmp_path, {"setup_agents.py": setup, "service.py": SERVICE.replace("MAX_TURNS", "3")})
    assert check(tmp_path, "service.py") == []


def report_of(tmp_path, max_turns: str) -> dict:
    write_tree(tmp_path, {"setup_agents.py": SETUP, "service.py": SERVICE.replace("MAX_TURNS", max_turns)})
    points = json.loads(run(tmp_path, "report", "--format", "json", "service.py").stdout)
    (point,) = [point for point in points if point["path"] == "service.py"]
    return point


def test_report_sums_the_replays_and_multiplies_the_turns(tmp_path):
    point = report_of(tmp_path, "3")
    assert point["layers"] == [
        "tenacity @retry on 'answer' (4)",
        "(Agents SDK's OpenAI client (3: retries 2 by default) + Agents SDK ModelRetrySettings (2 more))",
    ]
    assert point["attempts"] == 20
    (reach,) = point["billable"]
    assert (reach["name"], reach["attempts"], reach["turns"]) == ("Runner.run", 20, 3)
    assert point["billed_calls"] == 60


def test_report_counts_the_default_turns(tmp_path):
    write_tree(tmp_path, {"setup_agents.py": SETUP, "service.py": SERVICE.replace(", max_turns=MAX_TURNS", "")})
    (point,) = json.loads(run(tmp_path, "report", "--format", "json", "service.py").stdout)
    assert (point["billable"][0]["turns"], point["billed_calls"]) == (10, 200)


def test_report_without_a_turn_cap_bills_unbounded(tmp_path):
    point = report_of(tmp_path, "None")
    assert point["billable"][0]["turns"] is None
    assert point["billed_calls"] is None
    table = run(tmp_path, "report", "service.py", COLUMNS="300").stdout
    assert "Runner.run (no cap on turns)" in table


def test_a_project_package_named_agents_is_not_the_sdk(tmp_path):
    write_tree(tmp_path, {
        "agents/__init__.py": """
            class Runner:
                @classmethod
                def run(cls, agent, task):
                    return agent(task)
            """,
        "app.py": """
            from agents import Runner
            from tenacity import retry, stop_after_attempt, wait_exponential


            @retry(stop=stop_after_attempt(3), wait=wait_exponential())
            def go(agent, task):
                return Runner.run(agent, task)
            """,
    })
    assert check(tmp_path, "app.py") == []


CLIENT_SETUP = """
    from agents import Agent, ModelRetrySettings, ModelSettings, OpenAIChatCompletionsModel, retry_policies
    from openai import AsyncOpenAI

    client = AsyncOpenAI(max_retries=3)
    support = Agent(
        name="support",
        model=OpenAIChatCompletionsModel(model="gpt-4o", openai_client=client),
        model_settings=ModelSettings(retry=ModelRetrySettings(max_retries=2, policy=retry_policies.provider_suggested())),
    )
    """


def test_agent_of_another_module_runs_on_the_client_its_model_was_given(tmp_path):
    write_tree(tmp_path, {"setup_agents.py": CLIENT_SETUP, "service.py": SERVICE.replace("MAX_TURNS", "3")})
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "service.py")]
    assert found == [("RTL005", 12, (
        "Runner.run runs under 3 retry layers: tenacity @retry on 'answer' (4) x (OpenAI client (4: retries 3, the"
        " client openai-agents runs on) + Agents SDK ModelRetrySettings (2 more)) = up to 24 calls per run;"
        " chain answer -> Runner.run; let one layer retry"))]
    points = json.loads(run(tmp_path, "report", "--format", "json", "service.py").stdout)
    (point,) = [point for point in points if point["path"] == "service.py"]
    assert point["layers"] == [
        "tenacity @retry on 'answer' (4)",
        "(OpenAI client (4: retries 3, the client openai-agents runs on) + Agents SDK ModelRetrySettings (2 more))",
    ]
    assert (point["attempts"], point["billable"][0]["turns"], point["billed_calls"]) == (24, 3, 72)


def test_default_client_set_in_another_module_of_the_package(tmp_path):
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from agents import set_default_openai_client
            from openai import AsyncOpenAI


            def start():
                set_default_openai_client(AsyncOpenAI(max_retries=MAX_RETRIES))
            """.replace("MAX_RETRIES", "4"),
        "app/service.py": """
            from agents import Agent, Runner
            from celery import shared_task

            agent = Agent(name="support")


            @shared_task(autoretry_for=(TimeoutError,), max_retries=2, retry_backoff=True)
            def answer(question):
                return Runner.run_sync(agent, question).final_output
            """,
    })
    found = [(d["code"], d["line"], d["message"]) for d in check(tmp_path, "app/service.py")]
    assert found == [("RTL005", 7, (
        "Runner.run_sync runs under 2 retry layers: Celery task on 'answer' (3) x OpenAI client (5: retries 4, the"
        " client openai-agents runs on) = up to 15 calls per run; chain answer -> Runner.run_sync; let one layer retry"))]
    main = (tmp_path / "app/main.py").read_text().replace("max_retries=4", "max_retries=0")
    (tmp_path / "app/main.py").write_text(main)
    assert check(tmp_path, "app/service.py") == []


AGENT_CLIENT = src(
    """
    import openai
    from agents import Agent, OpenAIChatCompletionsModel, Runner
    from openai import AsyncOpenAI
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

    client = AsyncOpenAI()
    agent = Agent(name="support", model=OpenAIChatCompletionsModel(model="gpt-4o", openai_client=client))


    @retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60), retry=retry_if_exception_type(openai.RateLimitError))
    async def answer(question):
        return await Runner.run(agent, question)
    """
)


def test_fix_turns_off_the_retries_of_the_client_the_agents_model_was_given():
    engine = Engine(Settings(select=("RTL005",)))
    result = engine.fix_source(AGENT_CLIENT, "tasks.py", unsafe=True).source
    assert result == AGENT_CLIENT.replace("client = AsyncOpenAI()", "client = AsyncOpenAI(max_retries=0)")
    assert engine.lint_source(result, "tasks.py") == []
    assert engine.fix_source(result, "tasks.py", unsafe=True).source == result
