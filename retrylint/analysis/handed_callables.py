"""A retried unit that calls a parameter of its function (fhlmi 1.10 ``_run_with_fallbacks(self,
attempt, /, *args, **kwargs)``: ``result = await attempt(spec, *args, **kwargs)`` under
``AsyncRetrying``) runs what the function's callers hand it: ``self._run_with_fallbacks(self._dispatch,
...)`` in ``LLMModel.call``. Only a function that holds a retry layer is followed so, one hop back,
to the callers in its own module; ``self.<name>`` handed from a base class's method is read on the
instance the layer's method runs on (its class, as ``typeflow.receiving`` reads it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.model.caller_args import argument_for
from retrylint.analysis.model.typeflow import ARGUMENT, receiving

if TYPE_CHECKING:
    from retrylint.analysis.model import CallSite, Function

MAX_HANDED = 4  # distinct functions followed from one parameter


def handed_callees(function: "Function", site: "CallSite") -> list[tuple["Function", str]]:
    """The project functions the callers of ``function`` in its module hand to the parameter that ``site`` calls."""
    index = _parameter_index(function, site.node.func)
    if index is None:
        return []
    model, found = function.scope.model, {}
    for caller in model.functions:
        for other in caller.calls:
            if _calls(caller, other.node.func, function):
                callee = _handed(caller, other.node, function, index)
                if callee is not None and callee is not function:
                    found.setdefault(id(callee), callee)
                if len(found) >= MAX_HANDED:
                    return [(callee, ARGUMENT) for callee in found.values()]
    return [(callee, ARGUMENT) for callee in found.values()]


def _parameter_index(function: "Function", func: cst.BaseExpression) -> int | None:
    """The position (``self`` left out) of the parameter ``func`` names, never rebound in ``function``."""
    if not isinstance(func, cst.Name):
        return None
    binding = function.scope.names.get(func.value)
    if binding is None or binding.value is not binding.annotation:
        return None
    names = [p.name.value for p in function.params if p.name.value != function.scope.self_name]
    return names.index(func.value) if func.value in names else None


def _calls(caller: "Function", func: cst.BaseExpression, function: "Function") -> bool:
    """``func`` (in ``caller``) names ``function``: resolved so, or ``self.<name>`` in a method of
    one of its class's bases that leaves the name to subclasses."""
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if name != function.name:
        return False
    model = caller.scope.model
    with receiving(function.cls):
        resolved = model.resolve_function(model.qualify(func, caller.scope))
    if resolved is not None:
        return resolved is function
    return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and caller.cls is not None \
        and function.cls is not None and func.value.value == caller.scope.self_name \
        and any(info is caller.cls for info in model.class_mro(function.cls))


def _handed(caller: "Function", call: cst.Call, function: "Function", index: int) -> "Function | None":
    """The project function ``call`` passes for the parameter at ``index``."""
    params = [p for p in function.params if p.name.value != function.scope.self_name]
    given = argument_for(call, function, params[index])  # (expression, None): written in the call
    if not isinstance(given, tuple) or given[1] is not None or not isinstance(given[0], (cst.Name, cst.Attribute)):
        return None
    value = given[0]
    model = caller.scope.model
    with receiving(function.cls):
        found = model.resolve_function(model.qualify(value, caller.scope))
    if found is None and isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) \
            and value.value.value == caller.scope.self_name and function.cls is not None:
        found = model.method_of(function.cls, value.attr.value)  # ``self._dispatch``: the instance's method
    return found
