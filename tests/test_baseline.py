"""Adopting retrylint on legacy code: a baseline of today's findings (``--write-baseline``,
``--baseline``, the ``baseline`` config key) and ``--add-noqa``, through the command line."""

from __future__ import annotations

import json

from helpers import FLAT, TASKS, UNBOUNDED, run, write, write_tree

UNRELATED = "import os\n\nSETTING = os.environ.get('SETTING')\n\n\n"


def concise(project, *args: str):
    result = run(project, "check", "--output-format", "concise", "-q", "--no-cache", *args)
    return result.returncode, result.stdout.splitlines()


def legacy_project(tmp_path):
    write_tree(tmp_path, FLAT)
    write(tmp_path, "digest.py", TASKS)
    return tmp_path


def test_a_baseline_hides_todays_findings_and_reports_new_ones_after_lines_move(tmp_path):
    project = legacy_project(tmp_path)
    before = concise(project)
    assert before[0] == 1 and len(before[1]) == 7
    written = run(project, "check", "--write-baseline", "retrylint-baseline.json")
    assert (written.returncode, written.stdout, written.stderr) == (0, "", "Recorded 7 findings in retrylint-baseline.json.\n")
    recorded = json.loads((project / "retrylint-baseline.json").read_text())["findings"]
    assert [(f["code"], f["path"], f["line"]) for f in recorded][:2] == [("RTL001", "digest.py", 12), ("RTL002", "digest.py", 12)]
    assert concise(project, "--baseline", "retrylint-baseline.json") == (0, [])

    for name in ("digest.py", "tasks.py", "pipeline.py", "llm.py"):  # every finding moves down
        write(project, name, UNRELATED + (project / name).read_text())
    assert concise(project, "--baseline", "retrylint-baseline.json") == (0, [])
    assert concise(project)[1][0].startswith("digest.py:17:1: RTL001")

    write(project, "digest.py", (project / "digest.py").read_text() + "\n\n" + UNBOUNDED.replace("def f", "def g"))
    assert concise(project, "--baseline", "retrylint-baseline.json") == (1, [
        "digest.py:31:1: RTL001 tenacity @retry on 'g' retries without limit: it has no attempt cap and no deadline"])


def test_the_baseline_config_key_and_a_second_finding_of_the_same_kind(tmp_path):
    project = legacy_project(tmp_path)
    write(project, "pyproject.toml", "[tool.retrylint]\nbaseline = 'ci/baseline.json'\n")
    (project / "ci").mkdir()
    assert run(project / "ci", "check", "--write-baseline", "baseline.json", "..").returncode == 0
    assert concise(project) == (0, [])
    assert concise(project / "ci", "..") == (0, [])  # paths are recorded relative to the baseline's folder
    write(project, "digest.py", (project / "digest.py").read_text() + "\n\n@retry\ndef pong():\n    return 2\n")
    assert concise(project)[1] == [
        "digest.py:24:1: RTL001 tenacity @retry on 'pong' retries without limit: it has no attempt cap and no deadline"]
    assert concise(project, "--isolated")[0] == 1 and len(concise(project, "--isolated")[1]) == 8


def test_a_missing_or_foreign_baseline_is_a_usage_error(tmp_path):
    project = legacy_project(tmp_path)
    result = run(project, "check", "--baseline", "nope.json")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "retrylint: error: baseline file not found: nope.json (write one with --write-baseline)\n"
    write(project, "other.json", "[1, 2]\n")
    result = run(project, "check", "--baseline", "other.json")
    assert (result.returncode, result.stderr) == (
        2, "retrylint: error: baseline other.json is not a retrylint baseline (JSON with a 'findings' list)\n")


def test_add_noqa_suppresses_every_finding_once(tmp_path):
    project = legacy_project(tmp_path)
    write(project, "ping.py", UNBOUNDED.replace("@retry\n", "@retry  # noqa: RTL002\n"))
    result = run(project, "check", "--add-noqa")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "Added 4 noqa directives.\n")
    assert (project / "digest.py").read_text().splitlines()[11] == \
        "@shared_task(autoretry_for=(Exception,), max_retries=None)  # noqa: RTL001, RTL002, RTL003, RTL005"
    assert (project / "digest.py").read_text().splitlines()[18] == "@retry  # noqa: RTL001"
    assert (project / "tasks.py").read_text().splitlines()[5].endswith("  # noqa: RTL002, RTL003")
    assert (project / "ping.py").read_text().splitlines()[2] == "@retry  # noqa: RTL002, RTL001"
    assert concise(project) == (0, [])
    again = run(project, "check", "--add-noqa")
    assert (again.returncode, again.stderr) == (0, "Added 0 noqa directives.\n")
