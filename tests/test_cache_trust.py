"""The cache never writes where it should not, never serves findings of another build of
retrylint, and treats an entry it cannot vouch for as a miss."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import retrylint
import retrylint.runner as runner
from retrylint.cache import package_digest
from retrylint.catalog import CatalogError, builtin_catalog_dir
from retrylint.runner import CheckOptions, run_check
from helpers import FLAT, run, write_tree


def check(folder: Path, monkeypatch, cache_dir: str = ".retrylint_cache", *paths: str):
    monkeypatch.chdir(folder)
    monkeypatch.setattr(runner, "_ENGINES", {})
    return run_check([Path(p) for p in paths or ["."]], CheckOptions(cache_dir=Path(cache_dir), isolated=True))


def as_json(outcome) -> list[dict]:
    return [d.to_json() for d in outcome.diagnostics]


def test_an_existing_folder_used_as_the_cache_gets_no_gitignore(tmp_path, monkeypatch):
    write_tree(tmp_path, FLAT)
    check(tmp_path, monkeypatch, ".")
    assert list(tmp_path.glob("*.json")) and not (tmp_path / ".gitignore").exists()
    check(tmp_path, monkeypatch, "made")
    assert (tmp_path / "made" / ".gitignore").read_text() == "*\n"


def test_a_gitignore_symlink_in_the_cache_folder_is_not_followed(tmp_path, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    write_tree(project, FLAT)
    elsewhere.mkdir()
    (project / ".retrylint_cache").mkdir()
    (project / ".retrylint_cache" / ".gitignore").symlink_to(elsewhere / "created")
    check(project, monkeypatch)
    assert list((project / ".retrylint_cache").glob("*.json"))
    assert os.listdir(elsewhere) == []
    (project / ".retrylint_cache" / ".gitignore").unlink()
    shutil.rmtree(project / ".retrylint_cache")
    check(project, monkeypatch)  # a folder retrylint made: tagged, but never through a symlink
    assert not (project / ".retrylint_cache" / ".gitignore").is_symlink()


def test_a_cache_folder_that_is_a_symlink_is_not_written(tmp_path, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    write_tree(project, FLAT)
    elsewhere.mkdir()
    (project / ".retrylint_cache").symlink_to(elsewhere)
    baseline = as_json(check(project, monkeypatch))
    assert os.listdir(elsewhere) == []
    (project / ".retrylint_cache").unlink()
    (project / ".retrylint_cache").symlink_to(tmp_path / "missing" / "folder")
    assert as_json(check(project, monkeypatch)) == baseline
    assert not (tmp_path / "missing").exists()


def test_the_cache_index_temporary_files_of_dead_runs_are_removed(tmp_path, monkeypatch):
    write_tree(tmp_path, FLAT)
    check(tmp_path, monkeypatch)
    process = subprocess.Popen(["true"])
    process.wait()
    [index] = (tmp_path / ".retrylint_cache").glob("*.json")
    left = tmp_path / ".retrylint_cache" / f".{index.name}.retrylint-{process.pid}-abc.tmp"
    left.write_text("{}")
    (tmp_path / "new.py").write_text("x = 1\n")  # a new entry: the index is written again
    check(tmp_path, monkeypatch)
    assert not left.exists()


def test_the_package_digest_follows_the_code_not_the_version(tmp_path):
    package = tmp_path / "retrylint"
    shutil.copytree(Path(retrylint.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = package_digest(package)
    assert package_digest(package) == before
    rule = package / "rules" / "rtl001_unbounded_retry.py"
    rule.write_text(rule.read_text().replace("retries without limit", "retries forever"))
    assert package_digest(package) != before


@pytest.mark.slow
def test_a_changed_build_of_the_same_version_does_not_serve_old_findings(tmp_path):
    """A git or editable install, or pre-commit pinned to a commit: the code changes, the version
    does not."""
    install = tmp_path / "install"
    shutil.copytree(Path(retrylint.__file__).parent, install / "retrylint",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(builtin_catalog_dir(), install / "retrylint" / "catalog")
    project = tmp_path / "project"
    write_tree(project, FLAT)
    environment = {**os.environ, "PYTHONPATH": str(install)}
    command = [sys.executable, "-m", "retrylint", "check", "--output-format", "json", "--isolated", "."]

    def messages() -> list[str]:
        result = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True)
        assert result.returncode == 1, result.stderr
        return [d["message"] for d in json.loads(result.stdout)]

    assert not any("CHANGED" in m for m in messages())
    rule = install / "retrylint" / "rules" / "rtl002_missing_non_retryable.py"
    text = rule.read_text()
    assert "retries on" in text
    rule.write_text(text.replace("retries on", "CHANGED retries on"))
    assert any("CHANGED" in m for m in messages())


def bad_entries(text: str, change) -> str:
    data = json.loads(text)
    for entry in data["entries"].values():
        change(entry)
    return json.dumps(data)


def set_first_diagnostic(key, value):
    def change(entry):
        if entry["diagnostics"]:
            entry["diagnostics"][0][key] = value
    return change


@pytest.mark.parametrize("change", [
    set_first_diagnostic("line", "3"),
    set_first_diagnostic("line", -1),
    set_first_diagnostic("column", False),
    set_first_diagnostic("code", ["RTL001"]),
    set_first_diagnostic("message", None),
    set_first_diagnostic("path", "another/file.py"),
    set_first_diagnostic("fix", {"applicability": "safe", "message": "m", "edits": [{"line": "1"}]}),
    set_first_diagnostic("chain", [{"path": 1, "line": 2, "name": "x"}]),
    set_first_diagnostic("severity", {}),
    lambda entry: entry.update(dependencies={"x.py": 5}),
    lambda entry: entry.update(diagnostics={"a": 1}),
    lambda entry: entry.update(cwd=None),
])
def test_an_entry_of_the_wrong_shape_or_types_is_a_miss(tmp_path, monkeypatch, change):
    write_tree(tmp_path, FLAT)
    baseline = as_json(check(tmp_path, monkeypatch))
    assert baseline
    [file] = (tmp_path / ".retrylint_cache").glob("*.json")
    file.write_text(bad_entries(file.read_text(), change))
    outcome = check(tmp_path, monkeypatch)
    assert outcome.errors == [] and as_json(outcome) == baseline


@pytest.mark.parametrize("output_format", ["concise", "full"])
def test_control_characters_in_a_cached_message_and_in_a_path_are_not_printed_raw(tmp_path, output_format):
    write_tree(tmp_path, FLAT)
    odd = tmp_path / "odd\x1b[31m\nname.py"
    odd.write_text((tmp_path / "tasks.py").read_text())
    assert run(tmp_path, "check", "--output-format", output_format, ".").returncode == 1
    [file] = (tmp_path / ".retrylint_cache").glob("*.json")
    data = json.loads(file.read_text())
    for entry in data["entries"].values():
        for diagnostic in entry["diagnostics"]:
            diagnostic["message"] += "\x1b]0;owned\x07\x1b[2J"
    file.write_text(json.dumps(data))
    result = run(tmp_path, "check", "--output-format", output_format, ".")
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b]0;owned\\x07\\x1b[2J" in result.stdout
    assert "odd\\x1b[31m\\x0aname.py:" in result.stdout
    if output_format == "concise":
        located = [line.split(":")[0] for line in result.stdout.splitlines() if ":6:1: RTL" in line]
        assert located == ["odd\\x1b[31m\\x0aname.py"] * 2 + ["tasks.py"] * 2, result.stdout


def fresh(folder: Path, monkeypatch, path: str = "tasks.py") -> list[dict]:
    """The findings of ``path`` from the cache, checked against a run without it."""
    cached = as_json(check(folder, monkeypatch, ".retrylint_cache", path))
    monkeypatch.setattr(runner, "_ENGINES", {})
    uncached = [d.to_json() for d in run_check([Path(path)], CheckOptions(isolated=True)).diagnostics]
    assert cached == uncached
    return cached


def codes(found: list[dict]) -> list[str]:
    return [d["code"] for d in found]


def test_a_module_that_appears_after_the_first_run_is_seen(tmp_path, monkeypatch):
    write_tree(tmp_path, FLAT)
    llm = tmp_path / "llm.py"
    text = llm.read_text()
    llm.unlink()
    assert codes(fresh(tmp_path, monkeypatch)) == []
    llm.write_text(text)
    assert codes(fresh(tmp_path, monkeypatch)) == ["RTL002", "RTL003"]


def test_a_module_renamed_away_and_back_is_seen(tmp_path, monkeypatch):
    write_tree(tmp_path, FLAT)
    assert codes(fresh(tmp_path, monkeypatch)) == ["RTL002", "RTL003"]
    (tmp_path / "llm.py").rename(tmp_path / "llm_old.py")  # a branch switch
    assert codes(fresh(tmp_path, monkeypatch)) == []
    (tmp_path / "llm_old.py").rename(tmp_path / "llm.py")
    assert codes(fresh(tmp_path, monkeypatch)) == ["RTL002", "RTL003"]


def test_a_module_that_becomes_a_package_and_back_is_seen(tmp_path, monkeypatch):
    write_tree(tmp_path, FLAT)
    assert codes(fresh(tmp_path, monkeypatch)) == ["RTL002", "RTL003"]
    (tmp_path / "llm").mkdir()
    (tmp_path / "llm.py").rename(tmp_path / "llm" / "__init__.py")
    assert codes(fresh(tmp_path, monkeypatch)) == ["RTL002", "RTL003"]
    (tmp_path / "llm.py").write_text("def complete(prompt):\n    return prompt\n")  # shadows the package
    assert codes(fresh(tmp_path, monkeypatch)) == []


def test_a_new_module_that_shadows_the_one_resolved_before_is_seen(tmp_path, monkeypatch):
    """``llm`` resolves to the project's llm.py (the working folder is a configured root); an
    llm.py beside pipeline.py, in its own folder, comes first on the path."""
    write_tree(tmp_path / "jobs", FLAT)
    (tmp_path / "jobs" / "llm.py").rename(tmp_path / "llm.py")
    assert codes(fresh(tmp_path, monkeypatch, "jobs/tasks.py")) == ["RTL002", "RTL003"]
    (tmp_path / "jobs" / "llm.py").write_text("def complete(prompt):\n    return prompt\n")
    assert codes(fresh(tmp_path, monkeypatch, "jobs/tasks.py")) == []


def test_a_dependency_that_is_no_regular_file_is_never_read(tmp_path, monkeypatch):
    """A crafted entry naming /dev/zero or a FIFO as a dependency must not hang the run."""
    write_tree(tmp_path, FLAT)
    baseline = as_json(check(tmp_path, monkeypatch))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    [file] = (tmp_path / ".retrylint_cache").glob("*.json")
    file.write_text(bad_entries(file.read_text(), lambda entry: entry.update(
        dependencies={"/dev/zero": "0" * 64, str(fifo): "0" * 64})))
    outcome = check(tmp_path, monkeypatch)
    assert outcome.errors == [] and as_json(outcome) == baseline


def test_a_warm_run_does_not_read_the_catalog_again(tmp_path, monkeypatch):
    write_tree(tmp_path, FLAT)
    first = as_json(check(tmp_path, monkeypatch))
    assert codes(first) == ["RTL002", "RTL003"]

    def unread(settings):
        raise AssertionError("the catalog was read on a warm run")

    monkeypatch.setattr(runner, "catalog_for", unread)
    assert as_json(check(tmp_path, monkeypatch)) == first


def test_a_catalog_file_broken_after_a_warm_run_is_refused(tmp_path, monkeypatch):
    write_tree(tmp_path, FLAT)
    extra = tmp_path / "ours.toml"
    extra.write_text("[[billable]]\nnames = ['ours.charge']\n")
    (tmp_path / "pyproject.toml").write_text("[tool.retrylint]\nextend-catalog = ['ours.toml']\n")
    options = CheckOptions(cache_dir=Path(".retrylint_cache"))
    monkeypatch.chdir(tmp_path)
    assert codes(as_json(run_check([Path(".")], options))) == ["RTL002", "RTL003"]
    extra.write_text("[[billable]]\nnames = 'ours.charge'\n")
    with pytest.raises(CatalogError, match=r"ours\.toml"):
        run_check([Path(".")], options)
    extra.write_bytes(b"\xff")
    with pytest.raises(CatalogError, match=r"ours\.toml: cannot read catalog file: not UTF-8 at byte 0"):
        run_check([Path(".")], options)
