"""What a module model is made of: name bindings and scopes, functions with their call sites
in execution order, classes and imports."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel

# Kinds of the compound statements a call sits in, with the branch it is in.
LOOP, IF, TRY, EXCEPT, WITH = "loop", "if", "try", "except", "with"


def identifier(name: str) -> str:
    """A name as Python reads it: identifiers are NFKC-normalised, so ``ｃｌｉｅｎｔ`` is
    ``client`` and ``ｒｅｔｒｙ`` is ``retry``. The model records and looks up names through this
    (bindings, qualified names, attributes, keywords)."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


@dataclass
class Binding:
    """What a name is bound to, as far as a light pass can tell."""

    qualname: str | None = None  # an import target, a local definition, or an instance's class
    value: cst.BaseExpression | None = None  # the expression assigned (e.g. the client constructor)
    function: "Function | None" = None
    cls: "ClassInfo | None" = None
    scope: "Scope | None" = None  # where ``value`` is to be resolved
    imported: bool = False  # bound by an import: ``qualname`` may name a variable elsewhere
    annotation: cst.BaseExpression | None = None  # its declared type (a parameter's, ``x: T = ...``)
    param: cst.Param | None = None  # a parameter's, as written in its function's signature
    parameter_of: "Function | None" = None  # the function it is a parameter of


class Scope:
    """Names bound in a module or a function; a function sees its module's names."""

    def __init__(self, model: "ModuleModel", parent: "Scope | None" = None, cls: "ClassInfo | None" = None):
        self.model = model
        self.parent = parent
        self.cls = cls  # for methods: the class that ``self``/``cls`` refer to
        self.self_name: str | None = None
        self.self_is_class = False  # ``self_name`` is a classmethod's ``cls``: the class itself
        self.names: dict[str, Binding] = {}
        # each ``name = value`` written in this scope, with the branches it lies in (as CallSite.path)
        self.assigned: dict[str, list[tuple[Binding, tuple]]] = {}

    def alternatives(self, name: str) -> list[Binding]:
        """The values ``name`` is assigned in the branches of one ``if``/``elif`` chain (or ``match``),
        when each of its assignments here lies in another branch of it: only one of them runs. []
        when it is assigned once, or where one assignment may follow another."""
        assigned = self.assigned.get(identifier(name), ())
        if len(assigned) < 2:
            return []
        for i, (_, one) in enumerate(assigned):
            for _, other in assigned[i + 1:]:
                if not any(a[0] == b[0] and a[1] == b[1] == IF and a[2] != b[2] for a, b in zip(one, other)):
                    self.assigned[identifier(name)] = assigned[-1:]  # not alternatives: ask no more
                    return []
        return [binding for binding, _ in assigned]

    def lookup(self, name: str) -> Binding | None:
        name = identifier(name)
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
    returned_calls: set[int] = field(default_factory=set)  # ids of calls that are a ``return``'s whole value

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
    self_attrs: dict[str, Binding] = field(default_factory=dict)  # the first ``self.x = ...`` in methods
    self_assignments: dict[str, list[Binding]] = field(default_factory=dict)  # every ``self.x = ...``
    # ``values["x"] = ...`` in a validator that returns ``values`` (pydantic's root validators)
    field_values: dict[str, list[Binding]] = field(default_factory=dict)

    def attribute_bindings(self, attr: str) -> list[Binding]:
        """Every assignment to ``self.<attr>`` in the methods, then the values a validator sets
        for a field the class body declares, then the class body's."""
        body = self.body_attrs.get(attr)
        validated = self.field_values.get(attr, ()) if body is not None else ()
        return [*self.self_assignments.get(attr, ()), *validated, *([body] if body is not None else [])]

    def builds_plainly(self) -> bool:
        """Making an instance runs no code that can fail: no bases, no decorators, and an
        ``__init__`` (if any) that only stores its arguments, calling and raising nothing."""
        if self.bases or self.node.decorators or {"__new__", "__post_init__"} & self.methods.keys():
            return False
        init = self.methods.get("__init__")
        if init is None:
            return True
        body = init.node.body
        return not init.calls and not init.raised_names and isinstance(body, cst.IndentedBlock) and all(
            isinstance(line, cst.SimpleStatementLine)
            and all(isinstance(small, (cst.Assign, cst.AnnAssign, cst.Pass, cst.Expr)) for small in line.body)
            for line in body.body)


@dataclass
class ImportSite:
    node: cst.Import | cst.ImportFrom
    statement: cst.SimpleStatementLine
