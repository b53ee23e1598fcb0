"""The content-hash cache and parallel workers change speed, never findings."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import run
from test_cross_module import FLAT, write_tree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def findings(project: Path, *args: str) -> list[dict]:
    result = run(project, "check", "--output-format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def make_project(root: Path, copies: int = 40) -> None:
    """Many packages, each a copy of the three-module example, so that work is shared out."""
    for number in range(copies):
        write_tree(root / f"pkg{number}", FLAT)


def test_same_findings_with_one_job_or_many_with_and_without_cache(tmp_path):
    make_project(tmp_path)
    baseline = findings(tmp_path, "--jobs", "1", "--no-cache")
    assert len(baseline) == 80
    assert findings(tmp_path, "--jobs", "2", "--no-cache") == baseline
    assert findings(tmp_path, "--jobs", "2") == baseline  # cold cache
    assert (tmp_path / ".retrylint_cache" / ".gitignore").read_text() == "*\n"
    assert findings(tmp_path, "--jobs", "2") == baseline  # warm cache
    assert findings(tmp_path, "--jobs", "1") == baseline


def test_a_changed_dependency_invalidates_the_cached_findings(tmp_path):
    write_tree(tmp_path, FLAT)
    before = findings(tmp_path, "tasks.py")
    assert [d["code"] for d in before] == ["RTL002", "RTL003"]
    llm = tmp_path / "llm.py"
    llm.write_text(llm.read_text().replace("anthropic.Anthropic(max_retries=0)", "anthropic.Anthropic()"))
    after = findings(tmp_path, "tasks.py")
    assert [d["code"] for d in after] == ["RTL002", "RTL003", "RTL005"]


def test_corrupt_or_foreign_cache_entries_are_rebuilt(tmp_path):
    write_tree(tmp_path, FLAT)
    baseline = findings(tmp_path, "tasks.py")
    entries = list((tmp_path / ".retrylint_cache").rglob("*.json"))
    assert entries
    for number, entry in enumerate(entries):
        entry.write_text("{not json" if number % 2 else json.dumps({"format": 1, "key": "someone else"}))
    assert findings(tmp_path, "tasks.py") == baseline
    assert findings(tmp_path, "tasks.py") == baseline


def test_cache_dir_option_and_no_cache(tmp_path):
    write_tree(tmp_path, FLAT)
    findings(tmp_path, "--cache-dir", "elsewhere")
    assert list((tmp_path / "elsewhere").rglob("*.json"))
    assert not (tmp_path / ".retrylint_cache").exists()
    findings(tmp_path, "--no-cache", "--cache-dir", "unused")
    assert not (tmp_path / "unused").exists()
