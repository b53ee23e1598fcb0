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
    chain = "build_course -> write_chapter (tasks.py:19) -> messages.create"
    by_code = {d.code: d.message for d in diagnostics}
    assert by_code == {
        "RTL001": "Celery task on 'build_course' retries without limit: it has no attempt cap and no deadline",
        "RTL002": f"Celery task on 'build_course' (unbounded attempts) retries on broad Exception around billable "
                  f"{chain} and declares no non-retryable errors; stop at once on BadRequestError, "
                  "AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError, ProgrammingError, "
                  "DataError, IntegrityError, NotSupportedError",
        "RTL003": "Celery task on 'build_course' (unbounded attempts) can re-run billable calls that already succeeded: "
                  "messages.create (runs in a loop, billed per item, billed again if session.execute, session.commit "
                  "fails after it); worst case: no limit on billed calls (1 billable call per item per attempt); "
                  f"chain {chain}; store each result and skip work already done before calling again",
        "RTL005": "messages.create runs under 2 retry layers: Celery task on 'build_course' (unbounded) x Anthropic "
                  f"client (3: retries 2 by default) = unbounded calls per run; chain {chain}; let one layer retry",
        "RTL006": f"Celery task on 'build_course' (unbounded attempts) retries billable {chain} without waiting "
                  "between attempts; add exponential backoff with jitter",
    }
    rtl003 = next(d for d in diagnostics if d.code == "RTL003")
    assert [(link.name, link.line) for link in rtl003.chain] == [("build_course", line), ("write_chapter", 19),
                                                                   ("messages.create", 20)]


def test_incident_safe_fix():
    engine = Engine(Settings())
    source = _source()
    result = engine.fix_source(source, "tasks.py", unsafe=False)
    assert result.applied == 3
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
    assert "client = Anthropic(max_retries=0)  # the SDK retries twice by itself\n" in result.source
    assert "client = Anthropic()" not in result.source
