"""The flake8 plugin, run by the real flake8 in a temporary project and compared with the CLI's JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import REPO, TASKS, run, write

FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s|%(text)s"
STACKED = textwrap.dedent(
    """\
    import openai
    from tenacity import retry, retry_if_not_exception_type, stop_after_attempt, wait_exponential_jitter

    client = openai.OpenAI()


    @retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60),
           retry=retry_if_not_exception_type((openai.BadRequestError,)))
    def ask(prompt):
        return client.chat.completions.create(model="gpt-4o", messages=[])
    """
)


def flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "flake8", f"--format={FORMAT}", *args], cwd=cwd,
                          env=environment, capture_output=True, text=True)


def flake8_findings(result: subprocess.CompletedProcess) -> list[tuple]:
    assert result.returncode in (0, 1), result.stderr
    found = []
    for line in result.stdout.splitlines():
        path, row, column, code, text = line.split("|", 4)
        found.append((path.removeprefix("./"), int(row), int(column), code, text.removeprefix(f"{code} ")))
    return found


def cli_findings(cwd: Path, *args: str) -> list[tuple]:
    result = run(cwd, "check", "--output-format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return [(d["path"], d["line"], d["column"], d["code"], d["message"]) for d in json.loads(result.stdout)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, "tasks.py", TASKS)
    write(tmp_path, "jobs.py", STACKED)
    shutil.copy(REPO / "examples" / "incident" / "tasks.py", tmp_path / "incident.py")
    return tmp_path


def test_plugin_is_registered_under_rtl():
    result = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    assert "retrylint:" in result.stdout


def test_same_findings_as_the_cli(project):
    expected = cli_findings(project, ".")
    assert {code for *_, code, _ in expected} >= {"RTL001", "RTL002", "RTL003", "RTL005", "RTL006"}
    found = flake8_findings(flake8(project, "--select", "RTL", "."))
    assert sorted(found) == sorted(expected)


@pytest.mark.slow  # real flake8 processes (test_same_findings_as_the_cli stays in the fast loop)
def test_per_file_ignores_from_a_subfolder(project):
    write(project, "pyproject.toml", '[tool.retrylint]\nper-file-ignores = { "app/tasks.py" = ["RTL"] }\n')
    write(project, "app/tasks.py", TASKS)
    assert flake8_findings(flake8(project / "app", "--select", "RTL", "tasks.py")) == []
    assert flake8_findings(flake8(project, "--select", "RTL", "app/tasks.py")) == []
    assert flake8_findings(flake8(project / "app", "--select", "RTL", "../tasks.py")) != []


@pytest.mark.slow  # real flake8 processes (test_same_findings_as_the_cli stays in the fast loop)
def test_extend_select_in_flake8_config(project):
    write(project, ".flake8", "[flake8]\nselect = E9\nextend-select = RTL\n")
    assert sorted(flake8_findings(flake8(project, "."))) == sorted(cli_findings(project, "."))


@pytest.mark.slow  # real flake8 processes (test_same_findings_as_the_cli stays in the fast loop)
def test_pyproject_settings_are_read_like_the_cli(project):
    write(project, "pyproject.toml", '[tool.retrylint]\nignore = ["RTL003"]\nmax-total-attempts = 9\n')
    expected = cli_findings(project, ".")
    codes = {code for *_, code, _ in expected}
    assert "RTL003" not in codes and ("jobs.py", 7) not in {(p, line) for p, line, *_ in expected}
    assert sorted(flake8_findings(flake8(project, "--select", "RTL", "."))) == sorted(expected)


@pytest.mark.slow  # real flake8 processes (test_same_findings_as_the_cli stays in the fast loop)
def test_flake8_options_override_settings(project):
    assert ("jobs.py", 7) in {(p, line) for p, line, *_ in flake8_findings(flake8(project, "--select", "RTL", "."))}
    quiet = flake8_findings(flake8(project, "--select", "RTL", "--retrylint-max-total-attempts", "9", "jobs.py"))
    assert quiet == []
    write(project, ".flake8", "[flake8]\nretrylint-max-total-attempts = 9\n")
    assert flake8_findings(flake8(project, "--select", "RTL", "jobs.py")) == []


@pytest.mark.slow  # real flake8 processes (test_same_findings_as_the_cli stays in the fast loop)
def test_flake8_applies_noqa_itself(project):
    lines = TASKS.splitlines(keepends=True)
    lines[11] = lines[11].rstrip("\n") + "  # noqa: RTL001\n"
    write(project, "tasks.py", "".join(lines))
    found = flake8_findings(flake8(project, "--select", "RTL", "tasks.py"))
    assert found == cli_findings(project, "tasks.py")
    assert ("RTL001", 12) not in {(code, line) for _, line, _, code, _ in found}
    unsuppressed = flake8_findings(flake8(project, "--select", "RTL", "--disable-noqa", "tasks.py"))
    assert ("RTL001", 12) in {(code, line) for _, line, _, code, _ in unsuppressed}
