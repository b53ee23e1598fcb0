"""A paid SDK method handed to a project function that calls it: ``self._call_client(
self._client.chat.completions.create, **params)`` where ``_call_client(self, call, *args, **kwargs)``
does ``return call(*args, **kwargs)`` (camel-ai 0.2.90 models/base_model.py:392). The call to
the project function is the paid call: it sends the request with the arguments given here.
So is a call of what a project wrapper factory returns for it, ``track_costs(litellm.acompletion)
(**kwargs)``, when the factory returns a function of its own that calls the parameter (fhlmi 1.10
cost_tracker.py: ``def wrapped_func(*args, **kwargs): ... await func(*args, **kwargs)``), and a
call of a project function that passes everything on to one (forwarders.py: swarms' ``completion``).
So is a call handing a lambda whose body is a paid call to a project function calling that parameter
(fast-graphrag 0.0.5 ``_execute_with_inner_retries(operation=lambda: client.aio.models.generate_content(...))``):
the request is the lambda's call, made under the retry layers of that function around its call of the
parameter (``handed_layers``: its retry loop, for RTL005), so each caller sees its own lambda's call."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import libcst as cst

from retrylint.analysis.forwarders import forwarded
from retrylint.analysis.handed_lambdas import lambda_function
from retrylint.analysis.model import descendants
from retrylint.analysis.model.typeflow import ARGUMENT, tracing

LAMBDA = "lambda handed"  # the chain's link: a paid call a lambda makes, handed to a project function calling it

if TYPE_CHECKING:
    from retrylint.analysis.model import Function, ModuleModel
    from retrylint.analysis.model.symbols import Scope
    from retrylint.catalog import BillableSpec, Catalog


class Handed(NamedTuple):
    target: str  # the paid method, qualified
    spec: "BillableSpec"
    # How it is named (a local name read through its assignment): its client's receiver; for a lambda
    # handed, the call its body makes (with that call's own arguments).
    func: cst.BaseExpression
    steps: list[str] | None = None  # how the chain's link was resolved, when not by the called name's
    callee: "Function | None" = None  # the project function handed it, calling it as its parameter ``param``
    param: str | None = None


def handed_billable(catalog: "Catalog", model: "ModuleModel", call: cst.Call, function: "Function",
                    called: str | None) -> Handed | None:
    """The billable method passed at ``call`` (in ``function``) to the project function ``called``
    names, for a parameter that function calls, or the billable call a lambda passed so makes."""
    scope = function.scope
    if isinstance(call.func, cst.Call):
        return _wrapped_billable(catalog, model, call.func, scope)
    passed_on = forwarded(model, called)
    if passed_on is not None:  # ``completion(**params)``: its arguments are the paid call's
        return Handed(passed_on, catalog.billable(passed_on), call.func)
    callee = model.resolve_function(called) if called is not None else None
    if callee is None:
        return None
    params = [p for p in callee.params if p.name.value != callee.scope.self_name]
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    keywords = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
    for index, param in enumerate(params):
        name = param.name.value
        arg = keywords.get(name) or (positional[index] if index < len(positional) else None)
        if arg is not None and isinstance(arg.value, cst.Lambda) and _calls(callee, name):
            found = _lambda_billable(catalog, function, arg.value, callee, name)
            if found is not None:
                return found
        if arg is None or not isinstance(arg.value, (cst.Name, cst.Attribute)) or not _calls(callee, name):
            continue
        target = model.qualify(arg.value, scope)
        spec = catalog.billable(target) if target is not None else None
        if spec is not None and model.resolve_function(target) is None:
            return Handed(target, spec, _named(arg.value, scope))
    return None


def _lambda_billable(catalog: "Catalog", function: "Function", handed: cst.Lambda, callee: "Function",
                     param: str) -> Handed | None:
    """``operation=lambda: client.aio.models.generate_content(...)`` handed to ``callee``, which calls
    ``operation``: the paid call the lambda's body makes (a coroutine the callee awaits, or a result)."""
    made = lambda_function(function, handed)
    body = handed.body
    if not isinstance(body, cst.Call):
        return None
    model = made.scope.model
    with tracing() as steps:
        target = model.qualify(body.func, made.scope)
    spec = catalog.billable(target) if target is not None else None
    if spec is None or model.resolve_function(target) is not None:
        return None
    return Handed(target, spec, body, [*steps, LAMBDA], callee, param)


def handed_layers(handed: Handed | None, layers_of) -> list:
    """The retry layers of the project function a lambda was handed to whose unit calls its
    parameter (``for attempt in range(4): ... await operation()``): each retries the lambda's call."""
    if handed is None or handed.callee is None:
        return []
    return [layer for layer in layers_of(handed.callee) if layer.unit_root is not None and any(
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == handed.param
        for node in (layer.unit_root, *descendants(layer.unit_root)))]


def sent_call(call: cst.Call, handed: Handed | None) -> cst.Call:
    """The request ``call`` makes: itself, or the paid call handed with it (a lambda's body, or the
    method handed, called with ``call``'s arguments)."""
    if handed is None:
        return call
    return handed.func if isinstance(handed.func, cst.Call) else call.with_changes(func=handed.func)


def _named(expr: cst.BaseExpression, scope: "Scope") -> cst.BaseExpression:
    """``create`` after ``create = client.chat.completions.create``: that attribute."""
    binding = scope.names.get(expr.value) if isinstance(expr, cst.Name) else None
    return binding.value if binding is not None and isinstance(binding.value, cst.Attribute) else expr


def _calls(callee: "Function", name: str) -> bool:
    """``callee`` calls its parameter ``name`` itself (``call(*args, **kwargs)``), never rebinding it."""
    binding = callee.scope.names.get(name)
    if binding is None or binding.value is not binding.annotation:
        return False  # ``call = something_else``
    return any(isinstance(site.node.func, cst.Name) and site.node.func.value == name for site in callee.calls)


def _wrapped_billable(catalog: "Catalog", model: "ModuleModel", factory_call: cst.Call, scope: "Scope") -> Handed | None:
    """``track_costs(litellm.acompletion)``: the paid method handed first to a project factory
    that returns a function of its own calling that parameter."""
    factory = model.resolve_function(model.qualify(factory_call.func, scope))
    handed = factory_call.args[0] if factory_call.args and factory_call.args[0].keyword is None else None
    params = [p for p in factory.params if p.name.value != factory.scope.self_name] if factory is not None else []
    if handed is None or not params or not isinstance(handed.value, (cst.Name, cst.Attribute)):
        return None
    inner = _returned_function(factory)
    if inner is None or inner.scope.names.get(params[0].name.value) is not None or not any(
            isinstance(site.node.func, cst.Name) and site.node.func.value == params[0].name.value for site in inner.calls):
        return None  # the returned function does not call the parameter (or rebinds its name)
    target = model.qualify(handed.value, scope)
    spec = catalog.billable(target) if target is not None else None
    if spec is None or model.resolve_function(target) is not None:
        return None
    return Handed(target, spec, _named(handed.value, scope), [ARGUMENT])


def _returned_function(factory: "Function") -> "Function | None":
    """The function defined in ``factory`` that it returns (``return wrapped_func``)."""
    body = factory.node.body if isinstance(factory.node, cst.FunctionDef) else None
    for statement in body.body if isinstance(body, cst.IndentedBlock) else ():
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Return) and isinstance(small.value, cst.Name):
                binding = factory.scope.names.get(small.value.value)
                return binding.function if binding is not None else None
    return None
