"""## What it does
Flags a billable call that sits under two or more layers that each retry: a task queue's
retries around a tenacity-decorated helper, a tenacity layer around an SDK client that
retries by itself (OpenAI and Anthropic clients retry twice by default, the module-level
Stripe API twice, LiteLLM through the provider SDK). The message gives the product of the
layers' worst-case attempts; a layer whose replays each send one request with the SDK's retries
off adds to the client's count instead (LiteLLM `num_retries=N`: the SDK's N retries, then N
more, `(LiteLLM (4: retries 3) + LiteLLM num_retries (3 more))`). A client is off the stack when the retrying call hands the function
its retries keyword as 0 and the function reads it (`kwargs["max_retries"] = 0` before
`Retrying(...)(completion, **kwargs)`), and a layer is when it retries only classes the SDK never raises.
A loop that goes round only to send the next spelling of a refused field (a 400, which no SDK
retries: `if not CONTROLS.rejected(model, e): raise`) never retries what the client retries.

## Why is this bad?
Retries multiply: 4 Celery attempts x 3 tenacity attempts x 3 HTTP attempts is 36 paid
calls for one message, and the outer layers wait out every inner layer's backoff.

## Example
```python
client = OpenAI()  # retries twice by itself

@retry(stop=stop_after_attempt(5))
def summarize(text):
    return client.chat.completions.create(...)
```

## Use instead
```python
client = OpenAI(max_retries=0)  # one layer decides

@retry(stop=stop_after_attempt(5))
def summarize(text):
    return client.chat.completions.create(...)
```

## Fix safety
Unsafe: when the stack is one layer plus an SDK client built in this file, the fix passes
`max_retries=0` to that client. Every call through the client loses its built-in retries,
including calls that no other layer retries.

## Options
- `max-total-attempts` (default: unset): tolerate stacks whose product of worst-case attempts
  stays within this number. Unbounded stacks are always reported.
"""

from __future__ import annotations

from math import prod
from typing import Iterable

from retrylint.analysis.context import RuleContext, make_fix
from retrylint.diagnostics import Diagnostic, count_text
from retrylint.analysis.layers import Layer
from retrylint.analysis.reach_record import UNBOUNDED, Reach, chain_text, retry_stack
from retrylint.analysis.layers.layer import reask_note
from retrylint.rules.base import Invalid, Rule, Valid


class StackedRetries(Rule):
    """A billable call sits under two or more retrying layers."""

    code = "RTL005"
    name = "stacked-retries"

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        limit = ctx.settings.max_total_attempts
        for layer in ctx.layers:
            if not layer.policy.retries or not ctx.outermost(layer) or layer.redelivers:
                continue
            if _refusals_only(ctx, layer):
                continue  # it re-sends a changed request after refusals the SDK never retries
            worst: tuple[int | None, Reach, list[str], int] | None = None
            for reach in ctx.retried_reaches(layer):
                factors, parts, depth = retry_stack(layer, reach)
                if depth < 2:
                    continue
                total = None if None in factors else prod(factors)
                if limit is not None and total is not None and total <= limit:
                    continue
                if worst is None or _worse(total, worst[0]):
                    worst = (total, reach, parts, depth)
            if worst is None:
                continue
            total, reach, parts, depth = worst
            if total is not None:
                product = f"up to {count_text(total)} calls"
            else:
                product = "unbounded calls" if any(f"({UNBOUNDED}" in part for part in parts) else "an unknown number of calls"
            message = (
                f"{reach.name} runs under {depth} retry layers: {' x '.join(parts)} = "
                f"{product} per run; chain {chain_text([reach])}; let one layer retry"
            )
            reasking = [inner for inner in (layer, *reach.inner_layers) if inner.reasks and inner.policy.retries]
            if reasking:
                message += f" ({reasking[0].label}: {reask_note(reasking[0])})"
            yield ctx.diagnostic(self, layer.anchor, message, self._fix(ctx, layer, reach), reach.chain)

    @staticmethod
    def _fix(ctx: RuleContext, layer: Layer, reach: Reach):
        client = reach.client
        if client is None or client.constructor is None or not client.spec.retries_param or not client.keyword_stops:
            return None  # (a per-error retry policy keeps retrying with the keyword at 0)
        if client.model is not ctx.model:
            return None  # the client is built in another file
        if any(inner.policy.retries for inner in reach.inner_layers):
            return None  # removing the client's retries would still leave a stack
        if layer.policy.answers_only:
            return None  # it re-asks on a malformed answer only: API errors would go unretried
        new = ctx.fixes.with_keyword(client.constructor, client.spec.retries_param, "0")
        if new is None:
            return None
        return make_fix(f"Pass {client.spec.retries_param}=0 to the {client.spec.label}",
                        [ctx.fixes.replace(client.constructor, new)], unsafe=True)


def _refusals_only(ctx: RuleContext, layer: Layer) -> bool:
    """A loop walking a ladder of spellings (``layer.walks``) that goes round only after
    deterministic errors (a 400 refusing the field it sent), which no SDK client retries: the
    client's retries and its own never retry the same failure."""
    policy = layer.policy
    return layer.walks and not policy.retry_all and bool(policy.retry_on) \
        and all(ref.name in ctx.catalog.deterministic for ref in policy.retry_on)


def _worse(total: int | None, than: int | None) -> bool:
    if than is None:
        return False
    return total is None or total > than


StackedRetries.VALID = [
    Valid(
        """
import openai
from tenacity import retry, stop_after_attempt

client = openai.OpenAI(max_retries=0)

@retry(stop=stop_after_attempt(3))
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[])
"""
    ),
    Valid(
        """
import openai

client = openai.OpenAI()

def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[])
"""
    ),
    Valid(
        """
import stripe
from tenacity import retry, stop_after_attempt

client = stripe.StripeClient("sk_test")

@retry(stop=stop_after_attempt(3))
def refund(charge_id):
    return client.v1.refunds.create(params={"charge": charge_id}, options={"idempotency_key": charge_id})
"""
    ),
]

StackedRetries.INVALID = [
    Invalid(
        """
import openai
from tenacity import retry, stop_after_attempt

client = openai.OpenAI()

@retry(stop=stop_after_attempt(3))
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=7,
        message="chat.completions.create runs under 2 retry layers: tenacity @retry on 'summarize' (3) x OpenAI client (3: retries 2 by default) = up to 9 calls per run",
        fixed="""
import openai
from tenacity import retry, stop_after_attempt

client = openai.OpenAI(max_retries=0)

@retry(stop=stop_after_attempt(3))
def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[])
""",
        unsafe=True,
    ),
    Invalid(
        """
import anthropic
from celery import shared_task
from tenacity import retry, stop_after_attempt

class Writer:
    def __init__(self):
        self.client = anthropic.Anthropic(max_retries=0)

    @retry(stop=stop_after_attempt(2))
    def draft(self, topic):
        return self.client.messages.create(model="claude", max_tokens=10, messages=[])

writer = Writer()

@retry(stop=stop_after_attempt(4))
def outline(topic):
    return helper(topic)

def helper(topic):
    return compose(topic)

def compose(topic):
    return Writer().draft(topic)
""",
        line=16,
        message="runs under 2 retry layers",
    ),
    Invalid(  # the fix goes to the constructor the factory returns, not to the factory's call
        """
import openai
from tenacity import retry, stop_after_attempt

def make_client(api_key=None):
    return openai.AsyncOpenAI(api_key=api_key)

@retry(stop=stop_after_attempt(3))
async def summarize(text):
    client = make_client(api_key="k")
    return await client.chat.completions.create(model="gpt-4o", messages=[])
""",
        line=8,
        message="chat.completions.create runs under 2 retry layers: tenacity @retry on 'summarize' (3) x OpenAI client (3: retries 2 by default) = up to 9 calls per run",
        fixed="""
import openai
from tenacity import retry, stop_after_attempt

def make_client(api_key=None):
    return openai.AsyncOpenAI(api_key=api_key, max_retries=0)

@retry(stop=stop_after_attempt(3))
async def summarize(text):
    client = make_client(api_key="k")
    return await client.chat.completions.create(model="gpt-4o", messages=[])
""",
        unsafe=True,
    ),
]
