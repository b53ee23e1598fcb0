"""The pre-commit hooks, run by the real pre-commit from this repository at HEAD (so the hooks
file and the code they run must be committed) in a temporary git repository."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import FLAT, REPO, TASKS, UNBOUNDED, write_tree

pytestmark = pytest.mark.slow

SAFE = textwrap.dedent(
    """\
    import openai
    from tenacity import retry, retry_if_not_exception_type, stop_after_attempt, wait_exponential_jitter

    client = openai.OpenAI(max_retries=0)


    @retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(max=60),
           retry=retry_if_not_exception_type((openai.BadRequestError,)))
    def ask(prompt):
        return client.chat.completions.create(model="gpt-4o", messages=[])
    """
)


def head_commit() -> str:
    result = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", "HEAD"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"{REPO} has no git commit to point pre-commit at")
    return result.stdout.strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """One hook environment per test session (pre-commit installs retrylint from HEAD into it)."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    config = f"repos:\n  - repo: {REPO}\n    rev: {head_commit()}\n    hooks:\n      - id: retrylint\n      - id: retrylint-fix\n"
    (tmp_path / ".pre-commit-config.yaml").write_text(config)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def pre_commit(repository: Path, home: Path, hook: str, *args: str) -> subprocess.CompletedProcess:
    subprocess.run(["git", "add", "-A"], cwd=repository, check=True)
    environment = dict(os.environ, PRE_COMMIT_HOME=str(home), NO_COLOR="1")
    environment.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", hook, *args], cwd=repository,
                          env=environment, capture_output=True, text=True, timeout=600)


def test_check_hook_fails_on_an_unsafe_task_and_passes_on_a_safe_one(repository, pre_commit_home):
    (repository / "tasks.py").write_text(TASKS)
    failed = pre_commit(repository, pre_commit_home, "retrylint", "--all-files")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "tasks.py:12:1: RTL001" in failed.stdout and "Found 5 errors." in failed.stdout
    (repository / "tasks.py").write_text(SAFE)
    passed = pre_commit(repository, pre_commit_home, "retrylint", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "retrylint" in passed.stdout and "Passed" in passed.stdout


def test_fix_hook_rewrites_the_file(repository, pre_commit_home):
    task = repository / "ping.py"
    task.write_text(UNBOUNDED)
    fixed = pre_commit(repository, pre_commit_home, "retrylint-fix", "--all-files")
    assert fixed.returncode == 1 and "files were modified by this hook" in fixed.stdout, fixed.stdout
    assert "stop=stop_after_attempt(3)" in task.read_text()
    again = pre_commit(repository, pre_commit_home, "retrylint-fix", "--all-files")
    assert again.returncode == 0, again.stdout + again.stderr


def test_only_changed_files_still_see_the_project_around_them(repository, pre_commit_home):
    write_tree(repository, FLAT)
    result = pre_commit(repository, pre_commit_home, "retrylint", "--files", "tasks.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tasks.py:6:1: RTL003" in result.stdout
    assert "run_batch (pipeline.py:5) -> complete (llm.py:6) -> messages.create" in result.stdout


@pytest.mark.parametrize("hook", ["retrylint", "retrylint-fix"])
def test_hooks_skip_the_files_the_project_excludes(repository, pre_commit_home, hook):
    (repository / "pyproject.toml").write_text("[tool.retrylint]\nextend-exclude = ['legacy']\n")
    (repository / "legacy").mkdir()
    (repository / "legacy" / "tasks.py").write_text(TASKS)
    result = pre_commit(repository, pre_commit_home, hook, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repository / "legacy" / "tasks.py").read_text() == TASKS
