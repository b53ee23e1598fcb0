"""The corpus-wide fix proof (scripts/fix_proof.py), run on retrylint's own example projects:
examples/, tests/corpus/ and every rule case, each also as CRLF, latin-1 with a cookie, BOM and
tab-indented variants. Every changed file compiles in its own encoding and newline style, a second
--fix changes nothing, and no fixed diagnostic comes back."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


REPO = Path(__file__).resolve().parent.parent


def load_script():
    spec = importlib.util.spec_from_file_location("fix_proof", REPO / "scripts" / "fix_proof.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fix_proof"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_fix_proof_on_the_example_projects(tmp_path):
    figures = load_script().run([], builtin=True, jobs=1, scratch=tmp_path)
    assert figures["failures"] == []
    assert figures["files_changed"] >= 100 and figures["fixes_applied"] >= 150
    variants = {p.name for p in (tmp_path / "builtin" / "variants").iterdir()}
    assert {"rtl001_invalid_0_crlf.py", "rtl001_invalid_0_latin1_crlf.py", "rtl001_invalid_0_bom.py"} <= variants
    assert not any(name.endswith(".tmp") for _, _, names in os.walk(tmp_path) for name in names)


def test_cli_fix_on_a_copy_of_the_incident_example(tmp_path):
    project = tmp_path / "incident"
    shutil.copytree(REPO / "examples" / "incident", project)
    environment = {**os.environ, "PYTHONPATH": str(REPO)}

    def retrylint(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "retrylint", "--no-cache", "--isolated", *args, "."],
                              cwd=project, env=environment, capture_output=True, text=True)

    before = retrylint("--output-format", "json")
    fixed = retrylint("--fix", "--unsafe-fixes", "-q")
    assert fixed.stderr == ""
    compile((project / "tasks.py").read_bytes(), "tasks.py", "exec")
    assert retrylint("--diff", "--unsafe-fixes").returncode == 0  # nothing more to fix
    left = {d["code"] for d in json.loads(retrylint("--output-format", "json").stdout)}
    fixed_codes = {d["code"] for d in json.loads(before.stdout) if d["fix"] is not None}
    assert fixed_codes and not fixed_codes & left
