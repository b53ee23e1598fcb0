"""Idempotency evidence RTL003 accepts: an ``if <lookup>: return|continue`` before a paid call."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model.tree import descendants


def is_skip_guard(stmt: cst.If) -> bool:
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
