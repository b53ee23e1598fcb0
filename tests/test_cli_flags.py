"""The command-line flags that ruff users reach for, each through the command: --output-file,
the output-format config key, --statistics, --show-fixes, --exit-non-zero-on-fix,
--show-settings, --show-files, report --output-format/--select, rule by name and as JSON."""

from __future__ import annotations

import json

import pytest

from helpers import FLAT, SHARED_CLIENT, TASKS, UNBOUNDED, run, write, write_tree


def test_output_file_gets_the_report_and_stdout_nothing(tmp_path):
    write(tmp_path, "tasks.py", TASKS)
    result = run(tmp_path, "check", "--output-format", "json", "--output-file", "out.json")
    assert (result.returncode, result.stdout) == (1, "")
    assert json.loads((tmp_path / "out.json").read_text()) == json.loads(run(tmp_path, "check", "--output-format", "json").stdout)
    result = run(tmp_path, "check", "-o", "out.txt", "--output-format", "concise")
    assert (tmp_path / "out.txt").read_text().splitlines()[-2:] == ["Found 5 errors.", "[*] 3 fixable with --fix (1 more with --unsafe-fixes)"]


def test_output_format_config_key_and_the_flag_over_it(tmp_path):
    write(tmp_path, "ping.py", UNBOUNDED)
    write(tmp_path, "pyproject.toml", "[tool.retrylint]\noutput-format = 'concise'\n")
    assert run(tmp_path, "check", "-q").stdout.startswith("ping.py:3:1: RTL001 tenacity @retry on 'f'")
    assert json.loads(run(tmp_path, "check", "--output-format", "json").stdout)[0]["code"] == "RTL001"
    write(tmp_path, "pyproject.toml", "[tool.retrylint]\noutput-format = 'fancy'\n")
    result = run(tmp_path, "check")
    assert result.returncode == 2 and "'output-format' in" in result.stderr and "must be one of full, concise, json" in result.stderr


def test_statistics_as_text_and_json(tmp_path):
    write(tmp_path, "tasks.py", TASKS)
    result = run(tmp_path, "check", "--statistics")
    assert (result.returncode, result.stdout) == (1, "2\tRTL001\t[*] unbounded-retry\n1\tRTL002\t[*] missing-non-retryable\n"
                                                     "1\tRTL003\t[ ] non-idempotent-billable-retry\n1\tRTL005\t[ ] stacked-retries\n")
    stats = json.loads(run(tmp_path, "check", "--statistics", "--output-format", "json").stdout)
    assert stats[0] == {"code": "RTL001", "name": "unbounded-retry", "count": 2, "fixable": True}


def test_show_fixes_and_exit_non_zero_on_fix(tmp_path):
    write(tmp_path, "ping.py", UNBOUNDED)
    result = run(tmp_path, "check", "--fix", "--show-fixes", "--exit-non-zero-on-fix")
    assert (result.returncode, result.stdout) == (1, "Fixed 1 error:\n- ping.py:\n    1 \u00d7 RTL001\nFixed 1 error.\nAll checks passed!\n")
    again = run(tmp_path, "check", "--fix", "--show-fixes", "--exit-non-zero-on-fix")
    assert (again.returncode, again.stdout) == (0, "Fixed 0 errors.\nAll checks passed!\n")


def test_show_files_and_show_settings(tmp_path):
    write_tree(tmp_path, FLAT)
    write(tmp_path, "pyproject.toml", "[tool.retrylint]\nmax-attempts = 5\nextend-exclude = ['store.py']\n")
    result = run(tmp_path, "check", "--show-files")
    assert (result.returncode, result.stdout) == (0, "llm.py\npipeline.py\ntasks.py\n")
    assert run(tmp_path, "check", "--show-files", "--force-exclude", "store.py", "llm.py").stdout == "llm.py\n"
    settings = run(tmp_path, "check", "--show-settings", "--ignore", "RTL005").stdout.splitlines()
    assert settings[:2] == ["Resolved settings for: .", f"Settings path: {tmp_path / 'pyproject.toml'}"]
    assert "max_attempts = 5" in settings and "ignore = ('RTL005',)" in settings


def test_report_output_format_alias_and_select(tmp_path):
    write_tree(tmp_path, FLAT)
    write(tmp_path, "ping.py", UNBOUNDED)
    points = json.loads(run(tmp_path, "report", "--output-format", "json").stdout)
    assert points == json.loads(run(tmp_path, "report", "--format", "json").stdout)
    assert [point["layer"] for point in points] == ["tenacity @retry on 'f'", "Celery task on 'build_course'"]
    selected = json.loads(run(tmp_path, "report", "--output-format", "json", "--select", "RTL003").stdout)
    assert [(point["layer"], point["findings"]) for point in selected] == [("Celery task on 'build_course'", ["RTL003"])]
    assert run(tmp_path, "report", "--select", "RTL7").returncode == 2


def test_rule_by_name_and_as_json(tmp_path):
    by_name, by_code = run(tmp_path, "rule", "unbounded-retry"), run(tmp_path, "rule", "RTL001")
    assert by_name.returncode == 0 and by_name.stdout == by_code.stdout
    assert by_name.stdout.startswith("# RTL001 unbounded-retry\n")
    rule = json.loads(run(tmp_path, "rule", "stacked-retries", "--output-format", "json").stdout)
    assert (rule["code"], rule["name"], rule["fix"]) == ("RTL005", "stacked-retries", "unsafe")
    assert "max_retries=0" in rule["explanation"]
    assert [r["code"] for r in json.loads(run(tmp_path, "rule", "--output-format", "json").stdout)][:2] == ["RTL001", "RTL002"]
    assert run(tmp_path, "rule", "no-such-rule").returncode == 2


def progress_output(project, **env: str) -> bytes:
    """What a check of ``project`` writes to a terminal on stderr."""
    import os
    import pty
    import subprocess
    import sys

    from helpers import process_environment

    master, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "retrylint", "check", "--no-cache", "-j", "1", "."], cwd=project,
                               env=process_environment(**env), stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=300)
    os.close(master)
    return output


@pytest.mark.slow  # a real process on a pseudo-terminal
def test_no_color_keeps_the_progress_bar_without_its_colours(tmp_path):
    for number in range(60):
        write(tmp_path, f"m{number}.py", UNBOUNDED)
    coloured, plain = progress_output(tmp_path), progress_output(tmp_path, NO_COLOR="1")
    assert b"Checking" in coloured and b"\x1b[3" in coloured
    assert b"Checking" in plain and b"\x1b[3" not in plain


def test_fixable_counts_are_what_fix_applies(tmp_path):
    """Two RTL005 findings share one fix (the client's max_retries=0): --fix --unsafe-fixes applies
    it once, with RTL001's cap: 2 fixes, which is what the summary promises."""
    write(tmp_path, "tasks.py", SHARED_CLIENT)
    plain = run(tmp_path, "check", "--no-cache")
    assert plain.stdout.splitlines()[-2:] == ["Found 3 errors.", "[*] 1 fixable with --fix (1 more with --unsafe-fixes)"]
    unsafe = run(tmp_path, "check", "--no-cache", "--unsafe-fixes")
    assert unsafe.stdout.splitlines()[-2:] == ["Found 3 errors.", "[*] 2 fixable with --fix"]
    safe = run(tmp_path, "check", "--no-cache", "--fix")
    assert safe.stdout.splitlines()[-4:] == ["Fixed 1 error.", "RTL005  stacked-retries  2", "Found 2 errors.",
                                             "1 fixable with --fix --unsafe-fixes"]
    write(tmp_path, "tasks.py", SHARED_CLIENT)
    fixed = run(tmp_path, "check", "--no-cache", "--fix", "--unsafe-fixes")
    assert fixed.stdout.splitlines() == ["Fixed 2 errors.", "All checks passed!"]
