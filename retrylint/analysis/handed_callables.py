"""A retried unit that calls a parameter of its function (fhlmi 1.10 ``_run_with_fallbacks(self,
attempt, /, *args, **kwargs)``: ``result = await attempt(spec, *args, **kwargs)`` under
``AsyncRetrying``) runs what the function's callers hand it: ``self._run_with_fallbacks(self._dispatch,
...)`` in ``LLMModel.call``. Only a function that holds a retry layer is followed so, one hop back,
to the callers in its own module; ``self.<name>`` handed from a base class's method is read on the
instance the layer's method runs on (its class, as ``typeflow.receiving`` reads it).

A callable stored on the instance in ``__init__`` from one of its parameters (kiln-ai 1.2
``AsyncJobRunner(jobs, run_job_fn=self.run_job, max_retries=2)``, whose worker loop calls
``run_job_fn(job)`` handed ``self.run_job_fn``) runs what the constructions of the class hand that
parameter, in the modules of its package that make one (given_clients.modules_calling). Only a
parameter with no default is the work so: one defaulting to None is an optional hook.

A lambda handed so (fast-graphrag 0.0.5 ``_execute_with_inner_retries(operation=lambda: ...)``,
positionally or by keyword) runs its body: it is read as a function of its own (handed_lambdas.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.given_clients import modules_calling
from retrylint.analysis.handed_lambdas import lambda_function
from retrylint.analysis.model.caller_args import argument_for, makes_instance
from retrylint.analysis.model.symbols import identifier
from retrylint.analysis.model.typeflow import ARGUMENT, receiving

if TYPE_CHECKING:
    from retrylint.analysis.model import CallSite, Function

MAX_HANDED = 4  # distinct functions followed from one parameter


def handed_callees(function: "Function", site: "CallSite") -> list[tuple["Function", str]]:
    """The project functions the callers of ``function`` in its module hand to the parameter that ``site`` calls."""
    index = _parameter_index(function, site.node.func)
    if index is None:  # ``self.run_job_fn(job)``
        return [(callee, ARGUMENT) for callee in _stored(function, site.node.func)]
    model, found = function.scope.model, {}
    for caller in model.functions:
        for other in caller.calls:
            if _calls(caller, other.node.func, function):
                for callee in _handed(caller, other.node, function, index):
                    if callee is not function:
                        found.setdefault(id(callee), callee)
                if len(found) >= MAX_HANDED:
                    return [(callee, ARGUMENT) for callee in list(found.values())[:MAX_HANDED]]
    return [(callee, ARGUMENT) for callee in found.values()]


def handed_arguments(function: "Function", func: cst.BaseExpression) -> list[tuple["Function | None", cst.BaseExpression, "Function"]]:
    """What the callers of ``function`` in its module write for the parameter ``func`` names: each
    as (the project function it names, if any; the expression; the caller)."""
    index = _parameter_index(function, func)
    if index is None:
        return []
    params = [p for p in function.params if p.name.value != function.scope.self_name]
    found = []
    for caller in function.scope.model.functions:
        for other in caller.calls:
            given = argument_for(other.node, function, params[index]) if _calls(caller, other.node.func, function) else None
            if isinstance(given, tuple) and given[1] is None and len(found) < 2 * MAX_HANDED:
                named = _function_of(given[0], caller, function.cls) if isinstance(given[0], (cst.Name, cst.Attribute)) else None
                found.append((named, given[0], caller))
    return found


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


def _handed(caller: "Function", call: cst.Call, function: "Function", index: int) -> list["Function"]:
    """The project functions ``call`` passes for the parameter at ``index``."""
    params = [p for p in function.params if p.name.value != function.scope.self_name]
    given = argument_for(call, function, params[index])  # (expression, None): written in the call
    if isinstance(given, tuple) and given[1] is None and isinstance(given[0], cst.Lambda):
        return [lambda_function(caller, given[0])]  # ``operation=lambda: client.generate(...)``
    if not isinstance(given, tuple) or given[1] is not None or not isinstance(given[0], (cst.Name, cst.Attribute)):
        return []
    found = _function_of(given[0], caller, function.cls)
    if found is None and function.cls is not None and _on_self(given[0], caller):
        return _stored(caller, given[0])  # ``self.run_job_fn``: what the constructions hand ``__init__``
    return [found] if found is not None else []


def _on_self(value: cst.BaseExpression, function: "Function") -> bool:
    return isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) \
        and function.cls is not None and value.value.value == function.scope.self_name


def _function_of(value: cst.BaseExpression, caller: "Function", cls) -> "Function | None":
    """The project function ``value`` (written in ``caller``) names; ``self.<name>`` is read on ``cls``."""
    model = caller.scope.model
    with receiving(cls):
        found = model.resolve_function(model.qualify(value, caller.scope))
    if found is None and cls is not None and _on_self(value, caller):
        found = model.method_of(cls, value.attr.value)  # ``self._dispatch``: the instance's method
    return found


def _stored(method: "Function", value: cst.BaseExpression) -> list["Function"]:
    """``self.<name>`` that the class's ``__init__`` binds to its parameter: the project functions
    the constructions of the class found hand that parameter (those that name one)."""
    if not _on_self(value, method):
        return []
    model = method.scope.model
    binding = next((found for info in model.class_mro(method.cls)
                    if (found := info.self_attrs.get(identifier(value.attr.value))) is not None), None)
    if binding is None or not isinstance(binding.value, cst.Name) or binding.scope is None:
        return []
    param = binding.scope.names.get(identifier(binding.value.value))
    init = param.parameter_of if param is not None else None
    if init is None or param.param is None or param.param.default is not None or init.name != "__init__" or init.cls is None:
        return []  # an optional hook (``on_retry=None``) is not the work each attempt runs
    found: dict[int, "Function"] = {}
    for other in modules_calling(init.scope.model, {init.cls.name}):
        for caller in other.functions:
            for site in caller.calls:
                if len(found) < MAX_HANDED and _names(site.node.func, init.cls.name) \
                        and makes_instance(other, caller, site, init):
                    given = argument_for(site.node, init, param.param)
                    if isinstance(given, tuple) and given[1] is None and isinstance(given[0], (cst.Name, cst.Attribute)):
                        callee = _function_of(given[0], caller, caller.cls)
                        if callee is not None:
                            found.setdefault(id(callee), callee)
    return list(found.values())


def _names(func: cst.BaseExpression, name: str) -> bool:
    return (func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None) == name
