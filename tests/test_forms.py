"""Black-box tests: every retry form, library default and combination the spec names.

Each test lints a small module and asserts the exact (code, line) pairs, plus key message
fragments (attempt counts, products). Lines are found with ``at(source, fragment)`` so that
the assertion stays exact while the snippets stay readable.
"""

from __future__ import annotations

import textwrap

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings


# ----- helpers -----------------------------------------------------------------------------
def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def lint(source: str, **settings):
    return Engine(Settings(**settings)).lint_source(source, "tasks.py")


def found(source: str, **settings):
    return sorted((d.code, d.line) for d in lint(source, **settings))


def at(source: str, fragment: str, nth: int = 1) -> int:
    """1-based line of the nth line containing ``fragment``."""
    seen = 0
    for number, text in enumerate(source.splitlines(), 1):
        if fragment in text:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{fragment!r} not in source")


def message(source: str, code: str, **settings) -> str:
    messages = [d.message for d in lint(source, **settings) if d.code == code]
    assert len(messages) == 1, (code, [(d.code, d.line, d.message) for d in lint(source, **settings)])
    return messages[0]


# A header that makes every rule but the one under test quiet: an OpenAI client that does not
# retry by itself, and tenacity names at hand.
OAI = src(
    """
    import time
    import openai
    from openai import OpenAI
    from tenacity import retry, stop_after_attempt, stop_after_delay, wait_exponential, wait_fixed, wait_none
    from tenacity import retry_if_exception, retry_if_exception_type, retry_if_not_exception_type, Retrying

    client = OpenAI(max_retries=0)
    """
)

TRANSIENT = "retry_if_exception_type((openai.RateLimitError, openai.APIConnectionError))"


def oai(body: str) -> str:
    return OAI + "\n" + src(body)


# =========================================================================================
# tenacity: decorator forms and defaults (RTL001, not billable)
# =========================================================================================
def test_tenacity_bare_retry_is_unbounded():
    s = src(
        """
        from tenacity import retry

        @retry
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry"))]
    assert "tenacity @retry on 'fetch' retries without limit" in message(s, "RTL001")


def test_tenacity_empty_call_retry_is_unbounded():
    s = src(
        """
        from tenacity import retry

        @retry()
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry()"))]


def test_tenacity_module_attribute_bare_retry():
    s = src(
        """
        import tenacity

        @tenacity.retry
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@tenacity.retry"))]


def test_tenacity_module_attribute_call_without_stop():
    s = src(
        """
        import tenacity

        @tenacity.retry(reraise=True, wait=tenacity.wait_fixed(1))
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@tenacity.retry"))]


def test_tenacity_import_alias_bare():
    s = src(
        """
        from tenacity import retry as again

        @again
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@again"))]


def test_tenacity_module_alias_bounded_is_silent():
    s = src(
        """
        import tenacity as tc

        @tc.retry(stop=tc.stop_after_attempt(2))
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_tenacity_module_alias_unbounded():
    s = src(
        """
        import tenacity as tc

        @tc.retry(wait=tc.wait_fixed(1))
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@tc.retry"))]


def test_tenacity_multiline_decorator_points_at_first_line():
    s = src(
        """
        from tenacity import retry, wait_fixed

        def log(state):
            pass

        @retry(
            wait=wait_fixed(1),
            reraise=True,
            before_sleep=log,
        )
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry("))]


def test_tenacity_call_form_retry_of_function_unbounded():
    s = src(
        """
        from tenacity import retry

        def fetch():
            return 1

        fetch_forever = retry()(fetch)
        """
    )
    assert found(s) == [("RTL001", at(s, "fetch_forever = "))]


def test_tenacity_call_form_bounded_is_silent():
    s = src(
        """
        from tenacity import retry, stop_after_attempt

        def fetch():
            return 1

        fetch_thrice = retry(stop=stop_after_attempt(3))(fetch)
        """
    )
    assert found(s) == []


def test_tenacity_call_form_reaches_billable():
    s = oai(
        f"""
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])

        summarize_retrying = retry(stop=stop_after_attempt(3), retry={TRANSIENT})(summarize)
        """
    )
    assert found(s) == [("RTL006", at(s, "summarize_retrying = "))]


def test_tenacity_retrying_block_default_is_unbounded():
    s = src(
        """
        from tenacity import Retrying

        def fetch():
            for attempt in Retrying():
                with attempt:
                    return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "for attempt in Retrying"))]
    assert "tenacity Retrying retries without limit" in message(s, "RTL001")


def test_tenacity_retrying_block_bounded_is_silent():
    s = src(
        """
        from tenacity import Retrying, stop_after_attempt, wait_fixed

        def fetch():
            for attempt in Retrying(stop=stop_after_attempt(3), wait=wait_fixed(1)):
                with attempt:
                    return 1
        """
    )
    assert found(s) == []


def test_tenacity_module_attribute_retrying_block():
    s = src(
        """
        import tenacity

        def fetch():
            for attempt in tenacity.Retrying(wait=tenacity.wait_fixed(1)):
                with attempt:
                    return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "for attempt in"))]


def test_tenacity_async_retrying_block_default_is_unbounded():
    s = src(
        """
        from tenacity import AsyncRetrying

        async def fetch():
            async for attempt in AsyncRetrying():
                with attempt:
                    return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "async for attempt"))]


def test_tenacity_retrying_block_reaches_billable_points_at_for_line():
    s = oai(
        f"""
        def summarize(text):
            for attempt in Retrying(stop=stop_after_attempt(3), retry={TRANSIENT}):
                with attempt:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL006", at(s, "for attempt in Retrying"))]


def test_tenacity_stop_after_delay_is_a_deadline():
    s = src(
        """
        from tenacity import retry, stop_after_delay

        @retry(stop=stop_after_delay(30))
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_tenacity_explicit_stop_never():
    s = src(
        """
        from tenacity import retry, stop_never

        @retry(stop=stop_never)
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry"))]


def test_tenacity_stop_or_stops_at_the_earlier():
    s = src(
        """
        from tenacity import retry, stop_after_attempt, stop_never

        @retry(stop=stop_after_attempt(3) | stop_never)
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_tenacity_stop_never_or_delay_is_bounded():
    s = src(
        """
        from tenacity import retry, stop_after_delay, stop_never

        @retry(stop=stop_never | stop_after_delay(5))
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_tenacity_stop_and_stops_at_the_later_unbounded():
    s = src(
        """
        from tenacity import retry, stop_after_attempt, stop_never

        @retry(stop=stop_after_attempt(3) & stop_never)
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry"))]


def test_tenacity_stop_and_of_two_caps_is_bounded():
    s = src(
        """
        from tenacity import retry, stop_after_attempt, stop_after_delay

        @retry(stop=stop_after_attempt(3) & stop_after_delay(10))
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_tenacity_stop_or_attempts_counts_the_earlier():
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3) | stop_after_attempt(7), wait=wait_exponential(), retry={TRANSIENT})
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry"))]
    assert "up to 3 attempts" in message(s, "RTL003")


def test_tenacity_stop_and_attempts_counts_the_later():
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3) & stop_after_attempt(7), wait=wait_exponential(), retry={TRANSIENT})
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry"))]
    assert "up to 7 attempts" in message(s, "RTL003")


def test_tenacity_on_async_generator_is_not_a_layer():
    s = src(
        """
        from tenacity import retry

        @retry
        async def stream():
            yield 1
        """
    )
    assert found(s) == []


def test_tenacity_on_coroutine_is_a_layer():
    s = src(
        """
        from tenacity import retry

        @retry
        async def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry"))]


def test_unrelated_retry_from_another_package_is_ignored():
    s = src(
        """
        from myutils import retry

        client = object()

        @retry
        def summarize(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_locally_defined_retry_function_is_ignored():
    s = src(
        """
        def retry(fn):
            return fn

        @retry
        def fetch():
            return 1
        """
    )
    assert found(s) == []


# =========================================================================================
# tenacity retry= predicates: RTL002 / RTL004 around a billable call
# =========================================================================================
def test_tenacity_default_retry_on_every_exception_around_billable():
    s = oai(
        """
        @retry(stop=stop_after_attempt(3), wait=wait_exponential())
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry("))]
    assert "every exception" in message(s, "RTL002")


def test_tenacity_transient_allow_list_is_silent():
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry={TRANSIENT})
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


@pytest.mark.parametrize("broad", ["Exception", "openai.APIError", "openai.OpenAIError"])
def test_tenacity_broad_retry_on_around_billable(broad):
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type({broad}))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry("))]
    assert "broad" in message(s, "RTL002")


def test_tenacity_requests_exception_is_broad():
    s = oai(
        """
        import requests

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(requests.RequestException))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry("))]


def test_tenacity_sqlalchemy_base_error_is_broad():
    s = oai(
        """
        from sqlalchemy.exc import SQLAlchemyError

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(SQLAlchemyError))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry("))]


def test_tenacity_anthropic_api_error_is_broad():
    s = src(
        """
        import anthropic
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = anthropic.Anthropic(max_retries=0)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(anthropic.APIError))
        def ask(prompt):
            return client.messages.create(model="claude", max_tokens=10, messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry("))]


def test_tenacity_not_exception_type_is_a_non_retryable_list():
    s = oai(
        """
        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_not_exception_type(openai.BadRequestError))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_tenacity_predicate_is_a_classifier():
    s = oai(
        """
        def transient(error):
            return isinstance(error, openai.RateLimitError)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception(transient))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_tenacity_broad_and_not_deterministic_is_silent():
    s = oai(
        """
        @retry(
            stop=stop_after_attempt(3),
            wait=wait_exponential(),
            retry=retry_if_exception_type(openai.APIError) & retry_if_not_exception_type(openai.BadRequestError),
        )
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_tenacity_or_of_types_names_deterministic():
    s = oai(
        """
        @retry(
            stop=stop_after_attempt(3),
            wait=wait_exponential(),
            retry=retry_if_exception_type(openai.RateLimitError) | retry_if_exception_type(openai.BadRequestError),
        )
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL004", at(s, "@retry("))]
    assert "openai.BadRequestError" in message(s, "RTL004")


@pytest.mark.parametrize(
    "error",
    [
        "openai.BadRequestError",
        "openai.AuthenticationError",
        "openai.NotFoundError",
        "openai.UnprocessableEntityError",
        "openai.PermissionDeniedError",
    ],
)
def test_tenacity_deterministic_openai_error_in_tuple(error):
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type((openai.RateLimitError, {error})))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL004", at(s, "@retry("))]
    assert f"retries on {error}, which no retry can fix" in message(s, "RTL004")


def test_tenacity_deterministic_error_imported_by_name():
    s = oai(
        """
        from openai import BadRequestError, RateLimitError

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type((RateLimitError, BadRequestError)))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL004", at(s, "@retry("))]
    assert "openai.BadRequestError" in message(s, "RTL004")


@pytest.mark.parametrize("error", ["stripe.CardError", "stripe.InvalidRequestError"])
def test_tenacity_deterministic_stripe_error(error):
    s = src(
        f"""
        import stripe
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

        @retry(stop=stop_after_attempt(3), wait=wait_fixed(1), retry=retry_if_exception_type((stripe.APIConnectionError, {error})))
        def sync():
            return 1
        """
    )
    assert found(s) == [("RTL004", at(s, "@retry("))]


def test_tenacity_deterministic_anthropic_error():
    s = src(
        """
        import anthropic
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

        @retry(stop=stop_after_attempt(3), wait=wait_fixed(1), retry=retry_if_exception_type(anthropic.BadRequestError))
        def sync():
            return 1
        """
    )
    assert found(s) == [("RTL004", at(s, "@retry("))]


def test_tenacity_sqlalchemy_programming_error_non_billable():
    s = src(
        """
        import sqlalchemy.exc
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

        @retry(stop=stop_after_attempt(3), wait=wait_fixed(1), retry=retry_if_exception_type(sqlalchemy.exc.ProgrammingError))
        def save():
            return 1
        """
    )
    assert found(s) == [("RTL004", at(s, "@retry("))]


def test_module_constant_tuple_of_transient_errors_is_silent():
    s = oai(
        """
        RETRYABLE = (openai.RateLimitError, openai.APIConnectionError, openai.InternalServerError)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(RETRYABLE))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_module_constant_tuple_with_deterministic_error():
    s = oai(
        """
        RETRYABLE = (openai.RateLimitError, openai.BadRequestError)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(RETRYABLE))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL004", at(s, "@retry("))]


def test_module_constant_tuple_with_broad_error():
    s = oai(
        """
        RETRYABLE = (openai.RateLimitError, Exception)

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(RETRYABLE))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry("))]


def test_setting_non_retryable_adds_a_deterministic_error():
    s = oai(
        """
        from myapp.errors import QuotaExceeded

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type((openai.RateLimitError, QuotaExceeded)))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []
    assert found(s, non_retryable=("myapp.errors.QuotaExceeded",)) == [("RTL004", at(s, "@retry("))]


# =========================================================================================
# RTL006: waiting between attempts
# =========================================================================================
def test_tenacity_without_wait_around_billable():
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3), retry={TRANSIENT})
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL006", at(s, "@retry("))]


def test_tenacity_wait_none_around_billable():
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3), wait=wait_none(), retry={TRANSIENT})
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL006", at(s, "@retry("))]


def test_tenacity_wait_fixed_is_waiting():
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3), wait=wait_fixed(2), retry={TRANSIENT})
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_tenacity_without_wait_not_billable_is_silent():
    s = src(
        """
        from tenacity import retry, stop_after_attempt

        @retry(stop=stop_after_attempt(3))
        def read(path):
            with open(path) as handle:
                return handle.read()
        """
    )
    assert found(s) == []


# =========================================================================================
# backoff
# =========================================================================================
def test_backoff_on_exception_default_unbounded():
    s = src(
        """
        import backoff

        @backoff.on_exception(backoff.expo, ConnectionError)
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@backoff"))]
    assert "backoff.on_exception on 'fetch' retries without limit" in message(s, "RTL001")


@pytest.mark.parametrize("cap", ["max_tries=3", "max_time=30", "max_tries=3, max_time=30"])
def test_backoff_on_exception_bounded(cap):
    s = src(
        f"""
        import backoff

        @backoff.on_exception(backoff.expo, ConnectionError, {cap})
        def fetch():
            return 1
        """
    )
    assert found(s) == []


@pytest.mark.parametrize("cap", ["max_tries=0", "max_tries=-1", "max_time=0", "max_time=-5"])
def test_backoff_zero_or_negative_cap_is_unbounded(cap):
    s = src(
        f"""
        import backoff

        @backoff.on_exception(backoff.expo, ConnectionError, {cap})
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@backoff"))]


def test_backoff_on_predicate_default_unbounded():
    s = src(
        """
        import backoff

        @backoff.on_predicate(backoff.constant, interval=2)
        def job_finished(job_id):
            return False
        """
    )
    assert found(s) == [("RTL001", at(s, "@backoff"))]


def test_backoff_on_predicate_bounded():
    s = src(
        """
        import backoff

        @backoff.on_predicate(backoff.fibo, max_tries=8)
        def job_finished(job_id):
            return False
        """
    )
    assert found(s) == []


def test_backoff_imported_names():
    s = src(
        """
        from backoff import expo, on_exception

        @on_exception(expo, ConnectionError)
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@on_exception"))]


def test_backoff_broad_around_billable_without_giveup():
    s = oai(
        """
        import backoff

        @backoff.on_exception(backoff.expo, Exception, max_tries=3)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@backoff"))]


def test_backoff_broad_with_giveup_is_silent():
    s = oai(
        """
        import backoff

        def permanent(error):
            return isinstance(error, (openai.BadRequestError, openai.AuthenticationError))

        @backoff.on_exception(backoff.expo, openai.APIError, max_tries=3, giveup=permanent)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_backoff_deterministic_error():
    s = oai(
        """
        import backoff

        @backoff.on_exception(backoff.expo, (openai.RateLimitError, openai.BadRequestError), max_tries=3)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL004", at(s, "@backoff"))]


def test_backoff_attempts_in_message():
    s = oai(
        """
        import backoff

        @backoff.on_exception(backoff.expo, openai.RateLimitError, max_tries=4)
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@backoff"))]
    assert "up to 4 attempts" in message(s, "RTL003")


# =========================================================================================
# stamina
# =========================================================================================
def test_stamina_defaults_are_bounded():
    s = src(
        """
        import stamina

        @stamina.retry(on=ConnectionError)
        def fetch():
            return 1
        """
    )
    assert found(s) == []


@pytest.mark.parametrize("args", ["attempts=None", "timeout=None", "attempts=None, timeout=30"])
def test_stamina_one_cap_left_is_bounded(args):
    s = src(
        f"""
        import stamina

        @stamina.retry(on=ConnectionError, {args})
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_stamina_both_none_is_unbounded():
    s = src(
        """
        import stamina

        @stamina.retry(on=ConnectionError, attempts=None, timeout=None)
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@stamina"))]


def test_stamina_imported_name_both_none():
    s = src(
        """
        from stamina import retry

        @retry(on=ConnectionError, attempts=None, timeout=None)
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry"))]


def test_stamina_retry_context_both_none():
    s = src(
        """
        import stamina

        def fetch():
            for attempt in stamina.retry_context(on=ConnectionError, attempts=None, timeout=None):
                with attempt:
                    return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "for attempt in"))]


def test_stamina_retry_context_default_is_bounded():
    s = src(
        """
        import stamina

        def fetch():
            for attempt in stamina.retry_context(on=ConnectionError):
                with attempt:
                    return 1
        """
    )
    assert found(s) == []


def test_stamina_default_attempts_in_message():
    s = oai(
        """
        import stamina

        @stamina.retry(on=openai.RateLimitError)
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@stamina"))]
    assert "up to 10 attempts" in message(s, "RTL003")


def test_stamina_broad_on_around_billable():
    s = oai(
        """
        import stamina

        @stamina.retry(on=Exception, attempts=3)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@stamina"))]


def test_stamina_predicate_on_is_a_classifier():
    s = oai(
        """
        import stamina

        def transient(error):
            return isinstance(error, openai.APIError) and not isinstance(error, openai.BadRequestError)

        @stamina.retry(on=transient, attempts=3)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_stamina_stacked_on_default_client():
    s = src(
        """
        import openai
        import stamina

        client = openai.OpenAI()

        @stamina.retry(on=openai.RateLimitError)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@stamina"))]
    assert "up to 30 calls" in message(s, "RTL005")


# =========================================================================================
# Celery
# =========================================================================================
CELERY = src(
    """
    import openai
    from celery import Celery, Task, shared_task
    from openai import OpenAI

    app = Celery("courses")
    client = OpenAI(max_retries=0)
    """
)


def celery(body: str) -> str:
    return CELERY + "\n" + src(body)


def test_celery_task_without_retry_options_is_not_a_layer():
    s = celery(
        """
        @app.task
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
            save(chapters)
        """
    )
    assert found(s) == []


def test_celery_task_call_without_retry_options_is_not_a_layer():
    s = celery(
        """
        @app.task(bind=True, acks_late=False)
        def build(self, chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
            save(chapters)
        """
    )
    assert found(s) == []


def test_celery_autoretry_default_max_retries_is_bounded():
    s = celery(
        """
        @app.task(autoretry_for=(ConnectionError,))
        def sync():
            return 1
        """
    )
    assert found(s) == []


def test_celery_app_task_max_retries_none_is_unbounded():
    s = celery(
        """
        @app.task(autoretry_for=(ConnectionError,), max_retries=None)
        def sync():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@app.task"))]
    assert "Celery task on 'sync' retries without limit" in message(s, "RTL001")


def test_celery_shared_task_max_retries_none_is_unbounded():
    s = celery(
        """
        @shared_task(autoretry_for=(ConnectionError,), max_retries=None)
        def sync():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@shared_task"))]


def test_celery_module_attribute_shared_task():
    s = src(
        """
        import celery

        @celery.shared_task(autoretry_for=(ConnectionError,), max_retries=None)
        def sync():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@celery.shared_task"))]


def test_celery_default_attempts_in_message():
    s = celery(
        """
        @app.task(autoretry_for=(openai.RateLimitError,), retry_backoff=True)
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@app.task"))]
    text = message(s, "RTL003")
    assert "up to 4 attempts" in text
    assert "runs in a loop, billed per item" in text


def test_celery_explicit_max_retries_attempts_in_message():
    s = celery(
        """
        @app.task(autoretry_for=(openai.RateLimitError,), max_retries=5, retry_backoff=True)
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@app.task"))]
    assert "up to 6 attempts" in message(s, "RTL003")


def test_celery_autoretry_exception_around_billable():
    s = celery(
        """
        @app.task(autoretry_for=(Exception,), retry_backoff=True)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@app.task"))]


def test_celery_dont_autoretry_for_is_a_non_retryable_list():
    s = celery(
        """
        @app.task(
            autoretry_for=(Exception,),
            dont_autoretry_for=(openai.BadRequestError, openai.AuthenticationError),
            retry_backoff=True,
        )
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_celery_autoretry_for_deterministic_error():
    s = celery(
        """
        @app.task(autoretry_for=(openai.RateLimitError, openai.AuthenticationError), retry_backoff=True)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL004", at(s, "@app.task"))]
    assert "openai.AuthenticationError" in message(s, "RTL004")


def test_celery_autoretry_for_module_constant():
    s = celery(
        """
        TRANSIENT = (openai.RateLimitError, openai.APIConnectionError)

        @app.task(autoretry_for=TRANSIENT, retry_backoff=True)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_celery_default_retry_delay_zero_waits_nothing():
    s = celery(
        """
        @app.task(autoretry_for=(openai.RateLimitError,), default_retry_delay=0)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL006", at(s, "@app.task"))]


def test_celery_autoretry_without_backoff_waits_default_delay():
    # Celery falls back to default_retry_delay (180 s) when retry_backoff is off.
    s = celery(
        """
        @app.task(autoretry_for=(openai.RateLimitError,))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_celery_bound_retry_on_deterministic_error():
    s = celery(
        """
        @app.task(bind=True, max_retries=3)
        def summarize(self, text):
            try:
                return client.chat.completions.create(model="gpt-4o", messages=[])
            except openai.BadRequestError as exc:
                raise self.retry(exc=exc, countdown=10)
        """
    )
    assert found(s) == [("RTL004", at(s, "@app.task"))]
    assert "retries after openai.BadRequestError" in message(s, "RTL004")


def test_celery_bound_retry_catching_exception_is_broad():
    s = celery(
        """
        @app.task(bind=True, max_retries=3)
        def summarize(self, text):
            try:
                return client.chat.completions.create(model="gpt-4o", messages=[])
            except Exception as exc:
                raise self.retry(exc=exc, countdown=10)
        """
    )
    assert found(s) == [("RTL002", at(s, "@app.task"))]


def test_celery_bound_retry_with_reraise_of_deterministic_first_is_silent():
    s = celery(
        """
        @app.task(bind=True, max_retries=3)
        def summarize(self, text):
            try:
                return client.chat.completions.create(model="gpt-4o", messages=[])
            except (openai.BadRequestError, openai.AuthenticationError):
                raise
            except openai.APIError as exc:
                raise self.retry(exc=exc, countdown=10)
        """
    )
    assert found(s) == []


def test_celery_bound_retry_countdown_zero():
    s = celery(
        """
        @app.task(bind=True, max_retries=3)
        def summarize(self, text):
            try:
                return client.chat.completions.create(model="gpt-4o", messages=[])
            except openai.RateLimitError as exc:
                raise self.retry(exc=exc, countdown=0)
        """
    )
    assert found(s) == [("RTL006", at(s, "@app.task"))]


def test_celery_bound_retry_with_countdown_is_silent():
    s = celery(
        """
        @app.task(bind=True, max_retries=3)
        def summarize(self, text):
            try:
                return client.chat.completions.create(model="gpt-4o", messages=[])
            except openai.RateLimitError as exc:
                raise self.retry(exc=exc, countdown=30)
        """
    )
    assert found(s) == []


def test_celery_bound_retry_attempts_in_message():
    s = celery(
        """
        @app.task(bind=True, max_retries=7)
        def build(self, chapters):
            try:
                for chapter in chapters:
                    client.chat.completions.create(model="gpt-4o", messages=[])
            except openai.RateLimitError as exc:
                raise self.retry(exc=exc, countdown=30)
        """
    )
    assert found(s) == [("RTL003", at(s, "@app.task"))]
    assert "up to 8 attempts" in message(s, "RTL003")


def test_celery_task_base_class_attributes_unbounded():
    s = celery(
        """
        class RetryingTask(Task):
            autoretry_for = (ConnectionError,)
            max_retries = None

        @app.task(base=RetryingTask)
        def sync():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@app.task"))]


def test_celery_task_base_class_attributes_bounded_attempts():
    s = celery(
        """
        class RetryingTask(Task):
            autoretry_for = (openai.RateLimitError,)
            max_retries = 2
            retry_backoff = True

        @app.task(base=RetryingTask)
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@app.task"))]
    assert "up to 3 attempts" in message(s, "RTL003")


def test_celery_decorator_option_overrides_base_class_attribute():
    s = celery(
        """
        class RetryingTask(Task):
            autoretry_for = (ConnectionError,)
            max_retries = None

        @app.task(base=RetryingTask, max_retries=5)
        def sync():
            return 1
        """
    )
    assert found(s) == []


def test_celery_class_based_task_with_run_unbounded():
    s = celery(
        """
        class SyncTask(Task):
            autoretry_for = (ConnectionError,)
            max_retries = None

            def run(self):
                return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "class SyncTask"))]


def test_celery_base_class_broad_autoretry_around_billable():
    s = celery(
        """
        class RetryingTask(Task):
            autoretry_for = (Exception,)
            retry_backoff = True

        @shared_task(base=RetryingTask)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@shared_task"))]


# =========================================================================================
# Hand-written loops
# =========================================================================================
def test_hand_loop_range_with_sleep_is_silent():
    s = oai(
        """
        def summarize(text):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except openai.RateLimitError:
                    if attempt == 2:
                        raise
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == []


def test_hand_loop_while_true_without_counter_is_unbounded():
    s = src(
        """
        import time

        def fetch(session, url):
            while True:
                try:
                    return session.get(url)
                except ConnectionError:
                    time.sleep(1)
        """
    )
    assert found(s) == [("RTL001", at(s, "while True"))]
    assert "hand-written retry loop retries without limit" in message(s, "RTL001")


def test_hand_loop_while_true_with_continue_is_unbounded():
    s = src(
        """
        import time

        def fetch(session, url):
            while True:
                try:
                    response = session.get(url)
                except ConnectionError:
                    time.sleep(1)
                    continue
                return response
        """
    )
    assert found(s) == [("RTL001", at(s, "while True"))]


def test_hand_loop_while_true_with_counter_and_raise_is_bounded():
    s = oai(
        """
        def summarize(text):
            attempts = 0
            while True:
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except openai.RateLimitError:
                    attempts += 1
                    if attempts >= 4:
                        raise
                    time.sleep(2 ** attempts)
        """
    )
    assert found(s) == []


def test_hand_loop_while_counter_condition_is_bounded():
    s = oai(
        """
        def summarize(text):
            attempts = 0
            while attempts < 5:
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except openai.RateLimitError:
                    attempts += 1
                    time.sleep(2 ** attempts)
            raise RuntimeError("gave up")
        """
    )
    assert found(s) == []


def test_hand_loop_while_true_with_deadline_is_bounded():
    s = oai(
        """
        def summarize(text):
            deadline = time.monotonic() + 60
            while True:
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except openai.APIConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)
        """
    )
    assert found(s) == []


def test_hand_loop_unbounded_around_billable():
    s = oai(
        """
        def summarize(text):
            while True:
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except openai.RateLimitError:
                    time.sleep(5)
        """
    )
    assert found(s) == [("RTL001", at(s, "while True"))]


def test_hand_loop_broad_without_sleep_around_billable():
    s = oai(
        """
        def summarize(text):
            for _ in range(5):
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except Exception:
                    continue
            raise RuntimeError("gave up")
        """
    )
    assert found(s) == [("RTL002", at(s, "for _ in range")), ("RTL006", at(s, "for _ in range"))]


def test_hand_loop_without_sleep_around_billable():
    s = oai(
        """
        def summarize(text):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except openai.RateLimitError:
                    pass
        """
    )
    assert found(s) == [("RTL006", at(s, "for attempt in range"))]
    assert "hand-written retry loop (up to 3 attempts) retries billable" in message(s, "RTL006")


def test_hand_loop_catching_deterministic_error():
    s = oai(
        """
        def summarize(text):
            for attempt in range(3):
                try:
                    return client.chat.completions.create(model="gpt-4o", messages=[])
                except (openai.RateLimitError, openai.BadRequestError):
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == [("RTL004", at(s, "for attempt in range"))]
    assert "openai.BadRequestError" in message(s, "RTL004")


def test_hand_loop_attempts_in_message():
    s = oai(
        """
        def build(chapters):
            for attempt in range(5):
                try:
                    for chapter in chapters:
                        client.chat.completions.create(model="gpt-4o", messages=[])
                    return
                except openai.RateLimitError:
                    time.sleep(2 ** attempt)
        """
    )
    assert found(s) == [("RTL003", at(s, "for attempt in range"))]
    assert "up to 5 attempts" in message(s, "RTL003")


def test_async_hand_loop_with_asyncio_sleep_is_silent():
    s = src(
        """
        import asyncio
        import openai

        client = openai.AsyncOpenAI(max_retries=0)

        async def summarize(text):
            for attempt in range(3):
                try:
                    return await client.chat.completions.create(model="gpt-4o", messages=[])
                except openai.RateLimitError:
                    await asyncio.sleep(2 ** attempt)
            raise RuntimeError("gave up")
        """
    )
    assert found(s) == []


def test_polling_loop_is_not_a_retry():
    s = src(
        """
        import time

        def wait_for(job):
            while True:
                status = job.refresh()
                if status == "done":
                    return job.result
                time.sleep(5)
        """
    )
    assert found(s) == []


def test_polling_loop_with_try_for_parsing_is_not_a_retry_of_billable():
    s = oai(
        """
        def wait_for_batch(batch_id):
            while True:
                batch = client.batches.retrieve(batch_id)
                if batch.status == "completed":
                    return batch
                time.sleep(30)
        """
    )
    assert found(s) == []


def test_fallback_loop_over_urls_is_not_a_retry():
    s = src(
        """
        import requests

        def fetch_first(urls):
            for url in urls:
                try:
                    return requests.get(url, timeout=5)
                except requests.RequestException:
                    continue
            raise LookupError("no mirror answered")
        """
    )
    assert found(s) == []


def test_fallback_loop_over_models_is_not_a_retry():
    s = oai(
        """
        MODELS = ["gpt-4o", "gpt-4o-mini"]

        def summarize(text):
            for model in MODELS:
                try:
                    return client.chat.completions.create(model=model, messages=[])
                except openai.APIError:
                    continue
            raise RuntimeError("every model failed")
        """
    )
    assert found(s) == []


def test_loop_over_items_with_error_logging_is_not_a_retry():
    s = oai(
        """
        import logging

        log = logging.getLogger(__name__)

        def summarize_all(texts):
            results = []
            for text in texts:
                try:
                    results.append(client.chat.completions.create(model="gpt-4o", messages=[]))
                except openai.APIError:
                    log.exception("skipping one text")
            return results
        """
    )
    assert found(s) == []


# =========================================================================================
# SDK clients and their own retries (RTL005)
# =========================================================================================
STACK = src(
    """
    import openai
    import anthropic
    import stripe
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential
    """
)
STACK_DECO = (
    "@retry(stop=stop_after_attempt(3), wait=wait_exponential(), "
    "retry=retry_if_exception_type((openai.RateLimitError, anthropic.RateLimitError, stripe.APIConnectionError)))"
)


def stack(body: str) -> str:
    return STACK + "\n" + src(body).replace("@DECO", STACK_DECO)


def test_openai_client_default_retries_stack():
    s = stack(
        """
        client = openai.OpenAI()

        @DECO
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    text = message(s, "RTL005")
    assert "up to 9 calls" in text
    assert "OpenAI client (3: retries 2 by default)" in text


def test_openai_client_explicit_retries_stack():
    s = stack(
        """
        client = openai.OpenAI(max_retries=5)

        @DECO
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 18 calls" in message(s, "RTL005")


def test_openai_client_with_options_zero_is_silent():
    s = stack(
        """
        client = openai.OpenAI()

        @DECO
        def summarize(text):
            return client.with_options(max_retries=0).chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_openai_client_with_options_more_retries():
    s = stack(
        """
        client = openai.OpenAI(max_retries=0)

        @DECO
        def summarize(text):
            return client.with_options(max_retries=4).chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 15 calls" in message(s, "RTL005")


def test_openai_client_with_options_assigned_module_level():
    s = stack(
        """
        base = openai.OpenAI()
        client = base.with_options(max_retries=0)

        @DECO
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == []


def test_openai_client_import_alias():
    s = stack(
        """
        from openai import OpenAI as LLM

        client = LLM()

        @DECO
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 9 calls" in message(s, "RTL005")


@pytest.mark.parametrize("ctor", ["openai.AzureOpenAI(api_version='2024-06-01')", "openai.AsyncOpenAI()"])
def test_other_openai_clients_retry_by_default(ctor):
    s = stack(
        f"""
        client = {ctor}

        @DECO
        async def summarize(text):
            return await client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 9 calls" in message(s, "RTL005")


@pytest.mark.parametrize("ctor", ["anthropic.Anthropic()", "anthropic.AsyncAnthropic()"])
def test_anthropic_clients_retry_by_default(ctor):
    s = stack(
        f"""
        client = {ctor}

        @DECO
        async def ask(prompt):
            return await client.messages.create(model="claude", max_tokens=10, messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 9 calls" in message(s, "RTL005")


def test_client_created_inside_the_function():
    s = stack(
        """
        @DECO
        def summarize(text):
            client = openai.OpenAI()
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 9 calls" in message(s, "RTL005")


def test_client_on_self_in_init():
    s = stack(
        """
        class Summarizer:
            def __init__(self):
                self.client = anthropic.Anthropic()

            @DECO
            def summarize(self, text):
                return self.client.messages.create(model="claude", max_tokens=10, messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 9 calls" in message(s, "RTL005")


def test_client_on_self_without_retries_is_silent():
    s = stack(
        """
        class Summarizer:
            def __init__(self):
                self.client = anthropic.Anthropic(max_retries=0)

            @DECO
            def summarize(self, text):
                return self.client.messages.create(model="claude", max_tokens=10, messages=[])
        """
    )
    assert found(s) == []


def test_openai_module_level_client_retries_by_default():
    s = stack(
        """
        @DECO
        def summarize(text):
            return openai.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 9 calls" in message(s, "RTL005")


def test_stripe_module_level_retries_by_default():
    s = stack(
        """
        @DECO
        def refund(charge_id):
            return stripe.Refund.create(charge=charge_id, idempotency_key=f"refund-{charge_id}")
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 9 calls" in message(s, "RTL005")


def test_stripe_module_level_retries_set_to_zero():
    s = stack(
        """
        stripe.max_network_retries = 0

        @DECO
        def refund(charge_id):
            return stripe.Refund.create(charge=charge_id, idempotency_key=f"refund-{charge_id}")
        """
    )
    assert found(s) == []


def test_stripe_client_does_not_retry_by_default():
    s = stack(
        """
        client = stripe.StripeClient("sk_test")

        @DECO
        def charge(order_id, amount):
            return client.v1.payment_intents.create(
                params={"amount": amount, "currency": "eur"},
                options={"idempotency_key": f"order-{order_id}"},
            )
        """
    )
    assert found(s) == []


def test_stripe_client_with_network_retries_stacks():
    s = stack(
        """
        client = stripe.StripeClient("sk_test", max_network_retries=3)

        @DECO
        def charge(order_id, amount):
            return client.v1.payment_intents.create(
                params={"amount": amount, "currency": "eur"},
                options={"idempotency_key": f"order-{order_id}"},
            )
        """
    )
    assert found(s) == [("RTL005", at(s, "@retry"))]
    assert "up to 12 calls" in message(s, "RTL005")


def test_celery_default_over_default_client_product():
    s = src(
        """
        import openai
        from celery import Celery

        app = Celery("courses")
        client = openai.OpenAI()

        @app.task(autoretry_for=(openai.RateLimitError,), retry_backoff=True)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL005", at(s, "@app.task"))]
    assert "up to 12 calls" in message(s, "RTL005")


def test_unbounded_outer_layer_gives_unbounded_product():
    s = src(
        """
        import openai
        from celery import Celery

        app = Celery("courses")
        client = openai.OpenAI()

        @app.task(autoretry_for=(openai.RateLimitError,), max_retries=None, retry_backoff=True)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    line = at(s, "@app.task")
    assert found(s) == [("RTL001", line), ("RTL005", line)]
    assert "unbounded calls" in message(s, "RTL005")


def test_three_layers_point_at_outermost():
    s = stack(
        """
        from celery import Celery

        app = Celery("courses")
        client = openai.OpenAI()

        @DECO
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])

        @app.task(autoretry_for=(openai.RateLimitError,), max_retries=1, retry_backoff=True)
        def build(text):
            return summarize(text)
        """
    )
    assert found(s) == [("RTL005", at(s, "@app.task"))]
    text = message(s, "RTL005")
    assert "3 retry layers" in text
    assert "up to 18 calls" in text


def test_max_total_attempts_tolerates_small_stacks():
    s = stack(
        """
        client = openai.OpenAI()

        @DECO
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s, max_total_attempts=9) == []
    assert found(s, max_total_attempts=8) == [("RTL005", at(s, "@retry"))]


def test_max_total_attempts_never_tolerates_unbounded_stack():
    s = src(
        """
        import openai
        from celery import Celery

        app = Celery("courses")
        client = openai.OpenAI()

        @app.task(autoretry_for=(openai.RateLimitError,), max_retries=None, retry_backoff=True)
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert ("RTL005", at(s, "@app.task")) in found(s, max_total_attempts=1000)


def test_local_variable_named_client_that_is_not_an_sdk():
    s = src(
        """
        from tenacity import retry, stop_after_attempt

        from chat.store import MessageStore

        client = MessageStore()

        @retry(stop=stop_after_attempt(3))
        def archive(messages):
            for item in messages:
                client.messages.create(body=item)
            client.chat.completions.create(model="not-an-llm")
        """
    )
    assert found(s) == []


def test_local_variable_named_client_in_function_not_an_sdk():
    s = src(
        """
        import httpx
        from tenacity import retry, stop_after_attempt

        @retry(stop=stop_after_attempt(3))
        def post_all(items):
            client = httpx.Client()
            for item in items:
                client.post("/messages", json=item)
        """
    )
    assert found(s) == []


# =========================================================================================
# Billable calls (recognised through names)
# =========================================================================================
NO_WAIT = f"@retry(stop=stop_after_attempt(3), retry={TRANSIENT})"


@pytest.mark.parametrize(
    "call",
    [
        'client.chat.completions.create(model="gpt-4o", messages=[])',
        'client.responses.create(model="gpt-4o", input="hi")',
        'client.completions.create(model="gpt-3.5-turbo-instruct", prompt="hi")',
        'client.embeddings.create(model="text-embedding-3-small", input="hi")',
        'client.images.generate(model="dall-e-3", prompt="a cat")',
        'client.audio.speech.create(model="tts-1", voice="alloy", input="hi")',
        'client.audio.transcriptions.create(model="whisper-1", file=b"")',
    ],
)
def test_openai_billable_endpoints(call):
    s = oai(
        f"""
        {NO_WAIT}
        def run(text):
            return {call}
        """
    )
    assert found(s) == [("RTL006", at(s, "@retry("))]


def test_openai_read_endpoint_is_not_billable():
    s = oai(
        f"""
        {NO_WAIT}
        def run(model_id):
            return client.models.retrieve(model_id)
        """
    )
    assert found(s) == []


@pytest.mark.parametrize(
    "call",
    [
        'client.messages.create(model="claude", max_tokens=10, messages=[])',
        'client.messages.stream(model="claude", max_tokens=10, messages=[])',
        'client.beta.messages.create(model="claude", max_tokens=10, messages=[])',
    ],
)
def test_anthropic_billable_endpoints(call):
    s = src(
        f"""
        import anthropic
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        client = anthropic.Anthropic(max_retries=0)

        @retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(anthropic.RateLimitError))
        def run(text):
            return {call}
        """
    )
    assert found(s) == [("RTL006", at(s, "@retry("))]


@pytest.mark.parametrize(
    "call",
    [
        'litellm.completion(model="gpt-4o", messages=[])',
        'litellm.embedding(model="text-embedding-3-small", input=["hi"])',
        'litellm.image_generation(model="dall-e-3", prompt="a cat")',
        'litellm.acompletion(model="gpt-4o", messages=[])',
    ],
)
def test_litellm_billable_calls(call):
    s = src(
        f"""
        import litellm
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        @retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(litellm.RateLimitError))
        async def run(text):
            return {call}
        """
    )
    assert found(s, select=("RTL006",)) == [("RTL006", at(s, "@retry("))]


def test_litellm_imported_name():
    s = src(
        """
        from litellm import completion
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        @retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(ConnectionError))
        def run(text):
            return completion(model="gpt-4o", messages=[])
        """
    )
    assert found(s, select=("RTL006",)) == [("RTL006", at(s, "@retry("))]


@pytest.mark.parametrize(
    "call",
    [
        "stripe.PaymentIntent.create(amount=100, currency='eur')",
        "stripe.Charge.create(amount=100, currency='eur', source='tok')",
        "stripe.Refund.create(charge='ch_1')",
        "stripe.Transfer.create(amount=100, currency='eur', destination='acct_1')",
        "stripe.Payout.create(amount=100, currency='eur')",
        "stripe.Invoice.create(customer='cus_1')",
        "stripe.Subscription.create(customer='cus_1', items=[])",
    ],
)
def test_stripe_money_moving_writes_without_key(call):
    s = src(
        f"""
        import stripe
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        stripe.max_network_retries = 0

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(stripe.APIConnectionError))
        def pay():
            return {call}
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry("))]
    assert "moves money" in message(s, "RTL003")


def test_stripe_write_with_idempotency_key_is_silent():
    s = src(
        """
        import stripe
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        stripe.max_network_retries = 0

        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(stripe.APIConnectionError))
        def pay(order_id):
            return stripe.PaymentIntent.create(amount=100, currency="eur", idempotency_key=f"order-{order_id}")
        """
    )
    assert found(s) == []


def test_stripe_read_is_not_billable():
    s = src(
        """
        import stripe
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        stripe.max_network_retries = 0

        @retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(stripe.APIConnectionError))
        def lookup(intent_id):
            return stripe.PaymentIntent.retrieve(intent_id)
        """
    )
    assert found(s) == []


def test_stripe_client_write_without_key_in_celery():
    s = src(
        """
        import stripe
        from celery import shared_task

        client = stripe.StripeClient("sk_test")

        @shared_task(autoretry_for=(stripe.APIConnectionError,), retry_backoff=True)
        def charge(order_id, amount):
            return client.v1.payment_intents.create(params={"amount": amount, "currency": "eur"})
        """
    )
    assert found(s) == [("RTL003", at(s, "@shared_task"))]
    assert "payment_intents.create" in message(s, "RTL003")


def test_stripe_client_write_with_key_in_celery_is_silent():
    s = src(
        """
        import stripe
        from celery import shared_task

        client = stripe.StripeClient("sk_test")

        @shared_task(bind=True, autoretry_for=(stripe.APIConnectionError,), retry_backoff=True)
        def charge(self, order_id, amount):
            return client.v1.payment_intents.create(
                params={"amount": amount, "currency": "eur"},
                options={"idempotency_key": self.request.id},
            )
        """
    )
    assert found(s) == []


def test_setting_billable_pattern_makes_a_call_billable():
    s = src(
        """
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        from myco.llm import generate

        @retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(ConnectionError))
        def run(text):
            return generate(text)
        """
    )
    assert found(s) == []
    assert found(s, billable=("myco.llm.*",)) == [("RTL006", at(s, "@retry("))]


# =========================================================================================
# RTL003: idempotency
# =========================================================================================
GOOD_DECO = f"@retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry={TRANSIENT})"


def test_lone_last_llm_call_is_not_flagged():
    s = oai(
        f"""
        {GOOD_DECO}
        def summarize(text):
            prompt = text.strip()
            return client.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": prompt}}])
        """
    )
    assert found(s) == []


def test_llm_call_followed_by_db_write():
    # The layer retries ConnectionError, which the DB write can raise too.
    s = oai(
        f"""
        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type((openai.RateLimitError, ConnectionError)))
        def summarize(session, text):
            reply = client.chat.completions.create(model="gpt-4o", messages=[])
            session.add(reply)
            session.commit()
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry("))]
    assert "billed again if" in message(s, "RTL003")


def test_two_llm_calls_in_sequence():
    s = oai(
        f"""
        {GOOD_DECO}
        def outline_and_draft(topic):
            outline = client.chat.completions.create(model="gpt-4o", messages=[])
            return client.chat.completions.create(model="gpt-4o", messages=[outline])
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry("))]


def test_llm_call_in_loop():
    s = oai(
        f"""
        {GOOD_DECO}
        def build(chapters):
            return [client.chat.completions.create(model="gpt-4o", messages=[c]) for c in chapters]
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry("))]
    assert "loop" in message(s, "RTL003")


def test_skip_already_done_guard_with_continue():
    s = oai(
        f"""
        {GOOD_DECO}
        def build(db, chapters):
            for chapter in chapters:
                if db.has_text(chapter.id):
                    continue
                text = client.chat.completions.create(model="gpt-4o", messages=[])
                db.save_text(chapter.id, text)
        """
    )
    assert found(s) == []


def test_skip_already_done_guard_with_return():
    s = oai(
        f"""
        {GOOD_DECO}
        def summarize(cache, key, text):
            if cache.get(key):
                return cache.get(key)
            reply = client.chat.completions.create(model="gpt-4o", messages=[])
            cache.set(key, reply)
            return reply
        """
    )
    assert found(s) == []


def test_configured_idempotency_guard():
    s = oai(
        f"""
        from myapp import once

        @once
        def summarize(chapter):
            return client.chat.completions.create(model="gpt-4o", messages=[])

        {GOOD_DECO}
        def build(chapters):
            for chapter in chapters:
                summarize(chapter)
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry("))]
    assert found(s, idempotency_guards=("myapp.once",)) == []


def test_configured_idempotency_guard_on_the_layer_function():
    s = oai(
        f"""
        from myapp import once

        {GOOD_DECO}
        @once
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry("))]
    assert found(s, idempotency_guards=("myapp.once",)) == []


def test_configured_idempotency_guard_call_before_billable():
    s = oai(
        f"""
        from myapp.db import claim_chapter

        {GOOD_DECO}
        def build(chapters, db):
            for chapter in chapters:
                if not claim_chapter(chapter.id):
                    continue
                text = client.chat.completions.create(model="gpt-4o", messages=[])
                db.save(text)
        """
    )
    assert found(s, idempotency_guards=("myapp.db.claim_*",)) == []


def test_reachability_through_helpers_has_a_chain():
    s = oai(
        f"""
        {GOOD_DECO}
        def build(chapters, db):
            for chapter in chapters:
                write_chapter(chapter, db)

        def write_chapter(chapter, db):
            db.save(draft(chapter))

        def draft(chapter):
            return ask(chapter.title)

        def ask(prompt):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    diags = lint(s)
    assert [(d.code, d.line) for d in diags] == [("RTL003", at(s, "@retry("))]
    names = [link.name for link in diags[0].chain]
    assert any("write_chapter" in n for n in names), names
    assert any("draft" in n for n in names), names
    assert any("ask" in n for n in names), names


def test_reachability_handles_cycles():
    s = oai(
        f"""
        {NO_WAIT}
        def walk(node):
            return visit(node)

        def visit(node):
            if node.children:
                return [walk(child) for child in node.children]
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    diags = lint(s, select=("RTL006",))
    assert [(d.code, d.line) for d in diags] == [("RTL006", at(s, "@retry("))]
    assert diags[0].chain


def test_method_calls_through_self_are_followed():
    s = oai(
        f"""
        class Writer:
            {GOOD_DECO}
            def build(self, chapters, db):
                for chapter in chapters:
                    db.save(self.draft(chapter))

            def draft(self, chapter):
                return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", at(s, "@retry("))]


def test_parenthesized_tenacity_import_does_not_crash():
    # A fix that extends a multi-line parenthesized import must not break linting.
    s = src(
        """
        import openai
        from tenacity import (
            retry,
            stop_after_attempt,
        )

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(openai.RateLimitError))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    ).replace("    stop_after_attempt,\n", "    stop_after_attempt,\n    retry_if_exception_type,\n")
    assert found(s) == [("RTL006", at(s, "@retry("))]
    result = Engine(Settings()).fix_source(s, "tasks.py")
    assert "wait=" in result.source
    assert found(result.source) == []


# =========================================================================================
# Suppression and selection
# =========================================================================================
def test_noqa_code_on_decorator_line():
    s = src(
        """
        from tenacity import retry

        @retry  # noqa: RTL001
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_noqa_other_code_does_not_silence():
    s = src(
        """
        from tenacity import retry

        @retry  # noqa: RTL002
        def fetch():
            return 1
        """
    )
    assert found(s) == [("RTL001", at(s, "@retry"))]


def test_bare_noqa_on_first_line_of_multiline_decorator():
    s = src(
        """
        from tenacity import retry, wait_fixed

        @retry(  # noqa
            wait=wait_fixed(1),
        )
        def fetch():
            return 1
        """
    )
    assert found(s) == []


def test_select_limits_codes():
    s = src(
        """
        import openai
        from celery import Celery

        app = Celery("courses")
        client = openai.OpenAI()

        @app.task(autoretry_for=(Exception,), max_retries=None, default_retry_delay=0)
        def build(chapters):
            for chapter in chapters:
                client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    line = at(s, "@app.task")
    assert found(s, select=("RTL001",)) == [("RTL001", line)]
    assert found(s) == [
        ("RTL001", line),
        ("RTL002", line),
        ("RTL003", line),
        ("RTL005", line),
        ("RTL006", line),
    ]


# =========================================================================================
# Fixes on forms (safe fixes only touch failure paths)
# =========================================================================================
def test_fix_adds_stop_to_bare_alias():
    s = src(
        """
        from tenacity import retry as again

        @again
        def fetch():
            return 1
        """
    )
    result = Engine(Settings()).fix_source(s, "tasks.py")
    assert result.applied >= 1
    assert found(result.source) == []
    again = Engine(Settings()).fix_source(result.source, "tasks.py")
    assert again.source == result.source and again.applied == 0


def test_fix_caps_backoff_max_time_zero():
    s = src(
        """
        import backoff

        @backoff.on_exception(backoff.expo, ConnectionError, max_time=0)
        def fetch():
            return 1
        """
    )
    result = Engine(Settings()).fix_source(s, "tasks.py")
    assert found(result.source) == []


def test_fix_caps_celery_base_class_attribute():
    s = celery(
        """
        class RetryingTask(Task):
            autoretry_for = (ConnectionError,)
            max_retries = None

        @app.task(base=RetryingTask)
        def sync():
            return 1
        """
    )
    result = Engine(Settings()).fix_source(s, "tasks.py")
    assert found(result.source) == []
    assert "max_retries = 3" in result.source


# =========================================================================================
# A few more forms
# =========================================================================================
def test_tenacity_retry_if_exception_type_without_argument_means_exception():
    s = oai(
        """
        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type())
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL002", at(s, "@retry("))]


def test_openai_with_raw_response_is_billable():
    s = oai(
        f"""
        {NO_WAIT}
        def run(text):
            return client.chat.completions.with_raw_response.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL006", at(s, "@retry("))]


def test_async_retrying_bounded_with_async_client_stack():
    s = src(
        """
        import openai
        from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

        client = openai.AsyncOpenAI()

        async def summarize(text):
            async for attempt in AsyncRetrying(stop=stop_after_attempt(2), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError)):
                with attempt:
                    return await client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s, select=("RTL005",)) == [("RTL005", at(s, "async for attempt"))]
    assert "up to 6 calls" in message(s, "RTL005", select=("RTL005",))


def test_celery_stacked_over_tenacity_helper_and_client_zero():
    s = src(
        """
        import openai
        from celery import Celery
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

        app = Celery("courses")
        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(2), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])

        @app.task(autoretry_for=(openai.RateLimitError,), max_retries=2, retry_backoff=True)
        def build(text):
            return summarize(text)
        """
    )
    assert found(s) == [("RTL005", at(s, "@app.task"))]
    assert "up to 6 calls" in message(s, "RTL005")
