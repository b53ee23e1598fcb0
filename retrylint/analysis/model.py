"""The per-module model: names resolved through imports, functions with their calls in
execution order, classes, and module constants. Built with one walk over the libcst tree."""

from __future__ import annotations

import builtins
import dataclasses
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import libcst as cst
from libcst.metadata import CodeRange

from retrylint.catalog import Catalog

if TYPE_CHECKING:
    from retrylint.analysis.positions import StatementPositions
    from retrylint.analysis.project import Project

BUILTIN_NAMES = frozenset(dir(builtins))
NO_LITERAL = object()

# Kinds of the compound statements a call sits in, with the branch it is in.
LOOP, IF, TRY, EXCEPT, WITH = "loop", "if", "try", "except", "with"


@dataclass
class Binding:
    """What a name is bound to, as far as a light pass can tell."""

    qualname: str | None = None  # an import target, a local definition, or an instance's class
    value: cst.BaseExpression | None = None  # the expression assigned (e.g. the client constructor)
    function: "Function | None" = None
    cls: "ClassInfo | None" = None
    scope: "Scope | None" = None  # where ``value`` is to be resolved
    imported: bool = False  # bound by an import: ``qualname`` may name a variable elsewhere


class Scope:
    """Names bound in a module or a function; a function sees its module's names."""

    def __init__(self, model: "ModuleModel", parent: "Scope | None" = None, cls: "ClassInfo | None" = None):
        self.model = model
        self.parent = parent
        self.cls = cls  # for methods: the class that ``self``/``cls`` refer to
        self.self_name: str | None = None
        self.names: dict[str, Binding] = {}

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None


@dataclass
class CallSite:
    node: cst.Call
    index: int
    path: tuple[tuple[int, str, int], ...]  # (id(statement), kind, branch) from the function down
    in_return: bool


@dataclass
class GuardSite:
    """``if <lookup>: return/continue`` - evidence that already-done work is skipped."""

    node: cst.If
    index: int
    path: tuple[tuple[int, str, int], ...]


@dataclass
class RaiseSite:
    """``raise X`` of a name, not a call (``raise RetryTask``): a retry layer may be raised so."""

    node: cst.BaseExpression
    path: tuple[tuple[int, str, int], ...]


@dataclass
class ExceptHandlerSite:
    node: cst.ExceptHandler
    path: tuple[tuple[int, str, int], ...]


@dataclass
class Function:
    name: str
    qualname: str
    node: cst.FunctionDef | cst.Module
    scope: Scope
    cls: "ClassInfo | None" = None
    calls: list[CallSite] = field(default_factory=list)
    guards: list[GuardSite] = field(default_factory=list)
    handlers: list[ExceptHandlerSite] = field(default_factory=list)
    raised_names: list[RaiseSite] = field(default_factory=list)
    loops: list[cst.For | cst.While] = field(default_factory=list)
    # For each loop (by id): the context managers of the ``with`` statements around it.
    loop_contexts: dict[int, list[cst.BaseExpression]] = field(default_factory=dict)
    is_async: bool = False
    is_generator: bool = False

    @property
    def params(self) -> list[cst.Param]:
        if isinstance(self.node, cst.FunctionDef):
            p = self.node.params
            return [*p.posonly_params, *p.params, *p.kwonly_params]
        return []


@dataclass
class ClassInfo:
    name: str
    qualname: str
    node: cst.ClassDef
    bases: list[str | None]
    owner: "ModuleModel"
    methods: dict[str, Function] = field(default_factory=dict)
    body_attrs: dict[str, Binding] = field(default_factory=dict)  # class-body assignments
    self_attrs: dict[str, Binding] = field(default_factory=dict)  # ``self.x = ...`` in methods


@dataclass
class ImportSite:
    node: cst.Import | cst.ImportFrom
    statement: cst.SimpleStatementLine


def parse_unchecked(source: str) -> cst.Module:
    """libcst's parse without its check of every node as it is built (a fifth of the parse
    time): the source has compiled with Python first (see sources.python_rejects), and the
    tree is only read. Fixes build and check their nodes as usual (the check is put back as
    it was when this module loaded, so overlapping parses cannot leave it off)."""
    cst.CSTNode.__post_init__ = _unchecked
    try:
        return cst.parse_module(source)
    finally:
        cst.CSTNode.__post_init__ = _CHECKED


def _unchecked(node: cst.CSTNode) -> None:
    pass


_CHECKED = cst.CSTNode.__post_init__


class ModuleModel:
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
    ):
        self.catalog = catalog
        self.project = project
        self.root = root  # the import root this module is named from
        self.is_package = is_package
        self.source = source
        self.path = path
        self.module_name = module_name
        self.tree = tree if tree is not None else parse_unchecked(source)
        self.scope = Scope(self)
        self.functions: list[Function] = []
        self.classes: list[ClassInfo] = []
        self.imports: list[ImportSite] = []
        self.imported_modules: set[str] = set()
        self.module_function = Function("<module>", module_name, self.tree, self.scope)
        self.assignments: list[tuple[cst.BaseAssignTargetExpression, cst.BaseExpression, Scope]] = []
        _Builder(self).build()

    # ----- positions -------------------------------------------------------------------
    @cached_property
    def positions(self) -> StatementPositions:
        """Node positions as libcst's PositionProvider gives them (or as in the source, where libcst
        does not round-trip it), rendering only the top-level statements that hold the nodes asked for."""
        from retrylint.analysis.positions import StatementPositions  # it walks with this module's ``children``

        return StatementPositions(self.tree, self.source)

    def range(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def code(self, node: cst.CSTNode) -> str:
        return self.tree.code_for_node(node)

    # ----- name resolution --------------------------------------------------------------
    def qualify(self, expr: cst.CSTNode | None, scope: Scope) -> str | None:
        """The qualified name an expression refers to, or None when a light pass cannot tell.

        Instances of known classes resolve to their class (``client = OpenAI()`` makes
        ``client.chat`` resolve to ``openai.OpenAI.chat``)."""
        return self._qualify(expr, scope, 0)

    def _qualify(self, expr, scope: Scope, depth: int, follow: bool = False) -> str | None:
        """``follow``: the expression is used as a value (``x.attr``), so a name imported from
        a project module is followed to what it is bound to there."""
        if expr is None or depth > 20:
            return None
        if isinstance(expr, cst.Name):
            return self._qualify_name(expr.value, scope, depth, follow)
        if isinstance(expr, cst.Attribute):
            if (
                isinstance(expr.value, cst.Name)
                and scope.cls is not None
                and expr.value.value == scope.self_name
            ):
                return self._qualify_self_attribute(expr.attr.value, scope.cls, depth)
            base = self._qualify(expr.value, scope, depth + 1, follow=True)
            if base and expr.attr.value in self.catalog.passthrough_attrs:
                return base  # ``client.with_raw_response.chat...`` is the same call
            return f"{base}.{expr.attr.value}" if base else None
        if isinstance(expr, cst.Call):
            return self._qualify_call_result(expr, scope, depth)
        if isinstance(expr, cst.Await):
            return self._qualify(expr.expression, scope, depth + 1)
        return None

    def _qualify_name(self, name: str, scope: Scope, depth: int, follow: bool = False) -> str | None:
        binding = scope.lookup(name)
        if binding is None:
            return f"builtins.{name}" if name in BUILTIN_NAMES else None
        return self._qualify_binding(binding, depth, follow)

    def _qualify_self_attribute(self, attr: str, cls: ClassInfo, depth: int) -> str | None:
        """``self.attr``: a method or attribute of the class or its bases, or else of the one
        subclass in this module that sets it (a base method using a subclass's attribute)."""
        for info in self.class_mro(cls):
            if attr in info.methods:
                return info.methods[attr].qualname
            binding = info.self_attrs.get(attr) or info.body_attrs.get(attr)
            if binding is not None:
                return self._qualify_binding(binding, depth)
        subclasses = [
            info for info in self.classes
            if info is not cls and attr in info.self_attrs and any(base is cls for base in self.class_mro(info))
        ]
        return self._qualify_binding(subclasses[0].self_attrs[attr], depth) if len(subclasses) == 1 else None

    def _qualify_binding(self, binding: Binding, depth: int, follow: bool = False) -> str | None:
        if follow and binding.imported and self.project is not None and depth < 20:
            exported = self.project.exported_binding(binding.qualname, self.root)
            if exported is not None:  # ``from app.llm import client``: what client is there
                found, model = exported
                return model._qualify_binding(found, depth + 1, follow)
        if binding.qualname is not None:
            return binding.qualname
        if binding.value is not None and binding.scope is not None:
            return self._qualify(binding.value, binding.scope, depth + 1)
        return None

    def _qualify_call_result(self, call: cst.Call, scope: Scope, depth: int) -> str | None:
        """A call yields a known value only for constructors of catalogued clients and for
        their option methods (``client.with_options(...)`` is the same client)."""
        target = self._qualify(call.func, scope, depth + 1)
        if target is None:
            return None
        catalog = self.catalog
        if target in catalog.client_by_name or target in catalog.known_classes:
            return target
        owner, _, method = target.rpartition(".")
        spec = catalog.client_by_name.get(owner)
        if spec is not None and method in spec.option_methods:
            return owner
        service = call.args[0].value if call.args and call.args[0].keyword is None else None
        if isinstance(service, cst.SimpleString) and f"{target}[{service.evaluated_value}]" in catalog.client_by_name:
            return f"{target}[{service.evaluated_value}]"  # boto3.client("bedrock-runtime")
        if target.rpartition(".")[2][:1].isupper() and self.resolve_class(target) is not None:
            return target  # an instance of a project class (classes are CamelCase: look no further)
        return None

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
        if isinstance(expr, cst.Integer):
            return int(expr.value.replace("_", ""), 0)
        if isinstance(expr, cst.Float):
            return float(expr.value.replace("_", ""))
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
        if qualname is None:
            return None
        local = self.function_by_qualname.get(qualname)
        if local is not None or self.project is None:
            return local
        found = self.project.resolve(qualname, near=self.root)
        return found if isinstance(found, Function) else None

    def resolve_class(self, qualname: str | None) -> ClassInfo | None:
        if qualname is None:
            return None
        local = self.class_by_qualname.get(qualname)
        if local is not None or self.project is None:
            return local
        found = self.project.resolve(qualname, near=self.root)
        return found if isinstance(found, ClassInfo) else None

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


class _Builder:
    """One walk that records imports, bindings, definitions and each function's calls."""

    def __init__(self, model: ModuleModel):
        self.model = model
        self.model.function_by_qualname: dict[str, Function] = {}
        self.model.class_by_qualname: dict[str, ClassInfo] = {}
        self.index = 0
        self.withs: dict[int, cst.With] = {}

    def build(self) -> None:
        model = self.model
        self._walk_block(model.tree.body, model.module_function, model.scope, (), None, top=True)
        model.functions.insert(0, model.module_function)
        model.function_by_qualname[model.module_function.qualname] = model.module_function

    # ----- statements --------------------------------------------------------------
    def _walk_block(self, body, function: Function, scope: Scope, path, cls: ClassInfo | None, top=False) -> None:
        for statement in body:
            self._walk_statement(statement, function, scope, path, cls, top)

    def _walk_statement(self, stmt, function: Function, scope: Scope, path, cls, top) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._walk_small(small, stmt, function, scope, path, cls, top)
            return
        if isinstance(stmt, cst.BaseSmallStatement):  # the body of a one-line suite
            self._walk_small(stmt, stmt, function, scope, path, cls, top)
            return
        if isinstance(stmt, cst.FunctionDef):
            self._define_function(stmt, function, scope, cls)
            return
        if isinstance(stmt, cst.ClassDef):
            self._define_class(stmt, function, scope)
            return
        if isinstance(stmt, cst.If):
            self._walk_if(stmt, function, scope, path, cls)
            return
        if isinstance(stmt, (cst.For, cst.While)):
            function.loops.append(stmt)
            function.loop_contexts[id(stmt)] = [
                item.item for entry in path if entry[1] == WITH for item in self.withs[entry[0]].items
            ]
            if isinstance(stmt, cst.For):
                self._expr(stmt.iter, function, path)
                self._bind_target(stmt.target, None, scope)
            else:
                self._expr(stmt.test, function, path)
            self._walk_block(stmt.body.body, function, scope, path + ((id(stmt), LOOP, 0),), cls)
            if stmt.orelse is not None:
                self._walk_block(stmt.orelse.body.body, function, scope, path + ((id(stmt), LOOP, 1),), cls)
            return
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            self._walk_block(stmt.body.body, function, scope, path + ((id(stmt), TRY, 0),), cls)
            for handler in stmt.handlers:
                handler_path = path + ((id(stmt), TRY, 1), (id(handler), EXCEPT, 0))
                function.handlers.append(ExceptHandlerSite(handler, handler_path))
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    scope.names.pop(handler.name.name.value, None)
                self._walk_block(handler.body.body, function, scope, handler_path, cls)
            if stmt.orelse is not None:
                self._walk_block(stmt.orelse.body.body, function, scope, path + ((id(stmt), TRY, 2),), cls)
            if stmt.finalbody is not None:
                self._walk_block(stmt.finalbody.body.body, function, scope, path + ((id(stmt), TRY, 3),), cls)
            return
        if isinstance(stmt, cst.With):
            self.withs[id(stmt)] = stmt
            for item in stmt.items:
                self._expr(item.item, function, path)
                if item.asname is not None:
                    self._bind_target(item.asname.name, item.item, scope)
            self._walk_block(stmt.body.body, function, scope, path + ((id(stmt), WITH, 0),), cls)
            return
        if isinstance(stmt, cst.Match):
            self._expr(stmt.subject, function, path)
            for number, case in enumerate(stmt.cases):
                self._walk_block(case.body.body, function, scope, path + ((id(stmt), IF, number),), cls)
            return
        # Anything else: still record its calls.
        self._expr(stmt, function, path)

    def _walk_if(self, stmt: cst.If, function: Function, scope: Scope, path, cls) -> None:
        self._expr(stmt.test, function, path)
        if _is_skip_guard(stmt):
            function.guards.append(GuardSite(stmt, self._next(), path))
        self._walk_block(stmt.body.body, function, scope, path + ((id(stmt), IF, 0),), cls)
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            self._walk_if(orelse, function, scope, path + ((id(stmt), IF, 1),), cls)
        elif orelse is not None:
            self._walk_block(orelse.body.body, function, scope, path + ((id(stmt), IF, 1),), cls)

    def _walk_small(self, small, line, function: Function, scope: Scope, path, cls, top) -> None:
        model = self.model
        if isinstance(small, cst.Import):
            if top:
                model.imports.append(ImportSite(small, line))
            for alias in small.names:
                dotted = model.code(alias.name)
                model.imported_modules.add(dotted)
                if alias.asname is not None:
                    scope.names[alias.asname.name.value] = Binding(qualname=dotted, imported=True)
                else:
                    head = dotted.split(".")[0]
                    scope.names[head] = Binding(qualname=head, imported=True)
            return
        if isinstance(small, cst.ImportFrom):
            if top:
                model.imports.append(ImportSite(small, line))
            module = self._from_module(small)
            if module is None:
                return
            model.imported_modules.add(module)
            if isinstance(small.names, cst.ImportStar):
                return
            for alias in small.names:
                name = model.code(alias.name)
                bound = alias.asname.name.value if alias.asname is not None else name
                scope.names[bound] = Binding(qualname=f"{module}.{name}", imported=True)
                model.imported_modules.add(f"{module}.{name}")
            return
        if isinstance(small, cst.Assign):
            self._expr(small.value, function, path)
            for target in small.targets:
                self._bind_target(target.target, small.value, scope, cls, function)
            return
        if isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._expr(small.value, function, path)
            self._bind_target(small.target, small.value or small.annotation.annotation, scope, cls, function)
            return
        if isinstance(small, cst.Raise) and isinstance(small.exc, (cst.Name, cst.Attribute)):
            function.raised_names.append(RaiseSite(small.exc, path))
        self._expr(small, function, path, in_return=isinstance(small, cst.Return))

    def _from_module(self, node: cst.ImportFrom) -> str | None:
        dots = len(node.relative)
        name = self.model.code(node.module) if node.module is not None else ""
        if not dots:
            return name
        package = self.model.module_name.split(".")
        if not self.model.is_package:
            package = package[:-1]
        base = package[: max(len(package) - dots + 1, 0)]
        return ".".join([*base, name] if name else base) or None

    def _bind_target(self, target, value, scope: Scope, cls: ClassInfo | None = None, function: Function | None = None) -> None:
        if isinstance(target, cst.Name):
            scope.names[target.value] = Binding(value=value, scope=scope)
            if cls is not None:
                cls.body_attrs[target.value] = scope.names[target.value]
            self.model.assignments.append((target, value, scope))
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and scope.cls is not None
            and target.value.value == scope.self_name
        ):
            scope.cls.self_attrs.setdefault(target.attr.value, Binding(value=value, scope=scope))
            self.model.assignments.append((target, value, scope))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, None, scope, cls, function)
        elif isinstance(target, cst.Attribute):
            self.model.assignments.append((target, value, scope))

    # ----- definitions --------------------------------------------------------------
    def _define_function(self, node: cst.FunctionDef, outer: Function, outer_scope: Scope, cls: ClassInfo | None) -> None:
        model = self.model
        owner = cls.qualname if cls is not None else (
            model.module_name if outer is model.module_function else f"{outer.qualname}.<locals>"
        )
        qualname = f"{owner}.{node.name.value}"
        scope = Scope(model, parent=model.scope if cls is not None else outer_scope, cls=cls)
        function = Function(node.name.value, qualname, node, scope, cls=cls, is_async=node.asynchronous is not None)
        params = function.params
        if cls is not None and params and not _is_staticmethod(node):
            scope.self_name = params[0].name.value
        for param in params:
            if param.name.value == scope.self_name:
                continue
            annotation = param.annotation.annotation if param.annotation is not None else None
            scope.names[param.name.value] = Binding(value=annotation, scope=outer_scope if annotation is not None else None)
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.names[star.name.value] = Binding()
        model.functions.append(function)
        model.function_by_qualname[qualname] = function
        if cls is not None:
            cls.methods[node.name.value] = function
        else:
            outer_scope.names[node.name.value] = Binding(qualname=qualname, function=function)
        self._walk_block(node.body.body, function, scope, (), None)

    def _define_class(self, node: cst.ClassDef, outer: Function, outer_scope: Scope) -> None:
        model = self.model
        owner = model.module_name if outer is model.module_function else f"{outer.qualname}.<locals>"
        qualname = f"{owner}.{node.name.value}"
        bases = [model.qualify(arg.value, outer_scope) for arg in node.bases if arg.keyword is None]
        info = ClassInfo(node.name.value, qualname, node, bases, model)
        model.classes.append(info)
        model.class_by_qualname[qualname] = info
        outer_scope.names[node.name.value] = Binding(qualname=qualname, cls=info)
        class_scope = Scope(model, parent=outer_scope)
        self._walk_block(node.body.body, outer, class_scope, ((id(node), "class", 0),), info)

    # ----- expressions --------------------------------------------------------------
    def _next(self) -> int:
        self.index += 1
        return self.index

    def _expr(self, node: cst.CSTNode, function: Function, path, in_return: bool = False) -> None:
        """Record calls in execution order (arguments before the call)."""
        kind = type(node)  # exact types: libcst's ABC-based isinstance is slow on this hot path
        if kind in _NEW_SCOPES:
            return
        if kind in _COMPREHENSIONS:
            path = path + ((id(node), LOOP, 0),)
        elif kind is cst.Yield:
            function.is_generator = True
        for child in children(node):
            self._expr(child, function, path, in_return)
        if kind is cst.Call:
            function.calls.append(CallSite(node, self._next(), path, in_return))


def _is_staticmethod(node: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
    )


_NEW_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_SKIPPED_FIELDS = ("whitespace", "lpar", "rpar", "comma", "semicolon", "equal", "colon", "star", "operator",
                   "dot", "header", "footer", "leading_lines", "lines_after_decorators")
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that hold code, in source order, without libcst's costly ``children``
    (which walks every whitespace and punctuation node too)."""
    kind = type(node)
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(kind) if not f.name.startswith(_SKIPPED_FIELDS)
        )
        _CHILD_FIELDS[kind] = names
    for name in names:
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:
                if _is_node_type(type(item)):
                    yield item
        elif _is_node_type(kind):
            yield value


@cache
def _is_node_type(kind: type) -> bool:
    return issubclass(kind, cst.CSTNode)


def descendants(node: cst.CSTNode, stop_at_loops: bool = False) -> Iterator[cst.CSTNode]:
    """Nodes under ``node`` in the same scope (nested defs, classes and lambdas are yielded
    but not entered; nor are nested loops when ``stop_at_loops``)."""
    stack = list(children(node))
    while stack:
        child = stack.pop()
        yield child
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if stop_at_loops and isinstance(child, (cst.For, cst.While)):
            continue
        stack.extend(children(child))


def _is_skip_guard(stmt: cst.If) -> bool:
    """``if <lookup>: ... return|continue`` where the test looks something up."""
    body = stmt.body.body
    if not body:
        return False
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    if not isinstance(last, (cst.Return, cst.Continue)):
        return False
    return any(_looks_up(node) for node in [stmt.test, *descendants(stmt.test)])


def _looks_up(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.Call, cst.Subscript, cst.Attribute)):
        return True
    return isinstance(node, cst.Comparison) and any(
        isinstance(t.operator, (cst.In, cst.NotIn)) for t in node.comparisons
    )
