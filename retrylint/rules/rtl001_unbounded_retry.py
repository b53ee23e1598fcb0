"""## What it does
Flags a retry layer with no attempt cap and no deadline, whether written that way or left
to a library default: a bare tenacity `@retry`, `backoff.on_exception` without `max_tries`
or `max_time` (or with `max_tries=0`), `stamina.retry(attempts=None, timeout=None)`, a
Celery task with `max_retries=None`, a hand-written `while True:` retry loop with no counter
(a loop whose only exits are successes), a function that calls itself again from its `except`
clause with no counter checked. A loop that goes round only after a step along a ladder the
next request reads (`if not CONTROLS.rejected(model, e): raise`, moving on to the next spelling of
a refused field, re-raising once none is left) is bounded by that ladder. A deadline, a growing delay compared with a timeout or a retry
budget bounds a loop too; a policy read from elsewhere (`@retry(**self.config)`) is unknown, not
unbounded.

## Why is this bad?
A failure that never heals (a schema error, a revoked key, a 400) is retried forever. Each
attempt may bill an LLM or payment call, and the worker never moves on.

## Example
```python
from tenacity import retry

@retry
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[...])
```

## Use instead
```python
from tenacity import retry, stop_after_attempt

@retry(stop=stop_after_attempt(3))
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[...])
```

## Fix safety
Safe: it only adds the library's cap, N attempts in all with N from the `max-attempts` setting,
written in the library's unit: `stop=stop_after_attempt(N)`, `max_tries=N`, `attempts=N`, but
`max_retries=N-1` for Celery and Dramatiq, `retries=N-1`, `total=N-1` (urllib3), `retry=N-1`
(procrastinate): each catalog layer says whether its keyword counts attempts or retries. It
imports what it uses. An existing tenacity `stop=` is kept and combined: `stop=<old> | stop_after_attempt(N)`.
Hand-written loops have no automatic fix.

## Options
- `max-attempts` (default 3): the total attempts the fix allows (the first run included).
"""

from __future__ import annotations

from typing import Iterable


from retrylint.analysis.context import RuleContext, make_fix
from retrylint.diagnostics import Diagnostic, Edit
from retrylint.analysis.layers import Layer
from retrylint.analysis.layers.layer import reask_note
from retrylint.analysis.layers.dialects.templates import CAP
from retrylint.rules.base import Invalid, Rule, Valid


class UnboundedRetry(Rule):
    """A retry layer has no attempt cap and no deadline."""

    code = "RTL001"
    name = "unbounded-retry"

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        for layer in ctx.layers:
            if layer.policy.capped or layer.inner is not None:
                continue  # a hand-written decorator's loop is reported where it is written
            if layer.ends_when_guarded and all(reach.keyed or reach.guarded for reach in ctx.reaches(layer)):
                continue  # each run skips the paid work an earlier one did: the runs get shorter and end
            if layer.outlived_per_item and not any(reach.in_loop for reach in ctx.reaches(layer)):
                continue  # a fixed number of paid calls ends within their request timeouts, before the window
            message = f"{layer.name} retries without limit: it has no attempt cap and no deadline"
            if layer.kind in ("loop", "recursion"):
                message += "; count attempts and re-raise after the last one"
            if layer.reasks:
                message += f"; {reask_note(layer)}"
            for note in (layer.policy.note, layer.note):
                message += f"; {note}" if note else ""
            fix = self._fix(ctx, layer)
            yield ctx.diagnostic(self, layer.anchor, message, fix)

    def _fix(self, ctx: RuleContext, layer: Layer):
        n = ctx.settings.max_attempts
        spec = layer.spec
        if spec is None:
            return None
        if layer.task.options_class is not None and spec.fix_cap and spec.fix_cap not in layer.keywords:
            value = str(spec.attempts.written(n))
            edits = self._class_attribute(ctx, layer, spec.fix_cap, value)
            return make_fix(f"Set {spec.fix_cap} = {value}", edits)
        fix = ctx.template_fix(layer, CAP, n=n)
        return make_fix(*fix) if fix is not None else None

    @staticmethod
    def _class_attribute(ctx: RuleContext, layer: Layer, name: str, value: str) -> list[Edit] | None:
        for info in ctx.model.class_mro(layer.task.options_class):
            binding = info.body_attrs.get(name)
            if binding is not None and binding.value is not None:
                # a class of another module (a project base): not this file's to edit
                return [ctx.fixes.replace(binding.value, value)] if info.owner is ctx.model else None
        return None


UnboundedRetry.VALID = [
    Valid(
        """
from tenacity import retry, stop_after_attempt, stop_after_delay

@retry(stop=stop_after_attempt(5))
def fetch():
    ...

@retry(stop=stop_after_delay(30) | stop_after_attempt(10))
def fetch_more():
    ...
"""
    ),
    Valid(
        """
import backoff
import requests

@backoff.on_exception(backoff.expo, requests.ConnectionError, max_time=60)
def get(url):
    return requests.get(url)
"""
    ),
    Valid(
        """
import stamina

@stamina.retry(on=ConnectionError)
def ping():
    ...
"""
    ),
    Valid(
        """
from celery import shared_task

@shared_task(autoretry_for=(ConnectionError,))
def sync():
    ...
"""
    ),
    Valid(
        """
import time

def call_with_retries(fn):
    attempt = 0
    while True:
        try:
            return fn()
        except ConnectionError:
            attempt += 1
            if attempt >= 5:
                raise
            time.sleep(2 ** attempt)
"""
    ),
    Valid(
        """
import time

def poll(queue):
    while True:
        item = queue.get()
        if item is None:
            time.sleep(1)
            continue
        handle(item)
"""
    ),
    Valid(
        """
from tenacity import retry

@retry
async def stream():
    yield 1
"""
    ),
]

UnboundedRetry.VALID.append(
    Valid(  # the config may set a stop: unknown, not unbounded
        """
from tenacity import retry

class Job:
    @retry(**self.config)
    def run(self):
        ...
"""
    )
)

UnboundedRetry.VALID.append(
    Valid(  # each time round it sends the next spelling of the refused cap, and re-raises once none is left
        """
import openai

SPELLINGS = ("max_tokens", "max_completion_tokens")
SPELLING = {}

def cap_rejected(model, error):
    index = SPELLING.get(model, 0) + 1
    if "max_tokens" not in str(error) or index >= len(SPELLINGS):
        return False
    SPELLING[model] = index
    return True

def ask(client, model):
    while True:
        try:
            return client.chat.completions.create(model=model, messages=[], **{SPELLINGS[SPELLING.get(model, 0)]: 500})
        except openai.BadRequestError as e:
            if not cap_rejected(model, e):
                raise
"""
    )
)

UnboundedRetry.INVALID = [
    Invalid(
        """
from tenacity import retry

OPTIONS = {"reraise": True}

class Job:
    @retry(**OPTIONS)
    def run(self):
        ...
""",
        line=7,
        message="tenacity @retry on 'run' retries without limit",
        fixed=None,  # a keyword beside **OPTIONS could be passed twice (TypeError): no fix
    ),
    Invalid(
        """
from tenacity import retry

@retry
def fetch():
    ...
""",
        line=4,
        message="tenacity @retry on 'fetch' retries without limit",
        fixed="""
from tenacity import retry, stop_after_attempt

@retry(stop=stop_after_attempt(3))
def fetch():
    ...
""",
    ),
    Invalid(
        """
import tenacity

@tenacity.retry(wait=tenacity.wait_fixed(2))
def fetch():
    ...
""",
        line=4,
        message="no attempt cap and no deadline",
        fixed="""
import tenacity

@tenacity.retry(wait=tenacity.wait_fixed(2), stop=tenacity.stop_after_attempt(3))
def fetch():
    ...
""",
    ),
    Invalid(
        """
import backoff

@backoff.on_exception(backoff.expo, ConnectionError, max_tries=0)
def fetch():
    ...
""",
        line=4,
        message="backoff.on_exception on 'fetch' retries without limit",
        fixed="""
import backoff

@backoff.on_exception(backoff.expo, ConnectionError, max_tries=3)
def fetch():
    ...
""",
    ),
    Invalid(
        """
from celery import shared_task

@shared_task(autoretry_for=(ConnectionError,), max_retries=None)
def sync():
    ...
""",
        line=4,
        message="Celery task on 'sync' retries without limit",
        fixed="""
from celery import shared_task

@shared_task(autoretry_for=(ConnectionError,), max_retries=2)
def sync():
    ...
""",
    ),
    Invalid(
        """
import time

def fetch(session, url):
    while True:
        try:
            return session.get(url)
        except ConnectionError:
            time.sleep(1)
""",
        line=5,
        message="hand-written retry loop retries without limit",
    ),
    Invalid(  # the test only sorts the errors: the same request goes round again without limit
        """
import openai

def transient(error):
    return getattr(error, "status_code", 500) >= 500

def ask(client, model):
    while True:
        try:
            return client.chat.completions.create(model=model, messages=[])
        except openai.APIStatusError as e:
            if not transient(e):
                raise
""",
        line=8,
        message="hand-written retry loop retries without limit",
    ),
    Invalid(
        """
from tenacity import Retrying, stop_never

def fetch():
    for attempt in Retrying(stop=stop_never):
        with attempt:
            ...
""",
        line=5,
        message="tenacity Retrying retries without limit",
        fixed="""
from tenacity import Retrying, stop_never, stop_after_attempt

def fetch():
    for attempt in Retrying(stop=stop_after_attempt(3)):
        with attempt:
            ...
""",
    ),
]
