"""Forms beyond the black-box suite: retry_kwargs, retrying objects bound to names, chains
through methods, module settings of SDK retries."""

from __future__ import annotations

from helpers import at, found, message, src


def test_celery_retry_kwargs_sets_attempts_and_wait():
    s = src(
        """
        import openai
        from celery import shared_task

        client = openai.OpenAI()

        @shared_task(autoretry_for=(openai.RateLimitError,), retry_kwargs={"max_retries": 7, "countdown": 0})
        def summarize(text):
            return client.with_options(max_retries=0).chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == [("RTL006", 6)]


def test_celery_retry_kwargs_none_means_task_default():
    s = src(
        """
        from celery import shared_task

        @shared_task(autoretry_for=(ConnectionError,), retry_kwargs={"max_retries": None})
        def sync():
            pass
        """
    )
    assert found(s) == []


def test_retrying_object_bound_to_a_name_and_called():
    s = src(
        """
        from tenacity import Retrying, stop_never

        def job(x):
            return x

        def run():
            retrying = Retrying(stop=stop_never)
            return retrying(job, 1)
        """
    )
    assert found(s) == [("RTL001", at(s, "Retrying(stop"))]


def test_module_level_openai_max_retries_setting_counts():
    s = src(
        """
        import openai
        from tenacity import retry, stop_after_attempt, wait_fixed, retry_if_exception_type

        openai.max_retries = 4

        @retry(stop=stop_after_attempt(2), wait=wait_fixed(1), retry=retry_if_exception_type(openai.RateLimitError))
        def ask():
            return openai.chat.completions.create(model="m", messages=[])
        """
    )
    assert found(s) == [("RTL005", 6)]
    assert "(2) x openai module client (5: retries 4) = up to 10 calls" in message(s, "RTL005")


def test_stripe_module_retries_stack_under_a_task():
    s = src(
        """
        import stripe
        from celery import shared_task

        @shared_task(bind=True, autoretry_for=(stripe.APIConnectionError,), retry_backoff=True)
        def refund(self, charge_id):
            stripe.Refund.create(charge=charge_id, idempotency_key=f"refund-{charge_id}")
        """
    )
    assert found(s) == [("RTL005", 4)]
    assert "Celery task on 'refund' (4) x stripe module API (3: retries 2 by default) = up to 12 calls" in message(s, "RTL005")


def test_stripe_client_has_no_retries_by_default():
    s = src(
        """
        import stripe
        from celery import shared_task

        client = stripe.StripeClient("sk")

        @shared_task(bind=True, autoretry_for=(stripe.APIConnectionError,), retry_backoff=True)
        def refund(self, charge_id):
            client.v1.refunds.create(params={"charge": charge_id})
        """
    )
    assert found(s) == [("RTL003", 6)]
    assert "refunds.create (moves money" in message(s, "RTL003")


def test_recursive_helpers_terminate_and_reach():
    s = src(
        """
        import anthropic
        from tenacity import retry, stop_after_attempt, wait_fixed, retry_if_exception_type

        client = anthropic.Anthropic(max_retries=0)

        def a(n):
            return b(n - 1) if n else client.messages.create(model="m", max_tokens=1, messages=[])

        def b(n):
            return a(n)

        @retry(stop=stop_after_attempt(3), wait=wait_fixed(1), retry=retry_if_exception_type(Exception))
        def run():
            return a(3)
        """
    )
    assert found(s) == [("RTL002", 12)]


def test_loop_inside_a_timeout_context_has_a_deadline():
    s = src(
        """
        import asyncio
        import anyio

        async def acquire(client):
            with anyio.fail_after(30):
                while True:
                    try:
                        return await client.acquire()
                    except ConnectionError:
                        await asyncio.sleep(1)
        """
    )
    assert found(s) == []


def test_loop_without_a_timeout_context_is_unbounded():
    s = src(
        """
        import asyncio

        async def acquire(client):
            with open("log") as log:
                while True:
                    try:
                        return await client.acquire()
                    except ConnectionError:
                        await asyncio.sleep(1)
        """
    )
    assert found(s) == [("RTL001", 5)]


def test_periodic_loop_that_continues_after_success_is_not_a_retry():
    s = src(
        """
        import asyncio

        async def checkpoint(self):
            while True:
                await asyncio.sleep(5)
                try:
                    if self.connected:
                        await self.flush()
                        continue
                    await self.reconnect()
                except Exception:
                    continue
                return
        """
    )
    assert found(s) == []
