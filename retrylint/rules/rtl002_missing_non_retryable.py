"""## What it does
Flags a retry layer that reaches a billable call (an LLM completion, a payment) and retries
on every exception, or on a broad base such as `Exception`, `openai.APIError`,
`requests.RequestException` or a database's base error, while declaring nothing that stops
it at once: no `retry_if_not_exception_type`, `dont_autoretry_for`, `giveup=`, predicate or
re-raising `except` clause. An `except` that re-raises only errors a retry heals
(`RateLimitError`), or that no failure reaches (placed after a broader clause), declares none,
nor does a list of only such errors (`dont_autoretry_for=(RateLimitError,)`, Dramatiq
`throws=(TimeLimitExceeded,)`: a run past its time limit may finish in time on the next);
nor does one re-raising only the project's own class that no code on the way to the paid call
raises in an `except` (a hook's abort: the SDK's 400 never becomes it), or raises only when the
error's message reads so (`if "refused" in str(e): raise RefusalError`). A predicate made of
`isinstance` tests (`retry_if_exception(f)`, backoff `giveup=`) reads as the classes it names.
A layer that retries only classes the paid call's SDK never raises (requests' `HTTPError` around
an OpenAI client, per the catalog's `raises`) re-runs nothing of that call.
Non-retryable classes of the SDK a paid call wraps match nothing when the call re-raises every
error as one class of its own (catalog `wraps_errors`: instructor's `InstructorRetryException`),
nor does the project's class unless code on the way raises it from a caught error; a predicate's
`if isinstance(error, (...)): return False` guards read as such exclusions, and its helpers of the
error (`if is_quota_error(error): return False`) stop them only when they name one of the SDK's
400/401/403/404 classes or statuses or the wrapper's classes (a message test names none).
A condition chosen at import (`A if hasattr(cohere, "error") else B`) retries what either
branch retries.

## Why is this bad?
Broad bases include deterministic failures: a 400 `BadRequestError`, a revoked key, a
missing DB column. They fail the same way on every attempt, and every attempt bills the
paid calls that ran before the failure.

## Example
```python
@app.task(autoretry_for=(Exception,), max_retries=3)
def build_course(course_id):
    outline = client.chat.completions.create(...)
    db.save(outline)
```

## Use instead
```python
@app.task(
    autoretry_for=(Exception,),
    max_retries=3,
    dont_autoretry_for=(openai.BadRequestError, openai.AuthenticationError, ...),
)
def build_course(course_id):
    ...
```

## Fix safety
Safe: it only adds the library's exclusion (tenacity `retry=retry_if_not_exception_type(...)`,
combined with `&` when a `retry=` exists; Celery `dont_autoretry_for=`; backoff `giveup=`),
filled with the deterministic errors of the SDKs the retried code reaches and of the DB
libraries the module uses (SQLAlchemy's `ProgrammingError`, ...), plus the `non-retryable`
setting, after the classes a list of healing errors already names (they stay). Imports follow the file's style. stamina, bound `self.retry` tasks and hand-written
loops have no automatic fix: add an `except (...): raise` before the retrying handler.

## Options
- `non-retryable`: extra exceptions (qualified names) that count as deterministic.
"""

from __future__ import annotations

from typing import Iterable

from retrylint.analysis.context import RuleContext, make_fix
from retrylint.diagnostics import Diagnostic
from retrylint.analysis.layers import Layer, short_name
from retrylint.analysis.layers.dialects.templates import NEVER_RETRY
from retrylint.analysis.call_order import translated_on_the_way
from retrylint.analysis.deny_tests import may_turn_down
from retrylint.analysis.reach_record import chain_text
from retrylint.rules import rtl002_cases, rtl002_wrapped_cases
from retrylint.rules.base import Rule


class MissingNonRetryable(Rule):
    """A layer that reaches billable calls retries on every exception with no non-retryable list."""

    code = "RTL002"
    name = "missing-non-retryable"

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        for layer in ctx.layers:
            policy = layer.policy
            if not policy.retries or not policy.retries_exceptions or (policy.classifier and not policy.denied_by):
                continue
            if _stops_some(ctx, layer):
                yield from self._wrapped(ctx, layer)
                continue
            if policy.classifier:
                continue
            broad = [short_name(r.name) for r in policy.retry_on if r.name in ctx.catalog.broad]
            if not policy.retry_all and not broad:
                continue
            reaches = ctx.retried_reaches(layer)
            if not reaches:
                continue
            what = "every exception" if policy.retry_all else "broad " + ", ".join(dict.fromkeys(broad))
            errors = ctx.deterministic_errors_reached(layer)
            hint = _named(errors) or "the errors that never heal"
            message = (
                f"{layer.described} retries on {what} around billable {chain_text(reaches)} and "
                f"declares no non-retryable errors; stop at once on {hint}"
            )
            yield ctx.diagnostic(self, layer.anchor, message, self._fix(ctx, layer, errors), reaches[0].chain)

    def _wrapped(self, ctx: RuleContext, layer: Layer) -> Iterable[Diagnostic]:
        """The layer's non-retryable classes are the wrapped SDK's, but a paid call it reaches
        re-raises every error as one class none of them is (instructor's InstructorRetryException):
        they match nothing there, and its 400s and 401s are retried."""
        policy = layer.policy
        names = [ref.name for ref in policy.never_retry]
        if layer.kind == "billable-call":
            return  # the wrapping call's own retries (instructor max_retries=Retrying(...)) see the errors unwrapped
        if None in names or not (policy.retry_all or policy.denied_by or any(r.name in ctx.catalog.broad for r in policy.retry_on)):
            return
        reaches = [reach for reach in ctx.retried_reaches(layer) if reach.spec.wraps_errors
                   and not any(_may_name(ctx, layer, name, reach.spec.wraps_errors) for name in names)
                   and not any(may_turn_down(helper, reach.spec.wraps_errors) for helper in policy.denied_by)]
        if not reaches:
            return
        wrapper = reaches[0].spec.wraps_errors.rpartition(".")[2]
        helpers = ", ".join(dict.fromkeys(helper.name for helper in policy.denied_by))
        message = (
            f"{layer.described} retries billable {chain_text(reaches)}, whose errors {reaches[0].spec.provider} "
            f"re-raises as {wrapper}: its non-retryable {_named(names)} match none of them"
            f"{f' and {helpers} test none of their classes or statuses' if helpers else ''}, so 400s and revoked "
            f"keys are retried; stop at once on {wrapper} or on what it was raised from"
        )
        yield ctx.diagnostic(self, layer.anchor, message, None, reaches[0].chain)

    def _fix(self, ctx: RuleContext, layer: Layer, errors: list[str]):
        spec = layer.spec
        if not errors or spec is None or layer.task.manual_retries and not layer.policy.retry_on:
            return None
        if layer.task.options_class is not None or layer.task.manual_retries:
            return None  # a task's class attributes and hand-made retries are left to its author
        kept = [ref.name for ref in layer.policy.never_retry]  # errors a retry heals, listed already: kept
        if None in kept:
            return None
        fix = ctx.template_fix(layer, NEVER_RETRY, errors=tuple(dict.fromkeys(kept + errors)))
        if fix is None:
            return None
        return make_fix("Do not retry " + _named(errors), fix[1])


def _named(errors: list[str]) -> str:
    """The errors as the message and the fix both name them: every one, by its short name."""
    return ", ".join(e.rpartition(".")[2] for e in errors)


def _may_name(ctx: RuleContext, layer: Layer, name: str, wrapper: str) -> bool:
    """``name`` may match the errors a call leaves as ``wrapper``: the wrapper itself or another
    class of its library, a builtin base, or the project's own class that code on the way raises
    from a caught error (cognee's LLMQuotaExceededError, raised by a helper on a quota message, is not)."""
    return name.split(".")[0] in (wrapper.split(".")[0], "builtins") or (
        ctx.model.resolve_class(name) is not None and not _not_translated(ctx, layer, name))


def _stops_some(ctx: RuleContext, layer: Layer) -> bool:
    """The layer stops at once on some error a retry cannot heal: re-raising only a rate limit
    (``except RateLimitError: raise``) is no non-retryable list, nor is re-raising the project's
    own class named like an SDK's transient error (graphiti's ``errors.RateLimitError``, raised
    from ``anthropic.RateLimitError``)."""
    return any(not _transient(ctx, ref.name) and not _not_translated(ctx, layer, ref.name)
               for ref in layer.policy.never_retry)


def _not_translated(ctx: RuleContext, layer: Layer, name: str | None) -> bool:
    """The project's own class, which no code between the layer and its paid calls raises in an
    ``except`` clause (crewai's ``HookAborted``, raised by hooks): an SDK cannot raise it and
    nothing on the way turns the SDK's errors into it, so re-raising it stops none of them."""
    if name is None or ctx.model.resolve_class(name) is None:
        return False
    return not translated_on_the_way(layer.function, {name}, budget=500)


def _transient(ctx: RuleContext, name: str | None) -> bool:
    if name is None:
        return False
    if name in ctx.catalog.transient:
        return True
    short = name.rpartition(".")[2]
    if not any(known.rpartition(".")[2] == short for known in ctx.catalog.transient):
        return False
    return ctx.model.resolve_class(name) is not None  # a project class, not another library's


MissingNonRetryable.VALID = rtl002_cases.VALID + rtl002_wrapped_cases.VALID
MissingNonRetryable.INVALID = rtl002_cases.INVALID + rtl002_wrapped_cases.INVALID
