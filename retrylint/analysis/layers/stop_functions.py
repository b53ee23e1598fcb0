"""A tenacity ``stop=`` given a project function (or a lambda), read from its body where it is
simple: one ``return`` of a comparison of the retry state's attempt count with a number
(``state.attempt_number >= 5``), of a clock with a deadline (``time.monotonic() >= deadline``),
``False``, or ``and``/``or`` of those; an ``if <P is None>: return ...`` first is read too. A
parameter of an enclosing function whose default is None (``deadline=None``) is read at its
default: ``deadline is not None and ...`` never stops when no deadline is given. Anything else
is not understood (None), and the caller keeps its own reading."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from retrylint.analysis.model import ModuleModel, Scope
from retrylint.analysis.model.tree import is_docstring

NEVER = "never"  # false on the default: never stops
AT_ONCE = "at once"  # true on the default: stops after the first attempt
DEADLINE = "deadline"  # true once a clock passes something


@dataclass(frozen=True)
class _Attempts:
    n: int


def stop_function(model: ModuleModel, expr: cst.BaseExpression, scope: Scope) -> tuple[tuple[int | None, bool, bool], str] | None:
    """(attempts, capped, deadline) of a stop function ``expr`` names (or a lambda), read from its
    body, and what an unbounded-retry finding says of it; None when it is not one, or not understood."""
    defaulted: list[str] = []
    if isinstance(expr, cst.Lambda):
        params, body, where, name = expr.params.params, expr.body, scope, "stop= lambda"
    else:
        function = model.resolve_function(model.qualify(expr, scope)) if isinstance(expr, cst.Name) else None
        if function is None or not isinstance(function.node, cst.FunctionDef):
            return None
        params, where, name = function.node.params.params, function.scope, f"stop function '{function.name}'"
        body = _returned(function.node, _Reader(model, where, "", defaulted))
    if len(params) != 1 or body is None:
        return None
    found = _Reader(model, where, params[0].name.value, defaulted).read(body)
    if found is NEVER:
        when = f"when {defaulted[0]} is None (its default)" if defaulted else "on any attempt"
        return (None, False, False), f"{name} never returns True {when}"
    if found is AT_ONCE:
        return (1, True, False), ""
    if found is DEADLINE:
        return (None, True, True), ""
    return ((found.n, True, False), "") if isinstance(found, _Attempts) else None


def _returned(node: cst.FunctionDef, reader: "_Reader") -> cst.BaseExpression | None:
    """The expression the function returns on the default: its one ``return``, or after a first
    ``if <a parameter defaulting to None is None>: return A``, A or what follows."""
    body = [statement for statement in node.body.body if not is_docstring(statement)]
    if len(body) == 2 and isinstance(body[0], cst.If) and body[0].orelse is None:
        taken = reader.read(body[0].test)
        if taken not in (NEVER, AT_ONCE):
            return None
        inner = list(body[0].body.body)
        body = inner if taken is AT_ONCE else body[1:]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return None
    statement = body[0].body[0]
    return statement.value if isinstance(statement, cst.Return) else None


class _Reader:
    def __init__(self, model: ModuleModel, scope: Scope, state: str, defaulted: list[str]):
        self.model, self.scope, self.state = model, scope, state
        self.defaulted = defaulted  # the parameters read at their default None
        tenacity = model.catalog
        self.counters = set(tenacity.tenacity_names("state_attempts"))
        self.elapsed = set(tenacity.tenacity_names("state_elapsed"))
        self.clocks = set(tenacity.tenacity_names("clocks"))

    def read(self, expr: cst.BaseExpression):
        """NEVER, AT_ONCE, DEADLINE, _Attempts(n) or None (not understood)."""
        if isinstance(expr, cst.Name) and expr.value in ("False", "True"):
            return NEVER if expr.value == "False" else AT_ONCE
        if isinstance(expr, cst.BooleanOperation):
            return _combined(self.read(expr.left), self.read(expr.right), isinstance(expr.operator, cst.And))
        if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1:
            return self._compared(expr.left, expr.comparisons[0].operator, expr.comparisons[0].comparator)
        return None

    def _compared(self, left, operator, right):
        if isinstance(right, cst.Name) and right.value == "None" and self._none_by_default(left):
            if isinstance(operator, (cst.Is, cst.IsNot)):
                self.defaulted.append(left.value)
                return AT_ONCE if isinstance(operator, cst.Is) else NEVER
            return None
        if isinstance(operator, (cst.LessThan, cst.LessThanEqual)):
            left, right, operator = right, left, cst.GreaterThan() if isinstance(operator, cst.LessThan) else cst.GreaterThanEqual()
        if not isinstance(operator, (cst.GreaterThan, cst.GreaterThanEqual)):
            return None
        if self._of_state(left, self.counters):
            value = self.model.literal(right, self.scope)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
                return _Attempts(value + 1 if isinstance(operator, cst.GreaterThan) else value)
            return None
        if self._of_state(left, self.elapsed) or self._clock(left):
            return None if self._none_by_default(right) else DEADLINE
        return None

    def _of_state(self, expr, attributes: set[str]) -> bool:
        return (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
                and expr.value.value == self.state and expr.attr.value in attributes)

    def _clock(self, expr) -> bool:
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Subtract):
            return self._clock(expr.left)  # ``time.monotonic() - start >= budget``
        return isinstance(expr, cst.Call) and not expr.args and self.model.qualify(expr.func, self.scope) in self.clocks

    def _none_by_default(self, expr) -> bool:
        """A parameter of an enclosing function (not the stop function's own) defaulting to None."""
        if not isinstance(expr, cst.Name) or expr.value == self.state:
            return False
        binding = self.scope.lookup(expr.value)
        param = binding.param if binding is not None else None
        return (param is not None and param.default is not None
                and isinstance(param.default, cst.Name) and param.default.value == "None")


def _combined(left, right, and_: bool):
    """``a and b`` stops when both would (NEVER if either never does); ``a or b`` at the first."""
    if left is None or right is None:
        return NEVER if and_ and NEVER in (left, right) else None
    if and_:
        if NEVER in (left, right):
            return NEVER
        if AT_ONCE in (left, right):
            return right if left is AT_ONCE else left
        if DEADLINE in (left, right):
            return DEADLINE if left is right else None  # a count and a clock: when both hold
        return _Attempts(max(left.n, right.n))
    if AT_ONCE in (left, right):
        return AT_ONCE
    if NEVER in (left, right):
        return right if left is NEVER else left
    if DEADLINE in (left, right):
        return DEADLINE if left is right else right if left is DEADLINE else left
    return _Attempts(min(left.n, right.n))
