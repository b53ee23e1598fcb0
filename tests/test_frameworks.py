"""Task queues, retry packages and SDKs beyond the core set, each with its defaults: VALID
(silent) and INVALID (exact codes and lines) cases, and the fixes they offer."""

from __future__ import annotations

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings
from helpers import at, found, message, src


def fixed(source: str, unsafe: bool = False, **settings) -> str:
    result = Engine(Settings(**settings)).fix_source(source, "tasks.py", unsafe=unsafe)
    again = Engine(Settings(**settings)).fix_source(result.source, "tasks.py", unsafe=unsafe)
    assert again.source == result.source
    return result.source


# ----- Dramatiq ---------------------------------------------------------------------------
DRAMATIQ = src(
    """
    import dramatiq
    import openai

    client = openai.OpenAI(max_retries=0)

    @dramatiq.actor
    def summarize(text):
        return client.chat.completions.create(model="m", messages=[])
    """
)


def test_dramatiq_bare_actor_retries_20_times_on_every_exception():
    assert found(DRAMATIQ) == [("RTL002", 6)]
    assert "Dramatiq actor on 'summarize' (up to 21 attempts) retries on every exception" in message(DRAMATIQ, "RTL002")


def test_dramatiq_throws_fix_and_unbounded_max_retries():
    assert fixed(DRAMATIQ, select=("RTL002",)) == DRAMATIQ.replace(
        "@dramatiq.actor\n",
        "@dramatiq.actor(\n    throws=(\n        openai.BadRequestError,\n        openai.AuthenticationError,\n"
        "        openai.PermissionDeniedError,\n        openai.NotFoundError,\n        openai.UnprocessableEntityError,\n"
        "    )\n)\n",
    )
    unbounded = DRAMATIQ.replace("@dramatiq.actor", "@dramatiq.actor(max_retries=None, throws=(openai.BadRequestError,))")
    assert found(unbounded) == [("RTL001", 6)]
    assert "@dramatiq.actor(max_retries=2, throws=(openai.BadRequestError,))\n" in fixed(unbounded)


def test_dramatiq_throws_fix_keeps_the_time_limit_it_lists():
    """throws=(TimeLimitExceeded,) stops only at a timeout, which a retry can heal: RTL002 still
    fires (cases/forms/dramatiq_time_limits.cases) and its fix adds the SDK's errors beside it."""
    source = DRAMATIQ.replace("import openai\n", "import openai\nfrom dramatiq.middleware import TimeLimitExceeded\n").replace(
        "@dramatiq.actor\n", "@dramatiq.actor(throws=(TimeLimitExceeded,))\n")
    assert found(source) == [("RTL002", 7)]
    result = fixed(source, select=("RTL002",))
    assert result == source.replace(
        "@dramatiq.actor(throws=(TimeLimitExceeded,))\n",
        "@dramatiq.actor(\n    throws=(\n        TimeLimitExceeded,\n        openai.BadRequestError,\n"
        "        openai.AuthenticationError,\n        openai.PermissionDeniedError,\n        openai.NotFoundError,\n"
        "        openai.UnprocessableEntityError,\n    )\n)\n",
    )
    assert found(result) == []


def test_dramatiq_retry_when_is_a_classifier():
    s = DRAMATIQ.replace("@dramatiq.actor", "@dramatiq.actor(retry_when=should_retry)")
    assert found(s) == []


# ----- Huey -------------------------------------------------------------------------------
HUEY = src(
    """
    from huey import RedisHuey
    import anthropic

    huey = RedisHuey("app")
    client = anthropic.Anthropic(max_retries=0)

    @huey.task(retries=3)
    def outline(topic):
        return client.messages.create(model="m", max_tokens=1, messages=[])
    """
)


def test_huey_task_without_retries_is_not_a_layer():
    assert found(HUEY.replace("@huey.task(retries=3)", "@huey.task()")) == []


def test_huey_retries_without_delay_wait_nothing():
    assert found(HUEY) == [("RTL002", 7), ("RTL006", 7)]
    assert "Huey task on 'outline' (up to 4 attempts)" in message(HUEY, "RTL006")
    assert "@huey.task(retries=3, retry_delay=10)" in fixed(HUEY, select=("RTL006",))
    assert found(HUEY.replace("retries=3", "retries=3, retry_delay=5")) == [("RTL002", 7)]


# ----- Prefect ----------------------------------------------------------------------------
def test_prefect_task_defaults_and_retries():
    s = src(
        """
        from prefect import task
        import litellm

        @task
        def plain(prompt):
            return litellm.completion(model="m", messages=[])

        @task(retries=2, retry_delay_seconds=10, retry_condition_fn=only_transient)
        def careful(prompt):
            return litellm.completion(model="m", messages=[])

        @task(retries=2)
        def hasty(prompt):
            return litellm.completion(model="m", messages=[], num_retries=0)
        """
    )
    # careful: 3 Prefect attempts x LiteLLM's provider SDK retries; hasty turns those off.
    assert found(s) == [("RTL002", 12), ("RTL005", 8), ("RTL006", 12)]
    assert "Prefect task on 'hasty' (up to 3 attempts)" in message(s, "RTL006")
    assert "@task(retries=2, retry_delay_seconds=[1, 10, 60], retry_jitter_factor=0.5)" in fixed(s, select=("RTL006",))


# ----- Airflow ----------------------------------------------------------------------------
def test_airflow_task_decorator_and_python_operator():
    s = src(
        """
        from airflow.decorators import task
        from airflow.operators.python import PythonOperator
        import stripe

        @task(retries=3)
        def charge(order):
            stripe.Charge.create(amount=order.amount, currency="eur")

        def refund(order):
            stripe.Refund.create(charge=order.charge_id)

        refund_task = PythonOperator(task_id="refund", python_callable=refund, retries=2)
        quiet_task = PythonOperator(task_id="quiet", python_callable=refund)
        """
    )
    assert found(s) == [
        ("RTL002", 5), ("RTL002", 12), ("RTL003", 5), ("RTL003", 12), ("RTL005", 5), ("RTL005", 12),
    ]
    messages = [d.message for d in Engine(Settings(select=("RTL003",))).lint_source(s, "dag.py")]
    assert messages[1].startswith("Airflow PythonOperator on 'refund' (up to 3 attempts)")


def test_airflow_dag_default_args_reach_the_tasks_that_leave_them_out():
    s = src(
        """
        from datetime import datetime
        from airflow import DAG
        from airflow.decorators import dag, task
        from airflow.operators.python import PythonOperator
        import stripe

        DEFAULTS = {"retries": 4, "owner": "billing"}

        def refund(order):
            stripe.Refund.create(charge=order.charge_id)

        with DAG("refunds", start_date=datetime(2026, 1, 1), default_args=DEFAULTS):
            refund_task = PythonOperator(task_id="refund", python_callable=refund)
            once = PythonOperator(task_id="once", python_callable=refund, retries=0)

        nightly = DAG("nightly", default_args=dict(retries=2))
        late = PythonOperator(task_id="late", python_callable=refund, dag=nightly)
        alone = PythonOperator(task_id="alone", python_callable=refund)

        @dag(default_args={"retries": 1})
        def charges():
            @task
            def charge(order):
                stripe.Charge.create(amount=order.amount, currency="eur")

            PythonOperator(task_id="refund_too", python_callable=refund)
        """
    )
    layers = [(d.line, d.message.split(":")[0]) for d in Engine(Settings(select=("RTL003",))).lint_source(s, "dag.py")]
    again = "can re-run billable calls that already succeeded"
    assert layers == [
        (at(s, "refund_task ="), f"Airflow PythonOperator on 'refund' (up to 5 attempts) {again}"),
        (at(s, "late ="), f"Airflow PythonOperator on 'refund' (up to 3 attempts) {again}"),
        (at(s, "@task"), f"Airflow task on 'charge' (up to 2 attempts) {again}"),
        (at(s, "refund_too"), f"Airflow PythonOperator on 'refund' (up to 2 attempts) {again}"),
    ]


# ----- RQ ---------------------------------------------------------------------------------
RQ = src(
    """
    from redis import Redis
    from rq import Queue, Retry
    import openai

    client = openai.OpenAI(max_retries=0)
    queue = Queue(connection=Redis())

    def summarize(text):
        return client.chat.completions.create(model="m", messages=[])

    def schedule(text):
        queue.enqueue(summarize, text)
        queue.enqueue(summarize, text, retry=Retry(max=3))
    """
)


def test_rq_enqueue_without_retry_is_not_a_layer_and_retry_max_counts_retries():
    line = at(RQ, "retry=Retry")
    assert found(RQ) == [("RTL002", line), ("RTL006", line)]
    assert "RQ job on 'summarize' (up to 4 attempts)" in message(RQ, "RTL006")
    assert "retry=Retry(max=3, interval=[10, 30, 60])" in fixed(RQ, select=("RTL006",))


# ----- Temporal ---------------------------------------------------------------------------
TEMPORAL = src(
    """
    from datetime import timedelta
    from temporalio import activity, workflow
    from temporalio.common import RetryPolicy
    import anthropic

    client = anthropic.Anthropic(max_retries=0)

    @activity.defn
    async def draft(topic):
        return client.messages.create(model="m", max_tokens=1, messages=[])

    @workflow.defn
    class Writer:
        @workflow.run
        async def run(self, topic):
            return await workflow.execute_activity(draft, topic, start_to_close_timeout=timedelta(seconds=60))
    """
)


def test_temporal_activity_without_policy_retries_forever():
    line = at(TEMPORAL, "execute_activity")
    assert found(TEMPORAL) == [("RTL001", line), ("RTL002", line)]
    assert fixed(TEMPORAL, select=("RTL001",)) == TEMPORAL.replace(
        "(draft, topic, start_to_close_timeout=timedelta(seconds=60))",
        "(\n            draft,\n            topic,\n            start_to_close_timeout=timedelta(seconds=60),\n"
        "            retry_policy=RetryPolicy(maximum_attempts=3),\n        )",
    )


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("retry_policy=RetryPolicy(maximum_attempts=0)", ["RTL001", "RTL002"]),
        ("retry_policy=RetryPolicy(maximum_attempts=3)", ["RTL002"]),
        ("retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=['BadRequestError'])", []),
        ("schedule_to_close_timeout=timedelta(minutes=5)", ["RTL002"]),
        ("retry_policy=RetryPolicy(maximum_attempts=1)", []),
    ],
)
def test_temporal_policies(policy, expected):
    s = TEMPORAL.replace("start_to_close_timeout=timedelta(seconds=60))", f"start_to_close_timeout=timedelta(seconds=60), {policy})")
    assert [code for code, _ in found(s)] == expected


# ----- procrastinate ----------------------------------------------------------------------
def test_procrastinate_retry_true_is_unbounded_and_waits_nothing():
    s = src(
        """
        import procrastinate

        app = procrastinate.App(connector=connector)

        @app.task(retry=True)
        def sync():
            pass

        @app.task(retry=5)
        def bounded():
            pass

        @app.task
        def once():
            pass
        """
    )
    assert found(s) == [("RTL001", 5)]


# ----- retry (invl) and retrying ----------------------------------------------------------
def test_retry_package_defaults_are_unbounded():
    s = src(
        """
        from retry import retry, retry_call

        @retry()
        def fetch():
            pass

        @retry(ConnectionError, tries=3, delay=1)
        def bounded():
            pass

        def run():
            retry_call(fetch_once, tries=-1)

        def fetch_once():
            pass
        """
    )
    assert found(s) == [("RTL001", 3), ("RTL001", at(s, "retry_call(fetch_once"))]
    assert "@retry(tries=3)\ndef fetch" in fixed(s, select=("RTL001",))


def test_retrying_package_defaults_are_unbounded():
    s = src(
        """
        from retrying import retry
        import openai

        @retry
        def ask():
            return openai.chat.completions.create(model="m", messages=[])

        @retry(stop_max_attempt_number=3, wait_exponential_multiplier=1000, retry_on_exception=is_transient)
        def careful():
            return openai.chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == [("RTL001", 4), ("RTL002", 4), ("RTL005", 4), ("RTL005", 8), ("RTL006", 4)]


# ----- more billable SDKs -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("setup", "call", "retries"),
    [
        ("from groq import Groq\nclient = Groq()", "client.chat.completions.create(model='m', messages=[])", 2),
        ("import cohere\nclient = cohere.ClientV2()", "client.chat(model='m', messages=[])", 2),
        ("from mistralai import Mistral\nclient = Mistral(api_key='k')", "client.chat.complete(model='m', messages=[])", 0),
        ("from google import genai\nclient = genai.Client()", "client.models.generate_content(model='m', contents='x')", 0),
        ("from langchain_openai import ChatOpenAI\nclient = ChatOpenAI(model='m')", "client.invoke('hi')", 2),
        ("from llama_index.llms.openai import OpenAI\nclient = OpenAI(model='m')", "client.complete('hi')", 3),
    ],
)
def test_more_llm_sdks_are_billable(setup, call, retries):
    s = f"{setup}\nfrom tenacity import retry, stop_after_attempt\n\n@retry(stop=stop_after_attempt(3))\ndef ask():\n    return {call}\n"
    codes = [code for code, _ in found(s)]
    assert codes == (["RTL002", "RTL005", "RTL006"] if retries else ["RTL002", "RTL006"])


def test_messages_are_billable_even_as_the_last_step():
    s = src(
        """
        from celery import shared_task
        from twilio.rest import Client

        twilio = Client("sid", "token")

        @shared_task(autoretry_for=(ConnectionError,), retry_backoff=True)
        def notify(number):
            twilio.messages.create(to=number, from_="+100", body="hi")
        """
    )
    assert found(s) == [("RTL003", 6)]
    assert "messages.create (sends a message: a lost response still sent it)" in message(s, "RTL003")


# ----- externally retried entry points --------------------------------------------------
CLOUD_TASKS = src(
    """
    import openai
    from flask import request

    client = openai.OpenAI(max_retries=0)

    def handle_summary():
        attempt = request.headers.get("X-CloudTasks-TaskRetryCount")
        text = client.chat.completions.create(model="m", messages=[])
        save(text)
        return "ok"
    """
)


def test_cloud_tasks_handler_is_recognised_by_its_headers():
    assert found(CLOUD_TASKS) == [("RTL002", 6), ("RTL003", 6)]
    assert "Cloud Tasks handler on 'handle_summary' (an unknown number of attempts)" in message(CLOUD_TASKS, "RTL003")


def test_configured_entry_points():
    from retrylint.catalog import entry_point_from_table

    s = CLOUD_TASKS.replace('attempt = request.headers.get("X-CloudTasks-TaskRetryCount")\n    ', "")
    assert found(s) == []
    sqs = entry_point_from_table({"name": "tasks.handle_*", "attempts": 5, "retry-on": ["openai.APIError"], "label": "SQS handler"}, "test")
    # It retries openai.APIError only: the write after the paid call cannot raise it.
    assert found(s, entrypoint=(sqs,)) == [("RTL002", 6)]
    assert "SQS handler on 'handle_summary' (up to 5 attempts) retries on broad openai.APIError" in message(s, "RTL002", entrypoint=(sqs,))
    forever = entry_point_from_table({"name": "tasks.handle_summary", "attempts": "unbounded"}, "test")
    assert [code for code, _ in found(s, entrypoint=(forever,))] == ["RTL001", "RTL002", "RTL003"]


# ----- taskiq, retry policy objects ---------------------------------------------------------
def test_taskiq_retries_only_with_retry_on_error():
    s = src(
        """
        from taskiq import InMemoryBroker
        import openai

        broker = InMemoryBroker()
        client = openai.OpenAI(max_retries=0)

        @broker.task
        def plain(text):
            return client.chat.completions.create(model="m", messages=[])

        @broker.task(retry_on_error=True, max_retries=5)
        def retried(text):
            return client.chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == [("RTL002", 11), ("RTL006", 11)]
    assert "taskiq task on 'retried' (up to 5 attempts)" in message(s, "RTL006")


def test_google_api_core_retry_without_timeout_is_unbounded():
    s = src(
        """
        from google.api_core import retry

        bounded = retry.Retry(initial=1.0, maximum=10.0)
        forever = retry.Retry(initial=1.0, timeout=None)
        """
    )
    assert found(s) == [("RTL001", 4)]
    assert "google-api-core Retry retries without limit" in message(s, "RTL001")


def test_langchain_with_retry_zero_attempts_is_unbounded():
    s = src(
        """
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(model="m")
        careful = model.with_retry(stop_after_attempt=4)
        forever = model.with_retry(stop_after_attempt=0)
        """
    )
    # (each also retries every error of the chat model, over its SDK's retries: RTL002/RTL005,
    # cases/forms/llm_frameworks.cases)
    assert found(s, select=("RTL001",)) == [("RTL001", 5)]
    assert "stop_after_attempt=3" in fixed(s, select=("RTL001",))


# ----- AWS through boto3 ------------------------------------------------------------------
BEDROCK = src(
    """
    import boto3
    from botocore.config import Config
    from tenacity import retry, stop_after_attempt, wait_random_exponential, retry_if_exception_type

    bedrock = boto3.client("bedrock-runtime")
    quiet = boto3.client("bedrock-runtime", config=Config(retries={"max_attempts": 0}))
    ses = boto3.Session().client("ses")
    s3 = boto3.client("s3")

    @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(), retry=retry_if_exception_type(TimeoutError))
    def ask(body):
        return bedrock.invoke_model(modelId="m", body=body)

    @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(), retry=retry_if_exception_type(TimeoutError))
    def ask_quietly(body):
        return quiet.converse(modelId="m", messages=[])

    @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(), retry=retry_if_exception_type(TimeoutError))
    def mail(to):
        ses.send_email(Source="a@b", Destination={"ToAddresses": [to]}, Message={})

    @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(), retry=retry_if_exception_type(TimeoutError))
    def upload(body):
        s3.put_object(Bucket="b", Key="k", Body=body)
    """
)


def test_boto3_bedrock_and_ses_are_billable_with_botocore_retries():
    assert found(BEDROCK) == [("RTL003", at(BEDROCK, "def mail") - 1), ("RTL005", 10), ("RTL005", at(BEDROCK, "def mail") - 1)]
    assert "tenacity @retry on 'ask' (3) x boto3 bedrock-runtime client (3: retries 2 by default) = up to 9 calls" in [
        d.message for d in Engine(Settings(select=("RTL005",))).lint_source(BEDROCK, "tasks.py")
    ][0]


# ----- retries raised from inside a job ---------------------------------------------------
def test_arq_raise_retry_and_huey_raise_retry_task():
    s = src(
        """
        from arq import Retry
        from huey.exceptions import RetryTask
        import openai

        client = openai.AsyncOpenAI(max_retries=0)

        async def summarize(ctx, text):
            try:
                return await client.chat.completions.create(model="m", messages=[])
            except openai.RateLimitError:
                raise Retry(defer=ctx["job_try"] * 5)

        def sync(item):
            try:
                push(item)
            except ConnectionError:
                raise RetryTask(delay=30)

        def poll(item):
            if not ready(item):
                raise RetryTask()

        def push_later(item):
            try:
                push(item)
            except ConnectionError:
                raise RetryTask
        """
    )
    assert found(s) == [("RTL001", at(s, "RetryTask(delay")), ("RTL001", at(s, "RetryTask()")),
                        ("RTL001", at(s, "raise RetryTask", 3))]
    assert found(s.replace("except openai.RateLimitError", "except Exception")) == [
        ("RTL001", at(s, "RetryTask(delay")), ("RTL001", at(s, "RetryTask()")),
        ("RTL001", at(s, "raise RetryTask", 3)), ("RTL002", at(s, "raise Retry(")),
    ]
    assert "arq job (raise Retry) on 'summarize' (up to 5 attempts)" in message(
        s.replace("except openai.RateLimitError", "except Exception"), "RTL002"
    )


def test_http_client_retry_policies():
    s = src(
        """
        import requests
        from botocore.config import Config
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        default = Retry()
        capped = Retry(total=None, connect=3, read=2)
        adapter = HTTPAdapter(max_retries=Retry(total=5, backoff_factor=0.5))
        plain = HTTPAdapter(max_retries=3)
        aws = Config(retries={"max_attempts": 5, "mode": "standard"})
        forever = Retry(total=None)
        """
    )
    assert found(s) == [("RTL001", at(s, "forever"))]
    assert "urllib3 Retry retries without limit" in message(s, "RTL001")
    fixed = Engine(Settings(select=("RTL001",))).fix_source(s, "tasks.py")
    assert (fixed.source, fixed.applied) == (s.replace("forever = Retry(total=None)", "forever = Retry(total=2)"), 1)  # total counts retries


def test_temporal_activity_raising_non_retryable_application_errors_has_a_classifier():
    s = TEMPORAL.replace(
        "    return client.messages.create(model=\"m\", max_tokens=1, messages=[])",
        "    try:\n"
        "        return client.messages.create(model=\"m\", max_tokens=1, messages=[])\n"
        "    except anthropic.BadRequestError as error:\n"
        "        raise ApplicationError(str(error), non_retryable=True)",
    ).replace("from temporalio.common import RetryPolicy", "from temporalio.common import RetryPolicy\nfrom temporalio.exceptions import ApplicationError")
    assert "non_retryable=True" in s
    assert [code for code, _ in found(s)] == ["RTL001"]
