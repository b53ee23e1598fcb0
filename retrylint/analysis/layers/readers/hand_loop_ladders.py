"""A hand-written loop that walks a ladder (``readers/hand_loops.py``): each ``except`` that goes
round does so only after a step that changes what the next request sends, and re-raises
otherwise. A step is a project function or method (read from its body, across modules) that
moves on state the loop's request reads: an index set one on, an entry taken out or marked
refused (``analysis/request_state.py``; a reset such as a reconnect's ``self._websocket = None``
is none):

- called with the caught error in a test whose failure re-raises: ``if not
  reasoning.CONTROLS.rejected(endpoint, model, e): raise``, which moves ``self._accepted[key]``
  on to the next spelling that ``control()`` sends, or ``if ladder.rejected(e): continue`` then
  ``raise``;
- or called on every path that goes round, after the tests that re-raise: ``if not cap or
  classify(e) != "max_tokens": raise`` then ``note_compact_cap_rejected(model)``, whose next
  spelling ``compact_cap_kwargs`` reads at the top of the loop;
- or the handler writes that state itself there (``params.pop("max_tokens")``).

Such a loop sends a changed request each time round (not the same error retried), is bounded by
the ladder it walks, and no wait changes a refusal. A test that only classifies the error
(``if not should_retry(e): raise``, writing nothing the request reads) is no step, nor is a count
(``n += 1``) or a log: that loop retries the same request."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import last_statement
from retrylint.analysis.model import Function, descendants
from retrylint.analysis.request_state import call_writes, request_reads, statement_writes


def walking(function: Function, loop: cst.For | cst.While, tries: list,
            handlers: list[cst.ExceptHandler]) -> list[cst.ExceptHandler]:
    """The handlers of ``handlers`` (those that go round) that go round only after a step that
    writes what the loop's request reads."""
    steps = [(handler, _steps(function, handler)) for handler in handlers]
    steps = [(handler, step) for handler, step in steps if step is not None]
    if not steps:
        return []
    skip = frozenset(id(handler) for try_ in tries for handler in try_.handlers)
    reads = request_reads(function, loop, skip)
    return [handler for handler, (went_on, through) in steps
            if all(written & reads for written in went_on) and (through is None or through & reads)]


def _error(handler: cst.ExceptHandler) -> str | None:
    name = handler.name.name if handler.name is not None else None
    return name.value if isinstance(name, cst.Name) else None


def _steps(function: Function, handler: cst.ExceptHandler) -> tuple[list[set], set | None] | None:
    """What the steps on the handler's ways round write: those a ``continue`` follows (``if
    step(e): continue``), and those every path to its end passes (``if not step(e): raise``, a
    step called, the handler's own write), None when its end re-raises. None when some way round
    passes no step."""
    went_on: list[set] = []
    through: set = set()
    for statement in handler.body.body:
        passed = _passed(function, statement, _error(handler))
        if passed:
            through |= passed
            continue
        stepped = _went_on(function, statement, _error(handler))
        if stepped:
            went_on.append(stepped)
        elif not through and any(isinstance(node, cst.Continue) for node in descendants(statement, stop_at_loops=True)):
            return None  # round again without a step
    if through:
        return went_on, through
    return (went_on, None) if went_on and isinstance(last_statement(handler.body), cst.Raise) else None


def _passed(function: Function, statement: cst.BaseStatement, error: str | None) -> set:
    """What ``statement`` writes on every path past it: ``if not step(e): raise``, a step called
    (``note_rejected(model)``, ``spelling = note_rejected(model)``), or the handler's own write."""
    model, scope = function.scope.model, function.scope
    if isinstance(statement, cst.If) and statement.orelse is None and isinstance(last_statement(statement.body), cst.Raise):
        written: set = set()
        for test in _disjuncts(statement.test):
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                call = _call_with(test.expression, error)
                written |= call_writes(model, call, scope) if call is not None else set()
        return written
    if not isinstance(statement, cst.SimpleStatementLine):
        return set()
    written = set()
    for small in statement.body:
        value = small.value if isinstance(small, (cst.Expr, cst.Assign, cst.AnnAssign)) else None
        value = value.expression if isinstance(value, cst.Await) else value
        if isinstance(value, cst.Call):
            written |= call_writes(model, value, scope)
        written |= statement_writes(small, model, None)
    return written


def _went_on(function: Function, statement: cst.BaseStatement, error: str | None) -> set:
    """What ``if step(e): continue`` writes."""
    if not isinstance(statement, cst.If) or statement.orelse is not None \
            or not isinstance(last_statement(statement.body), cst.Continue):
        return set()
    tests = _conjuncts(statement.test)
    written: set = set()
    for test in tests:
        call = _call_with(test, error)
        written |= call_writes(function.scope.model, call, function.scope) if call is not None else set()
    return written


def _disjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return [*_disjuncts(test.left), *_disjuncts(test.right)]
    return [test]


def _conjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return [*_conjuncts(test.left), *_conjuncts(test.right)]
    return [test]


def _call_with(expr: cst.BaseExpression, error: str | None) -> cst.Call | None:
    """``expr`` when it is a call (awaited or not) handed the caught error."""
    expr = expr.expression if isinstance(expr, cst.Await) else expr
    if error is None or not isinstance(expr, cst.Call):
        return None
    return expr if any(isinstance(arg.value, cst.Name) and arg.value.value == error for arg in expr.args) else None
