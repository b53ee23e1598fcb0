"""The built wheel carries the catalog and works from a fresh virtual environment."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

UNSAFE = """\
from tenacity import retry

@retry
def fetch():
    ...
"""


def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("retrylint-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "retrylint/catalog/retry_libraries.toml" in names
    assert "retrylint/catalog/billable.toml" in names

    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)

    project = tmp_path / "project"
    project.mkdir()
    (project / "jobs.py").write_text(UNSAFE)
    result = subprocess.run(
        [str(env_dir / "bin" / "retrylint"), "check", "--output-format", "json", "jobs.py"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    assert [(d["code"], d["line"], d["path"]) for d in found] == [("RTL001", 3, "jobs.py")]
    module = subprocess.run(
        [str(python), "-c", "import retrylint.catalog as c; print(c.builtin_catalog_dir())"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in module.stdout
