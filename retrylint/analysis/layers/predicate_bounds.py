"""What a retry predicate can accept at most, read from its ``isinstance`` checks: a project
function ``def retryable(error): return isinstance(error, RateLimitError) and not permanent(error)``
retries nothing but ``RateLimitError``, whatever else it tests. Rules that ask which calls can
raise a retried error use the bound; a predicate without one may accept anything."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import ExceptionRef
from retrylint.analysis.model import Function, ModuleModel, Scope, descendants


def predicate_bound(model: ModuleModel, expr: cst.BaseExpression, scope: Scope) -> list[ExceptionRef] | None:
    """The exception classes the predicate ``expr`` (a project function's name) can accept, or
    None when some of its answers are not bounded by an ``isinstance`` of its argument."""
    function = model.resolve_function(model.qualify(expr, scope)) if isinstance(expr, (cst.Name, cst.Attribute)) else None
    if function is None or not isinstance(function.node, cst.FunctionDef) or not function.params:
        return None
    param = function.params[0].name.value
    guard = _leading_guard(function, param)
    if guard is not None:
        return guard
    bound: list[ExceptionRef] = []
    for node in descendants(function.node):
        if isinstance(node, cst.Return):
            found = _bound(function, node.value, param)
            if found is None:
                return None
            bound.extend(found)
    return bound


def _leading_guard(function: Function, param: str) -> list[ExceptionRef] | None:
    """``if not isinstance(error, T): return False`` as the first statement: the rest sees only T."""
    body = function.node.body.body
    first = next((s for s in body if not _is_docstring(s)), None)
    if not isinstance(first, cst.If) or first.orelse is not None:
        return None
    test = first.test
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
        return None
    returns = [n for n in descendants(first.body) if isinstance(n, cst.Return)]
    if not returns or any(_bound(function, r.value, param) != [] for r in returns):
        return None
    return _isinstance_bound(function, test.expression, param)


def _bound(function: Function, expr: cst.BaseExpression | None, param: str) -> list[ExceptionRef] | None:
    if isinstance(expr, cst.Name) and expr.value == "False":
        return []
    if isinstance(expr, cst.BooleanOperation):
        left, right = _bound(function, expr.left, param), _bound(function, expr.right, param)
        if isinstance(expr.operator, cst.And):
            return left if left is not None else right
        return left + right if left is not None and right is not None else None
    return _isinstance_bound(function, expr, param)


def _isinstance_bound(function: Function, expr, param: str) -> list[ExceptionRef] | None:
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "isinstance"
            and len(expr.args) == 2 and isinstance(expr.args[0].value, cst.Name) and expr.args[0].value.value == param):
        return None
    model, scope = function.scope.model, function.scope
    refs = []
    for element, where in model.elements(expr.args[1].value, scope):
        name = where.model.qualify(element, where)
        refs.append(ExceptionRef(model.catalog.canonical_exception(name) if name else None, element))
    return refs


def _is_docstring(statement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
        and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
