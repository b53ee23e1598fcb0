"""The incident reproduction in examples/incident must be caught by every relevant rule."""

from __future__ import annotations

from pathlib import Path

from retrylint.engine import Engine
from retrylint.settings import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "incident" / "tasks.py"


def _source() -> str:
    return EXAMPLE.read_text()


def _task_line(source: str) -> int:
    return next(n for n, text in enumerate(source.splitlines(), 1) if text.startswith("@app.task"))


def test_incident_diagnostics():
    source = _source()
    line = _task_line(source)
    diagnostics = Engine(Settings()).lint_source(source, "tasks.py")
    assert sorted((d.code, d.line) for d in diagnostics) == [
        ("RTL001", line),
        ("RTL002", line),
        ("RTL003", line),
        ("RTL005", line),
        ("RTL006", line),
    ]
    by_code = {d.code: d for d in diagnostics}
    assert "Celery task on 'build_course'" in by_code["RTL001"].message
    assert "messages.create" in by_code["RTL002"].message
    assert "unbounded calls" in by_code["RTL005"].message
    assert "Anthropic client (3: retries 2 by default)" in by_code["RTL005"].message
    rtl003 = by_code["RTL003"].message
    assert "unbounded attempts" in rtl003
    assert "runs in a loop" in rtl003
    assert "session" in rtl003  # the DB write after the loop
    names = [link.name for link in by_code["RTL003"].chain]
    assert any("write_chapter" in name for name in names), names


def test_incident_safe_fix():
    engine = Engine(Settings())
    source = _source()
    result = engine.fix_source(source, "tasks.py", unsafe=False)
    assert result.applied >= 3
    compile(result.source, "tasks.py", "exec")
    remaining = sorted({d.code for d in engine.lint_source(result.source, "tasks.py")})
    assert not {"RTL001", "RTL002", "RTL006"} & set(remaining), remaining
    assert remaining == ["RTL003", "RTL005"]
    assert sorted({d.code for d in result.diagnostics}) == remaining
    again = engine.fix_source(result.source, "tasks.py", unsafe=False)
    assert again.source == result.source
    assert again.applied == 0


def test_incident_unsafe_fix_removes_the_stack():
    engine = Engine(Settings())
    result = engine.fix_source(_source(), "tasks.py", unsafe=True)
    codes = {d.code for d in engine.lint_source(result.source, "tasks.py")}
    assert "RTL005" not in codes
    assert "max_retries=0" in result.source
