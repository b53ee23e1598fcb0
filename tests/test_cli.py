"""The retrylint command end to end in a temporary folder: ``main()`` in this process, and a real
``python -m retrylint`` process for the exit codes 0, 1 and 2 and ``--version``."""

from __future__ import annotations

import json

import pytest

from retrylint import __version__
from retrylint.rules import ALL_RULES
from helpers import REPO, UNBOUNDED, run, run_process

UNDECODABLE = b"x = 1\n\xff\n"
RTL999_LINE = "bad.py:2:1: RTL999 cannot check this file: cannot decode as utf-8 at byte 6 (line 2)"


def test_clean_run(project):
    result = run_process(project, "check")
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_implicit_check_and_undecodable_file_does_not_stop_the_run(project):
    (project / "bad.py").write_bytes(UNDECODABLE)
    result = run_process(project, "--output-format", "concise", ".")
    assert result.returncode == 1
    assert result.stdout == f"{RTL999_LINE}\nRTL999  unreadable-file  1\nFound 1 error.\n"


def test_quiet_and_exit_zero(project):
    (project / "bad.py").write_bytes(UNDECODABLE)
    result = run(project, "--output-format=concise", "--quiet", "--exit-zero")
    assert (result.returncode, result.stdout) == (0, RTL999_LINE + "\n")


def test_nonexistent_path_exits_2_but_others_are_checked(project):
    (project / "bad.py").write_bytes(UNDECODABLE)
    result = run(project, "check", "--output-format", "concise", "nope.py", "bad.py")
    assert result.returncode == 2
    assert result.stderr == "retrylint: error: path does not exist: nope.py\n"
    assert result.stdout.startswith(RTL999_LINE + "\n")


@pytest.mark.parametrize("command", [["check"], ["check", "--fix"], ["report"], ["report", "--format", "mermaid"]])
def test_a_path_not_found_prints_only_the_error(project, command):
    result = run(project, *command, "nope/")
    assert (result.returncode, result.stderr) == (2, "retrylint: error: path does not exist: nope\n")
    assert result.stdout == ""


def test_json_output_is_only_the_array(project):
    (project / "bad.py").write_bytes(UNDECODABLE)
    result = run(project, "--output-format", "json")
    assert result.returncode == 1
    (entry,) = json.loads(result.stdout)
    assert entry == {
        "code": "RTL999", "name": "unreadable-file",
        "message": "cannot check this file: cannot decode as utf-8 at byte 6 (line 2)",
        "path": "bad.py", "line": 2, "column": 1, "end_line": 2, "end_column": 1,
        "severity": "error", "fix": None, "chain": [],
    }
    assert run(project, "--output-format", "json", "ok.py").stdout == "[]\n"


@pytest.mark.parametrize(("env", "colored"), [({}, False), ({"FORCE_COLOR": "1"}, True),
                                               ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)])
def test_colour(project, env, colored):
    (project / "bad.py").write_bytes(UNDECODABLE)
    assert ("\x1b[" in run(project, **env).stdout) is colored


@pytest.mark.parametrize(("config", "message"), [
    ("[tool.retrylint]\nfoo = 1\n", "unknown key 'foo' in [tool.retrylint] of {file}"),
    ("[tool.retrylint]\nmax-attempts = 'three'\n", "'max-attempts' in {file} must be an integer >= 1, got 'three'"),
    ("[tool.retrylint\n", "invalid TOML in {file}: Expected ']' at the end of a table declaration (at line 1, column 16)"),
])
def test_config_errors_exit_2_with_one_line(project, config, message):
    (project / "pyproject.toml").write_text(config)
    result = run_process(project)
    expected = message.format(file=project.resolve() / "pyproject.toml")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"retrylint: error: {expected}\n")


def test_nearest_config_isolated_and_config_option(project):
    (project / "pyproject.toml").write_text("[tool.retrylint]\nfoo = 1\n")  # broken on purpose
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text("[tool.retrylint]\nextend-exclude = ['skip']\n")
    (project / "sub" / "skip").mkdir()
    (project / "sub" / "skip" / "bad.py").write_bytes(UNDECODABLE)
    assert run(project, "sub").returncode == 0  # the nearer config applies and excludes skip/
    assert run(project, "--isolated", "sub").returncode == 1
    (project / "alt.toml").write_text("max-attempts = 2\n")
    assert run(project, "--config", "alt.toml", "sub").returncode == 1
    assert run(project, "--isolated").returncode == 1
    assert run(project).returncode == 2


def test_exclude_skips_but_named_file_is_checked(project):
    (project / "pyproject.toml").write_text("[tool.retrylint]\nextend-exclude = ['bad.py']\n")
    (project / "bad.py").write_bytes(UNDECODABLE)
    assert run(project).returncode == 0
    assert run(project, "bad.py").returncode == 1


def test_force_exclude_applies_excludes_to_named_files_and_their_folders(project):
    (project / "pyproject.toml").write_text("[tool.retrylint]\nextend-exclude = ['bad.py', 'gen', 'app/legacy/*.py']\n")
    for folder in ("", "gen/", "app/legacy/", "app/"):
        (project / folder).mkdir(parents=True, exist_ok=True)
        (project / folder / "bad.py").write_bytes(UNDECODABLE)
    (project / "app" / "legacy" / "old.py").write_bytes(UNDECODABLE)
    (project / "app" / "new.py").write_bytes(UNDECODABLE)
    named = ["bad.py", "gen/bad.py", "app/legacy/old.py", "gen"]
    result = run(project, "--force-exclude", "--output-format", "concise", *named)
    assert (result.returncode, result.stdout, result.stderr) == (0, "All checks passed!\n", "")
    result = run(project, "--force-exclude", "--output-format", "concise", "-q", *named, "app/new.py")
    assert (result.returncode, result.stdout) == (1, RTL999_LINE.replace("bad.py", "app/new.py") + "\n")
    result = run(project / "app", "--force-exclude", "--output-format", "concise", "-q", "legacy/old.py", "new.py")
    assert (result.returncode, result.stdout) == (1, RTL999_LINE.replace("bad.py", "new.py") + "\n")
    assert run(project, "--output-format", "concise", "-q", *named).stdout.count("RTL999") == 3


def test_unknown_select_code_is_a_usage_error(project):
    result = run(project, "--select", "RTL001,E501")
    assert (result.returncode, result.stderr) == (2, "retrylint: error: --select has unknown rule code 'E501'\n")


def test_fix_diff_and_select(project):
    target = project / "app.py"
    target.write_bytes(UNBOUNDED.replace("\n", "\r\n").encode())
    diff = run(project, "--diff", "--select", "RTL001")
    assert diff.returncode == 1
    assert diff.stdout.startswith("--- a/app.py\n+++ b/app.py\n")
    assert diff.stderr == "Would fix 1 error.\n"
    assert target.read_bytes() == UNBOUNDED.replace("\n", "\r\n").encode()
    fixed = run(project, "--fix", "--select", "RTL001")
    assert (fixed.returncode, fixed.stdout) == (0, "Fixed 1 error.\nAll checks passed!\n")
    assert b"stop_after_attempt(3)" in target.read_bytes()
    assert b"\n" not in target.read_bytes().replace(b"\r\n", b"")
    assert run(project, "--diff", "--select", "RTL001").returncode == 0


def test_version():
    result = run_process(REPO, "--version")
    assert (result.returncode, result.stdout) == (0, f"retrylint {__version__}\n")


def test_rule_table_and_documentation(project):
    table = run(project, "rule")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "FIX", "SUMMARY"]
    assert [line.split()[:2] for line in lines[1:]] == [[rule.code, rule.name] for rule in ALL_RULES]
    rule = ALL_RULES[0]
    doc = run(project, "rule", rule.code.lower())
    assert doc.returncode == 0
    assert doc.stdout.startswith(f"# {rule.code} {rule.name}\n\n{rule.summary()}\n")
    assert rule.documentation() in doc.stdout


def test_unknown_rule_code(project):
    result = run(project, "rule", "RTL123")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "retrylint: error: unknown rule code or name 'RTL123'; `retrylint rule` lists them\n"


def test_bad_catalog_file_exits_2(project):
    (project / "pyproject.toml").write_text("[tool.retrylint]\nextend-catalog = ['extra.toml']\n")
    (project / "extra.toml").write_text("broken = [\n")
    result = run(project)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("retrylint: error: ") and "extra.toml" in result.stderr
    assert len(result.stderr.splitlines()) == 1
