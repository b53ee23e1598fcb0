"""Idempotency evidence RTL003 accepts: a skip-already-done check before a paid call, either
``if <lookup>: return|continue`` or ``if <found>: <use it> else: <call>`` on a name a call set
(``cached = cache.get(key)``, ``key, cached = self._cache_lookup(...)``)."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model.tree import descendants

EVERYTHING_AFTER = -1  # the check guards what follows it, not one of its branches


def skip_guard(stmt: cst.If, looked_up: set[str]) -> int | None:
    """What a skip-already-done check guards: EVERYTHING_AFTER it, the branch it runs the work
    in when nothing was found (0: the body, 1: the ``else``), or None when it is no such check.
    ``looked_up``: the names the function set from a call before it."""
    found = _found_test(stmt.test, looked_up)
    if _ends_in_skip(stmt) and (found is True or any(_looks_up(n) for n in [stmt.test, *descendants(stmt.test)])):
        return EVERYTHING_AFTER
    if found is None or stmt.orelse is None:
        return None
    return 1 if found else 0


def _ends_in_skip(stmt: cst.If) -> bool:
    """The body ends in ``return`` or ``continue``."""
    body = stmt.body.body
    if not body:
        return False
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    return isinstance(last, (cst.Return, cst.Continue))


def _found_test(test: cst.BaseExpression, looked_up: set[str]) -> bool | None:
    """Whether the test holds when a looked-up name found something (``cached``, ``cached is not
    None``: True; ``not cached``, ``cached is None``: False); None when it tests no such name."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _found_test(test.expression, looked_up)
        return None if inner is None else not inner
    if isinstance(test, cst.Name):
        return True if test.value in looked_up else None
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name) \
            and test.left.value in looked_up:
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
            if isinstance(target.operator, cst.IsNot):
                return True
            if isinstance(target.operator, cst.Is):
                return False
    return None


def _looks_up(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.Call, cst.Subscript, cst.Attribute)):
        return True
    return isinstance(node, cst.Comparison) and any(
        isinstance(t.operator, (cst.In, cst.NotIn)) for t in node.comparisons
    )
