"""## What it does
Flags a retry layer that can re-run a billable call which already succeeded, when nothing
makes the repeat safe (no idempotency key the API honours, no configured guard, no
skip-already-done check such as `if cache.get(key): return` before the call, or the call made
only in the branch where a looked-up name found nothing: `cached = cache.get(key)` then
`if cached is not None: ... else: <call>`). A repeat is
possible when the call runs in a loop, when another billable call or any other call that
can fail (a DB write, a send, parsing the reply) runs after it in the retried code, or when
it moves money or sends a message (a lost response is still a charge), or when the call
itself raises an error the layer retries after its paid request returned, on a reply it cannot
use (aviary's ToolSelector raising `MalformedMessageError`: the catalog's `answer_errors`), or when an
agent's tool raises what its agent retries after a paid call in its body (pydantic-ai `raise ModelRetry(...)` on
a reply it rejects: the model is asked again and the tool run again). A later call counts
only if it can raise what the layer retries on: a layer that retries only an SDK's own
errors (`openai.RateLimitError`, a predicate that tests `isinstance(error, RateLimitError)`
first, or a library's tuple of them the catalog names as an `exception_set`) is re-run by
calls into that SDK (or a project check that raises one of them itself: `raise
openai.APIError(...)` on an empty reply), not by `np.array(...)`; nor is a loop whose `try` turns every failure
into a builtin exception such a layer does not retry (`except Exception as e: raise Exception(...)`).
A retried set this pass cannot read (`except errors.retryable():`) is no evidence that a later
call raises it either.
Of paid calls in exclusive branches of an `if`, one runs per attempt, in the unit or in a helper
it calls (an `if` whose branch ends in `return` or `raise` makes what follows it the other
branch). A lone LLM call that is the last thing the retried code does is not flagged: a retry
only repeats a failed call. Reading a paid reply is no later call that can fail, inline
(`reply.choices[0]`) or in a helper that only reads its argument (`return rsp.content[0].text`).
A check is no skip-already-done check when its skipping branch pays too (`if stream: return
self._stream(...)`) or hands the function's whole request on (`return self._auto(task, *args,
**kwargs)`: the work done another way), or it tests the object's configuration, an attribute
only `__init__` sets (`if self.evaluator: ... return`): it takes the same branch on every attempt.
A layer under another one (a decorated helper that a retried task calls) is reported too, for
what its own unit runs after a paid call; its re-asks (instructor, pydantic-ai) count in the
outer layer's stack (RTL005).

## Why is this bad?
The retry re-runs the whole unit. Every paid call that succeeded before the failure is billed
again, on every attempt: 20 LLM calls and a failing DB write under 21 attempts is 420 paid calls.

## Example
```python
@app.task(bind=True, autoretry_for=(OperationalError,), max_retries=20)
def build_course(self, course_id):
    for chapter in chapters(course_id):
        text = client.chat.completions.create(...)
        db.save(chapter, text)
```

## Use instead
```python
@app.task(bind=True, autoretry_for=(OperationalError,), max_retries=20)
def build_course(self, course_id):
    for chapter in chapters(course_id):
        if db.has_text(chapter):
            continue  # done on an earlier attempt
        text = client.chat.completions.create(...)
        db.save(chapter, text)
```

## Fix safety
Unsafe, and only where a stable key exists: in a bound Celery task, a Stripe call gets
`idempotency_key=self.request.id` (or `options={"idempotency_key": ...}` for `StripeClient`).
This changes the request a successful call sends. LLM APIs honour no idempotency key, so
those calls need an application-level guard and get no automatic fix.

## Options
- `idempotency-guards`: qualified names (glob patterns) of decorators or functions that make
  a call idempotent, e.g. `["myapp.cache.once", "myapp.db.claim_*"]`.
"""

from __future__ import annotations

from typing import Iterable

from retrylint.analysis.context import RuleContext, make_fix
from retrylint.diagnostics import Diagnostic, count_text
from retrylint.analysis.layers import Layer, keywords_of
from retrylint.analysis.call_order import may_raise, raised_after, raised_instead
from retrylint.analysis.reach_record import Reach, chain_text
from retrylint.rules import rtl003_cases
from retrylint.rules.base import Rule


class NonIdempotentBillableRetry(Rule):
    """A retry can re-run a billable call that already succeeded, with no idempotency evidence."""

    code = "RTL003"
    name = "non-idempotent-billable-retry"

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        for layer in ctx.layers:
            if not layer.policy.retries or layer.redelivers:
                continue
            outermost = ctx.outermost(layer)  # a nested layer's re-asks are the outer stack's (RTL005)
            flagged = [(reach, self._reasons(ctx, layer, reach, outermost)) for reach in ctx.reaches(layer)
                       if not reach.keyed and not reach.guarded]
            flagged = [(reach, reasons) for reach, reasons in flagged if reasons]
            if not flagged:
                continue
            described = "; ".join(f"{reach.name} ({', '.join(reasons)})" for reach, reasons in flagged[:3]) \
                + (f"; and {len(flagged) - 3} more" if len(flagged) > 3 else "")
            money = any(reach.spec.idempotency_key or reach.spec.idempotency_option for reach, _ in flagged)
            advice = (
                "pass a stable idempotency key, or skip work already done before calling again"
                if money
                else f"pass {layer.budget}= to cap the tokens the re-asks spend" if layer.budget
                else "store each result and skip work already done before calling again"
            )
            message = (
                f"{layer.described} can re-run billable calls that already succeeded: {described}; "
                f"{self._worst_case(layer, ctx.reaches(layer))}; chain {chain_text([r for r, _ in flagged])}; {advice}"
            )
            yield ctx.diagnostic(self, layer.anchor, message, self._fix(ctx, layer, flagged), flagged[0][0].chain)

    @staticmethod
    def _worst_case(layer: Layer, reaches: list[Reach]) -> str:
        """Attempts x billable calls per run (a call in a loop counts per item; of calls in
        exclusive branches of an ``if``, in the unit or in a helper it calls, one runs: a branch
        ending in ``return``/``raise`` excludes what follows it)."""
        counted: list[Reach] = []
        for reach in reaches:
            if not any(reach.excludes(other) for other in counted):
                counted.append(reach)
        calls = sum(reach.calls for reach in counted)
        per_item = " per item" if any(r.in_loop for r in reaches) else ""
        plural = "s" if calls != 1 else ""
        factor = layer.policy.factor()
        if factor is None and layer.policy.capped and layer.policy.attempts is None:
            return f"worst case: an unknown number of attempts x {calls} billable call{plural}{per_item}"
        if factor is None:
            return f"worst case: no limit on billed calls ({calls} billable call{plural}{per_item} per attempt)"
        grows = (f", sending about {count_text(factor * (factor + 1) // 2)} times the first prompt's tokens "
                 f"(attempt k sends about k times it)") if layer.reasks and (layer.spec is None or layer.spec.reask_history) \
            else ", each re-ask longer than the first prompt by the failed answer" if layer.reasks else ""
        return (
            f"worst case: {count_text(factor)} attempts{layer.policy.default_text()} x {calls} billable call{plural}{per_item} = "
            f"{count_text(factor * calls)} billed calls{per_item}{grows}"
        )

    @staticmethod
    def _reasons(ctx: RuleContext, layer: Layer, reach: Reach, outermost: bool = True) -> list[str]:
        """Why ``reach`` can be billed again (a nested layer: not for its re-asks, RTL005's)."""
        reasons = []
        if layer.reasks and reach.call is layer.anchor and outermost:
            reasons.append("asked again after a billed answer fails validation, with that answer appended")
        answers = ctx.answer_errors_retried(layer, reach)
        if answers:
            names = ", ".join(dict.fromkeys(error.rpartition(".")[2] for error in answers))
            reasons.append(f"billed again when it raises {names} on a reply it cannot use")
        raised = raised_after(layer.function, reach.call, {ref.name for ref in layer.policy.retry_on}) \
            if layer.spec is not None and layer.spec.form == "tool" and reach.direct else []
        if raised:  # an agent's tool checking a paid reply: the model is asked again and the tool run again
            reasons.append(f"billed again when the tool raises {', '.join(raised)} after it, a re-ask that runs the tool again")
        if reach.in_loop and not _translated(ctx, layer, reach):
            reasons.append("runs in a loop, billed per item")
        if reach.later_billable:
            reasons.append(f"billed again if {', '.join(dict.fromkeys(reach.later_billable))} fails after it")
        followers = [name for name, target in reach.followers if _can_raise_retried(ctx, layer, target)]
        if followers:
            names = list(dict.fromkeys(followers))
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            reasons.append(f"billed again if {shown} fails after it")
        if reach.spec.moves_money_or_sends and not reasons:
            reasons.append("moves money: a lost response is still a charge" if reach.spec.kind == "payment"
                           else "sends a message: a lost response still sent it")
        return reasons

    @staticmethod
    def _fix(ctx: RuleContext, layer: Layer, flagged: list[tuple[Reach, list[str]]]):
        spec = layer.spec
        if layer.task.self_name is None or spec is None or not spec.stable_id:
            return None
        key = spec.stable_id.replace("{self}", layer.task.self_name)
        fixable = [r for r, _ in flagged if r.direct and not r.in_loop and r.spec.stable_key_fix]
        if not fixable or len(fixable) != len(flagged):
            return None
        edits = []
        for number, reach in enumerate(fixable, 1):
            value = key if len(fixable) == 1 else f'f"{{{key}}}-{number}"'
            billable = reach.spec
            if billable.stable_key_fix == "keyword":
                new = ctx.fixes.with_keyword(reach.call, billable.idempotency_key, value)
            else:
                param, _, option = billable.idempotency_option.partition(".")
                if param in keywords_of(reach.call):
                    return None
                new = ctx.fixes.with_keyword(reach.call, param, f'{{"{option}": {value}}}')
            if new is None:
                return None
            edits.append(ctx.fixes.replace(reach.call, new))
        return make_fix(f"Pass {key} as the idempotency key", edits, unsafe=True)


def _translated(ctx: RuleContext, layer: Layer, reach: Reach) -> bool:
    """A ``try`` around the call turns its every failure into a builtin exception the layer does
    not retry (``except Exception as e: raise Exception(...)`` under a layer retrying only
    ``openai.RateLimitError``): a failure part-way through the loop ends the run, and re-bills nothing."""
    policy = layer.policy
    retried = [*policy.retry_on, *(policy.predicate_bound or ())]
    if policy.retry_all or (policy.predicate and policy.predicate_bound is None) or not retried:
        return False
    if any(ref.name is None or ref.name.startswith("builtins.") for ref in retried):
        return False
    raised = raised_instead(layer.function, reach.path)
    model, scope = layer.function.scope.model, layer.function.scope
    return raised is not None and all((model.qualify(error, scope) or "").startswith("builtins.") for error in raised)


def _can_raise_retried(ctx: RuleContext, layer: Layer, target: str | None) -> bool:
    """Whether a call can raise something the layer retries on. A layer that retries only an
    SDK's own errors (``openai.RateLimitError``, or a predicate that checks ``isinstance(e,
    openai.RateLimitError)`` first) is not re-run by a failing ``np.array`` or usage counter:
    only calls into that SDK can raise them."""
    policy = layer.policy
    bounded = not policy.predicate or policy.predicate_bound is not None
    retried = [*policy.retry_on, *(policy.predicate_bound or ())]
    if policy.retry_all or not bounded or not retried:
        return True
    roots = set()
    own = [ref.name for ref in retried if ref.name and ctx.model.resolve_class(ref.name) is not None]
    for ref in retried:
        if ref.name is None:
            continue  # a set this pass cannot read (``except errors.exceptions_tuple()``): no evidence either way
        if ref.name in own:
            continue
        root = ref.name.partition(".")[0]
        if root not in ctx.catalog.billable_roots:
            return True  # a builtin, a DB or HTTP library's error: anything may raise it
        roots.add(root)
    if own and may_raise(ctx.model, target, set(own), 3):
        return True  # the project's own error class: raised only by the project's code
    if _raises_itself(ctx, target, {ref.name for ref in retried if ref.name and ref.name.partition(".")[0] in roots}):
        return True
    if target is None or target.partition(".")[0] not in roots:
        return False
    if target in ctx.model.function_by_qualname:
        return False  # this module's own code (a package named like the SDK: ``openai.base``), as any project code
    return not target.rpartition(".")[2][:1].isupper()  # building one of the SDK's types (``CompletionUsage(...)``) sends nothing


def _raises_itself(ctx: RuleContext, target: str | None, classes: set[str]) -> bool:
    """A project function that raises one of the SDK's retried ``classes`` itself, a check of
    the paid reply (``raise openai.error.APIError("empty embedding")``): the layer retries it."""
    function = ctx.model.resolve_function(target) if classes and target is not None else None
    if function is None:
        return False
    scope = function.scope
    named = [raised.node for raised in function.raised_names]
    built = [site.node.func for site in function.calls]
    return any(ctx.catalog.canonical_exception(scope.model.qualify(expr, scope) or "") in classes for expr in [*named, *built])


NonIdempotentBillableRetry.VALID = rtl003_cases.VALID
NonIdempotentBillableRetry.INVALID = rtl003_cases.INVALID
