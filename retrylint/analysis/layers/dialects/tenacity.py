"""The tenacity dialect: a policy written as builder expressions (``stop=stop_after_attempt(3)
| stop_after_delay(10)``, ``retry=retry_if_exception_type(...)``, ``wait=wait_fixed(0)``).
Which qualified names are which builder comes from the catalog's ``[tenacity]`` table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.catalog import Catalog, LayerSpec
from retrylint.analysis.layers.dialects.templates import FixTemplate
from retrylint.analysis.layers.layer import Policy, keywords_of
from retrylint.analysis.known_values import counted
from retrylint.analysis.layers.predicate_bounds import predicate_bound, predicate_reading
from retrylint.analysis.layers.stop_functions import stop_function
from retrylint.analysis.model import NO_LITERAL, Scope
from retrylint.analysis.options import unpacked_options
from retrylint.analysis.project import layer_names

if TYPE_CHECKING:
    from retrylint.analysis.layers.finder import LayerFinder


def read_policy(finder: "LayerFinder", spec: LayerSpec, call: cst.Call | None, scope: Scope, options: dict | None = None) -> Policy:
    """The policy of ``call``'s ``stop=``, ``retry=`` and ``wait=`` (a bare ``@retry``: forever, on anything)."""
    return _TenacityReader(finder).policy(call, scope)


def fix_templates(catalog: Catalog, spec: LayerSpec) -> dict[str, tuple[FixTemplate, ...]]:
    """The catalog's ``[tenacity.fix]`` templates; ``replaces`` names a ``[tenacity]`` builder group."""
    templates = {}
    for purpose, table in catalog.tenacity.get("fix", {}).items():
        replaces = catalog.tenacity_names(table["replaces"]) if "replaces" in table else ()
        templates[purpose] = (FixTemplate(table["keyword"], table["value"], table.get("join"), replaces, table.get("message"),
                                          table.get("counts", "attempts")),)
    return templates


class _TenacityReader:
    def __init__(self, finder: "LayerFinder"):
        self.finder = finder
        self.model = finder.model
        self.catalog = finder.catalog
        self.following: set[int] = set()  # the bound values being read, against a name bound to itself
        self.by_default = False  # a count of the stop is a default the program may set otherwise
        self.stop_note = ""  # why a stop function never stops

    def policy(self, call: cst.Call | None, scope: Scope) -> Policy:
        """What ``**options`` cannot tell (``@retry(**self.config)``) is unknown: a stop, a
        classifier and a wait may all be in there."""
        kw, unreadable = unpacked_options(call, scope)
        kw.update({name: (arg.value, scope) for name, arg in keywords_of(call).items()})
        policy = Policy(capped=unreadable)
        if "stop" in kw:
            policy.attempts, policy.capped, policy.deadline = self._stop(*kw["stop"])
            policy.by_default = self.by_default and policy.attempts is not None
            policy.note = "" if policy.capped else self.stop_note
        policy.retry_all = True
        if "retry" in kw:
            self._retry(*kw["retry"], policy, call)
        elif unreadable:
            policy.retry_all, policy.predicate, policy.classifier = False, True, True
        policy.waits = self._waits(*kw["wait"]) if "wait" in kw else unreadable
        return policy

    def _names(self, key: str) -> tuple[str, ...]:
        return self.catalog.tenacity_names(key)

    def _stop(self, expr, scope) -> tuple[int | None, bool, bool]:
        """(attempts, capped, deadline) of a tenacity stop expression."""
        model = self.model
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitOr, cst.BitAnd)):
            parts = [self._stop(expr.left, scope), self._stop(expr.right, scope)]
            return _combine_stops(parts, any_=isinstance(expr.operator, cst.BitOr))
        target = model.qualify(expr.func if isinstance(expr, cst.Call) else expr, scope)
        if isinstance(expr, cst.Call) and target in self._names("stop_any") + self._names("stop_all"):
            parts = [self._stop(arg.value, scope) for arg in expr.args]
            return _combine_stops(parts, any_=target in self._names("stop_any"))
        if target in self._names("stop_never"):
            return None, False, False
        if isinstance(expr, cst.Call) and target in self._names("stop_after_attempts"):
            found = counted(self.finder.known(expr.args[0].value, scope)) if expr.args else None
            value = found.value if found is not None else NO_LITERAL
            if isinstance(value, int) and not isinstance(value, bool):
                self.by_default = self.by_default or found.default
                return value, True, False
            return None, True, False
        if isinstance(expr, cst.Call) and target in self._names("stop_after_time"):
            return None, True, True
        read = stop_function(model, expr, scope)  # a project stop function, where it is simple
        if read is None:
            return None, True, False  # stop_when_event_set or another custom stop: assume it stops
        self.stop_note = self.stop_note or read[1]
        return read[0]

    def _retry(self, expr, scope, policy: Policy, owner: cst.Call | None) -> None:
        """Read a tenacity retry= expression into ``policy``: a name bound to one in this function
        or module is read as its value; a conditional one (``A if hasattr(cohere, "error") else B``)
        retries what either branch retries, since either may be the one in effect."""
        model = self.model
        bound = _bound_value(expr, scope)
        if bound is not None and id(bound[0]) not in self.following:  # ``c = c if x else y`` ends here
            self.following.add(id(bound[0]))
            self._retry(*bound, policy, owner)
            self.following.discard(id(bound[0]))
            return
        if isinstance(expr, cst.IfExp):
            self._combine_retries([expr.body, expr.orelse], scope, policy, owner, any_=True)
            return
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitOr, cst.BitAnd)):
            self._combine_retries([expr.left, expr.right], scope, policy, owner, any_=isinstance(expr.operator, cst.BitOr))
            return
        target = model.qualify(expr.func if isinstance(expr, cst.Call) else expr, scope)
        if isinstance(expr, cst.Call) and target in self._names("retry_any") + self._names("retry_all"):
            self._combine_retries([a.value for a in expr.args], scope, policy, owner, any_=target in self._names("retry_any"))
            return
        if target in self._names("retry_types"):
            arg = expr.args[0].value if isinstance(expr, cst.Call) and expr.args else None
            if arg is None:
                policy.retry_all = True
            else:
                policy.retry_all = False
                policy.retry_on = self.finder.exception_refs(arg, scope, owner)
        elif target in self._names("retry_not_types"):
            arg = expr.args[0].value if isinstance(expr, cst.Call) and expr.args else None
            policy.retry_all = True
            policy.never_retry = self.finder.exception_refs(arg, scope, owner) if arg is not None else []
        elif target in self._names("retry_results") or target in self._names("retry_never"):
            policy.retry_all = False
            policy.retries_exceptions = False
        elif target in self._names("retry_always"):
            policy.retry_all = True
        else:  # retry_if_exception(pred), message matchers, custom callables
            reading = None
            if isinstance(expr, cst.Call) and target in self._names("retry_predicate") and expr.args:
                reading = predicate_reading(model, expr.args[0].value, scope)
                policy.predicate_bound = predicate_bound(model, expr.args[0].value, scope)
            if reading is not None and not reading.denied:  # isinstance tests only: as retry_if_exception_type(...) & ..._not_...
                policy.retry_all, policy.retry_on = reading.accepted is None, list(reading.accepted or [])
                policy.never_retry = reading.excluded
                return
            policy.retry_all = False
            policy.predicate = True
            policy.classifier = True
            if reading is not None:  # every error but those excluded and those its helpers turn down
                policy.never_retry, policy.denied_by = reading.excluded, reading.denied

    def _combine_retries(self, exprs, scope, policy: Policy, owner, any_: bool) -> None:
        parts = []
        for expr in exprs:
            part = Policy()
            self._retry(expr, scope, part, owner)
            parts.append(part)
        exceptions = [p for p in parts if p.retries_exceptions]
        if not exceptions:
            policy.retry_all, policy.retries_exceptions = False, False
            return
        if any_:
            policy.retry_all = any(p.retry_all for p in exceptions)
            policy.never_retry = [r for p in exceptions for r in p.never_retry] if all(p.never_retry for p in exceptions) else []
        else:
            policy.retry_all = all(p.retry_all for p in exceptions)
            policy.never_retry = [r for p in exceptions for r in p.never_retry]
        policy.retry_on = [r for p in exceptions for r in p.retry_on]
        policy.predicate = any(p.predicate for p in exceptions)
        predicates = [p.predicate_bound for p in exceptions if p.predicate]
        if predicates and None not in predicates:
            policy.predicate_bound = [r for bound in predicates for r in bound]
        policy.classifier = any(p.classifier for p in exceptions) or bool(policy.never_retry)

    def _waits(self, expr, scope) -> bool:
        model = self.model
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._waits(expr.left, scope) or self._waits(expr.right, scope)
        target = model.qualify(expr.func if isinstance(expr, cst.Call) else expr, scope)
        if target in self._names("wait_none"):
            return False
        if isinstance(expr, cst.Call) and target in self._names("wait_fixed") and expr.args:
            return model.literal(expr.args[0].value, scope) not in (0, 0.0)
        return True


def _bound_value(expr, scope: Scope):
    """The retry condition a local or module name is bound to (``retry=retry_conditions``), in this
    module or, imported, in the project module that binds it (cognee's ``llm_retry_condition``)."""
    if not isinstance(expr, cst.Name):
        return None
    binding = scope.lookup(expr.value)
    for _ in range(4):  # a re-export or two on the way
        if binding is None or not binding.imported or binding.qualname is None or scope.model.project is None:
            break
        with layer_names(scope.model):
            exported = scope.model.project.exported_binding(binding.qualname, scope.model.root)
        if exported is None:
            return None
        binding, scope = exported[0], exported[1].scope
    if binding is None or binding.qualname is not None or binding.scope is None:
        return None
    if isinstance(binding.value, (cst.Call, cst.IfExp)) and binding.value is not binding.annotation:
        return binding.value, binding.scope
    return None


def _combine_stops(parts, any_: bool):
    if any_:  # stops at the earliest
        capped = [p for p in parts if p[1]]
        if not capped:
            return None, False, False
        counts = [p[0] for p in capped if p[0] is not None]
        return (min(counts) if counts else None), True, any(p[2] for p in capped)
    if not all(p[1] for p in parts):  # stops only when every part would
        return None, False, False
    counts = [p[0] for p in parts]
    attempts = max(counts) if all(c is not None for c in counts) else None
    return attempts, True, any(p[2] for p in parts)
