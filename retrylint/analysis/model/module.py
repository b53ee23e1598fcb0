"""The per-module model and its name resolution: what an expression refers to through imports,
bindings, classes and, via the project, other modules."""

from __future__ import annotations

import builtins
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import libcst as cst
from libcst.metadata import CodeRange

from retrylint.analysis.collector import collector_paused
from retrylint.analysis.libcst_compat import parse_unchecked
from retrylint.analysis.model.builder import ModelBuilder
from retrylint.analysis.model.caller_args import caller_type
from retrylint.analysis.model.imported_modules import MODULE_IMPORTERS, imported_module
from retrylint.analysis.model.short_code import ShortCode
from retrylint.analysis.model.symbols import Binding, ClassInfo, Function, ImportSite, Scope, identifier
from retrylint.analysis.model.typeflow import IMPORT, TypeFlow, receiving, self_class, step
from retrylint.catalog import Catalog
from retrylint.diagnostics import literal_number

if TYPE_CHECKING:
    from retrylint.analysis.positions import StatementPositions
    from retrylint.analysis.positions import Rendered
    from retrylint.analysis.project import Project

BUILTIN_NAMES = frozenset(dir(builtins))
NO_LITERAL = object()


class ModuleModel(TypeFlow):
    """Everything the rules need to know about one module."""

    def __init__(
        self,
        source: str,
        path: str,
        catalog: "Catalog",
        module_name: str = "__module__",
        is_package: bool = False,
        project: "Project | None" = None,
        root: "Path | None" = None,
        tree: cst.Module | None = None,  # the source's tree, when a caller has parsed it already
        rendered: "dict[cst.CSTNode, Rendered] | None" = None,  # statements rendered for positions, kept by a Reparser
    ):
        self.catalog = catalog
        self.project = project
        self.root = root  # the import root this module is named from
        self.is_package = is_package
        self.source = source
        self.path = path
        self.module_name = module_name
        with collector_paused():  # every object made here lives as long as the model
            self._build(source, tree, rendered)

    def _build(self, source: str, tree: cst.Module | None, rendered: "dict[cst.CSTNode, Rendered] | None") -> None:
        self.tree = tree if tree is not None else parse_unchecked(source)
        self.rendered = rendered
        self.scope = Scope(self)
        self.functions: list[Function] = []
        self.classes: list[ClassInfo] = []
        self.function_by_qualname: dict[str, Function] = {}
        self.class_by_qualname: dict[str, ClassInfo] = {}
        self.returned_types: dict[int, str | None] = {}  # what each function returns, as worked out (typeflow)
        self.proxied_modules: dict[int, str | None] = {}  # the module each lazy proxy class stands for (typeflow)
        self.forwarded_calls: dict[int, str | None] = {}  # the paid call each function only forwards to (forwarders)
        self.handed_lambdas: dict[int, Function] = {}  # each lambda handed to a function calling it, read as one (handed_lambdas)
        self.imports: list[ImportSite] = []
        self.imported_modules: set[str] = set()
        self.module_function = Function("<module>", self.module_name, self.tree, self.scope)
        self.assignments: list[tuple[cst.BaseAssignTargetExpression, cst.BaseExpression, Scope]] = []
        ModelBuilder(self).build()

    # ----- positions -------------------------------------------------------------------
    @cached_property
    def positions(self) -> StatementPositions:
        """Node positions as libcst's PositionProvider gives them (or as in the source, where libcst
        does not round-trip it), rendering only the top-level statements that hold the nodes asked for."""
        from retrylint.analysis.positions import StatementPositions  # loaded only when a report needs it

        return StatementPositions(self.tree, self.source, self.rendered)

    def range(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def code(self, node: cst.CSTNode) -> str:
        return self.tree.code_for_node(node)

    @cached_property
    def _short_code(self) -> ShortCode:
        return ShortCode(self.tree)

    def short_code(self, node: cst.CSTNode) -> str:
        """``node``'s code on one line, cut to 40 characters (linear in a chain of chained calls)."""
        return self._short_code.short(node)

    # ----- name resolution --------------------------------------------------------------
    def qualify(self, expr: cst.CSTNode | None, scope: Scope) -> str | None:
        """The qualified name an expression refers to, or None when a light pass cannot tell.

        Instances of known classes resolve to their class (``client = OpenAI()`` makes
        ``client.chat`` resolve to ``openai.OpenAI.chat``)."""
        return self._qualify(expr, scope, 0)

    def _qualify(self, expr, scope: Scope, depth: int, follow: bool = False, rest: tuple[str, ...] = ()) -> str | None:
        """``follow``: the expression is used as a value (``x.attr``), so a name imported from
        a project module is followed to what it is bound to there. ``rest``: the attributes read
        after it (``.completions.create``), which pick, of an attribute's assigned classes, one
        that makes the whole a billable call."""
        if expr is None or depth > 20:
            return None
        if isinstance(expr, cst.Name):
            if scope.self_is_class and scope.cls is not None and expr.value == scope.self_name:
                return self_class(scope.cls).qualname  # a classmethod's ``cls``: the class (or the subclass called)
            return self._qualify_name(expr.value, scope, depth, follow, rest)
        if isinstance(expr, cst.Attribute):
            attr = identifier(expr.attr.value)
            if (
                isinstance(expr.value, cst.Name)
                and scope.cls is not None
                and expr.value.value == scope.self_name
            ):
                return self._qualify_self_attribute(attr, self_class(scope.cls), depth, rest)
            base = self._qualify(expr.value, scope, depth + 1, follow=True, rest=(attr, *rest))
            if base and attr in self.catalog.passthrough_attrs:
                return base  # ``client.with_raw_response.chat...`` is the same call
            if base and base.rpartition(".")[2][:1].isupper() and not self.catalog.billable(f"{base}.{attr}"):
                cls = self._loaded_class(base)  # an attribute of a project class's instance
                member = self.member_type(cls, attr, depth, rest) if cls is not None else None
                if member is not None:
                    return member
            return f"{base}.{attr}" if base else None
        if isinstance(expr, cst.Call):
            return self._qualify_call_result(expr, scope, depth, rest)
        if isinstance(expr, cst.Await):
            return self._qualify(expr.expression, scope, depth + 1)
        if isinstance(expr, cst.Subscript):  # ``clients[key]``
            return self.element_type(expr.value, scope, depth + 1)
        if isinstance(expr, cst.IfExp):
            return self.first_known((expr.body, expr.orelse), scope, depth + 1)
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):  # ``self._client or OpenAI()``
            return self.first_known((expr.left, expr.right), scope, depth + 1)
        return None

    def _qualify_name(self, name: str, scope: Scope, depth: int, follow: bool = False, rest: tuple[str, ...] = ()) -> str | None:
        name = identifier(name)
        binding = scope.lookup(name)
        if binding is None:
            return f"builtins.{name}" if name in BUILTIN_NAMES else None
        alternatives = binding.scope.alternatives(name)[::-1] if binding.scope is not None else []  # the last first
        found = binding.scope.model.likeliest(alternatives, depth, rest, billable_only=True) if alternatives else None
        if found is not None:  # ``llm = ChatOpenAI()`` in one branch, ``llm = ChatAnthropic()`` in another
            return found
        return self._qualify_binding(binding, depth, follow, rest)

    def _qualify_self_attribute(self, attr: str, cls: ClassInfo, depth: int, rest: tuple[str, ...] = ()) -> str | None:
        """``self.attr``: a method or attribute of the class or its bases, or else of the one
        subclass in this module that sets it (a base method using a subclass's attribute)."""
        found = self.member_type(cls, attr, depth, rest)
        if found is not None:
            return found
        subclasses = [
            info for info in self.classes
            if info is not cls and attr in info.self_attrs and any(base is cls for base in self.class_mro(info))
        ]
        return self._qualify_binding(subclasses[0].self_attrs[attr], depth) if len(subclasses) == 1 else None

    def _qualify_binding(self, binding: Binding, depth: int, follow: bool = False, rest: tuple[str, ...] = ()) -> str | None:
        if follow and binding.imported and self.project is not None and depth < 20:
            exported = self.project.exported_binding(binding.qualname, self.root)
            if exported is not None:  # ``from app.llm import client``: what client is there
                found, model = exported
                return model._qualify_binding(found, depth + 1, follow)
        if binding.qualname is not None:
            if binding.imported and binding.cls is None and binding.function is None:
                step(IMPORT)
            return binding.qualname
        if binding.scope is None:  # an unannotated parameter: what its callers pass
            return caller_type(self, binding, depth, rest) if binding.param is not None else None
        if binding.value is not None and binding.value is not binding.annotation:
            found = self._qualify(binding.value, binding.scope, depth + 1, rest=rest)
            if found is not None or binding.annotation is None:
                return found
        if binding.annotation is None:
            return self._qualify(binding.value, binding.scope, depth + 1, rest=rest)
        found = self.annotation_type(binding.annotation, binding.scope, depth + 1, rest)
        return found if found is not None or binding.param is None else caller_type(self, binding, depth, rest)

    def _qualify_call_result(self, call: cst.Call, scope: Scope, depth: int, rest: tuple[str, ...] = ()) -> str | None:
        """A call yields a known value only for constructors of catalogued clients and for
        their option methods (``client.with_options(...)`` is the same client)."""
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "get":  # ``clients.get(key)``
            element = self.element_type(call.func.value, scope, depth + 1)
            if element is not None:
                return element
        target = self._qualify(call.func, scope, depth + 1)
        if target is None:
            return None
        catalog = self.catalog
        if target in catalog.client_by_name or target in catalog.known_classes or target in catalog.billable_classes:
            return target
        owner, _, method = target.rpartition(".")
        spec = catalog.client_by_name.get(owner)
        if spec is not None and method in spec.option_methods:
            return owner
        made = catalog.made_by_call.get(target)
        if made is not None:  # ``client.chats.create(...)``: a chat session of that client
            return made
        service = call.args[0].value if call.args and call.args[0].keyword is None else None
        if isinstance(service, cst.SimpleString) and f"{target}[{service.evaluated_value}]" in catalog.client_by_name:
            return f"{target}[{service.evaluated_value}]"  # boto3.client("bedrock-runtime")
        cls = self.resolve_class(target) if target.rpartition(".")[2][:1].isupper() else None
        if cls is not None:  # an instance of a project class (classes are CamelCase: look no further)
            return self.catalogued_or_own(target, rest, cls)
        if target == "builtins.getattr" and len(call.args) >= 2 and isinstance(call.args[1].value, cst.SimpleString):
            attr = call.args[1].value.evaluated_value  # ``getattr(self, "client")``
            if isinstance(attr, str) and attr.isidentifier():
                return self._qualify(cst.Attribute(call.args[0].value, cst.Name(attr)), scope, depth + 1)
        if target in MODULE_IMPORTERS:  # ``importlib.import_module(BACKEND)``
            return imported_module(self, call, scope)
        function = self.resolve_function(target)
        if function is None:
            return None
        called_on = None
        if function.scope.self_is_class and isinstance(call.func, cst.Attribute):
            called_on = self._loaded_class(self._qualify(call.func.value, scope, depth + 1) or "")
        with receiving(called_on):  # ``Sub.from_name(...)``: its ``cls`` is ``Sub``
            return self.returned_type(function, depth + 1)

    def class_mro(self, cls: ClassInfo) -> Iterator[ClassInfo]:
        seen: set[int] = set()
        stack = [cls]
        while stack:
            info = stack.pop(0)
            if id(info) in seen:
                continue
            seen.add(id(info))
            yield info
            stack.extend(base for base in map(info.owner.resolve_class, info.bases) if base is not None)

    def literal(self, expr: cst.BaseExpression | None, scope: Scope, depth: int = 0):
        """The Python value of a literal (or of a module constant bound to one)."""
        if expr is None or depth > 10:
            return NO_LITERAL
        if isinstance(expr, (cst.Integer, cst.Float)):
            return literal_number(expr.value)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            value = self.literal(expr.expression, scope, depth + 1)
            return -value if isinstance(value, (int, float)) and not isinstance(value, bool) else NO_LITERAL
        if isinstance(expr, cst.Name):
            if expr.value in ("None", "True", "False"):
                return {"None": None, "True": True, "False": False}[expr.value]
            binding = scope.lookup(expr.value)
            if binding is not None and binding.value is not None and binding.scope is not None:
                return self.literal(binding.value, binding.scope, depth + 1)
        if isinstance(expr, cst.SimpleString):
            return expr.evaluated_value
        return NO_LITERAL

    def elements(self, expr: cst.BaseExpression | None, scope: Scope, depth: int = 0):
        """Expand a tuple/list of expressions, following names bound to module constants.

        Yields (element expression, scope to resolve it in)."""
        if expr is None or depth > 10:
            return
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            for element in expr.elements:
                if isinstance(element, cst.StarredElement):
                    yield from self.elements(element.value, scope, depth + 1)
                else:
                    yield from self.elements(element.value, scope, depth + 1)
            return
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            yield from self.elements(expr.left, scope, depth + 1)
            yield from self.elements(expr.right, scope, depth + 1)
            return
        if isinstance(expr, cst.Name):
            binding = scope.lookup(expr.value)
            if (
                binding is not None
                and binding.qualname is None
                and binding.value is not None
                and binding.scope is not None
                and isinstance(binding.value, (cst.Tuple, cst.List, cst.Set, cst.BinaryOperation))
            ):
                yield from self.elements(binding.value, binding.scope, depth + 1)
                return
        yield expr, scope

    def resolve_function(self, qualname: str | None) -> Function | None:
        """The project function (or method) a qualified name refers to, in this module or,
        through the project, in another one."""
        return self._resolve(qualname, self.function_by_qualname, Function)

    def resolve_class(self, qualname: str | None) -> ClassInfo | None:
        return self._resolve(qualname, self.class_by_qualname, ClassInfo)

    def _resolve(self, qualname: str | None, local_by_qualname: dict, kind: type):
        """What ``qualname`` names if it is a ``kind``: this module's own first, then the project's."""
        if qualname is None:
            return None
        local = local_by_qualname.get(qualname)
        if local is not None or self.project is None:
            return local
        found = self.project.resolve(qualname, near=self.root)
        return found if isinstance(found, kind) else None

    def _loaded_class(self, qualname: str) -> ClassInfo | None:
        """A project class defined here or in a module already parsed (no parse for every attribute)."""
        local = self.class_by_qualname.get(qualname)
        if local is not None or self.project is None:
            return local
        module = qualname.rpartition(".")[0]
        return self.resolve_class(qualname) if module and self.project.is_loaded(module, self.root) else None

    def resolve_in_module(self, parts: list[str], depth: int) -> "Function | ClassInfo | None":
        """What ``<this module>.<parts...>`` is: a definition here, or one re-exported."""
        binding = self.scope.names.get(parts[0])
        if binding is None:
            return None
        rest = parts[1:]
        if binding.function is not None:
            return None if rest else binding.function
        if binding.cls is not None:
            if not rest:
                return binding.cls
            return self.method_of(binding.cls, rest[0]) if len(rest) == 1 else None
        if binding.qualname is not None and self.project is not None:
            return self.project.resolve(".".join([binding.qualname, *rest]), depth, self.root)
        return None

    def method_of(self, cls: ClassInfo, name: str) -> Function | None:
        for info in self.class_mro(cls):
            if name in info.methods:
                return info.methods[name]
        return None
