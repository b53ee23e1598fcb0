"""RTL002's own VALID and INVALID cases (kept apart so the rule module stays under the size limit)."""

from retrylint.rules.base import Invalid, Valid

VALID = [
    Valid(
        """
import openai
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

client = openai.OpenAI(max_retries=0)

@retry(
    stop=stop_after_attempt(4),
    wait=wait_random_exponential(max=30),
    retry=retry_if_exception_type((openai.RateLimitError, openai.APIConnectionError)),
)
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
"""
    ),
    Valid(
        """
import openai
from celery import shared_task

@shared_task(
    autoretry_for=(Exception,),
    dont_autoretry_for=(openai.BadRequestError, openai.AuthenticationError),
    retry_backoff=True,
)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
"""
    ),
    Valid(
        """
import requests
from tenacity import retry, stop_after_attempt, wait_fixed

@retry(stop=stop_after_attempt(3), wait=wait_fixed(1))
def fetch(url):
    return requests.get(url, timeout=5)
"""
    ),
    Valid(
        """
import backoff
import anthropic

client = anthropic.Anthropic()

def permanent(error):
    return isinstance(error, anthropic.BadRequestError)

@backoff.on_exception(backoff.expo, anthropic.APIError, max_tries=3, giveup=permanent)
def ask(prompt):
    return client.messages.create(model="claude", max_tokens=100, messages=[])
"""
    ),
    Valid(
        """
import cohere
from tenacity import retry, retry_if_exception_type, stop_after_attempt

condition = (
    retry_if_exception_type(cohere.error.CohereError)
    if hasattr(cohere, "error")
    else retry_if_exception_type(cohere.errors.TooManyRequestsError)
)

@retry(stop=stop_after_attempt(3), retry=condition)
def generate(prompt):
    return cohere.Client().generate(prompt=prompt)
"""
    ),    Valid(
        """
import anthropic

client = anthropic.Anthropic()


class RefusalError(Exception):
    pass


def ask(prompt):
    try:
        return client.messages.create(model="claude", max_tokens=100, messages=[])
    except anthropic.APIError as e:
        if isinstance(e, anthropic.BadRequestError):
            raise RefusalError(str(e)) from e
        raise


def generate(prompt):
    for attempt in range(3):
        try:
            return ask(prompt)
        except RefusalError:
            raise
        except Exception:
            continue
"""
    ),
    Valid(
        """
import openai
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential


@retry(
    stop=stop_after_attempt(3),
    wait=wait_exponential(),
    retry=retry_if_exception_type((openai.error.Timeout, openai.error.APIError, openai.error.RateLimitError)),
)
def embed(text):
    return openai.Embedding.create(input=[text], model="text-embedding-ada-002")
"""
    ),
]

INVALID = [
    Invalid(
        """
import openai
from tenacity import retry, stop_after_attempt, wait_exponential

client = openai.OpenAI()

@retry(stop=stop_after_attempt(3), wait=wait_exponential())
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=7,
        message="tenacity @retry on 'summarize' (up to 3 attempts) retries on every exception around billable summarize -> chat.completions.create",
        fixed="""
import openai
from tenacity import (
    retry,
    stop_after_attempt,
    wait_exponential,
    retry_if_not_exception_type,
)

client = openai.OpenAI()

@retry(
    stop=stop_after_attempt(3),
    wait=wait_exponential(),
    retry=retry_if_not_exception_type(
        (
            openai.BadRequestError,
            openai.AuthenticationError,
            openai.PermissionDeniedError,
            openai.NotFoundError,
            openai.UnprocessableEntityError,
        )
    ),
)
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[])
""",
    ),
    Invalid(
        """
from anthropic import Anthropic
from celery import shared_task
from sqlalchemy.orm import Session

client = Anthropic()

@shared_task(
    autoretry_for=(Exception,),
    retry_backoff=True,
)
def outline(topic):
    return client.messages.create(model="claude", max_tokens=100, messages=[])
""",
        line=8,
        message="Celery task on 'outline' (up to 4 attempts) retries on broad Exception around billable outline -> messages.create",
        fixed="""
from anthropic import (
    Anthropic,
    BadRequestError,
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
    UnprocessableEntityError,
)
from celery import shared_task
from sqlalchemy.orm import Session
from sqlalchemy.exc import (
    ProgrammingError,
    DataError,
    IntegrityError,
    NotSupportedError,
)

client = Anthropic()

@shared_task(
    autoretry_for=(Exception,),
    retry_backoff=True,
    dont_autoretry_for=(BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError, ProgrammingError, DataError, IntegrityError, NotSupportedError),
)
def outline(topic):
    return client.messages.create(model="claude", max_tokens=100, messages=[])
""",
    ),
    Invalid(
        """
import backoff
import litellm

@backoff.on_exception(backoff.expo, Exception, max_tries=3)
def complete(prompt):
    return litellm.completion(model="gpt-4o", messages=[])
""",
        line=5,
        message="backoff.on_exception on 'complete' (up to 3 attempts) retries on broad Exception around billable complete -> completion",
        fixed="""
import backoff
import litellm

@backoff.on_exception(
    backoff.expo,
    Exception,
    max_tries=3,
    giveup=lambda error: isinstance(error, (litellm.BadRequestError, litellm.AuthenticationError, litellm.PermissionDeniedError, litellm.NotFoundError, litellm.UnprocessableEntityError)),
)
def complete(prompt):
    return litellm.completion(model="gpt-4o", messages=[])
""",
    ),
    Invalid(
        """
import time
import openai

def summarize(text):
    for attempt in range(3):
        try:
            return openai.chat.completions.create(model="gpt-4o", messages=[])
        except Exception:
            time.sleep(2 ** attempt)
""",
        line=6,
        message="hand-written retry loop (up to 3 attempts) retries on broad Exception",
    ),
    Invalid(
        """
import cohere
from tenacity import retry, retry_if_exception_type, stop_after_attempt

condition = (
    retry_if_exception_type(cohere.error.CohereError)
    if hasattr(cohere, "error")
    else retry_if_exception_type(Exception)
)

@retry(stop=stop_after_attempt(3), retry=condition)
def generate(prompt):
    return cohere.Client().generate(prompt=prompt)
""",
        line=11,
        message="tenacity @retry on 'generate' (up to 3 attempts) retries on broad Exception around billable generate -> generate",
        fixed="""
import cohere
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    retry_if_not_exception_type,
)
from cohere.errors import (
    BadRequestError,
    UnauthorizedError,
    ForbiddenError,
    NotFoundError,
    UnprocessableEntityError,
)

condition = (
    retry_if_exception_type(cohere.error.CohereError)
    if hasattr(cohere, "error")
    else retry_if_exception_type(Exception)
)

@retry(
    stop=stop_after_attempt(3),
    retry=condition & retry_if_not_exception_type((BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, UnprocessableEntityError)),
)
def generate(prompt):
    return cohere.Client().generate(prompt=prompt)
""",
    ),
    Invalid(
        """
import anthropic

client = anthropic.Anthropic()


class RefusalError(Exception):
    pass


def ask(prompt):
    try:
        return client.messages.create(model="claude", max_tokens=100, messages=[])
    except anthropic.APIError as e:
        if "refused to respond" in str(e).lower():
            raise RefusalError(str(e)) from e
        raise


def generate(prompt):
    for attempt in range(3):
        try:
            return ask(prompt)
        except RefusalError:
            raise
        except Exception:
            continue
""",
        line=21,
        message="hand-written retry loop (up to 3 attempts) retries on broad Exception around billable generate -> ask (case.py:11) -> messages.create and declares no non-retryable errors; stop at once on BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError",
    ),
]
