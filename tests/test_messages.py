"""A finding's message and its help (the fix's message) say the same thing: RTL002 names the
same errors in both; RTL003 does not count the layer's own retry call as a later failure."""

from __future__ import annotations

from helpers import lint, src

FIVE = "BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError"


def test_rtl002_message_and_help_name_the_same_errors():
    source = src(
        """
        import openai
        from tenacity import retry, stop_after_attempt, wait_random_exponential

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=30))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    [finding] = [d for d in lint(source) if d.code == "RTL002"]
    assert finding.message == (
        "tenacity @retry on 'summarize' (up to 3 attempts) retries on every exception around billable "
        f"summarize -> chat.completions.create and declares no non-retryable errors; stop at once on {FIVE}"
    )
    assert finding.fix.message == f"Do not retry {FIVE}"


CELERY = src(
    """
    import openai
    from celery import shared_task

    client = openai.OpenAI(max_retries=0)

    @shared_task(bind=True, max_retries=3)
    def summarize(self, text):
        try:
            reply = client.chat.completions.create(model="gpt-4o", messages=[])
            save(reply)
        except Exception as exc:
            raise self.retry(exc=exc, countdown=10)
    """
)


def test_rtl003_does_not_count_the_tasks_own_retry_call_as_failing_after_the_paid_call():
    [finding] = [d for d in lint(CELERY) if d.code == "RTL003"]
    assert finding.message == (
        "Celery task on 'summarize' (up to 4 attempts) can re-run billable calls that already succeeded: "
        "chat.completions.create (billed again if save fails after it); worst case: 4 attempts x 1 billable call "
        "= 4 billed calls; chain summarize -> chat.completions.create; store each result and skip work already done "
        "before calling again"
    )
    only_retry = CELERY.replace("        save(reply)\n", "")
    assert [d.code for d in lint(only_retry)] == ["RTL002"]  # the retry itself fails after nothing
