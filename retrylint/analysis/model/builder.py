"""The one walk over a module's tree that fills its model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.model.skip_guards import EVERYTHING_AFTER, skip_guard
from retrylint.analysis.model.symbols import (
    EXCEPT, IF, LOOP, TRY, WITH, Binding, CallSite, ClassInfo, ExceptHandlerSite, Function, GuardSite,
    ImportSite, RaiseSite, Scope, identifier,
)
from retrylint.analysis.model.tree import children, descendants

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel


class ModelBuilder:
    """One walk that records imports, bindings, definitions and each function's calls."""

    def __init__(self, model: ModuleModel):
        self.model = model
        self.index = 0
        self.withs: dict[int, cst.With] = {}
        self.field_values: list[tuple[Function, str, Binding]] = []  # ``values["x"] = ...`` in methods, pending
        self.looked_up: dict[int, set[str]] = {}  # by function: the names set from a call so far

    def build(self) -> None:
        model = self.model
        self._walk_block(model.tree.body, model.module_function, model.scope, (), None, top=True)
        model.functions.insert(0, model.module_function)
        model.function_by_qualname[model.module_function.qualname] = model.module_function

    # ----- statements --------------------------------------------------------------
    def _walk_block(self, body, function: Function, scope: Scope, path, cls: ClassInfo | None, top=False) -> None:
        for statement in body:
            self._walk_statement(statement, function, scope, path, cls, top)
            path = path + _fall_through(statement)  # ``if stream: return ...``: what follows is its ``else``

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
                    scope.names.pop(identifier(handler.name.name.value), None)
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
        guarded = skip_guard(stmt, self.looked_up.get(id(function), set()))
        if guarded is not None:
            branch = () if guarded == EVERYTHING_AFTER else ((id(stmt), IF, guarded),)
            function.guards.append(GuardSite(stmt, self._next(), path + branch))
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
                dotted = identifier(model.code(alias.name))
                model.imported_modules.add(dotted)
                if alias.asname is not None:
                    scope.names[identifier(alias.asname.name.value)] = Binding(qualname=dotted, imported=True)
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
            if isinstance(small.names, cst.ImportStar):  # the names the catalog declares there; nothing is imported
                bindings = [(name, name) for name in sorted(model.catalog.star_names(module))]
            else:
                bindings = [(identifier(model.code(alias.name)), identifier(alias.asname.name.value) if alias.asname
                             is not None else None) for alias in small.names]
            for name, bound in bindings:
                scope.names[bound or name] = Binding(qualname=f"{module}.{name}", imported=True)
                model.imported_modules.add(f"{module}.{name}")
            return
        if isinstance(small, cst.Assign):
            self._expr(small.value, function, path)
            for target in small.targets:
                self._bind_target(target.target, small.value, scope, cls, function)
                if cls is None and isinstance(target.target, cst.Name):
                    name = identifier(target.target.value)
                    scope.assigned.setdefault(name, []).append((scope.names[name], path))
                self._note_looked_up(target.target, small.value, function)
            return
        if isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._expr(small.value, function, path)
            self._bind_target(small.target, small.value or small.annotation.annotation, scope, cls, function,
                              annotation=small.annotation.annotation)
            return
        if isinstance(small, cst.Raise) and isinstance(small.exc, (cst.Name, cst.Attribute)):
            function.raised_names.append(RaiseSite(small.exc, path))
        if isinstance(small, cst.Return) and isinstance(small.value, cst.Call):
            function.returned_calls.add(id(small.value))
        self._expr(small, function, path, in_return=isinstance(small, cst.Return))

    def _from_module(self, node: cst.ImportFrom) -> str | None:
        dots = len(node.relative)
        name = identifier(self.model.code(node.module)) if node.module is not None else ""
        if not dots:
            return name
        package = self.model.module_name.split(".")
        if not self.model.is_package:
            package = package[:-1]
        base = package[: max(len(package) - dots + 1, 0)]
        return ".".join([*base, name] if name else base) or None

    def _bind_target(self, target, value, scope: Scope, cls: ClassInfo | None = None, function: Function | None = None,
                     annotation: cst.BaseExpression | None = None) -> None:
        if isinstance(target, cst.Name):
            name = identifier(target.value)
            declared = scope.names.get(name)  # a name keeps its declared type (``actor: Actor | None`` reassigned)
            if annotation is None and declared is not None and declared.annotation is not None and cls is None:
                annotation = declared.annotation
            scope.names[name] = Binding(value=value, scope=scope, annotation=annotation)
            if cls is not None:
                cls.body_attrs[name] = scope.names[name]
            self.model.assignments.append((target, value, scope))
        elif (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and scope.cls is not None
            and target.value.value == scope.self_name
        ):
            binding = Binding(value=value, scope=scope, annotation=annotation)
            attr = identifier(target.attr.value)
            scope.cls.self_attrs.setdefault(attr, binding)
            scope.cls.self_assignments.setdefault(attr, []).append(binding)
            self.model.assignments.append((target, value, scope))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, None, scope, cls, function)
        elif isinstance(target, cst.Subscript) and function is not None and function.cls is not None:
            self._field_value(target, value, scope, function)
        elif isinstance(target, cst.Attribute):
            self.model.assignments.append((target, value, scope))

    def _note_looked_up(self, target, value, function: Function) -> None:
        """The names a call's result is bound to (``cached = cache.get(key)``, ``key, cached = lookup()``):
        a test of one of them may be a skip-already-done check (``skip_guards.py``)."""
        value = value.expression if isinstance(value, cst.Await) else value
        if isinstance(value, cst.Call):
            names = [target] if isinstance(target, cst.Name) else \
                [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else []
            self.looked_up.setdefault(id(function), set()).update(n.value for n in names if isinstance(n, cst.Name))

    def _field_value(self, target: cst.Subscript, value, scope: Scope, method: Function) -> None:
        """``values["client"] = cohere.Client(...)`` in a method taking the field values as its first
        argument after ``cls``/``self`` (a pydantic validator's ``values``): a value of that field,
        kept when the method returns the dict (``_define_function``)."""
        params = method.params
        key = target.slice[0].slice if len(target.slice) == 1 else None
        if len(params) > 1 and scope.self_name is not None and isinstance(target.value, cst.Name) \
                and target.value.value == params[1].name.value and isinstance(key, cst.Index) \
                and isinstance(key.value, cst.SimpleString) and isinstance(key.value.evaluated_value, str):
            binding = Binding(value=value, scope=scope)
            self.field_values.append((method, identifier(key.value.evaluated_value), binding))

    def _keep_field_values(self, method: Function) -> None:
        """The field values a validator sets, when it returns the dict it sets them in."""
        mine = [entry for entry in self.field_values if entry[0] is method]
        if not mine or method.cls is None:
            return
        name = method.params[1].name.value
        if any(isinstance(node, cst.Return) and isinstance(node.value, cst.Name) and node.value.value == name
               for node in descendants(method.node)):
            for _, field, binding in mine:
                method.cls.field_values.setdefault(field, []).append(binding)
        self.field_values = [entry for entry in self.field_values if entry[0] is not method]

    # ----- definitions --------------------------------------------------------------
    def _define_function(self, node: cst.FunctionDef, outer: Function, outer_scope: Scope, cls: ClassInfo | None) -> None:
        model = self.model
        owner = cls.qualname if cls is not None else (
            model.module_name if outer is model.module_function else f"{outer.qualname}.<locals>"
        )
        name = identifier(node.name.value)
        qualname = f"{owner}.{name}"
        scope = Scope(model, parent=model.scope if cls is not None else outer_scope, cls=cls)
        function = Function(name, qualname, node, scope, cls=cls, is_async=node.asynchronous is not None)
        params = function.params
        if cls is not None and params and not _is_staticmethod(node):
            scope.self_name, scope.self_is_class = params[0].name.value, _is_decorated(node, "classmethod")
        elif cls is None and outer_scope.cls is not None and all(p.name.value != outer_scope.self_name for p in params):
            scope.cls, scope.self_name = outer_scope.cls, outer_scope.self_name  # a closure in a method sees its self
            scope.self_is_class = outer_scope.self_is_class
        for param in params:
            if param.name.value == scope.self_name:
                continue
            annotation = param.annotation.annotation if param.annotation is not None else None
            scope.names[identifier(param.name.value)] = Binding(
                value=annotation, scope=outer_scope if annotation is not None else None, annotation=annotation,
                param=param, parameter_of=function,
            )
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.names[identifier(star.name.value)] = Binding()
        model.functions.append(function)
        if cls is None or name not in cls.methods or not _is_accessor(node, name):  # ``@x.setter``: ``x`` stays
            model.function_by_qualname[qualname] = function  # the getter, what reading ``obj.x`` runs
            if cls is not None:
                cls.methods[name] = function
        if cls is None:
            outer_scope.names[name] = Binding(qualname=qualname, function=function)
        self._walk_block(node.body.body, function, scope, (), None)
        self._keep_field_values(function)

    def _define_class(self, node: cst.ClassDef, outer: Function, outer_scope: Scope) -> None:
        model = self.model
        owner = model.module_name if outer is model.module_function else f"{outer.qualname}.<locals>"
        name = identifier(node.name.value)
        qualname = f"{owner}.{name}"
        bases = [model.qualify(arg.value, outer_scope) for arg in node.bases if arg.keyword is None]
        info = ClassInfo(name, qualname, node, bases, model)
        model.classes.append(info)
        model.class_by_qualname[qualname] = info
        outer_scope.names[name] = Binding(qualname=qualname, cls=info)
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
            self._comprehension(node, function, path, in_return)
            return
        if kind is cst.Yield:
            function.is_generator = True
        for child in children(node):
            self._expr(child, function, path, in_return)
        if kind is cst.Call:
            function.calls.append(CallSite(node, self._next(), path, in_return))


    def _comprehension(self, node, function: Function, path, in_return: bool) -> None:
        """The first ``for``'s iterable runs once, before the loop; the rest runs per item."""
        first = node.for_in
        self._expr(first.iter, function, path, in_return)
        loop = path + ((id(node), LOOP, 0),)
        for child in children(node):
            parts = [part for part in children(first) if part is not first.iter] if child is first else [child]
            for part in parts:
                self._expr(part, function, loop, in_return)


def _is_accessor(node: cst.FunctionDef, name: str) -> bool:
    """``@name.setter`` / ``@name.deleter``: the write side of a property defined above."""
    return any(
        isinstance(d.decorator, cst.Attribute) and isinstance(d.decorator.value, cst.Name)
        and identifier(d.decorator.value.value) == name and d.decorator.attr.value in ("setter", "deleter")
        for d in node.decorators
    )


def _is_staticmethod(node: cst.FunctionDef) -> bool:
    return _is_decorated(node, "staticmethod")


def _is_decorated(node: cst.FunctionDef, builtin: str) -> bool:
    """``@staticmethod`` / ``@classmethod`` (the builtin, by its name)."""
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == builtin for d in node.decorators)


_NEW_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _fall_through(stmt) -> tuple:
    """The branch the statements after ``stmt`` in its block lie in: after an ``if`` with no
    ``else`` whose body ends in ``return`` or ``raise`` (each ``elif`` too), they run only when
    its tests fail, as its ``else`` would; () after anything else."""
    if not isinstance(stmt, cst.If) or not _exits(stmt.body.body):
        return ()
    if stmt.orelse is None:
        return ((id(stmt), IF, 1),)
    rest = _fall_through(stmt.orelse) if isinstance(stmt.orelse, cst.If) else ()
    return ((id(stmt), IF, 1), *rest) if rest else ()


def _exits(body) -> bool:
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    return isinstance(last, (cst.Return, cst.Raise))
