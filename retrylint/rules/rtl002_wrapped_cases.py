"""RTL002's cases around a paid call that re-raises every error as one class of its own (catalog
``wraps_errors``: instructor's InstructorRetryException), kept apart from rtl002_cases.py for size."""

from retrylint.rules.base import Invalid, Valid

# An instructor client over LiteLLM, a response model, and a project error class; the cases add a
# retry predicate and the retried function.
_CLIENT = """
import asyncio

import instructor
import litellm
from pydantic import BaseModel
from tenacity import retry, retry_if_exception, retry_if_not_exception_type, stop_after_attempt, wait_exponential

client = instructor.from_litellm(litellm.completion)


class Answer(BaseModel):
    text: str


class QuotaError(Exception):
    pass
"""

# cognee's shape: isinstance exclusions of LiteLLM's classes, then helpers of the error that test
# other statuses and the message; instructor's wrapper passes all of them.
_HELPERS = """

def is_budget_error(error):
    return getattr(error, "status_code", None) == 402


def is_quota_error(error):
    current = error
    while current is not None:
        if "insufficient_quota" in str(current).lower():
            return True
        current = current.__cause__
    return False


def should_retry(error):
    non_retryable = (asyncio.CancelledError, QuotaError, litellm.NotFoundError, litellm.AuthenticationError)
    if isinstance(error, non_retryable):
        return False
    if is_budget_error(error):
        return False
    return not {final}(error)


@retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception(should_retry))
def ask(prompt):
    return client.chat.completions.create(response_model=Answer, messages=[])
"""

# A helper that looks at the error instructor raised from: it names the SDK's 400 class.
_CAUSE = """

def is_bad_request(error):
    return isinstance(error.__cause__, litellm.BadRequestError)
"""

# 401 and 403 by status.
_STATUS = """

def is_auth_failure(error):
    return getattr(error, "status_code", None) in (401, 403)
"""

_ASK_NOT_RETRYING = """

@retry(
    stop=stop_after_attempt(3),
    wait=wait_exponential(),
    retry=retry_if_not_exception_type({excluded}),
)
def ask(prompt):
    {body}
"""
_CALL = "return client.chat.completions.create(response_model=Answer, messages=[])"
_OURS = "(QuotaError, litellm.AuthenticationError)"

VALID = [
    Valid(_CLIENT + _ASK_NOT_RETRYING.format(excluded="instructor.core.InstructorRetryException", body=_CALL)),
    Valid(_CLIENT + _CAUSE + _HELPERS.format(final="is_bad_request")),
    Valid(_CLIENT + _STATUS + _HELPERS.format(final="is_auth_failure")),
    # The project's class, raised from every error instructor leaves the call with: excluding it stops them.
    Valid(_CLIENT + _ASK_NOT_RETRYING.format(excluded=_OURS, body="""try:
        return client.chat.completions.create(response_model=Answer, messages=[])
    except instructor.core.InstructorRetryException as error:
        raise QuotaError(str(error)) from error""")),
]

INVALID = [
    Invalid(
        _CLIENT + _ASK_NOT_RETRYING.format(excluded="(litellm.NotFoundError, litellm.AuthenticationError)", body=_CALL),
        line=20,
        message="tenacity @retry on 'ask' (up to 3 attempts) retries billable ask -> chat.completions.create, whose errors instructor re-raises as InstructorRetryException: its non-retryable NotFoundError, AuthenticationError match none of them, so 400s and revoked keys are retried; stop at once on InstructorRetryException or on what it was raised from",
    ),
    Invalid(
        _CLIENT + _HELPERS.format(final="is_quota_error"),
        line=42,
        message="tenacity @retry on 'ask' (up to 3 attempts) retries billable ask -> chat.completions.create, whose errors instructor re-raises as InstructorRetryException: its non-retryable CancelledError, QuotaError, NotFoundError, AuthenticationError match none of them and is_budget_error, is_quota_error test none of their classes or statuses, so 400s and revoked keys are retried; stop at once on InstructorRetryException or on what it was raised from",
    ),
    # QuotaError is raised only by a check of the prompt, never from an error of the call.
    Invalid(
        _CLIENT + _ASK_NOT_RETRYING.format(excluded=_OURS, body="""if len(prompt) > 10_000:
        raise QuotaError("prompt too long")
    return client.chat.completions.create(response_model=Answer, messages=[])"""),
        line=20,
        message="tenacity @retry on 'ask' (up to 3 attempts) retries billable ask -> chat.completions.create, whose errors instructor re-raises as InstructorRetryException: its non-retryable QuotaError, AuthenticationError match none of them, so 400s and revoked keys are retried; stop at once on InstructorRetryException or on what it was raised from",
    ),
]
