"""The content-hash cache and parallel workers change speed, never findings."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import retrylint.runner as runner
from retrylint.engine import Engine
from retrylint.runner import CheckOptions, run_check
from helpers import FLAT, REPO, run, write_tree

UNDECODABLE = b"# coding: utf-8\nx = '\xff'\n"


def findings(project: Path, *args: str) -> list[dict]:
    result = run(project, "check", "--output-format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def make_project(root: Path, copies: int = 40) -> None:
    """Many packages, each a copy of the three-module example, so that work is shared out;
    and a file that cannot be decoded (RTL999)."""
    for number in range(copies):
        write_tree(root / f"pkg{number}", FLAT)
    (root / "undecodable.py").write_bytes(UNDECODABLE)


def index(cache: Path) -> dict:
    """The one index file in ``cache``."""
    [file] = cache.glob("*.json")
    return json.loads(file.read_text())


@pytest.fixture
def in_process(tmp_path, monkeypatch):
    """Run checks in this process, from ``tmp_path``, with engines made afresh."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "_ENGINES", {})
    return lambda jobs=1: run_check([Path(".")], CheckOptions(jobs=jobs, cache_dir=Path(".retrylint_cache")))


@pytest.mark.slow
def test_same_output_byte_for_byte_cold_warm_and_with_one_job_or_many(tmp_path):
    make_project(tmp_path)
    for output_format in ("json", "full"):
        baseline = run(tmp_path, "check", "--output-format", output_format, "--jobs", "1", "--no-cache")
        assert baseline.returncode == 1 and "RTL999" in baseline.stdout
        for args in (["--jobs", "2", "--no-cache"], ["--jobs", "2"], ["--jobs", "2"], ["--jobs", "1"]):
            result = run(tmp_path, "check", "--output-format", output_format, *args)  # cold, then warm cache
            assert (result.returncode, result.stdout, result.stderr) == (1, baseline.stdout, baseline.stderr)
        assert (tmp_path / ".retrylint_cache" / ".gitignore").read_text() == "*\n"
        for cache in (tmp_path / ".retrylint_cache").glob("*.json"):
            cache.unlink()


def test_a_warm_run_starts_no_workers_and_decodes_only_files_with_findings(in_process, tmp_path, monkeypatch):
    make_project(tmp_path)
    cold = in_process()
    assert len([d for d in cold.diagnostics if d.code != "RTL999"]) == 80

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    decoded, read = [], []
    real_decode, real_read = runner.decode_source, runner.read_source
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    monkeypatch.setattr(runner, "ProcessPoolExecutor", no_pool, raising=False)  # were it imported at the top
    monkeypatch.setattr(runner, "decode_source", lambda raw: decoded.append(raw) or real_decode(raw))
    monkeypatch.setattr(runner, "read_source", lambda path: read.append(path) or real_read(path))
    warm = in_process(jobs=2)
    assert [d.to_json() for d in warm.diagnostics] == [d.to_json() for d in cold.diagnostics]
    assert warm.texts == cold.texts
    assert len(decoded) == 40  # the tasks.py files, for their findings' source lines
    assert list(map(str, read)) == ["undecodable.py"]  # never cached: RTL999 as without a cache

    with (tmp_path / "pkg7" / "llm.py").open("a") as file:
        file.write("# changed\n")
    read.clear()
    assert [d.to_json() for d in in_process(jobs=2).diagnostics] == [d.to_json() for d in cold.diagnostics]
    package = {f"pkg7/{name}" for name in FLAT}
    assert {"pkg7/llm.py", "pkg7/tasks.py"} <= set(map(str, read)) <= package | {"undecodable.py"}


def test_a_changed_dependency_invalidates_the_cached_findings(tmp_path):
    write_tree(tmp_path, FLAT)
    before = findings(tmp_path, "tasks.py")
    assert [d["code"] for d in before] == ["RTL002", "RTL003"]
    llm = tmp_path / "llm.py"
    llm.write_text(llm.read_text().replace("anthropic.Anthropic(max_retries=0)", "anthropic.Anthropic()"))
    after = findings(tmp_path, "tasks.py")
    assert [d["code"] for d in after] == ["RTL002", "RTL003", "RTL005"]
    assert findings(tmp_path, "tasks.py") == after
    llm.unlink()
    assert findings(tmp_path, "tasks.py") == findings(tmp_path, "tasks.py", "--no-cache") != after


@pytest.mark.parametrize("corrupt", [
    lambda text: text[: len(text) // 2],  # truncated
    lambda text: "{not json",
    lambda text: "\x00\xff garbage",
    lambda text: text.replace('"format":3', '"format":2'),  # another format
    lambda text: text.replace('"version":"', '"version":"0.0.0-'),  # another version
    lambda text: json.dumps({**json.loads(text), "entries": []}),
    lambda text: json.dumps({**json.loads(text), "entries": {
        file: {**entry, "diagnostics": [{"code": "RTL001"}], "dependencies": []}
        for file, entry in json.loads(text)["entries"].items()}}),
    lambda text: json.dumps({**json.loads(text), "entries": {  # a count of fixes that is not one
        file: {**entry, "fixes": [1, -1]} for file, entry in json.loads(text)["entries"].items()}}),
])
def test_a_corrupt_truncated_or_foreign_cache_is_ignored_and_rebuilt(tmp_path, corrupt):
    write_tree(tmp_path, FLAT)
    baseline = findings(tmp_path, "tasks.py")
    [file] = (tmp_path / ".retrylint_cache").glob("*.json")
    file.write_text(corrupt(file.read_text()))
    assert findings(tmp_path, "tasks.py") == baseline
    assert index(tmp_path / ".retrylint_cache")["entries"]  # rebuilt
    assert findings(tmp_path, "tasks.py") == baseline


@pytest.mark.slow  # two real processes racing on one cache
def test_two_concurrent_runs_leave_a_cache_that_a_third_run_uses(in_process, tmp_path, monkeypatch):
    make_project(tmp_path)
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "retrylint", "check", "--output-format", "json", "--jobs", "1", "."]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=300) for process in runs]
    assert [process.returncode for process in runs] == [1, 1], outputs
    assert outputs[0] == outputs[1]
    assert not list((tmp_path / ".retrylint_cache").glob(".*.tmp"))

    def no_lint(*args, **kwargs):
        raise AssertionError("a file was linted")

    monkeypatch.setattr(Engine, "lint_source", no_lint)
    outcome = in_process()
    assert outcome.errors == []
    assert [d.to_json() for d in outcome.diagnostics] == json.loads(outputs[0][0])


def test_entries_of_files_that_no_longer_exist_are_dropped(tmp_path):
    make_project(tmp_path, copies=2)
    findings(tmp_path)
    entries = index(tmp_path / ".retrylint_cache")["entries"]
    assert str(tmp_path / "pkg1" / "store.py") in entries
    (tmp_path / "pkg1" / "store.py").unlink()
    (tmp_path / "new.py").write_text("x = 1\n")
    findings(tmp_path)
    entries = index(tmp_path / ".retrylint_cache")["entries"]
    assert str(tmp_path / "new.py") in entries and str(tmp_path / "pkg1" / "store.py") not in entries


def test_cache_dir_option_and_no_cache(tmp_path):
    write_tree(tmp_path, FLAT)
    findings(tmp_path, "--cache-dir", "elsewhere")
    assert index(tmp_path / "elsewhere")["entries"]
    assert not (tmp_path / ".retrylint_cache").exists()
    findings(tmp_path, "--no-cache", "--cache-dir", "unused")
    assert not (tmp_path / "unused").exists()


def test_include_dependents_checks_the_callers_of_a_changed_module(tmp_path):
    write_tree(tmp_path, FLAT)
    (tmp_path / "pyproject.toml").write_text("[tool.retrylint]\nextend-exclude = ['old']\n")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "tasks.py").write_text((tmp_path / "tasks.py").read_text())
    args = ("check", "--output-format", "concise", "-q")
    assert run(tmp_path, *args, "--no-cache", "llm.py").stdout == ""
    assert run(tmp_path, *args, "--include-dependents", "llm.py").stdout == ""  # nothing cached yet
    assert run(tmp_path, *args, ".", "old/tasks.py").returncode == 1  # fills the cache, old/ included
    result = run(tmp_path, *args, "--include-dependents", "llm.py")
    assert (result.returncode, [line.split(" ")[:2] for line in result.stdout.splitlines()]) == (
        1, [["tasks.py:6:1:", "RTL002"], ["tasks.py:6:1:", "RTL003"]])
    (tmp_path / "llm.py").write_text((tmp_path / "llm.py").read_text().replace("client.messages.create", "print"))
    assert run(tmp_path, *args, "--include-dependents", "llm.py").returncode == 0
