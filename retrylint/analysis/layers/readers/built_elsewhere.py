"""Policies built elsewhere and applied here: a retry decorator (or retrying object) that a
factory function returns (``retry_decorator = _create_retry_decorator(self)`` then
``@retry_decorator``, ``retry_decorator(fn)(...)`` or ``@make_retry()``), or that a module
constant or a class attribute holds (``LLM_RETRY = retry(...)`` then ``@LLM_RETRY``), in this
module or another one. The layer's policy is the one written where it is built; the layer
points where it is applied, and gets no automatic fix (the policy may be shared).

Not a catalog form: the finder asks this reader about a decorator or an applied call that
names no catalog layer itself. A name imported from another module is followed only when it
says so (``retr`` in it: ``create_retry_decorator``, ``LLM_RETRY``): following every imported
decorator would parse much of the project for nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from retrylint.catalog import LayerSpec
from retrylint.analysis.layers.layer import Layer, never_retries
from retrylint.analysis.layers.readers.site_arguments import at_site
from retrylint.analysis.model import Binding, Function, Scope, descendants

FORMS = ("decorator", "retrying")  # what a factory or a constant can hold
# What the prefilter looks for: a decorator whose name says retry (``@retry_decorator``,
# ``@LLM_RETRY``, ``@make_retry()``, ``@Settings.llm_retry``), or such a name applied to a
# function (``retry_decorator(fn)(``), when the file binds the name's head (assigns, imports or
# defines it): ``@pytest.mark.retry_later`` is no policy of the project.
PREFILTER_DECORATOR = re.compile(r"@[ \t]*((?:\w+\.)?\w*(?i:retr)\w*)[ \t]*(?:[(#\r\n]|$)", re.MULTILINE)
PREFILTER_APPLIED = re.compile(r"(?i:retr)(\w*)\([\w.]*\)\(")
# ``for attempt in retry(...):``, ``async for attempt in self._retrying():``: a factory's retrying object.
PREFILTER_LOOP = re.compile(r"for[ \t]+\w+[ \t]+in[ \t]+((?:\w+\.)?\w*(?i:retr)\w*)[ \t]*\(")


def binds(text: str, dotted: str) -> bool:
    """Whether ``text`` assigns, imports (on one line or in parentheses) or defines the head of
    ``dotted`` (for ``self.make_retrying``: defines the method)."""
    head, _, rest = dotted.partition(".")
    head = re.escape(rest if head == "self" and rest else head)
    pattern = (rf"^[ \t]*{head}[ \t]*(?::[^=\n]*)?=[^=]|\bimport\b[^\n]*\b{head}\b|\bimport[ \t]*\([^)]*\b{head}\b"
               rf"|^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{head}\b")
    return re.search(pattern, text, re.MULTILINE) is not None


MAX_DEPTH = 4
NAME_HINT = "retr"  # what an imported name must contain to be followed


@dataclass
class Origin:
    """Where an applied policy is built."""

    spec: LayerSpec
    call: cst.Call  # the layer's own call (``retry(stop=...)``)
    scope: Scope  # where that call is read
    factory: Function | None = None  # the function that returns it
    site: tuple[cst.Call, Scope] | None = None  # the call of ``factory`` the policy comes from, where it is read


def at_decorator(finder, function: Function, decorator: cst.Decorator, scope: Scope) -> Layer | None:
    """``@retry_decorator``, ``@make_retry()``, ``@LLM_RETRY``, ``@Settings.llm_retry``."""
    origin = find_origin(decorator.decorator, scope)
    if origin is None or never_retries(origin.spec, function):
        return None
    return origin_layer(finder, origin, "decorator", decorator, function)


def at_applied_call(finder, function: Function, site) -> Layer | None:
    """``retry_decorator(fn)(...)``, ``make_retry()(fn)``: a layer around ``fn``."""
    func = site.node.func
    if not site.node.args or not isinstance(func, (cst.Name, cst.Call, cst.Attribute)):
        return None
    origin = find_origin(func, function.scope)
    if origin is None:
        return None
    model = finder.model
    target = model.resolve_function(model.qualify(site.node.args[0].value, function.scope))
    if target is None:
        return None
    return origin_layer(finder, origin, "call", site.node, target)


def at_loop(finder, function: Function, loop: cst.For) -> Layer | None:
    """``for attempt in retry(...):`` / ``async for attempt in model_retrying(n):`` with a
    factory that returns a retrying object: the loop body is the retried block. Only an iterable
    whose name says retry is followed, as the prefilter asks: following every loop's iterable
    parsed other modules for nothing (transformers: 1.5 s of CPU)."""
    head = loop.iter.func if isinstance(loop.iter, cst.Call) else loop.iter
    name = head.attr.value if isinstance(head, cst.Attribute) else head.value if isinstance(head, cst.Name) else ""
    origin = find_origin(loop.iter, function.scope) if _says_retry(name) else None  # not every loop's iterable
    if origin is None or origin.spec.form != "retrying":
        return None
    return origin_layer(finder, origin, "block", loop, function, unit_root=loop)


def origin_layer(finder, origin: Origin, kind: str, anchor: cst.CSTNode, function: Function,
                 unit_root: cst.CSTNode | None = None) -> Layer:
    model = origin.scope.model
    reader = finder if model is finder.model else type(finder)(model)
    reader.site = at_site(finder, origin.factory, *origin.site) if origin.site is not None else None
    try:
        built = reader.make_layer(origin.spec, kind, anchor, function, unit_root, origin.call, origin.scope)
    finally:
        reader.site = None
    label = f"{origin.spec.label} from {origin.factory.name}()" if origin.factory is not None else origin.spec.label
    return Layer(kind, origin.spec.library, label, anchor, function, unit_root, built.policy, spec=origin.spec)


def find_origin(expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> Origin | None:
    """Where the policy ``expr`` stands for is built, or None when it is no retry layer."""
    if depth > MAX_DEPTH:
        return None
    model = scope.model
    if isinstance(expr, cst.Call):
        if not may_follow(expr.func, scope):
            return None
        factory = model.resolve_function(model.qualify(expr.func, scope))
        origin = _returned(factory, depth) if factory is not None else None
        if origin is not None and origin.factory is factory and origin.site is None:
            origin.site = (expr, scope)
        return origin
    found = _binding(expr, scope)
    if found is None:
        return None
    binding, where = found
    value = binding.value
    if not isinstance(value, (cst.Call, cst.Name)):
        return None
    origin = _layer_call(value, binding.scope) if isinstance(value, cst.Call) else None
    return origin or find_origin(value, binding.scope, depth + 1)


def _layer_call(call: cst.Call, scope: Scope) -> Origin | None:
    """``call`` itself declares a catalog decorator or retrying object."""
    model = scope.model
    target = model.qualify(call.func, scope)
    spec = model.catalog.layer_by_name.get(target) if target else None
    return Origin(spec, call, scope) if spec is not None and spec.form in FORMS else None


def _returned(factory: Function, depth: int) -> Origin | None:
    """The layer a factory function returns: ``return retry(...)``, or a name bound to one."""
    if not isinstance(factory.node, cst.FunctionDef):
        return None
    for node in descendants(factory.node.body):
        if isinstance(node, cst.Return) and node.value is not None:
            value = node.value
            if isinstance(value, cst.Call):
                origin = _layer_call(value, factory.scope) or find_origin(value, factory.scope, depth + 1)
            elif isinstance(value, cst.Name):
                origin = find_origin(value, factory.scope, depth + 1)
            else:
                origin = None
            if origin is not None:
                origin.factory = origin.factory or factory
                return origin
    return None


def _binding(expr: cst.BaseExpression, scope: Scope) -> tuple[Binding, object] | None:
    """The binding a name (local, module, imported) or a class attribute (``Settings.x``,
    ``self.x``) refers to, with the model it lives in."""
    model = scope.model
    if isinstance(expr, cst.Name):
        binding = scope.lookup(expr.value)
        if binding is not None and binding.imported:
            if not _says_retry(expr.value) or model.project is None or binding.qualname is None:
                return None
            return model.project.exported_binding(binding.qualname, model.root)
        return (binding, model) if binding is not None and binding.scope is not None else None
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        attr = expr.attr.value
        if expr.value.value == scope.self_name and scope.cls is not None:
            classes = [scope.cls]
        else:
            if not may_follow(expr, scope):
                return None
            owner = model.resolve_class(model.qualify(expr.value, scope))
            classes = [owner] if owner is not None else []
        for cls in classes:
            for info in model.class_mro(cls):
                binding = info.body_attrs.get(attr)
                if binding is not None and binding.scope is not None:
                    return binding, info.owner
    return None


def may_follow(expr: cst.BaseExpression, scope: Scope) -> bool:
    """A name defined in this module, or an imported one that says retry."""
    name = expr.attr.value if isinstance(expr, cst.Attribute) else expr.value if isinstance(expr, cst.Name) else None
    if name is None:
        return False
    head = expr
    while isinstance(head, cst.Attribute):
        head = head.value
    if isinstance(head, cst.Name) and head.value == scope.self_name and scope.cls is not None:
        return True  # ``self._create_retry_decorator()``: a method of the project's class
    binding = scope.lookup(head.value) if isinstance(head, cst.Name) else None
    if binding is None:
        return False
    return not binding.imported or _says_retry(name)


def _says_retry(name: str) -> bool:
    return NAME_HINT in name.lower()
