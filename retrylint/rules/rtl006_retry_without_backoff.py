"""## What it does
Flags a retry layer that reaches a billable call and waits nothing between attempts: a
tenacity layer without `wait=` (or with `wait_none()` / `wait_fixed(0)`), a Celery task with
`default_retry_delay=0` or a bound one calling `self.retry(countdown=0)`, backoff with a
generator told to wait 0 (`backoff.constant, interval=0`; `backoff.expo, factor=0`), a
hand-written retry loop with no sleep. `backoff.constant` without `interval` waits 1 s, and a
jitter other than the default may add a wait: neither is flagged; nor is a layer retrying only
errors raised on a reply that cannot be used (aviary's `MalformedMessageError`, pydantic's
`ValidationError`, `json.JSONDecodeError`: the catalog's `answers`), which no wait mends; nor a loop
that goes round only to send the next spelling of a refused field (`if not CONTROLS.rejected(model,
e): raise`): a wait does not change a refusal.

## Why is this bad?
Rate limits and overloads are the failures that heal, and they heal with time. Retrying at
once hits the same limit again, burns the attempts in milliseconds and, for paid calls that
ran before the failure, bills them again without any chance of success.

## Example
```python
@retry(stop=stop_after_attempt(3))
def summarize(text):
    return client.chat.completions.create(...)
```

## Use instead
```python
@retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60))
def summarize(text):
    return client.chat.completions.create(...)
```

## Fix safety
Safe: it adds the library's exponential backoff with jitter (tenacity
`wait=wait_exponential_jitter(max=60)`, Celery `retry_backoff=True`). Hand-written loops,
`self.retry(countdown=0)` and backoff's zero waits get no automatic fix.

## Options
None.
"""

from __future__ import annotations

from typing import Iterable

from retrylint.analysis.context import RuleContext, make_fix
from retrylint.diagnostics import Diagnostic
from retrylint.analysis.layers import Layer
from retrylint.analysis.layers.dialects.templates import BACKOFF
from retrylint.analysis.reach_record import chain_text
from retrylint.rules.base import Invalid, Rule, Valid


class RetryWithoutBackoff(Rule):
    """A layer that reaches billable calls retries without waiting."""

    code = "RTL006"
    name = "retry-without-backoff"

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        for layer in ctx.layers:
            if layer.policy.waits or not layer.policy.retries or layer.policy.answers_only or layer.redelivers:
                continue  # a wait does not mend a malformed answer (instructor's re-asks)
            if layer.walks:
                continue  # each time round it sends the next spelling of a refused field: no wait mends a refusal
            reaches = ctx.retried_reaches(layer)
            if not reaches or ctx.retries_answer_errors_only(layer, reaches):
                continue  # nor does it mend a reply the call cannot use (aviary's MalformedMessageError)
            advice = "sleep with exponential backoff and jitter" if layer.kind == "loop" else "add exponential backoff with jitter"
            message = (
                f"{layer.described} retries billable {chain_text(reaches)} without waiting "
                f"between attempts; {advice}"
            )
            yield ctx.diagnostic(self, layer.anchor, message, self._fix(ctx, layer), reaches[0].chain)

    @staticmethod
    def _fix(ctx: RuleContext, layer: Layer):
        spec = layer.spec
        if spec is None or layer.task.manual_retries or layer.task.options_class is not None:
            return None
        fix = ctx.template_fix(layer, BACKOFF)
        return make_fix(*fix) if fix is not None else None


RetryWithoutBackoff.VALID = [
    Valid(
        """
import openai
from tenacity import retry, stop_after_attempt, wait_random_exponential

@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=30))
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
"""
    ),
    Valid(
        """
from tenacity import retry, stop_after_attempt

@retry(stop=stop_after_attempt(3))
def read_config(path):
    with open(path) as handle:
        return handle.read()
"""
    ),
    Valid(
        """
import time
import openai

def summarize(text):
    for attempt in range(3):
        try:
            return openai.chat.completions.create(model="gpt-4o", messages=[])
        except openai.RateLimitError:
            time.sleep(2 ** attempt)
"""
    ),
    Valid(  # backoff.constant's interval defaults to 1 s
        """
import backoff
import openai

@backoff.on_exception(backoff.constant, openai.RateLimitError, max_tries=3)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
"""
    ),
    Valid(  # a jitter other than the default may add a wait to the zero interval
        """
import backoff
import openai

@backoff.on_exception(backoff.constant, openai.RateLimitError, max_tries=3, interval=0, jitter=backoff.random_jitter)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
"""
    ),
    Valid(
        """
import openai
from tenacity import retry, stop_after_attempt, wait_fixed

@retry(stop=stop_after_attempt(3), wait=wait_fixed(2))
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
"""
    ),
    Valid(
        """
import openai
from celery import shared_task

@shared_task(bind=True, max_retries=3)
def summarize(self, text):
    try:
        return openai.chat.completions.create(model="gpt-4o", messages=[])
    except openai.RateLimitError as exc:
        raise self.retry(exc=exc, countdown=30)
"""
    ),
    Valid(  # re-asks only when the reply fails to validate: the catalog's answer errors (cognee)
        """
import json
import litellm
from pydantic import BaseModel, ValidationError

class Answer(BaseModel):
    text: str

async def ask(prompt):
    error = None
    for attempt in range(3):
        content = prompt if error is None else f"{prompt} Your reply failed: {error}"
        response = await litellm.acompletion(model="gpt-4o", messages=[{"role": "user", "content": content}])
        try:
            return Answer.model_validate_json(response.choices[0].message.content)
        except (ValidationError, json.JSONDecodeError) as exc:
            error = exc
    raise error
"""
    ),
    Valid(
        """
import openai
from langchain_core.exceptions import OutputParserException
from tenacity import retry, retry_if_exception_type, stop_after_attempt

@retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(OutputParserException))
def summarize(text):
    reply = openai.chat.completions.create(model="gpt-4o", messages=[])
    return parse(reply.choices[0].message.content)
"""
    ),
]

RetryWithoutBackoff.INVALID = [
    Invalid(
        """
import openai
from tenacity import retry, stop_after_attempt

@retry(stop=stop_after_attempt(3))
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=5,
        message="tenacity @retry on 'summarize' (up to 3 attempts) retries billable summarize -> chat.completions.create without waiting",
        fixed="""
import openai
from tenacity import retry, stop_after_attempt, wait_exponential_jitter

@retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60))
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
    ),
    Invalid(
        """
import openai
from celery import shared_task

@shared_task(autoretry_for=(openai.RateLimitError,), default_retry_delay=0)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=5,
        message="Celery task on 'summarize' (up to 4 attempts) retries billable summarize -> chat.completions.create without waiting",
        fixed="""
import openai
from celery import shared_task

@shared_task(
    autoretry_for=(openai.RateLimitError,),
    default_retry_delay=0,
    retry_backoff=True,
)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
    ),
    Invalid(
        """
import openai

def summarize(text):
    for attempt in range(3):
        try:
            return openai.chat.completions.create(model="gpt-4o", messages=[])
        except openai.RateLimitError:
            pass
""",
        line=5,
        message="hand-written retry loop (up to 3 attempts) retries billable summarize -> chat.completions.create without waiting",
    ),
    Invalid(
        """
import backoff
import openai

@backoff.on_exception(backoff.constant, openai.RateLimitError, interval=0, max_tries=3)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=5,
        message="backoff.on_exception on 'summarize' (up to 3 attempts) retries billable summarize -> chat.completions.create without waiting",
    ),
    Invalid(
        """
import openai
from backoff import expo, on_predicate

@on_predicate(wait_gen=expo, factor=0, max_tries=3)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=5,
        message="backoff.on_predicate on 'summarize' (up to 3 attempts) retries billable summarize -> chat.completions.create without waiting",
    ),
    Invalid(
        """
import openai
from tenacity import retry, stop_after_attempt, wait_fixed

@retry(stop=stop_after_attempt(3), wait=wait_fixed(0))
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=5,
        message="tenacity @retry on 'summarize' (up to 3 attempts) retries billable summarize -> chat.completions.create without waiting",
        fixed="""
import openai
from tenacity import retry, stop_after_attempt, wait_fixed, wait_exponential_jitter

@retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60))
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
    ),
    Invalid(
        """
import openai
import tenacity

@tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_none())
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=5,
        message="tenacity @retry on 'summarize' (up to 3 attempts) retries billable summarize -> chat.completions.create without waiting",
        fixed="""
import openai
import tenacity

@tenacity.retry(
    stop=tenacity.stop_after_attempt(3),
    wait=tenacity.wait_exponential_jitter(max=60),
)
def summarize(text):
    return openai.chat.completions.create(model="gpt-4o", messages=[])
""",
    ),
    Invalid(
        """
import openai
from celery import shared_task

@shared_task(bind=True, max_retries=3)
def summarize(self, text):
    try:
        return openai.chat.completions.create(model="gpt-4o", messages=[])
    except openai.RateLimitError as exc:
        raise self.retry(exc=exc, countdown=0)
""",
        line=5,
        message="Celery task on 'summarize' (up to 4 attempts) retries billable summarize -> chat.completions.create without waiting",
    ),
    Invalid(  # ValueError is more than a reply that fails to parse
        """
import json
import openai

def summarize(text):
    for attempt in range(3):
        reply = openai.chat.completions.create(model="gpt-4o", messages=[])
        try:
            return json.loads(reply.choices[0].message.content)
        except ValueError:
            pass
""",
        line=6,
        message="hand-written retry loop (up to 3 attempts) retries billable summarize -> chat.completions.create without waiting",
    ),
]
