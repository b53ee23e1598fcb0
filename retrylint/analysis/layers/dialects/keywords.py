"""The keyword dialect: a policy written as plain keyword arguments (``max_tries=5``,
``autoretry_for=(...)``, ``retry_backoff=True``), whose meaning each catalog ``[[layer]]``
declares (backoff, stamina, task queues, call-site policies, users' own libraries)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.catalog import Catalog, LayerSpec
from retrylint.analysis.layers.dialects.templates import BACKOFF, CAP, NEVER_RETRY, FixTemplate
from retrylint.analysis.layers.layer import Policy, keywords_of, positional
from retrylint.analysis.known_values import counted
from retrylint.analysis.layers.predicate_bounds import predicate_reading
from retrylint.analysis.model import NO_LITERAL, Scope
from retrylint.analysis.options import unpacked_options

if TYPE_CHECKING:
    from retrylint.analysis.layers.finder import LayerFinder


def fix_templates(catalog: Catalog, spec: LayerSpec) -> dict[str, tuple[FixTemplate, ...]]:
    """The layer's own ``fix`` keys: ``cap`` and ``never_retry`` name a parameter (a
    ``never_retry_style = "predicate"`` one takes a callable), ``backoff`` is ``k=v; k=v``. The cap
    is written in the unit of the layer's attempts keyword (``attempts.counts``)."""
    templates = {}
    if spec.fix_cap:
        templates[CAP] = (FixTemplate(spec.fix_cap, "{n}", counts=spec.attempts.counts),)
    if spec.fix_never_retry:
        value = "lambda error: isinstance(error, {errors})" if spec.fix_never_retry_style == "predicate" else "{errors}"
        templates[NEVER_RETRY] = (FixTemplate(spec.fix_never_retry, value),)
    if spec.fix_backoff:
        pairs = (pair.strip().split("=", 1) for pair in spec.fix_backoff.split(";"))
        templates[BACKOFF] = tuple(FixTemplate(keyword, value) for keyword, value in pairs)
    return templates


def call_options(spec: LayerSpec, call: cst.Call | None, scope: Scope) -> dict:
    """The options ``call`` passes: its keywords, and the retry set when given by position."""
    options, _ = unpacked_options(call, scope)
    options.update({name: (arg.value, scope) for name, arg in keywords_of(call).items()})
    for param, position in ((spec.retry_on_param, spec.retry_on_position), (spec.attempts.param, spec.attempts.position),
                            (spec.backoff.generator.param, spec.backoff.generator.position)):
        if param and position is not None and param not in options:
            arg = positional(call, position)
            if arg is not None:
                options[param] = (arg.value, scope)
    return options


def read_policy(finder: "LayerFinder", spec: LayerSpec, call: cst.Call | None, scope: Scope, options: dict | None = None) -> Policy:
    """``options`` maps a parameter to its expression and scope (decorator keywords, or
    a Task class's attributes); built from ``call`` when not given."""
    model = finder.model
    if options is None:
        options = call_options(spec, call, scope)
    policy = Policy()
    capped, count, policy.by_default = _attempts(finder, spec, options)
    deadline = _deadline(model, spec, options)
    policy.attempts, policy.deadline = count, deadline
    policy.capped = capped or deadline
    _retry_on(finder, spec, call, options, policy)
    for param in spec.never_retry:
        if param in options:
            expr, where = options[param]
            if finder.is_callable_predicate(expr, where):
                gives_up_on = predicate_reading(model, expr, where)  # ``giveup=`` that tests isinstance only
                if gives_up_on is not None and gives_up_on.accepted and not gives_up_on.excluded:
                    policy.never_retry = gives_up_on.accepted
                else:
                    policy.classifier = True
            else:
                policy.never_retry = finder.exception_refs(expr, where, call)
                # a list of only errors a retry heals (throws=(TimeLimitExceeded,)) stops nothing that never heals
                policy.classifier = any(ref.name not in model.catalog.transient for ref in policy.never_retry)
    for param in spec.predicate_params:
        if param in options:
            policy.retry_all, policy.predicate, policy.classifier = False, True, True
            if spec.predicate_replaces_attempts:
                policy.capped, policy.attempts = True, None
    policy.waits = _waits(model, spec, options)
    if unpacked_options(call, scope)[1]:
        _unknown_where_unread(spec, options, policy)
    return policy


def _unknown_where_unread(spec: LayerSpec, options: dict, policy: Policy) -> None:
    """``**self.config`` may hold any option the call leaves out: those are unknown, not defaults."""
    if spec.attempts.param not in options and not policy.capped:
        policy.capped, policy.attempts = True, None
    if spec.retry_on_param not in options:
        policy.predicate, policy.classifier, policy.retry_all = True, True, False
    if spec.never_retry and not any(p in options for p in spec.never_retry):
        policy.classifier = True  # a ``giveup=`` may be in there
    policy.waits = True


def _attempts(finder, spec: LayerSpec, options: dict) -> tuple[bool, int | None, bool]:
    """(capped, worst-case total attempts, whether that count is a default the program may set
    otherwise) from the attempts parameter and its default."""
    model = finder.model
    attempts = spec.attempts
    capped, count = attempts.default is not None, attempts.default
    if attempts.default is not None:
        count = attempts.total(attempts.default)
    by_default = False
    if attempts.param in options:
        found = counted(finder.known(*options[attempts.param]))
        value, by_default = (found.value, found.default) if found is not None else (NO_LITERAL, False)
        if value is True and attempts.true == "unbounded":
            capped, count = False, None
        elif value is False:
            capped, count = True, 1
        elif value is None:
            if attempts.none == "unbounded":
                capped, count = False, None
        elif isinstance(value, int) and not isinstance(value, bool):
            if value <= 0 and attempts.nonpositive == "unbounded":
                capped, count = False, None
            else:
                capped, count = True, attempts.total(value)
        else:
            capped, count = True, None
    if not capped and any(
        p in options and model.literal(*options[p]) is not None for p in attempts.other_caps
    ):
        capped, count = True, None
    return capped, count, by_default and count is not None


def _deadline(model, spec: LayerSpec, options: dict) -> bool:
    deadline = spec.deadline_default is not None
    for param in spec.deadline_params:
        if param in options:
            value = model.literal(*options[param])
            if value is None:
                deadline = False
            elif isinstance(value, (int, float)) and value <= 0 and spec.deadline_nonpositive == "unbounded":
                deadline = False
            else:
                deadline = True
    return deadline


def _retry_on(finder: "LayerFinder", spec: LayerSpec, call: cst.Call | None, options: dict, policy: Policy) -> None:
    """What triggers a retry: every exception, the given set, a predicate, or none at all."""
    if spec.retries_nothing:
        policy.retry_all, policy.retries_exceptions = False, spec.retry_on_param is not None
        if spec.retry_on_param in options:
            _retry_set(finder, policy, *options[spec.retry_on_param], call)
        elif spec.retry_on_param is not None:
            policy.retries_exceptions = False
    elif spec.retry_on_param in options:
        _retry_set(finder, policy, *options[spec.retry_on_param], call)
    else:
        policy.retry_all = True


def _retry_set(finder: "LayerFinder", policy: Policy, expr, scope, owner) -> None:
    if finder.is_callable_predicate(expr, scope):
        policy.retry_all, policy.predicate, policy.classifier = False, True, True
        return
    policy.retry_all = False
    policy.retries_exceptions = True
    policy.retry_on = finder.exception_refs(expr, scope, owner)


def _waits(model, spec: LayerSpec, options: dict) -> bool:
    waits = spec.waits
    delays = [model.literal(*options[p]) for p in spec.delay_params if p in options]
    if delays:
        growth = any(model.literal(*options[g]) not in (False, None, 0, NO_LITERAL) for g in spec.growth_params if g in options)
        jitter = any(j not in options or model.literal(*options[j]) not in (False, None, 0) for j in spec.backoff.jitter_params)
        waits = growth or jitter or any(d not in (0, 0.0, None) for d in delays)
    if waits and _generator_waits_nothing(model, spec, options):
        waits = False
    if any(param in options for param in spec.wait_params):
        waits = True
    return waits


def _generator_waits_nothing(model, spec: LayerSpec, options: dict) -> bool:
    """The wait generator is one the catalog names with a keyword given as a literal 0
    (``backoff.constant, interval=0``); a generator left to its defaults waits."""
    generator = spec.backoff.generator
    if generator.param not in options:
        return False
    name = model.qualify(*options[generator.param])
    for entry in generator.zero_when:
        qualified, _, keyword = entry.rpartition(":")
        if qualified == name and keyword in options:
            value = model.literal(*options[keyword])
            if not isinstance(value, bool) and value in (0, 0.0):
                return True
    return False
