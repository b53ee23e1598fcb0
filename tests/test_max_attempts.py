"""``max-attempts`` is the total number of attempts for every library: each fix writes it in the
unit the catalog gives the library's keyword (``counts = "attempts"`` or ``"retries"``). Exact
fixed source for max-attempts = 4, re-linted clean of RTL001, a second --fix a no-op."""

from __future__ import annotations

import pytest

from helpers import src
from retrylint.engine import Engine
from retrylint.settings import Settings

CASES = {
    "tenacity": (
        """
        from tenacity import retry

        @retry
        def fetch():
            ...
        """,
        "@retry", "@retry(stop=stop_after_attempt(4))",
    ),
    "backoff": (
        """
        import backoff

        @backoff.on_exception(backoff.expo, ConnectionError)
        def fetch():
            ...
        """,
        "ConnectionError)", "ConnectionError, max_tries=4)",
    ),
    "stamina": (
        """
        import stamina

        @stamina.retry(on=ConnectionError, attempts=None, timeout=None)
        def fetch():
            ...
        """,
        "attempts=None", "attempts=4",
    ),
    "retry": (
        """
        from retry import retry

        @retry(ConnectionError)
        def fetch():
            ...
        """,
        "@retry(ConnectionError)", "@retry(ConnectionError, tries=4)",
    ),
    "retrying": (
        """
        from retrying import retry

        @retry(wait_fixed=1000)
        def fetch():
            ...
        """,
        "wait_fixed=1000)", "wait_fixed=1000, stop_max_attempt_number=4)",
    ),
    "langchain": (
        """
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(model="m").with_retry(stop_after_attempt=0)
        """,
        "stop_after_attempt=0", "stop_after_attempt=4",
    ),
    "urllib3": (  # total counts retries
        """
        from urllib3.util.retry import Retry

        policy = Retry(total=None)
        """,
        "total=None", "total=3",
    ),
    "celery": (  # max_retries counts retries
        """
        from celery import shared_task

        @shared_task(autoretry_for=(ConnectionError,), max_retries=None)
        def sync():
            ...
        """,
        "max_retries=None", "max_retries=3",
    ),
    "celery class": (
        """
        from celery import Celery, Task

        app = Celery("courses")

        class RetryingTask(Task):
            autoretry_for = (ConnectionError,)
            max_retries = None

        @app.task(base=RetryingTask)
        def sync():
            return 1
        """,
        "max_retries = None", "max_retries = 3",
    ),
    "dramatiq": (  # max_retries counts retries
        """
        import dramatiq

        @dramatiq.actor(max_retries=None)
        def sync():
            ...
        """,
        "max_retries=None", "max_retries=3",
    ),
    "temporal": (
        """
        from datetime import timedelta
        from temporalio import activity, workflow
        from temporalio.common import RetryPolicy

        @activity.defn
        async def draft(topic):
            return topic

        @workflow.defn
        class Writer:
            @workflow.run
            async def run(self, topic):
                return await workflow.execute_activity(draft, topic, start_to_close_timeout=timedelta(seconds=60), retry_policy=RetryPolicy(maximum_attempts=0))
        """,
        "maximum_attempts=0", "maximum_attempts=4",
    ),
    "procrastinate": (  # retry=N is RetryStrategy(max_attempts=N): N retries after the first run
        """
        import procrastinate

        app = procrastinate.App(connector=connector)

        @app.task(retry=True)
        def sync():
            pass
        """,
        "retry=True", "retry=3",
    ),
}


@pytest.mark.parametrize("library", CASES)
def test_the_cap_fix_writes_four_attempts_in_the_librarys_unit(library):
    before, old, new = CASES[library]
    source = src(before)
    engine = Engine(Settings(select=("RTL001",), max_attempts=4))
    assert [d.code for d in engine.lint_source(source, "tasks.py")] == ["RTL001"]
    result = engine.fix_source(source, "tasks.py")
    expected = source.replace(old, new, 1)
    if library == "tenacity":
        expected = expected.replace("import retry\n", "import retry, stop_after_attempt\n")
    assert (result.source, result.applied) == (expected, 1)
    assert engine.lint_source(result.source, "tasks.py") == []
    assert engine.fix_source(result.source, "tasks.py").source == result.source


def test_procrastinate_retry_n_is_n_retries_after_the_first_run():
    """``retry=5`` is ``RetryStrategy(max_attempts=5)``: 6 runs (its docs: "Retry 5 times (so 6
    attempts total)"); no ``retry`` is one run."""
    source = src(
        """
        import openai
        import procrastinate

        app = procrastinate.App(connector=connector)
        client = openai.OpenAI()

        @app.task(retry=5)
        def bounded(text):
            return client.chat.completions.create(model="m", messages=[])

        @app.task
        def once(text):
            return client.chat.completions.create(model="m", messages=[])
        """
    )
    messages = [d.message for d in Engine(Settings(select=("RTL005",))).lint_source(source, "tasks.py")]
    assert messages == [
        "chat.completions.create runs under 2 retry layers: procrastinate task on 'bounded' (6) x OpenAI client "
        "(3: retries 2 by default) = up to 18 calls per run; chain bounded -> chat.completions.create; let one layer retry"
    ]
