"""What a retry predicate can accept at most, read from its ``isinstance`` checks: a project
function ``def retryable(error): return isinstance(error, RateLimitError) and not permanent(error)``
retries nothing but ``RateLimitError``, whatever else it tests. Rules that ask which calls can
raise a retried error use the bound; a predicate without one may accept anything."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from retrylint.analysis.layers.layer import ExceptionRef
from retrylint.analysis.model import Function, ModuleModel, Scope, descendants
from retrylint.analysis.model.tree import is_docstring
from retrylint.analysis.project import layer_names


def predicate_bound(model: ModuleModel, expr: cst.BaseExpression, scope: Scope) -> list[ExceptionRef] | None:
    """The exception classes the predicate ``expr`` (a project function's name) can accept, or
    None when some of its answers are not bounded by an ``isinstance`` of its argument."""
    with layer_names(model):
        return _predicate_bound(model, expr, scope)


def _predicate_bound(model: ModuleModel, expr: cst.BaseExpression, scope: Scope) -> list[ExceptionRef] | None:
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
    first = next((s for s in body if not is_docstring(s)), None)
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


@dataclass
class _Written:
    """Where a lambda is written: what its reading resolves names in, as a function's scope."""

    scope: Scope


@dataclass
class PredicateReading:
    """What a ``retry_if_exception(predicate)`` accepts, read from its one ``return``: the
    classes it accepts (None: every exception) and those it turns down by ``isinstance``."""

    accepted: list[ExceptionRef] | None
    excluded: list[ExceptionRef] = field(default_factory=list)
    # Project functions of the error whose true answer turns it down too (``if is_quota(error):
    # return False``): what they test is not read here.
    denied: list[Function] = field(default_factory=list)


def predicate_reading(model: ModuleModel, expr: cst.BaseExpression, scope: Scope) -> PredicateReading | None:
    """The reading of the lambda ``expr``, or of the project function it names when its body is
    one ``return`` of ``isinstance`` tests of its argument joined by ``and``/``or``/``not`` (``isinstance(error,
    Exception) and not isinstance(error, BadRequestError)``), where a ``not f(error)`` whose
    ``f`` never looks at the error itself (it hands it to a callable chosen at run time, as
    litellm's ``is_resent_failure``) turns down nothing it declares. None for anything else:
    a predicate testing a status code or a message classifies errors in ways not read here."""
    with layer_names(model):
        return _predicate_reading(model, expr, scope)


def _predicate_reading(model: ModuleModel, expr: cst.BaseExpression, scope: Scope) -> PredicateReading | None:
    if isinstance(expr, cst.Lambda):  # ``giveup=lambda error: isinstance(error, (...))``
        params = expr.params.params
        return _reading(_Written(scope), expr.body, params[0].name.value) if len(params) == 1 else None
    function = model.resolve_function(model.qualify(expr, scope)) if isinstance(expr, (cst.Name, cst.Attribute)) else None
    if function is None or not isinstance(function.node, cst.FunctionDef) or not function.params:
        return None
    body = [s for s in function.node.body.body if not is_docstring(s)]
    if len(body) == 1 and _returned(body[0]) is not None:
        return _reading(function, _returned(body[0]).value, function.params[0].name.value)
    return _guarded_reading(function, body)


def _guarded_reading(function: Function, body: list) -> PredicateReading | None:
    """``if <test>: return False`` guards, then one ``return``: each guard turns down what its test
    accepts, an ``isinstance`` of the argument or a project function of it (cognee's ``if
    is_budget_exhausted_error(error): return False``), as a last ``return not f(error)`` does.
    Names bound to classes on the way (``non_retryable = (...)``) are read by the ``isinstance``."""
    param = function.params[0].name.value
    *guards, last = body
    final = _returned(last)
    if not guards or final is None or final.value is None:
        return None
    excluded, denied = [], []
    for statement in guards:
        if _binds_classes(statement):
            continue
        test = _false_guard(statement)
        refs = _isinstance_bound(function, test, param) if test is not None else None
        helper = _denying_helper(function, test, param) if test is not None and refs is None else None
        if refs is None and helper is None:
            return None
        excluded += refs or []
        denied += [helper] if helper is not None else []
    reading = _reading(function, final.value, param)
    if reading is None and isinstance(final.value, cst.UnaryOperation) and isinstance(final.value.operator, cst.Not):
        helper = _denying_helper(function, final.value.expression, param)
        reading = PredicateReading(None, denied=[helper]) if helper is not None else None
    if reading is None or (reading.accepted is not None and denied):
        return None  # what a helper turns down among the classes accepted: not worked out here
    return PredicateReading(reading.accepted, excluded + reading.excluded, denied + reading.denied)


def _returned(statement) -> cst.Return | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 and isinstance(statement.body[0], cst.Return):
        return statement.body[0]
    return None


def _binds_classes(statement) -> bool:
    """``non_retryable = (A, B)``: a name bound to a tuple or list, for an ``isinstance`` to read."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    assign = statement.body[0]
    return isinstance(assign, (cst.Assign, cst.AnnAssign)) and isinstance(assign.value, (cst.Tuple, cst.List))


def _false_guard(statement) -> cst.BaseExpression | None:
    """The test of ``if <test>: return False`` (no ``else``)."""
    if not isinstance(statement, cst.If) or statement.orelse is not None or len(statement.body.body) != 1:
        return None
    returned = _returned(statement.body.body[0])
    value = returned.value if returned is not None else None
    return statement.test if isinstance(value, cst.Name) and value.value == "False" else None


def _denying_helper(function: Function, expr, param: str) -> Function | None:
    """The project function ``expr`` hands the error alone to (``is_quota_error(error)``)."""
    if not (isinstance(expr, cst.Call) and len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Name)
            and expr.args[0].value.value == param and expr.args[0].keyword is None and not expr.args[0].star):
        return None
    model = function.scope.model
    callee = model.resolve_function(model.qualify(expr.func, function.scope))
    return callee if callee is not None and isinstance(callee.node, cst.FunctionDef) and callee.params else None


def _reading(function: Function, expr, param: str) -> PredicateReading | None:
    if isinstance(expr, cst.Name) and expr.value == "True":
        return PredicateReading(None)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        refs = _isinstance_bound(function, expr.expression, param)
        if refs is not None:
            return PredicateReading(None, refs)
        return PredicateReading(None) if _blind_call(function, expr.expression, param) else None
    if isinstance(expr, cst.BooleanOperation):
        left, right = _reading(function, expr.left, param), _reading(function, expr.right, param)
        if left is None or right is None:
            return None
        if isinstance(expr.operator, cst.And):
            if left.accepted is not None and right.accepted is not None:
                return None  # the classes both accept: not worked out here
            return PredicateReading(left.accepted if right.accepted is None else right.accepted, left.excluded + right.excluded)
        if left.excluded or right.excluded:
            return None
        return PredicateReading(None if None in (left.accepted, right.accepted) else left.accepted + right.accepted)
    refs = _isinstance_bound(function, expr, param)
    return PredicateReading(refs) if refs is not None else None


def _blind_call(function: Function, expr, param: str) -> bool:
    """``f(error)`` where ``f`` is a project function that never looks at the error itself:
    it only hands it to a callable held in one of its own variables."""
    if not (isinstance(expr, cst.Call) and len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Name)
            and expr.args[0].value.value == param):
        return False
    model = function.scope.model
    callee = model.resolve_function(model.qualify(expr.func, function.scope))
    if callee is None or not isinstance(callee.node, cst.FunctionDef) or not callee.params:
        return False
    name = callee.params[0].name.value
    handed = set()
    for node in descendants(callee.node.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and _held_value(callee, node.func.value):
            handed.update(id(arg.value) for arg in node.args if isinstance(arg.value, cst.Name))
    return all(id(node) in handed for node in descendants(callee.node.body) if isinstance(node, cst.Name) and node.value == name)


def _held_value(function: Function, name: str) -> bool:
    """``name`` is one of ``function``'s own variables holding what a call returned."""
    binding = function.scope.names.get(name)
    return binding is not None and binding.function is None and binding.cls is None and not binding.imported \
        and isinstance(binding.value, cst.Call)
