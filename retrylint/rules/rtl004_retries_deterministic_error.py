"""## What it does
Flags a retry layer whose retry-on set names a deterministic error, one that no retry can
fix: `openai.BadRequestError`, `AuthenticationError`, `NotFoundError`, Stripe's `CardError`,
SQL `ProgrammingError`, ... (the catalog lists them). Also flags a bound Celery task or a
hand-written loop whose `except` clause for such an error leads into another attempt
(`except BadRequestError: raise self.retry(...)`). A loop whose `except` changes the input
the next attempt uses (`email = make_email()`), or goes round only after a step along a ladder of
spellings the next request reads (`if not CONTROLS.rejected(model, e): raise` moving on to the next
spelling of a refused field, `params.pop("max_tokens")`), is not retrying the same error. Nor is a layer
retrying a unique or foreign key violation (`IntegrityError`: catalog `racing`) whose attempt
reads the rows again before it writes (`get_or_create`, a `select` before the insert, in the
unit or a function of its module it calls: catalog `rereads`): a concurrent writer won a race
the next attempt sees. The same write again fails the same way, and is reported.

## Why is this bad?
The same request fails the same way on every attempt. Each attempt costs time and, when paid
calls run before the failure, money; the real error surfaces only after the last attempt.

## Example
```python
@app.task(autoretry_for=(openai.RateLimitError, openai.BadRequestError), max_retries=5)
def summarize(text): ...
```

## Use instead
```python
@app.task(autoretry_for=(openai.RateLimitError,), max_retries=5)
def summarize(text): ...
```

## Fix safety
Safe: it removes the class from the retry-on tuple written in the layer's own call, when
other classes remain. A set built elsewhere (a module constant), a sole class, or an
`except` clause gets no automatic fix.

## Options
- `non-retryable`: extra exceptions (qualified names) that count as deterministic.
"""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from retrylint.analysis.context import RuleContext, make_fix
from retrylint.diagnostics import Diagnostic
from retrylint.analysis.layers import ExceptionRef, Layer
from retrylint.analysis.rereads import rereads
from retrylint.rules.base import Invalid, Rule, Valid

# A unique or foreign key violation (catalog ``racing``) heals when a concurrent writer caused it
# and the next attempt reads again before it writes; the same write again fails the same way.
RACING = ("which no retry of the same write can fix (it heals only when the attempt reads the rows "
          "again before writing, after a concurrent writer won a race, and this one reads none first)")


class RetriesDeterministicError(Rule):
    """A layer retries on an error that no retry can fix."""

    code = "RTL004"
    name = "retries-deterministic-error"

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        for layer in ctx.layers:
            if not layer.policy.retries or layer.changes_input:
                continue  # a loop whose attempts change their input is not retrying the same error
            handler_refs = {id(ref) for ref, _ in layer.task.manual_retry_handlers}
            rereading = None  # whether the attempt reads rows again before it writes, once asked
            for ref in layer.policy.retry_on:
                if ref.name not in ctx.catalog.deterministic or any(ref is walked for walked in layer.walked):
                    continue  # (an ``except`` that goes round only to send the next spelling of a refused field)
                racing = ref.name in ctx.catalog.racing
                if racing and rereading is None:
                    rereading = rereads(layer, ctx.catalog.rereads)
                if racing and rereading:
                    continue  # a lost race (select-then-insert, get_or_create): the next attempt reads what won
                fixes = RACING if racing else "which no retry can fix"
                if id(ref) in handler_refs or layer.kind == "loop":
                    message = f"{layer.described} retries after {ref.name}, {fixes}; re-raise it instead of retrying"
                    yield ctx.diagnostic(self, layer.anchor, message)
                    continue
                message = f"{layer.described} retries on {ref.name}, {fixes}; remove it from the retry-on set"
                yield ctx.diagnostic(self, layer.anchor, message, self._fix(ctx, layer, ref))

    @staticmethod
    def _fix(ctx: RuleContext, layer: Layer, ref: ExceptionRef):
        container = ref.container
        if not isinstance(container, (cst.Tuple, cst.List)) or layer.call is None:
            return None
        reduced = ctx.fixes.without_element(container, ref.node)
        if reduced is None:
            return None
        return make_fix(f"Stop retrying {ref.name}", [ctx.fixes.replace(container, reduced)])


RetriesDeterministicError.VALID = [
    Valid(
        """
import openai
from celery import shared_task

@shared_task(autoretry_for=(openai.RateLimitError, openai.APIConnectionError), max_retries=5)
def summarize(text):
    ...
"""
    ),
    Valid(
        """
from tenacity import retry, retry_if_not_exception_type, stop_after_attempt
import stripe

@retry(stop=stop_after_attempt(3), retry=retry_if_not_exception_type((stripe.CardError, stripe.InvalidRequestError)))
def charge():
    ...
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
    except openai.BadRequestError:
        raise
    except openai.RateLimitError as exc:
        raise self.retry(exc=exc)
"""
    ),
]

RetriesDeterministicError.VALID.append(
    Valid(  # the refused field is taken out of the request before it goes round
        """
import openai

def ask(client, model):
    params = {"max_tokens": 500, "temperature": 0.2}
    while True:
        try:
            return client.chat.completions.create(model=model, messages=[], **params)
        except openai.BadRequestError as e:
            field = next((name for name in params if name in str(e)), None)
            if field is None:
                raise
            params.pop(field)
"""
    )
)

RetriesDeterministicError.INVALID = [
    Invalid(
        """
import openai
from celery import shared_task

@shared_task(autoretry_for=(openai.RateLimitError, openai.BadRequestError), max_retries=5)
def summarize(text):
    ...
""",
        line=5,
        message="Celery task on 'summarize' (up to 6 attempts) retries on openai.BadRequestError, which no retry can fix",
        fixed="""
import openai
from celery import shared_task

@shared_task(autoretry_for=(openai.RateLimitError,), max_retries=5)
def summarize(text):
    ...
""",
    ),
    Invalid(
        """
from tenacity import retry, retry_if_exception_type, stop_after_attempt
from sqlalchemy.exc import OperationalError, ProgrammingError

@retry(stop=stop_after_attempt(3), retry=retry_if_exception_type((OperationalError, ProgrammingError)))
def save(row):
    ...
""",
        line=5,
        message="retries on sqlalchemy.exc.ProgrammingError",
        fixed="""
from tenacity import retry, retry_if_exception_type, stop_after_attempt
from sqlalchemy.exc import OperationalError, ProgrammingError

@retry(stop=stop_after_attempt(3), retry=retry_if_exception_type((OperationalError,)))
def save(row):
    ...
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
    except openai.BadRequestError as exc:
        raise self.retry(exc=exc)
""",
        line=5,
        message="retries after openai.BadRequestError, which no retry can fix; re-raise it",
    ),
]
