"""Runs every rule module's own VALID and INVALID cases through the engine."""

from __future__ import annotations

import pytest

from retrylint.engine import Engine
from retrylint.rules import ALL_RULES
from retrylint.settings import Settings


def _engine(code: str, unsafe: bool = False) -> Engine:
    return Engine(Settings(select=(code,)))


VALID = [(rule.code, i, case) for rule in ALL_RULES for i, case in enumerate(rule.VALID)]
INVALID = [(rule.code, i, case) for rule in ALL_RULES for i, case in enumerate(rule.INVALID)]


@pytest.mark.parametrize(("code", "index", "case"), VALID, ids=[f"{c}-valid-{i}" for c, i, _ in VALID])
def test_valid_case_is_silent(code, index, case):
    diagnostics = _engine(code).lint_source(case.code, "case.py")
    assert [(d.line, d.message) for d in diagnostics] == []


@pytest.mark.parametrize(("code", "index", "case"), INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_case_is_flagged_and_fixed(code, index, case):
    engine = _engine(code)
    diagnostics = engine.lint_source(case.code, "case.py")
    assert [d.code for d in diagnostics] == [code], [d.message for d in diagnostics]
    (diagnostic,) = diagnostics
    assert diagnostic.line == case.line
    assert case.message in diagnostic.message
    result = engine.fix_source(case.code, "case.py", unsafe=case.unsafe)
    if case.fixed is None:
        assert result.source == case.code
        assert diagnostic.fix is None or (diagnostic.fix.applicability.value == "unsafe" and not case.unsafe)
        return
    assert result.source == case.fixed
    assert result.applied >= 1
    assert [d.code for d in result.diagnostics if d.code == code] == []
    again = engine.fix_source(result.source, "case.py", unsafe=case.unsafe)
    assert again.source == result.source and again.applied == 0
