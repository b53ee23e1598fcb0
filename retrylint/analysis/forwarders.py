"""Project functions that only forward their arguments to a paid SDK call: swarms'
``def completion(*args, **kwargs): return backend_module().completion(*args, **kwargs)``
(utils/llm_backend.py). A call of one is that SDK call, made with the arguments written where
it is called (``completion(**params)`` with ``params["num_retries"] = 3``), so it is read there:
its retry keywords, its client's retries and the layers it makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.model.tree import is_docstring
from retrylint.analysis.model.typeflow import tracing

if TYPE_CHECKING:
    from retrylint.analysis.model import Function, ModuleModel


def forwarded(model: "ModuleModel", target: str | None) -> str | None:
    """The paid SDK module function the project function ``target``, of the same name, forwards
    all its arguments to, unchanged; None when ``target`` is no such function."""
    if not target or target.rpartition(".")[2] not in model.catalog.module_function_leaves:
        return None  # named otherwise, it is not looked into: that would resolve every call
    function = model.resolve_function(target)
    if function is None:
        return None
    owner = function.scope.model
    key = id(function)
    if key not in owner.forwarded_calls:
        owner.forwarded_calls[key] = _forwarded(owner, function)
    return owner.forwarded_calls[key]


def _forwarded(model: "ModuleModel", function: "Function") -> str | None:
    node = function.node
    if not isinstance(node, cst.FunctionDef) or function.cls is not None:
        return None
    params = node.params
    star_kwarg = params.star_kwarg
    star_arg = params.star_arg if isinstance(params.star_arg, cst.Param) else None
    if star_kwarg is None or params.params or params.posonly_params or params.kwonly_params:
        return None
    call = _returned_call(node)
    if call is None:
        return None
    expected = {("*", star_arg.name.value)} if star_arg is not None else set()
    expected.add(("**", star_kwarg.name.value))
    passed = {(arg.star, arg.value.value) for arg in call.args if arg.star and isinstance(arg.value, cst.Name)}
    if len(call.args) != len(expected) or passed != expected:
        return None
    with tracing():  # how it is resolved in there is not how the call is: the chain names the call
        target = model.qualify(call.func, function.scope)
    if target is None or model.catalog.billable(target) is None or model.resolve_function(target) is not None:
        return None
    return target


def _returned_call(node: cst.FunctionDef) -> cst.Call | None:
    """The call a body of one ``return [await] call(...)`` (after a docstring) returns."""
    body = list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []
    if body and is_docstring(body[0]):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return None
    statement = body[0].body[0]
    value = statement.value if isinstance(statement, cst.Return) else None
    value = value.expression if isinstance(value, cst.Await) else value
    return value if isinstance(value, cst.Call) else None
