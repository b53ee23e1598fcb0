"""retrylint reads code and config as data: it never imports, executes or evaluates them, and it
writes nothing outside the paths it is given (besides its cache, which --no-cache turns off)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
