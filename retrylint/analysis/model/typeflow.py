"""A small static type flow for receivers, never execution: what an annotation names (through
Optional, Union, ``|``, Annotated, strings and containers), what a project factory returns, and
which catalogued class a project subclass derives from. Each step is recorded so a chain can say
how its link was resolved."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from retrylint.analysis.model.imported_modules import MODULE_IMPORTERS, MODULE_TYPES
from retrylint.analysis.model.symbols import Binding, ClassInfo, Function, Scope, identifier
from retrylint.analysis.model.tree import descendants

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel

# How a link was resolved, as chains show it.
IMPORT, ANNOTATION, FACTORY, ATTRIBUTE = "import", "annotation", "factory return", "attribute"
SHAPE = "call shape"  # not resolved at all: billable by its shape (analysis/shapes.py)
ARGUMENT = "handed callable"  # a callable handed as an argument (analysis/handed_calls.py, handed_callables.py)

WRAPPERS = {"typing.Optional", "typing.Union", "typing_extensions.Optional", "typing_extensions.Union"}
ANNOTATED = {"typing.Annotated", "typing_extensions.Annotated"}
MAPPINGS = {"typing.Dict", "typing.Mapping", "typing.MutableMapping", "typing.DefaultDict", "builtins.dict",
            "collections.abc.Mapping", "collections.abc.MutableMapping", "collections.defaultdict"}
SEQUENCES = {"typing.List", "typing.Sequence", "typing.Tuple", "builtins.list", "builtins.tuple",
             "collections.abc.Sequence"}
ANY = {"typing.Any", "typing_extensions.Any"}  # says nothing of a type
PROPERTIES = {"builtins.property", "functools.cached_property"}

_steps: list[str] | None = None
# The class of the instance whose attribute is being read, while a binding written in one of its
# base classes is read (``self.client = client or self.create_client()`` in ``ApiModel.__init__``,
# read from ``LiteLLMModel.generate``): ``self`` there is that instance, so ``self.create_client``
# is the receiver's override.
_receiver: ClassInfo | None = None


@contextmanager
def tracing() -> Iterator[list[str]]:
    """Record the type-flow steps taken while the block resolves a name."""
    global _steps
    outer, _steps = _steps, []
    try:
        yield _steps
    finally:
        _steps = outer


def tracing_active() -> bool:
    """Whether a chain's links are being resolved (a retry layer's reach)."""
    return _steps is not None


def receiver() -> ClassInfo | None:
    return _receiver


def step(kind: str) -> None:
    if _steps is not None:
        _steps.append(kind)


@contextmanager
def receiving(cls: ClassInfo | None) -> Iterator[None]:
    """Read bindings as attributes of an instance of ``cls`` (see ``_receiver``)."""
    global _receiver
    outer, _receiver = _receiver, cls
    try:
        yield
    finally:
        _receiver = outer


def self_class(cls: ClassInfo | None) -> ClassInfo | None:
    """The class ``self`` is an instance of in a method of ``cls``: the receiver being read when
    it derives from ``cls``, else ``cls``."""
    if cls is None or _receiver is None or _receiver is cls:
        return cls
    return _receiver if any(info is cls for info in _receiver.owner.class_mro(_receiver)) else cls


def via(steps: list[str]) -> str:
    """How a resolved link is named: its last type-flow step, or its import."""
    return steps[-1] if steps else IMPORT


class TypeFlow:
    """Type-flow helpers of ModuleModel (``self`` is the module model)."""

    def annotation_type(self: "ModuleModel", annotation, scope: Scope, depth: int, rest: tuple[str, ...] = ()) -> str | None:
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
            if base is not None and base in self.catalog.billable_classes:
                step(ANNOTATION)
                return base  # a generic class of the catalog: ``pydantic_ai.Agent[Deps, Out]``
            return None  # a container: its elements are typed through ``element_type``
        found = self._qualify(annotation, scope, depth + 1)
        if found is not None and not found.startswith("builtins.") and found not in ANY:
            step(ANNOTATION)
            return self.catalogued_or_own(found, rest)
        return None

    def element_type(self: "ModuleModel", container, scope: Scope, depth: int) -> str | None:
        """``clients[key]`` / ``clients.get(key)``: the element class of a container annotated
        ``Dict[str, OpenAI]`` (or a list of them), or bound to a literal of them
        (``{"gpt": OpenAI(), "claude": Anthropic()}``: the first known)."""
        annotation, where = self._annotation_of(container, scope)
        if annotation is None:
            return self._literal_element(container, scope, depth)
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

    def _literal_element(self: "ModuleModel", container, scope: Scope, depth: int) -> str | None:
        """The first known element of the dict, list or tuple literal a plain name is bound to."""
        binding = scope.lookup(container.value) if isinstance(container, cst.Name) else None
        literal = binding.value if binding is not None and binding.scope is not None else None
        if isinstance(literal, cst.Dict):
            elements = [e.value for e in literal.elements if isinstance(e, cst.DictElement)]
        elif isinstance(literal, (cst.List, cst.Tuple)):
            elements = [e.value for e in literal.elements if isinstance(e, cst.Element)]
        else:
            return None
        return self.first_known(elements, binding.scope, depth + 1)

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
        if self_class(function.scope.cls) is not function.scope.cls:
            found = self._returned_type(function, depth)  # depends on the receiver: not remembered
        elif key not in model.returned_types:
            model.returned_types[key] = None  # while it is being worked out (a recursive factory)
            model.returned_types[key] = self._returned_type(function, depth)
            found = model.returned_types[key]
        else:
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
            if found is not None and found not in MODULE_TYPES:  # ``-> ModuleType``: which one, its returns say
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

    def catalogued_or_own(self: "ModuleModel", name: str, rest: tuple[str, ...], cls: ClassInfo | None = None) -> str:
        """An instance of project class ``name`` as the billable catalog class it derives from,
        unless the attribute read next (``rest[0]``) is one the project class itself assigns
        (``llm.client``, set in a validator of ``class Cohere(LLM)``): then as the project class."""
        base = self.catalogued_base(name, cls)
        if base is None or not rest:
            return base or name
        info = cls if cls is not None else self.class_by_qualname.get(name)
        while info is not None:
            if info.attribute_bindings(rest[0]):
                return name
            info = next((info.owner.class_by_qualname[b] for b in info.bases if b in info.owner.class_by_qualname), None)
        return base

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

    def member_type(self: "ModuleModel", cls: ClassInfo, attr: str, depth: int, rest: tuple[str, ...] = ()) -> str | None:
        """``obj.attr`` / ``self.attr`` on a project class: a property's returned class, or a class
        assigned to the attribute in the class or its bases (``_assigned_type``), or the module a
        lazy proxy class stands for."""
        for info in self.class_mro(cls):
            method = info.methods.get(attr)
            if method is not None:
                if _is_property(method):
                    found = self.returned_type(method, depth + 1)
                    if found is not None:
                        step(ATTRIBUTE)
                    return found
                return method.qualname
            with receiving(cls if info is not cls else _receiver):
                found = self._assigned_type(info, attr, depth, rest)
            if found is not None:
                step(ATTRIBUTE)
                return found
        module = self.proxied_module(cls)
        if module is not None:
            step(ATTRIBUTE)
            return f"{module}.{attr}"
        return None

    def _assigned_type(self: "ModuleModel", info: ClassInfo, attr: str, depth: int, rest: tuple[str, ...]) -> str | None:
        """The first known class assigned to ``info``'s ``attr``; when the attributes read after it
        (``rest``) make a billable call of some of the classes assigned (``self.client = Groq()`` in
        one branch, ``OpenAI()`` in another, then ``self.client.completions.create``), the one of
        those whose SDK client retries least by default: any of them may be the one used, and
        RTL005 counts no retries it cannot be sure of."""
        return info.owner.likeliest(info.attribute_bindings(attr), depth, rest)

    def likeliest(self: "ModuleModel", bindings: list[Binding], depth: int, rest: tuple[str, ...],
                  billable_only: bool = False) -> str | None:
        """Of the values a name may hold (``bindings``, read in this module), the first known class;
        when the attributes read after it make a billable call of some of them, the one whose SDK
        client retries least by default (see ``_assigned_type``). ``billable_only``: only such a
        class, or with nothing read after it a catalogued client; None when there is none."""
        known, billable = [], []
        for binding in bindings:
            found = self._qualify_binding(binding, depth + 1, rest=rest)
            if found is None or found == "builtins.None":
                continue
            if not rest and (not billable_only or found in self.catalog.client_by_name):
                return found
            known.append(found)
            if self.catalog.billable(".".join((found, *_called(rest, self.catalog)))) is not None:
                billable.append(found)
        if billable:
            return min(billable, key=self._default_client_retries)
        return known[0] if known and not billable_only else None

    def _default_client_retries(self: "ModuleModel", name: str) -> int:
        """The default retries of the catalogued SDK client ``name`` is (or is part of); 0 for none."""
        while name:
            spec = self.catalog.client_by_name.get(name)
            if spec is not None:
                return spec.default_retries
            name = name.rpartition(".")[0]
        return 0

    def calls_instance(self: "ModuleModel", func: cst.BaseExpression, scope: Scope, target: str, depth: int = 0) -> bool:
        """Whether ``func(...)``, resolved to the class ``target``, calls an instance of it
        (``self.llm(messages)``, its ``__call__``) rather than the class itself (a constructor)."""
        if isinstance(func, cst.Name):
            binding = scope.lookup(func.value)
            if binding is None or binding.qualname is not None or depth > 8:
                return False  # an import or a definition names the class
            if binding.annotation is not None:
                return True
            return binding.value is not None and binding.scope is not None \
                and self.calls_instance(binding.value, binding.scope, target, depth + 1)
        if isinstance(func, cst.Attribute):
            if isinstance(func.value, cst.Name) and scope.cls is not None and func.value.value == scope.self_name:
                return True
            base = self.qualify(func.value, scope)  # ``module.Class`` names the class itself
            return base is None or f"{base}.{identifier(func.attr.value)}" != target
        return isinstance(func, (cst.Call, cst.Subscript, cst.Await))

    def proxied_module(self: "ModuleModel", cls: ClassInfo) -> str | None:
        """The module a lazy proxy stands for: a class with ``__getattr__`` whose methods import one
        module by a literal name (``importlib.import_module("litellm")``, to defer a slow import),
        so that ``proxy.completion`` is ``litellm.completion``."""
        if "__getattr__" not in cls.methods:
            return None
        model = cls.owner
        if id(cls) not in model.proxied_modules:
            found = set()
            for method in cls.methods.values():
                for site in method.calls:
                    args = site.node.args
                    if args and isinstance(args[0].value, cst.SimpleString) \
                            and model.qualify(site.node.func, method.scope) in MODULE_IMPORTERS:
                        found.add(args[0].value.evaluated_value)
            model.proxied_modules[id(cls)] = found.pop() if len(found) == 1 else None
        return model.proxied_modules[id(cls)]


def _called(attrs: tuple[str, ...], catalog) -> tuple[str, ...]:
    """The attributes of a call without those that return the same client (``with_raw_response``)."""
    return tuple(attr for attr in attrs if attr not in catalog.passthrough_attrs)


def _is_property(method: Function) -> bool:
    model = method.scope.model
    outer = method.scope.parent or model.scope
    return any(model.qualify(d.decorator, outer) in PROPERTIES for d in method.node.decorators)
