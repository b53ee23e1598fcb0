"""What a form reader is. The finder visits a module's places in a fixed order and hands each
place that names a catalog layer to the reader of that layer's ``form``; a reader fills in the
hooks for the places its form is written in (``None``: the form is never written there).
Every hook returns the ``Layer`` it reads, or None.

A reader also declares the ``prefilter_shapes`` its form is written in: the prefilter lets a
file through only when it holds one of them, so a form without a shape would be silently
skipped (a test fails for one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, ClassVar

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of
from retrylint.analysis.model import descendants
from retrylint.analysis.project import layer_names

if TYPE_CHECKING:
    from retrylint.analysis.layers.finder import LayerFinder
    from retrylint.analysis.layers.layer import Layer


# The text shapes the prefilter (``analysis/prefilter.py``) looks for, each for a layer's name:
DECORATOR = "decorator"  # ``@name`` or ``@x.name`` where a statement starts
CALL = "call"  # ``name(`` anywhere (with the ``policy_param=`` keyword when retries need one)
RAISE = "raise"  # ``raise name`` or ``raise x.name``
TASK_CLASS = "task-class"  # ``class Job(Base)`` for a catalog ``task_base``
IMPORTED_CALL = "imported-call"  # ``name(`` in a file importing the name's library (every form has it)
# ``name(`` in a file importing ``name`` from anywhere, for a function of an SDK module (``litellm.completion``):
# a project function of that name may only pass its arguments on (analysis/forwarders.py)
FORWARDED_CALL = "forwarded-call"
PREFILTER_SHAPES = (DECORATOR, CALL, RAISE, TASK_CLASS, IMPORTED_CALL, FORWARDED_CALL)


class FormReader:
    form: ClassVar[str]  # the catalog ``form`` it reads
    prefilter_shapes: ClassVar[tuple[str, ...]] = ()

    # ``@deco`` / ``@deco(...)`` on a function: (finder, function, decorator, spec, call, scope)
    at_decorator: ClassVar[Callable[..., "Layer | None"] | None] = None
    # a call of the layer's own name (``queue.enqueue(f, retry=...)``): (finder, function, site, spec)
    at_call: ClassVar[Callable[..., "Layer | None"] | None] = None
    # ``X(...)(fn, ...)``, or ``r = X(...); r(fn)``: (finder, function, site, spec, declared, inner_call)
    at_applied_call: ClassVar[Callable[..., "Layer | None"] | None] = None
    # ``raise X`` without a call: (finder, function, site, spec)
    at_raised_name: ClassVar[Callable[..., "Layer | None"] | None] = None
    # ``for attempt in X(...):``: (finder, function, loop, spec, call)
    at_loop: ClassVar[Callable[..., "Layer | None"] | None] = None
    # ``class Job(Base):`` with a catalog ``task_base``: (finder, cls, spec)
    at_class: ClassVar[Callable[..., "Layer | None"] | None] = None


def applied_to_function(finder: "LayerFinder", function, site, spec, declared, inner) -> "Layer | None":
    """``retry(...)(fn)``, ``Retrying(...)(fn, *args)``: a layer around ``fn`` when it is a
    function of the project."""
    with layer_names(finder.model):
        target = handed_function(finder.model, site.node.args[0].value, function.scope)
    if target is None:
        return None
    layer = finder.make_layer(spec, "call", declared, target, None, inner, function.scope)
    layer.handed_zero = frozenset(key for key in zero_keywords(function, site.node) if _reads(target, key))
    return layer


def _reads(function, key: str) -> bool:
    """``function`` reads the keyword argument ``key``: a parameter of that name it uses, or
    ``kwargs.get("key")`` / ``kwargs["key"]`` / ``kwargs.pop("key")`` of its ``**kwargs``."""
    node = function.node
    if not isinstance(node, cst.FunctionDef):
        return False
    star = node.params.star_kwarg.name.value if node.params.star_kwarg is not None else None
    named = any(param.name.value == key for param in function.params)
    for found in descendants(node.body):
        if named and isinstance(found, cst.Name) and found.value == key:
            return True
        if star is None:
            continue
        if isinstance(found, cst.Call) and isinstance(found.func, cst.Attribute) and found.func.attr.value in ("get", "pop") \
                and isinstance(found.func.value, cst.Name) and found.func.value.value == star and found.args \
                and _string(found.args[0].value) == key:
            return True
        if isinstance(found, cst.Subscript) and isinstance(found.value, cst.Name) and found.value.value == star \
                and len(found.slice) == 1 and isinstance(found.slice[0].slice, cst.Index) and _string(found.slice[0].slice.value) == key:
            return True
    return False


def _string(expr) -> str | None:
    return expr.evaluated_value if isinstance(expr, cst.SimpleString) and isinstance(expr.evaluated_value, str) else None


def zero_keywords(function, call: cst.Call) -> frozenset[str]:
    """The keywords ``call`` hands on as a literal 0: written (``fn(max_retries=0)``), or set in
    a dict it unpacks, before it and never to anything else (``kwargs["max_retries"] = 0``)."""
    model, scope = function.scope.model, function.scope
    values = {name: [arg.value] for name, arg in keywords_of(call).items()}
    unpacked = {arg.value.value for arg in call.args if arg.star == "**" and isinstance(arg.value, cst.Name)}
    if unpacked:
        line = model.line(call)
        for node in descendants(function.node):
            key = _subscript_key(node.targets[0].target, unpacked) if isinstance(node, cst.Assign) and len(node.targets) == 1 else None
            if key is not None:
                values.setdefault(key, []).append(node.value if model.line(node) < line else None)
    return frozenset(name for name, found in values.items()
                     if all(value is not None and _is_zero(model.literal(value, scope)) for value in found))


def _subscript_key(target, names: set[str]) -> str | None:
    """``"max_retries"`` of ``kwargs["max_retries"]`` when ``kwargs`` is one of ``names``."""
    if not (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and target.value.value in names
            and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index)):
        return None
    return _string(target.slice[0].slice.value)


def _is_zero(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def handed_function(model, expr, scope):
    """The project function ``expr`` names, or the default of the option it is read from
    (``fn = kwargs.pop("original_function", completion)``: ``completion`` unless told otherwise)."""
    target = model.resolve_function(model.qualify(expr, scope))
    if target is not None or not isinstance(expr, cst.Name):
        return target
    binding = scope.lookup(expr.value)
    value = binding.value if binding is not None else None
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in ("pop", "get")):
        return None
    args = [arg for arg in value.args if arg.keyword is None and not arg.star]
    if len(args) != 2 or not isinstance(args[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    return model.resolve_function(model.qualify(args[1].value, binding.scope or scope))
