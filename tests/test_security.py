"""retrylint reads code and config as data: it never imports, executes or evaluates them, and it
writes nothing outside the paths it is given (besides its cache, which --no-cache turns off)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrylint.engine import Engine
from retrylint.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def hostile(marker: Path, tag: str) -> str:
    """A module whose import, execution or evaluation would leave ``marker`` behind and end the
    process; it also holds a finding with a fix."""
    return f"""\
import os, pathlib
pathlib.Path({str(marker)!r}).write_text({tag!r})
__import__("os")._exit(42)
from tenacity import retry
from helpers import call_model

@retry
def job():
    return call_model(eval("pathlib.Path({str(marker)!r}).write_text('eval')"))
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def make_project(tmp_path: Path, marker: Path) -> Path:
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "job.py").write_text(hostile(marker, "job"))
    (project / "pkg" / "helpers.py").write_text(hostile(marker, "helpers") + "\ndef call_model(x):\n    pass\n")
    (project / "pkg" / "__init__.py").write_text(hostile(marker, "package"))
    (project / "conftest.py").write_text(hostile(marker, "conftest"))
    (project / "sitecustomize.py").write_text(hostile(marker, "sitecustomize"))
    (project / "setup.py").write_text(hostile(marker, "setup"))
    (project / "pyproject.toml").write_text(
        "[tool.retrylint]\nmax-attempts = 2\nextend-catalog = ['catalog.toml']\n"
        "billable = [\"__import__('os')._exit(42)\"]\n"
    )
    (project / "catalog.toml").write_text(
        f"[[billable]]\nprovider = \"x\"\nkind = \"llm\"\nnames = [\"open({str(marker)!r}, 'w')\"]\n"
    )
    return project


@pytest.mark.slow  # three real processes, one with workers
def test_checking_and_fixing_via_the_cli_runs_none_of_the_code(tmp_path):
    marker = tmp_path / "marker"
    project = make_project(tmp_path, marker)
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched\n")
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    before = snapshot(tmp_path)
    for args in (["check"], ["check", "--fix", "--unsafe-fixes"], ["check", "--jobs", "2"]):
        result = subprocess.run([sys.executable, "-m", "retrylint", *args, "--no-cache", "project"],
                                cwd=tmp_path, env=environment, capture_output=True, text=True)
        assert result.returncode in (0, 1), result.stderr
        assert not marker.exists(), args
    after = snapshot(tmp_path)
    changed = {name for name in after if before.get(name) != after[name]} | set(before) - set(after)
    assert changed and all(name.startswith("project/") and name.endswith(".py") for name in changed)
    assert "stop_after_attempt(2)" in (project / "pkg" / "job.py").read_text()


def test_the_only_thing_written_outside_the_paths_is_the_cache(tmp_path):
    marker = tmp_path / "marker"
    make_project(tmp_path, marker)
    before = set(snapshot(tmp_path))
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "retrylint", "check", "project/pkg/job.py"],
                   cwd=tmp_path, env=environment, capture_output=True, text=True)
    new = set(snapshot(tmp_path)) - before
    assert all(name.startswith(".retrylint_cache/") for name in new), new
    assert not marker.exists()


def test_the_engine_runs_none_of_the_code(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    project = make_project(tmp_path, marker)
    monkeypatch.chdir(project)
    engine = Engine(Settings(root=project))
    source = (project / "pkg" / "job.py").read_text()
    modules = set(sys.modules)
    diagnostics = engine.lint_source(source, "pkg/job.py")
    result = engine.fix_source(source, "pkg/job.py", unsafe=True)
    assert diagnostics and result.applied >= 1
    assert not marker.exists()
    assert not {name for name in set(sys.modules) - modules if name.split(".")[0] in ("pkg", "helpers", "job")}


FIXABLE = "from tenacity import retry\n\n@retry\ndef job():\n    pass\n"


def fix_in_process(monkeypatch, folder: Path, *paths: str):
    from retrylint import runner
    from retrylint.runner import CheckOptions, run_check

    monkeypatch.chdir(folder)
    monkeypatch.setattr(runner, "_ENGINES", {})
    return run_check([Path(path) for path in paths], CheckOptions(fix=True, isolated=True))


def test_fix_does_not_write_through_a_symlink_to_a_file_outside_the_paths(tmp_path, monkeypatch, capsys):
    (tmp_path / "tree").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "t.py").write_text(FIXABLE)
    (tmp_path / "tree" / "l.py").symlink_to("../outside/t.py")
    (tmp_path / "tree" / "own.py").write_text(FIXABLE)
    outcome = fix_in_process(monkeypatch, tmp_path, "tree")
    assert (tmp_path / "outside" / "t.py").read_text() == FIXABLE
    assert "stop_after_attempt(3)" in (tmp_path / "tree" / "own.py").read_text()
    assert [change.path for change in outcome.changes] == ["tree/own.py"]
    assert [(d.code, d.path) for d in outcome.diagnostics] == [("RTL001", "tree/l.py")]
    assert capsys.readouterr().err == (
        f"retrylint: warning: not writing fixes to tree/l.py: it is a symlink to {tmp_path / 'outside' / 't.py'},"
        " which is outside the checked paths\n"
    )


def test_fix_removes_the_temporary_files_a_killed_run_left(tmp_path, monkeypatch):
    process = subprocess.Popen(["true"])
    process.wait()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "job.py").write_text(FIXABLE)
    left = tmp_path / "pkg" / f".job.py.retrylint-{process.pid}-x1y2.tmp"
    left.write_text(FIXABLE)
    fix_in_process(monkeypatch, tmp_path, "pkg")
    assert sorted(os.listdir(tmp_path / "pkg")) == ["job.py"]
