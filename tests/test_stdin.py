"""``retrylint check --stdin-filename PATH -``: a source read from stdin, checked as the file PATH
would be (its settings, its module, the project around it), as editors and linter runners use it."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import FLAT, UNBOUNDED, check, process_environment, run, write, write_tree


def stdin_process(cwd, text: str, *args: str) -> subprocess.CompletedProcess:
    """``python -m retrylint check ARGS -`` with ``text`` piped in: a real process and real pipes."""
    return subprocess.run([sys.executable, "-m", "retrylint", "check", *args, "-"], cwd=cwd, input=text,
                          env=process_environment(), capture_output=True, text=True, timeout=300)


def stdin_run(cwd, text: str, *args: str) -> subprocess.CompletedProcess:
    """The same command run in this process (``helpers.run``), ``text`` as its stdin."""
    return run(cwd, "check", *args, "-", stdin=text)


def test_stdin_is_checked_with_the_project_around_it(tmp_path):
    write_tree(tmp_path, FLAT)
    edited = (tmp_path / "tasks.py").read_text().replace("max_retries=5", "max_retries=2")
    result = stdin_run(tmp_path / "..", edited, "--output-format", "json", "--stdin-filename", f"{tmp_path.name}/tasks.py")
    write(tmp_path, "tasks.py", edited)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == check(tmp_path / "..", f"{tmp_path.name}/tasks.py")
    assert "run_batch" in json.loads(result.stdout)[0]["message"]


def test_stdin_fix_prints_the_fixed_source_and_reports_on_stderr(tmp_path):
    result = stdin_process(tmp_path, UNBOUNDED, "--fix", "--stdin-filename", "ping.py")
    assert (result.returncode, result.stderr) == (0, "Fixed 1 error.\nAll checks passed!\n")
    assert result.stdout == UNBOUNDED.replace("import retry", "import retry, stop_after_attempt").replace(
        "@retry\n", "@retry(stop=stop_after_attempt(3))\n")
    assert not (tmp_path / "ping.py").exists()


def test_stdin_without_a_name_and_with_an_excluded_name(tmp_path):
    result = stdin_run(tmp_path, UNBOUNDED, "--output-format", "concise", "-q")
    assert (result.returncode, result.stdout[:13]) == (1, "-:3:1: RTL001")
    write(tmp_path, "pyproject.toml", "[tool.retrylint]\nextend-exclude = ['legacy']\nper-file-ignores = { 'app/*' = ['RTL001'] }\n")
    assert stdin_run(tmp_path, UNBOUNDED, "--force-exclude", "--stdin-filename", "legacy/ping.py").returncode == 0
    assert stdin_run(tmp_path, UNBOUNDED, "--stdin-filename", "legacy/ping.py").returncode == 1
    assert stdin_run(tmp_path / "..", UNBOUNDED, "--stdin-filename", f"{tmp_path.name}/app/ping.py").returncode == 0
