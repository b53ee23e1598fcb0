"""``retrylint report``: entry points, stacks and worst-case billed calls, in each format."""

from __future__ import annotations

import json

from helpers import FLAT, run, write_tree


def test_report_json_across_modules(tmp_path):
    files = dict(FLAT)
    files["llm.py"] = FLAT["llm.py"].replace("anthropic.Anthropic(max_retries=0)", "anthropic.Anthropic()")
    write_tree(tmp_path, files)
    result = run(tmp_path, "report", "--format", "json")
    assert result.returncode == 0, result.stderr
    (point,) = json.loads(result.stdout)
    assert (point["path"], point["line"], point["layer"]) == ("tasks.py", 6, "Celery task on 'build_course'")
    assert point["layers"] == ["Celery task on 'build_course' (6)", "Anthropic client (3: retries 2 by default)"]
    assert point["attempts"] == 18
    assert point["billed_calls"] == 18 and point["per_item"] is True
    assert [link["name"] for link in point["billable"][0]["chain"]] == ["build_course", "run_batch", "complete", "messages.create"]
    assert point["findings"] == ["RTL002", "RTL003", "RTL005"]


def test_report_mermaid_and_table(tmp_path):
    write_tree(tmp_path, FLAT)
    mermaid = run(tmp_path, "report", "--format", "mermaid")
    assert mermaid.stdout.splitlines() == [
        "```mermaid",
        "flowchart LR",
        "    n0[[\"Celery task on 'build_course'<br/>6 attempts\"]]",
        '    n1["run_batch<br/>pipeline.py:5"]',
        '    n2["complete<br/>llm.py:6"]',
        '    n3("messages.create")',
        "    n0 --> n1",
        "    n1 --> n2",
        "    n2 -->|x6 per item| n3",
        "```",
    ]
    table = run(tmp_path, "report", COLUMNS="200")
    assert "Retry entry points (worst case for one message)" in table.stdout
    assert "6 per item" in table.stdout
    assert "RTL002, RTL003" in table.stdout


def test_report_of_a_clean_project_is_empty(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert json.loads(run(tmp_path, "report", "--format", "json").stdout) == []


def test_report_table_of_a_clean_project_says_so(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert run(tmp_path, "report").stdout == "No retry entry points found.\n"


def test_report_table_in_a_pipe_is_not_cut_to_80_columns(tmp_path):
    write_tree(tmp_path, FLAT)
    table = run(tmp_path, "report", COLUMNS="80").stdout
    assert max(len(line) for line in table.splitlines()) > 80
    assert "│ Celery task on 'build_course' │ Celery task on 'build_course' │ 6 " in table
    assert "│ messages.create │ 6 per item   │ RTL002, RTL003 │" in table


STRIPE_TASK = """\
import stripe
from celery import shared_task


@shared_task(bind=True, autoretry_for=(stripe.APIConnectionError,), max_retries=3)
def charge(self, order_id, amount):
    stripe.PaymentIntent.create(amount=amount, currency="eur")
"""


def test_report_bills_only_the_outer_attempts_of_an_sdk_that_keys_its_own_retries(tmp_path):
    """stripe sends one Idempotency-Key with all its own retries of a POST (the module API retries
    twice by default): 4 Celery attempts x 3 requests, but 4 billed calls."""
    (tmp_path / "tasks.py").write_text(STRIPE_TASK)
    (point,) = json.loads(run(tmp_path, "report", "--output-format", "json").stdout)
    assert point["layers"] == ["Celery task on 'charge' (4)", "stripe module API (3: retries 2 by default)"]
    assert point["attempts"] == 12
    assert (point["billable"][0]["name"], point["billable"][0]["attempts"]) == ("PaymentIntent.create", 4)
    assert point["billed_calls"] == 4


def test_report_bills_every_request_of_an_sdk_that_does_not_key_its_retries(tmp_path):
    files = dict(FLAT)
    files["llm.py"] = FLAT["llm.py"].replace("anthropic.Anthropic(max_retries=0)", "anthropic.Anthropic()")
    write_tree(tmp_path, files)
    (point,) = json.loads(run(tmp_path, "report", "--output-format", "json").stdout)
    assert (point["attempts"], point["billable"][0]["attempts"], point["billed_calls"]) == (18, 18, 18)


def test_report_table_in_a_ci_log_with_forced_colour_is_not_cut_to_80_columns(tmp_path):
    """CI logs often set FORCE_COLOR: the output is coloured, but it is still a log, not a terminal
    80 columns wide."""
    import re

    write_tree(tmp_path, FLAT)
    table = run(tmp_path, "report", COLUMNS="80", FORCE_COLOR="1").stdout
    plain = re.sub(r"\x1b\[[0-9;]*m", "", table)
    assert "\x1b[" in table and "…" not in plain
    assert "│ Celery task on 'build_course' │ Celery task on 'build_course' │ 6 " in plain


def test_report_counts_the_sdk_a_field_default_model_string_names(tmp_path):
    """init_chat_model(model=configurable.model), the model a field of another module's class
    declares with Field(default="openai:..."): the OpenAI client's 2 retries join with_retry's 3."""
    write_tree(tmp_path, {
        "configuration.py": (
            "from pydantic import BaseModel, Field\n\n\n"
            "class Configuration(BaseModel):\n"
            "    model: str = Field(default=\"openai:gpt-4.1-nano\")\n\n"
            "    @classmethod\n"
            "    def from_config(cls, config) -> \"Configuration\":\n"
            "        return cls(**config)\n"
        ),
        "tasks.py": (
            "from langchain.chat_models import init_chat_model\n\n"
            "from configuration import Configuration\n\n\n"
            "def summarize(text, config):\n"
            "    configurable = Configuration.from_config(config)\n"
            "    model = init_chat_model(model=configurable.model).with_retry(\n"
            "        stop_after_attempt=3, retry_if_exception_type=(TimeoutError,))\n"
            "    return model.invoke(text)\n"
        ),
    })
    (point,) = json.loads(run(tmp_path, "report", "--output-format", "json").stdout)
    assert (point["path"], point["line"]) == ("tasks.py", 8)
    assert point["layers"] == [
        "LangChain with_retry (3)",
        "LangChain init_chat_model model (3: retries 2, the openai SDK client's default for 'openai:gpt-4.1-nano',"
        " Configuration.model's default)",
    ]
    assert (point["attempts"], point["billed_calls"], point["findings"]) == (9, 9, ["RTL005"])


def test_report_counts_the_sdk_a_pydantic_ai_model_string_names(tmp_path):
    """Agent("anthropic:...") without max_retries in model_settings: the Anthropic client's 2
    retries under the agent's re-asks, under the task's attempts."""
    write_tree(tmp_path, {"tasks.py": (
        "from celery import shared_task\n"
        "from pydantic_ai import Agent, UsageLimits\n\n"
        "agent = Agent(\"anthropic:claude-sonnet-4-5\", model_settings={\"temperature\": 0})\n\n\n"
        "@shared_task(autoretry_for=(TimeoutError,), max_retries=2, retry_backoff=True)\n"
        "def extract(text):\n"
        "    return agent.run_sync(text, usage_limits=UsageLimits(total_tokens_limit=20_000)).output\n"
    )})
    (point,) = json.loads(run(tmp_path, "report", "--output-format", "json").stdout)
    assert point["layers"] == [
        "Celery task on 'extract' (3)",
        "pydantic-ai Agent retries (2)",
        "pydantic-ai model's SDK client (3: retries 2, the anthropic SDK client's default for 'anthropic:claude-sonnet-4-5')",
    ]
    assert (point["attempts"], point["findings"]) == (18, ["RTL005"])


def test_report_counts_a_pinned_old_langchain_chat_models_own_attempts(tmp_path):
    write_tree(tmp_path, {
        "requirements.txt": "langchain==0.0.240\n",
        "tasks.py": (
            "import backoff\n"
            "import openai\n"
            "from langchain.chat_models import ChatOpenAI\n\n"
            "llm = ChatOpenAI(model=\"gpt-4\")\n\n\n"
            "@backoff.on_exception(backoff.expo, openai.error.RateLimitError, max_tries=3)\n"
            "def ask(messages):\n"
            "    return llm(messages)\n"
        ),
    })
    (point,) = json.loads(run(tmp_path, "report", "--output-format", "json").stdout)
    assert point["layers"] == [
        "backoff.on_exception on 'ask' (3)",
        "LangChain chat model (6: retries 5, langchain before 0.0.332 retried by itself, 6 attempts by default, pinned 0.0.240)",
    ]
    assert (point["attempts"], point["billed_calls"], point["findings"]) == (18, 18, ["RTL005"])


def test_report_and_check_agree_on_a_decoration_that_leaves_its_factorys_loop_unbounded(tmp_path):
    """lm-eval's ``@retry_on_specific_exceptions(..., max_retries=None)``: the report counts its
    attempts as unbounded, and check now says so too (RTL001 where it decorates). The report shows
    an unknown count as null too, so the loop as written (bounded, count unknown) has no finding."""
    write_tree(tmp_path, {
        "llm.py": """
            import time

            import anthropic

            client = anthropic.Anthropic(max_retries=0)


            def retry_on_specific_exceptions(on_exceptions, max_retries=None):
                def decorator(func):
                    def wrapper(*args, **kwargs):
                        attempt = 0
                        while max_retries is None or attempt < max_retries:
                            try:
                                return func(*args, **kwargs)
                            except tuple(on_exceptions):
                                time.sleep(3)
                                attempt += 1
                    return wrapper
                return decorator


            @retry_on_specific_exceptions(on_exceptions=[anthropic.RateLimitError], max_retries=None)
            def ask(prompt):
                return client.messages.create(model="m", max_tokens=10, messages=[])
            """,
    })
    result = run(tmp_path, "report", "--format", "json")
    assert result.returncode == 0, result.stderr
    points = [(p["line"], p["layer"], p["attempts"], p["findings"]) for p in json.loads(result.stdout)]
    assert points == [
        (12, "hand-written retry loop", None, []),  # as written: bounded, its count unknown
        (22, "hand-written retry loop in retry_on_specific_exceptions() on 'ask'", None, ["RTL001"]),
    ]
