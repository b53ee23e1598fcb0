"""A small static type flow for receivers, never execution: what an annotation names (through
Optional, Union, ``|``, Annotated, strings and containers), what a project factory returns, and
which catalogued class a project subclass derives from. Each step is recorded so a chain can say
how its link was resolved."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from retrylint.analysis.model.symbols import Binding, ClassInfo, Function, Scope, identifier
from retrylint.analysis.model.tree import descendants

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel

# How a link was resolved, as chains show it.
IMPORT, ANNOTATION, FACTORY, ATTRIBUTE = "import", "annotation", "factory return", "attribute"
SHAPE = "call shape"  # not resolved at all: billable by its shape (analysis/shapes.py)

WRAPPERS = {"typing.Optional", "typing.Union", "typing_extensions.Optional", "typing_extensions.Union"}
ANNOTATED = {"typing.Annotated", "typing_extensions.Annotated"}
MAPPINGS = {"typing.Dict", "typing.Mapping", "typing.MutableMapping", "typing.DefaultDict", "builtins.dict",
            "collections.abc.Mapping", "collections.abc.MutableMapping", "collections.defaultdict"}
SEQUENCES = {"typing.List", "typing.Sequence", "typing.Tuple", "builtins.list", "builtins.tuple",
             "collections.abc.Sequence"}
PROPERTIES = {"builtins.property", "functools.cached_property"}

_steps: list[str] | None = None


@contextmanager
def tracing() -> Iterator[list[str]]:
    """Record the type-flow steps taken while the block resolves a name."""
    global _steps
    outer, _steps = _steps, []
    try:
        yield _steps
    finally:
        _steps = outer


def step(kind: str) -> None:
    if _steps is not None:
        _steps.append(kind)


def via(steps: list[str]) -> str:
    """How a resolved link is named: its last type-flow step, or its import."""
    return steps[-1] if steps else IMPORT


class TypeFlow:
    """Type-flow helpers of ModuleModel (``self`` is the module model)."""

    def annotation_type(self: "ModuleModel", annotation, scope: Scope, depth: int) -> str | None:
        """The class an annotation names, looking through Optional/Union/``|``/Annotated/strings."""
        if annotation is None or depth > 20:
            return None
        if isinstance(annotation, cst.SimpleString):
            try:
                annotation = cst.parse_expression(annotation.evaluated_value)
            except (cst.ParserSyntaxError, ValueError, TypeError):
                return None
            return self.annotation_type(annotation, scope, depth + 1)
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            return self.annotation_type(annotation.left, scope, depth + 1) or self.annotation_type(
                annotation.right, scope, depth + 1
            )
        if isinstance(annotation, cst.Name) and annotation.value == "None":
            return None
        if isinstance(annotation, cst.Subscript):
            base = self._qualify(annotation.value, scope, depth + 1)
            arguments = [element.slice.value for element in annotation.slice if isinstance(element.slice, cst.Index)]
            if base in ANNOTATED and arguments:
                return self.annotation_type(arguments[0], scope, depth + 1)
            if base in WRAPPERS:
                return next(filter(None, (self.annotation_type(a, scope, depth + 1) for a in arguments)), None)
            return None  # a container: its elements are typed through ``element_type``
        found = self._qualify(annotation, scope, depth + 1)
        if found is not None and not found.startswith("builtins."):
            step(ANNOTATION)
            return self.catalogued_base(found) or found
        return None

    def element_type(self: "ModuleModel", container, scope: Scope, depth: int) -> str | None:
        """``clients[key]`` / ``clients.get(key)``: the element class of a container annotated
        ``Dict[str, OpenAI]`` (or a list of them)."""
        annotation, where = self._annotation_of(container, scope)
        while isinstance(annotation, cst.Subscript):
            base = self._qualify(annotation.value, where, depth + 1)
            arguments = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
            if base in WRAPPERS | ANNOTATED and arguments:
                annotation = next((a for a in arguments if not (isinstance(a, cst.Name) and a.value == "None")), None)
                continue
            if base in MAPPINGS and arguments:
                return self.annotation_type(arguments[-1], where, depth + 1)
            if base in SEQUENCES and arguments:
                return self.annotation_type(arguments[0], where, depth + 1)
            return None
        return None

    def _annotation_of(self: "ModuleModel", expr, scope: Scope) -> tuple[cst.BaseExpression | None, Scope]:
        binding: Binding | None = None
        if isinstance(expr, cst.Name):
            binding = scope.lookup(expr.value)
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and scope.cls is not None \
                and expr.value.value == scope.self_name:
            binding = next((b for info in self.class_mro(scope.cls) for b in info.attribute_bindings(identifier(expr.attr.value))
                            if b.annotation is not None), None)
        if binding is None or binding.annotation is None or binding.scope is None:
            return None, scope
        return binding.annotation, binding.scope

    def returned_type(self: "ModuleModel", function: Function, depth: int) -> str | None:
        """What a project function returns (its factory): its return annotation, else the first of
        its returned expressions that is a known class."""
        model = function.scope.model
        key = id(function)
        if key not in model.returned_types:
            model.returned_types[key] = None  # while it is being worked out (a recursive factory)
            model.returned_types[key] = self._returned_type(function, depth)
        found = model.returned_types[key]
        if found is not None:
            step(FACTORY)
        return found

    def _returned_type(self: "ModuleModel", function: Function, depth: int) -> str | None:
        model = function.scope.model
        node = function.node
        if not isinstance(node, cst.FunctionDef) or depth > 20:
            return None
        outer = function.scope.parent or model.scope
        if node.returns is not None:
            found = model.annotation_type(node.returns.annotation, outer, depth + 1)
            if found is not None:
                return found
        for returned in descendants(node):
            if isinstance(returned, cst.Return) and returned.value is not None:
                found = model._qualify(returned.value, function.scope, depth + 1)
                if found is not None and self.is_known_class(found):
                    return found
        return None

    def is_known_class(self: "ModuleModel", name: str) -> bool:
        catalog = self.catalog
        return name in catalog.client_by_name or name in catalog.known_classes or name in catalog.billable_classes \
            or (name.rpartition(".")[2][:1].isupper() and self.resolve_class(name) is not None)

    def first_known(self: "ModuleModel", branches, scope: Scope, depth: int) -> str | None:
        """Of the classes the branches of ``a or b`` / ``a if c else b`` give, the first known one."""
        for branch in branches:
            found = self._qualify(branch, scope, depth)
            if found is not None and self.is_known_class(found):
                return found
        return None

    def catalogued_base(self: "ModuleModel", name: str, cls: ClassInfo | None = None) -> str | None:
        """The billable catalog class a project class derives from (``class MyChat(BaseChatModel)``),
        looking through the bases defined in the class's own module only: finding a base elsewhere
        would parse modules for every annotation naming a project class."""
        if cls is None:
            cls = self.class_by_qualname.get(name)
        while cls is not None:
            found = next((base for base in cls.bases if base in self.catalog.billable_classes), None)
            if found is not None:
                return found
            cls = next((cls.owner.class_by_qualname[b] for b in cls.bases if b in cls.owner.class_by_qualname), None)
        return None

    def member_type(self: "ModuleModel", cls: ClassInfo, attr: str, depth: int) -> str | None:
        """``obj.attr`` / ``self.attr`` on a project class: a property's returned class, or the
        first assignment to the attribute in the class or its bases that is a known class."""
        for info in self.class_mro(cls):
            method = info.methods.get(attr)
            if method is not None:
                if _is_property(method):
                    found = self.returned_type(method, depth + 1)
                    if found is not None:
                        step(ATTRIBUTE)
                    return found
                return method.qualname
            for binding in info.attribute_bindings(attr):
                found = info.owner._qualify_binding(binding, depth + 1)
                if found is not None and found != "builtins.None":
                    step(ATTRIBUTE)
                    return found
        return None


def _is_property(method: Function) -> bool:
    model = method.scope.model
    outer = method.scope.parent or model.scope
    return any(model.qualify(d.decorator, outer) in PROPERTIES for d in method.node.decorators)
