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

if TYPE_CHECKING:
    from retrylint.analysis.layers.finder import LayerFinder
    from retrylint.analysis.layers.layer import Layer


# The text shapes the prefilter (``analysis/prefilter.py``) looks for, each for a layer's name:
DECORATOR = "decorator"  # ``@name`` or ``@x.name`` where a statement starts
CALL = "call"  # ``name(`` anywhere (with the ``policy_param=`` keyword when retries need one)
RAISE = "raise"  # ``raise name`` or ``raise x.name``
TASK_CLASS = "task-class"  # ``class Job(Base)`` for a catalog ``task_base``
IMPORTED_CALL = "imported-call"  # ``name(`` in a file importing the name's library (every form has it)
PREFILTER_SHAPES = (DECORATOR, CALL, RAISE, TASK_CLASS, IMPORTED_CALL)


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
    target = handed_function(finder.model, site.node.args[0].value, function.scope)
    if target is None:
        return None
    return finder.make_layer(spec, "call", declared, target, None, inner, function.scope)


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
