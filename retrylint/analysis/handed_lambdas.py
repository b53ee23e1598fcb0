"""A lambda handed to a project function that calls the parameter it lands in (fast-graphrag 0.0.5
_llm_genai.py: ``await _execute_with_inner_retries(operation=lambda: self.llm_async_client.aio.models
.generate_content(...), ...)``, whose retry loop does ``result = await operation()``): the lambda's
body is what each call of the parameter runs. It is read as a function of its own, written where
the lambda is (its names resolve there; its parameters shadow them), holding the calls of its body
in execution order (arguments before the call); one per lambda, so the reach of each is solved once."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import CallSite, Function, Scope
from retrylint.analysis.model.symbols import Binding, identifier
from retrylint.analysis.model.tree import children

_NEW_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def lambda_function(caller: Function, node: cst.Lambda) -> Function:
    """The function the lambda ``node`` written in ``caller`` is read as."""
    model = caller.scope.model
    made = model.handed_lambdas.get(id(node))
    if made is None:
        scope = Scope(model, parent=caller.scope, cls=caller.scope.cls)
        scope.self_name = caller.scope.self_name
        params = node.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params,
                      *(star for star in (params.star_arg, params.star_kwarg) if isinstance(star, cst.Param))]:
            scope.names[identifier(param.name.value)] = Binding()  # unknown: what the callee passes
        made = Function("<lambda>", f"{caller.qualname}.<lambda>", node, scope, cls=caller.cls)
        _record_calls(node.body, made)
        model.handed_lambdas[id(node)] = made
    return made


def _record_calls(node: cst.CSTNode, function: Function) -> None:
    """The calls under ``node`` in execution order (not inside a nested lambda or definition)."""
    if type(node) in _NEW_SCOPES:
        return
    for child in children(node):
        _record_calls(child, function)
    if isinstance(node, cst.Call):
        returned = node is function.node.body  # ``lambda: client.create(...)``: what the lambda returns
        function.calls.append(CallSite(node, len(function.calls) + 1, (), returned))
        if returned:
            function.returned_calls.add(id(node))
