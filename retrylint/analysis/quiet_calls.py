"""Calls that cannot fail after a paid one although nothing catalogues them: what RTL003 need not
name as a follower.

- A project function whose every call cannot fail, or sits in the body of a ``try`` one of whose
  handlers catches every exception and raises nothing (metagpt 0.8.2 BaseLLM._update_costs: the
  cost update in ``try: ... except Exception as e: logger.error(...)``), calling only such
  functions in turn (a few levels deep), with no ``raise``, ``assert``, subscript or arithmetic
  of its own outside such a ``try`` (``reply.choices[0]`` raises on a reply without one). A method
  left to subclasses (abstract) or a placeholder (a stub body) is not judged.
- An SDK's own data type built from constants only (``anthropic.types.Usage(input_tokens=0,
  output_tokens=0)``): a model of the SDK's with literal values, which sends nothing.

Not a follower either, although it can fail: a project function that only reads its arguments
(``reads_arguments``), the reading of a paid reply moved into a helper (metagpt 0.8.2
``get_choice_text``: ``return resp.content[0].text``). Read inline, ``reply.choices[0]`` is no
call and no follower; a helper that does only that is judged the same. One that parses
(``json.loads``), calls anything else or raises is no reader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import libcst as cst

from retrylint.analysis.call_order import catches_all
from retrylint.analysis.model import TRY, descendants
from retrylint.analysis.model.tree import is_docstring
from retrylint.analysis.subclasses import is_abstract, is_stub

if TYPE_CHECKING:
    from retrylint.analysis.model import CallSite, Function, ModuleModel

MAX_QUIET_DEPTH = 3  # project functions followed to judge that one cannot fail
RISKY = (cst.Raise, cst.Assert, cst.Subscript, cst.AugAssign, cst.BinaryOperation)
LITERALS = (cst.Integer, cst.Float, cst.SimpleString, cst.Name)
Infallible = Callable[["ModuleModel", cst.Call, "str | None"], bool]


class QuietFunctions:
    """Which project functions cannot fail, judged once each for one reach."""

    def __init__(self, infallible: Infallible):
        self.infallible = infallible
        self._judged: dict[int, bool] = {}

    def cannot_fail(self, function: "Function | None", depth: int = MAX_QUIET_DEPTH) -> bool:
        if function is None or depth == 0 or not isinstance(function.node, cst.FunctionDef) or is_abstract(function) \
                or is_stub(function.node):  # a placeholder for code not written here
            return False
        key = id(function)
        if key not in self._judged:
            self._judged[key] = False  # a cycle back into it: not known to be quiet
            self._judged[key] = not _risky(function) and all(self._quiet_site(function, site, depth) for site in function.calls)
        return self._judged[key]

    def _quiet_site(self, function: "Function", site: "CallSite", depth: int) -> bool:
        if _swallowed(function, site):
            return True
        model = function.scope.model
        target = model.qualify(site.node.func, function.scope)
        if self.infallible(model, site.node, target):
            return True
        callee = model.resolve_function(target) if target is not None else _super_method(function, site.node.func)
        return self.cannot_fail(callee, depth - 1)


def _super_method(function: "Function", func: cst.BaseExpression) -> "Function | None":
    """``super().name(...)`` in a method: the first base class's ``name`` found."""
    call = func.value if isinstance(func, cst.Attribute) else None
    if function.cls is None or not isinstance(call, cst.Call) or call.args or \
            not isinstance(call.func, cst.Name) or call.func.value != "super":
        return None
    for base in function.cls.bases:
        cls = function.cls.owner.resolve_class(base) if base is not None else None
        if cls is None:
            return None  # a base not read may define it
        if func.attr.value in cls.methods:
            return cls.methods[func.attr.value]
    return None


def _risky(function: "Function") -> bool:
    """A ``raise``, an ``assert``, a subscript (``reply.choices[0]``: IndexError, KeyError) or
    arithmetic (``self.tokens += usage.total_tokens``: TypeError on None) outside every ``try``
    that swallows all: the function can fail without a call failing."""
    swallowing = [h.path[-2][0] for h in function.handlers if len(h.path) > 1 and _swallows(function, h.node)]
    tries = [n for n in descendants(function.node.body) if isinstance(n, cst.Try) and id(n) in swallowing]
    guarded = {id(n) for t in tries for n in descendants(t.body)}
    return any(isinstance(n, RISKY) and id(n) not in guarded
               for n in descendants(function.node.body))


def _swallows(function: "Function", handler: cst.ExceptHandler) -> bool:
    return catches_all(function, handler) and not any(isinstance(n, cst.Raise) for n in descendants(handler))


def _swallowed(function: "Function", site: "CallSite") -> bool:
    """The call sits in the body of a ``try`` with a handler that catches everything and raises nothing."""
    for statement, kind, branch in site.path:
        if kind == TRY and branch == 0:
            handlers = [h.node for h in function.handlers if len(h.path) > 1 and h.path[-2] == (statement, TRY, 1)]
            if any(_swallows(function, h) for h in handlers):
                return True
    return False


PLAIN_DECORATORS = {"staticmethod", "classmethod"}


def reads_arguments(model: "ModuleModel", target: str | None) -> bool:
    """``target`` is a project function whose body is one ``return`` (after a docstring) of a
    reading of its parameters: attributes, subscripts, ``.get(...)``, and tests and choices of those
    (``rsp.choices[0].message.content if rsp.choices else ""``), with constants."""
    function = model.resolve_function(target) if target is not None else None
    node = function.node if function is not None else None
    if not isinstance(node, cst.FunctionDef) or function.is_generator or not isinstance(node.body, cst.IndentedBlock) \
            or any(not (isinstance(d.decorator, cst.Name) and d.decorator.value in PLAIN_DECORATORS) for d in node.decorators):
        return False
    body = [line for number, line in enumerate(node.body.body) if number > 0 or not is_docstring(line)]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return False
    statement = body[0].body[0]
    params = {param.name.value for param in function.params}
    return isinstance(statement, cst.Return) and statement.value is not None and _reading(statement.value, params, top=True)


def _reading(expr: cst.BaseExpression, params: set[str], top: bool = False) -> bool:
    """``expr`` reads ``params`` (or is a constant, except as the whole value: a function returning a
    constant reads nothing, and is the quiet judgement's to make)."""
    if isinstance(expr, cst.Name):
        return expr.value in params or not top and expr.value in ("None", "True", "False")
    if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString)):
        return not top
    if isinstance(expr, (cst.List, cst.Tuple)):  # a default: ``rsp.get("choices", [{}])``
        return not top and all(isinstance(e, cst.Element) and _reading(e.value, params) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return not top and all(isinstance(e, cst.DictElement) and _reading(e.key, params) and _reading(e.value, params)
                               for e in expr.elements)
    if isinstance(expr, cst.Attribute):
        return _reading(expr.value, params)
    if isinstance(expr, cst.Subscript):
        return _reading(expr.value, params) and all(
            isinstance(element.slice, cst.Index) and _reading(element.slice.value, params) for element in expr.slice)
    if isinstance(expr, cst.Call):  # ``rsp.get("choices")``
        func = expr.func
        return isinstance(func, cst.Attribute) and func.attr.value == "get" and _reading(func.value, params) \
            and all(arg.star == "" and arg.keyword is None and _reading(arg.value, params) for arg in expr.args)
    if isinstance(expr, cst.IfExp):
        return all(_reading(part, params) for part in (expr.test, expr.body, expr.orelse))
    if isinstance(expr, cst.BooleanOperation):
        return _reading(expr.left, params) and _reading(expr.right, params)
    if isinstance(expr, cst.UnaryOperation):
        return isinstance(expr.operator, cst.Not) and _reading(expr.expression, params)
    if isinstance(expr, cst.Comparison):
        return _reading(expr.left, params) and all(_reading(target.comparator, params) for target in expr.comparisons)
    return False


def sdk_constant(catalog, call: cst.Call, target: str | None) -> bool:
    """``Usage(input_tokens=0, output_tokens=0)``: an SDK's class built from literals only."""
    if target is None or target.partition(".")[0] not in catalog.billable_roots:
        return False
    if not target.rpartition(".")[2][:1].isupper() or not call.args:
        return False
    return all(arg.star == "" and isinstance(arg.value, LITERALS) and
               (not isinstance(arg.value, cst.Name) or arg.value.value in ("None", "True", "False")) for arg in call.args)
