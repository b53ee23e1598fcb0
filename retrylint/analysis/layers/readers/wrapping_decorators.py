"""Retry decorators written by hand: a project decorator whose wrapper runs the function it is
given again on failure, in a hand-written loop (``for attempt in range(max_retries + 1): try:
return func(*args, **kwargs) except Exception: ...``) or through a retry layer applied to it
(``return create_retry_decorator(...)(f)(self, *args)``). Used bare (``@retry_with_backoff``)
or as a factory (``@retry_on_error()``, whose ``return decorator`` is the decorator), in this
module or another one. The layer's policy is the one written in the wrapper; the layer points
at the decorator and gets no automatic fix (the decorator is shared).

Not a catalog form: the finder asks this reader about a decorator that names no catalog layer
and that no factory or constant builds (``built_elsewhere``). As there, a decorator imported
from another module is followed only when its name says retry. A synchronous wrapper around an
``async def`` only makes the coroutine, which never fails: no layer."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import Layer, bound_call
from retrylint.analysis.layers.readers import built_elsewhere, hand_loops, site_arguments
from retrylint.analysis.layers.readers.site_arguments import SiteArguments
from retrylint.analysis.model import Function, Scope, descendants


def at_decorator(finder, function: Function, decorator: cst.Decorator, scope: Scope) -> Layer | None:
    """``@retry_with_backoff`` or ``@retry_on_error(...)`` on ``function``."""
    expr = decorator.decorator
    found = decorator_function(expr, scope)
    if found is None:
        return None
    wrapping, factory = found
    call = expr if isinstance(expr, cst.Call) else None
    site = site_arguments.at_site(finder, factory or wrapping, call, scope, skip_first=factory is None)
    found = wrapped_layer(finder, wrapping, site)
    if found is None:
        return None
    inner, wrapper = found
    if function.is_async and not wrapper.is_async:
        return None  # the wrapper retries making the coroutine, which never fails
    # A loop reported where it is written, unless this decoration's arguments leave it unbounded (its note).
    written = inner.kind == "loop" and not inner.speculative and not inner.note
    return Layer("decorator", inner.library, f"{inner.label} in {_written_name(expr)}()", decorator, function, None, inner.policy, spec=inner.spec,
                 speculative=inner.speculative, inner=inner if written else None, note=inner.note)


def _written_name(expr: cst.BaseExpression) -> str:
    """``retry_on_error`` for ``@retry_on_error(...)``, ``@utils.retry_on_error`` or ``@retry_on_error``."""
    expr = expr.func if isinstance(expr, cst.Call) else expr
    return expr.attr.value if isinstance(expr, cst.Attribute) else getattr(expr, "value", "?")


def decorator_function(expr: cst.BaseExpression, scope: Scope) -> tuple[Function, Function | None] | None:
    """The project function that takes the decorated function: ``expr`` itself, or the nested
    function a factory call returns (``def retry_on_error(...): ... return decorator``), with
    that factory."""
    model = scope.model
    if isinstance(expr, cst.Call):
        if not built_elsewhere.may_follow(expr.func, scope):
            return None
        factory = model.resolve_function(model.qualify(expr.func, scope))
        returned = _returned_function(factory) if factory is not None else None
        return (returned, factory) if returned is not None else None
    if not isinstance(expr, (cst.Name, cst.Attribute)) or not built_elsewhere.may_follow(expr, scope):
        return None
    function = model.resolve_function(model.qualify(expr, scope))
    return (function, None) if function is not None else None


def _returned_function(factory: Function) -> Function | None:
    if not isinstance(factory.node, cst.FunctionDef):
        return None
    for node in descendants(factory.node.body):
        if isinstance(node, cst.Return) and isinstance(node.value, cst.Name):
            binding = factory.scope.names.get(node.value.value)
            if binding is not None and binding.function is not None:
                return binding.function
    return None


def _wrapped_param(wrapping: Function) -> str | None:
    """The name of the parameter that receives the decorated function."""
    params = [p for p in wrapping.params if p.name.value != wrapping.scope.self_name]
    return params[0].name.value if params else None


def wrapped_layer(finder, wrapping: Function, site: SiteArguments | None = None) -> tuple[Layer, Function] | None:
    """The retry layer ``wrapping`` (or a function nested in it) puts around its function
    parameter, with the function that holds it; ``site``: what the decoration passes."""
    param = _wrapped_param(wrapping)
    if param is None:
        return None
    model = wrapping.scope.model
    reader = finder if model is finder.model else type(finder)(model)
    prefix = f"{wrapping.qualname}.<locals>."
    for holder in (wrapping, *(f for f in model.functions if f.qualname.startswith(prefix))):
        for loop in holder.loops:
            if _calls(loop.body, param):
                layer = hand_loops.read(reader, holder, loop, site)
                if layer is not None:
                    return layer, holder
        for call_site in holder.calls:
            layer = _applied_to(reader, holder, call_site.node, param)
            if layer is not None:
                return layer, holder
    return None


def _calls(node: cst.CSTNode, param: str) -> bool:
    """``node`` calls ``param`` (``func(*args, **kwargs)``, ``await func(...)``)."""
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == param
        for n in descendants(node, stop_at_loops=True)
    )


def _applied_to(reader, holder: Function, call: cst.Call, param: str) -> Layer | None:
    """``retry(f)(...)``, ``retry(...)(f)`` or ``Retrying(...)(f, ...)`` with ``f`` the parameter."""
    scope = holder.scope
    func = call.func
    if not call.args or not isinstance(call.args[0].value, cst.Name) or call.args[0].value.value != param:
        return None  # ``Retrying(...)(f, ...)``: handed over first
    declared = bound_call(func, scope)
    if declared is not None:
        spec, inner = reader.spec_for(declared, scope)
        if spec is not None and spec.form in built_elsewhere.FORMS:
            return reader.make_layer(spec, "call", call, holder, None, inner, scope)
    origin = built_elsewhere.find_origin(func, scope) if isinstance(func, (cst.Name, cst.Attribute, cst.Call)) else None
    if origin is None:
        return None
    return built_elsewhere.origin_layer(reader, origin, "call", call, holder)
