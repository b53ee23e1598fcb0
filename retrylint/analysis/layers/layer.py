"""What the readers make: a retry ``Layer`` and its ``Policy`` (attempt cap, deadline, what it
retries on, what stops it, whether it waits), plus helpers for reading a call's arguments."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from retrylint.catalog import LayerSpec
from retrylint.diagnostics import COUNT_LIMIT, count_text
from retrylint.analysis.model import ClassInfo, Function, Scope
from retrylint.analysis.model.tree import keywords_of, positional  # noqa: F401 (the readers import them from here)


@dataclass
class ExceptionRef:
    """One exception class named in a retry set or a non-retryable list."""

    name: str | None  # canonical qualified name; None when it cannot be resolved
    node: cst.BaseExpression
    # The tuple/list literal it was written in, inside the layer's own call (for removal).
    container: cst.CSTNode | None = None


@dataclass
class Policy:
    attempts: int | None = None  # worst-case total runs, when known
    capped: bool = True  # False: no attempt cap and no deadline
    deadline: bool = False
    retry_all: bool = False  # every exception triggers a retry
    retry_on: list[ExceptionRef] = field(default_factory=list)
    predicate: bool = False  # a custom predicate decides
    # The classes the predicates can accept at most, when their isinstance checks bound them all.
    predicate_bound: list[ExceptionRef] | None = None
    retries_exceptions: bool = True  # False: retries only on results or by hand
    never_retry: list[ExceptionRef] = field(default_factory=list)
    classifier: bool = False  # a giveup=/predicate/except clause that stops it at once
    # A predicate's project functions of the error that turn it down beside its ``isinstance``
    # exclusions (``never_retry``): what they test is for the rules to judge.
    denied_by: list = field(default_factory=list)
    waits: bool = True
    # Retries only a malformed answer (instructor): no wait mends it, and the SDK client under it is
    # the only layer retrying API errors (its retries are not to be turned off for this one).
    answers_only: bool = False
    by_default: bool = False  # the count is a default the program may set otherwise (``self.max_retries``)
    note: str = ""  # what an unbounded-retry finding adds (a stop function that never stops on its default)

    @property
    def retries(self) -> bool:
        """Whether this layer can run the code more than once."""
        return not self.capped or self.attempts is None or self.attempts > 1

    def attempts_text(self) -> str:
        if not self.capped:
            return "unbounded attempts"
        if self.attempts is not None:
            return f"up to {self.count_text()} attempt{'s' if self.attempts != 1 else ''}{self.default_text()}"
        return "a time-capped number of attempts" if self.deadline else "an unknown number of attempts"

    def count_text(self) -> str:
        return count_text(self.attempts) if self.attempts is not None else "?"

    def default_text(self) -> str:
        """`` by default`` after a count read from a default."""
        return " by default" if self.by_default and self.attempts is not None else ""

    def factor(self) -> int | None:
        """Attempts as a multiplication factor; None when unbounded or unknown, or so large
        (a literal of thousands of digits) that it bounds nothing."""
        if not self.capped or (self.attempts is not None and self.attempts >= COUNT_LIMIT):
            return None
        return self.attempts


@dataclass
class TaskParts:
    """What a task-queue task adds to its layer (read in ``readers/task_queues.py``)."""

    options_class: ClassInfo | None = None  # the class whose attributes declare the options (a Celery Task)
    self_name: str | None = None  # a bound task's first parameter: the running task (``self``)
    manual_retries: list[cst.Call] = field(default_factory=list)  # calls that retry by hand (``self.retry(...)``)
    # Each exception an ``except`` clause catches to retry by hand, with that clause.
    manual_retry_handlers: list[tuple[ExceptionRef, cst.CSTNode]] = field(default_factory=list)


@dataclass
class Layer:
    kind: str  # decorator | call | block | task | task-class | loop | raise | policy | entrypoint | billable-call | redelivery
    library: str
    label: str
    anchor: cst.CSTNode  # where diagnostics point
    function: Function  # holds the retried unit
    unit_root: cst.CSTNode | None  # None: the whole function is retried; else this block
    policy: Policy
    spec: LayerSpec | None = None
    call: cst.Call | None = None  # the call whose arguments declare the policy
    bare: cst.BaseExpression | None = None  # a bare decorator (``@retry``)
    handover_call: cst.Call | None = None  # a call-site layer: the call that hands the function over
    keywords: dict[str, cst.Arg] = field(default_factory=dict)
    task: TaskParts = field(default_factory=TaskParts)  # empty but for task-queue tasks
    # A loop shaped like a retry with no sign of meaning it (no wait, no attempt counter):
    # kept only when it reaches a billable call.
    speculative: bool = False
    changes_input: bool = False  # each attempt runs on new input (a loop that makes a new e-mail address)
    # Each time round it sends the next spelling of a refused field and re-raises all else: bounded by the
    # ladder it walks, no wait mends a refusal (a hand loop: readers/hand_loop_ladders.py).
    walks: bool = False
    walked: list[ExceptionRef] = field(default_factory=list)  # classes whose ``except`` goes round only so
    reasks: bool = False  # each retry re-sends the conversation with the failed answer appended (instructor)
    budget: str | None = None  # the keyword that would cap the tokens its re-asks spend, when not given
    client_off: bool = False  # its settings turn the SDK client's own retries off (ModelRetrySettings(max_retries=0))
    note: str = ""  # what an unbounded-retry finding adds about this layer (a redelivery's trigger and way out)
    ends_when_guarded: bool = False  # a redelivery that ends when every paid call skips work already done
    outlived_per_item: bool = False  # a redelivery past a window no time limit bounds: only paid work per item outlasts it
    # A hand-written decorator's layer: the loop in its wrapper, itself a layer where it is written
    # (RTL001 reports an unbounded loop there, once, not at every function it decorates).
    inner: "Layer | None" = None
    # Keywords its call hands the retried function as 0 (``kwargs["max_retries"] = 0`` before
    # ``retryer(completion, **kwargs)``): an SDK client whose retries they set is switched off.
    handed_zero: frozenset[str] = frozenset()
    # The callable a retrying object is handed when it is no project function (``self.retryer(
    # self.client.completion, ...)``): the retried unit is that one call (``unit_root``).
    handed: cst.BaseExpression | None = None

    @property
    def redelivers(self) -> bool:
        """A queue's redelivery of a task whose worker died: nothing the task raises triggers it
        and it stacks on nothing, so only its missing cap is judged (RTL001)."""
        return self.kind == "redelivery"

    @property
    def name(self) -> str:
        return f"{self.label} on '{self.function.name}'" if self.unit_root is None else self.label

    @property
    def described(self) -> str:
        """The layer with its worst case: ``Celery task on 'build' (up to 4 attempts)``."""
        return f"{self.name} ({self.policy.attempts_text()})"


REASK_NOTE = "each retry re-asks with the failed answer appended: billed again, with a longer prompt each time"
REASK_LAST_NOTE = "each retry re-asks with the last failed answer appended: billed again, with a longer prompt than the first"


def reask_note(layer: "Layer") -> str:
    """What a message says of a re-asking layer's retries: each longer than the last, or (a layer
    that sends only the last failed answer: Guardrails) longer than the first."""
    return REASK_LAST_NOTE if layer.spec is not None and not layer.spec.reask_history else REASK_NOTE


def short_name(qualname: str | None) -> str:
    """How messages name an exception: builtins bare, others qualified."""
    if qualname is None:
        return "?"
    return qualname[len("builtins."):] if qualname.startswith("builtins.") else qualname


def never_retries(spec: LayerSpec, function: Function) -> bool:
    """A decorator of ``spec`` wraps ``function`` without ever retrying it (it only makes a
    coroutine or an async generator, which never fails)."""
    if not function.is_async:
        return False
    return not spec.retries_async or function.is_generator and not spec.retries_async_generators


def bound_call(expr: cst.BaseExpression, scope: Scope) -> cst.Call | None:
    """``expr`` itself when it is a call, or the call a plain name was bound to."""
    if isinstance(expr, cst.Name):
        binding = scope.lookup(expr.value)
        if binding is not None and isinstance(binding.value, cst.Call):
            return binding.value
    return expr if isinstance(expr, cst.Call) else None


def given_policies(spec, call: cst.Call | None, scope: Scope) -> list[cst.Call] | None:
    """The calls passed as ``spec.policy_param`` (or an older spelling of it): the one call, or
    with ``spec.policy_lists`` each call of a list or tuple (LangGraph ``retry_policy=[RetryPolicy(
    ...), ...]``), the literal bound to a name too. None when absent, empty or not all calls."""
    kw = keywords_of(call) if call is not None else {}
    given = next((kw[p] for p in (spec.policy_param, *spec.old_policy_params) if p in kw), None)
    if given is None:
        return None
    value = given.value
    if spec.policy_lists and isinstance(value, cst.Name):
        binding = scope.lookup(value.value)
        value = binding.value if binding is not None and isinstance(binding.value, (cst.List, cst.Tuple)) else value
    if spec.policy_lists and isinstance(value, (cst.List, cst.Tuple)):
        calls = [bound_call(element.value, scope) if isinstance(element, cst.Element) else None for element in value.elements]
        return calls if calls and all(found is not None for found in calls) else None
    one = bound_call(value, scope)
    return [one] if one is not None else None


def first_match_policy(policies: list[Policy]) -> Policy:
    """Several policies where the first whose retry set takes an error decides, and one count of
    attempts runs across them (LangGraph, pregel/_retry.py): the largest cap, every error any
    of them retries, a wait only when each waits."""
    if len(policies) == 1:
        return policies[0]
    capped = all(p.capped for p in policies)
    attempts = [p.attempts for p in policies]
    return Policy(
        attempts=max(attempts) if capped and None not in attempts else None,
        capped=capped,
        deadline=all(p.deadline for p in policies),
        retry_all=any(p.retry_all for p in policies),
        retry_on=[ref for p in policies for ref in p.retry_on],
        predicate=any(p.predicate for p in policies),
        retries_exceptions=any(p.retries_exceptions for p in policies),
        classifier=all(p.classifier for p in policies),
        waits=all(p.waits for p in policies),
    )


def is_policy_object(spec, policy: cst.Call, scope: Scope) -> bool:
    """``policy`` builds one of the catalog's policy objects (not a policy built elsewhere)."""
    return scope.model.qualify(policy.func, scope) in spec.policy_objects


def last_statement(body) -> cst.CSTNode | None:
    """The last simple statement of a block (``raise`` in ``log(e); raise``), or its last compound one."""
    statements = body.body
    if not statements:
        return None
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return last.body[-1]
    return last
