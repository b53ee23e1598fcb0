"""The summary's "[*] N fixable with --fix": counted where each file is checked (by the very
passes --fix makes, in memory), kept with the file's cached findings, and only summed at the end."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import retrylint.runner as runner
from retrylint.engine import Engine
from retrylint.runner import CheckOptions, run_check
from helpers import SHARED_CLIENT, process_environment, run, write_tree

# llm.py: a tenacity layer over an Anthropic client that retries by default (RTL005, whose unsafe
# fix is max_retries=0 on the client); tasks.py, checked after it, a Celery task over that very
# client (RTL005 again, which that fix would remove); shared.py: two RTL005 findings sharing one fix.
PROJECT = {
    "llm.py": """
        import anthropic
        from tenacity import retry, stop_after_attempt

        client = anthropic.Anthropic()


        @retry(stop=stop_after_attempt(3))
        def complete(prompt):
            reply = client.messages.create(model="claude", max_tokens=1000, messages=[])
            return reply.content[0].text
        """,
    "tasks.py": """
        from celery import shared_task

        from llm import client


        @shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
        def build_course(course_id, chapters):
            client.messages.create(model="claude", max_tokens=1000, messages=[])
        """,
    "shared.py": SHARED_CLIENT,
}
PLAIN = ["Found 8 errors.", "[*] 4 fixable with --fix (2 more with --unsafe-fixes)"]
UNSAFE = ["Found 8 errors.", "[*] 6 fixable with --fix"]
# --fix --unsafe-fixes --diff (or --fix --unsafe-fixes) applies 6 fixes; per file, as summed:
OFFERS = {"llm.py": (2, 3), "shared.py": (1, 2), "tasks.py": (1, 1)}


def project(root: Path, padding: int = 0) -> Path:
    """PROJECT, and ``padding`` files without findings (enough for the work to be shared out)."""
    write_tree(root, PROJECT)
    for number in range(padding):
        (root / f"zz{number}.py").write_text(f"VALUE = {number}\n")
    return root


def summary(root: Path, *args: str) -> list[str]:
    result = run(root, "check", *args)
    assert result.returncode == 1, result.stderr
    return result.stdout.splitlines()[-2:]


def test_the_count_is_what_fix_applies_with_or_without_a_cache_cold_or_warm(tmp_path):
    root = project(tmp_path, padding=40)
    assert summary(root, "--no-cache", "-j1") == PLAIN
    assert summary(root, "--no-cache", "-j1", "--unsafe-fixes") == UNSAFE
    assert summary(root, "-j2") == PLAIN  # cold, in two workers
    [index] = (root / ".retrylint_cache").glob("*.json")
    entries = json.loads(index.read_text())["entries"]
    assert {Path(file).name: tuple(entry["fixes"]) for file, entry in entries.items() if entry["fixes"]} == OFFERS
    assert summary(root, "-j2") == PLAIN  # warm
    assert summary(root, "-j1", "--unsafe-fixes") == UNSAFE
    assert summary(root, "-j1", "--output-format", "concise") == PLAIN


def test_a_run_that_prints_no_count_counts_nothing_and_a_later_one_counts_what_it_needs(tmp_path, monkeypatch):
    root = project(tmp_path)
    counted = []
    real = Engine.fixes_on_offer
    monkeypatch.setattr(Engine, "fixes_on_offer", lambda self, text, shown, diagnostics:
                        counted.append(shown) or real(self, text, shown, diagnostics))
    for args in (["--output-format", "json"], ["--statistics"], ["--quiet"], ["--fix", "--unsafe-fixes", "--diff"]):
        assert run(root, "check", "-j1", *args).returncode == 1
    assert counted == []
    [index] = (root / ".retrylint_cache").glob("*.json")
    assert all(entry["fixes"] is None for entry in json.loads(index.read_text())["entries"].values())
    assert summary(root, "-j1") == PLAIN  # the cached findings with a fix on offer are checked again
    assert sorted(counted) == sorted(OFFERS)
    counted.clear()
    assert summary(root, "-j1") == PLAIN
    assert counted == []


def test_counting_fixes_leaves_the_other_files_findings_as_they_are(tmp_path, monkeypatch):
    """llm.py's fixes, tried in memory, never stand in for llm.py when tasks.py (checked after it,
    in the same process) resolves its client: its RTL005 stays."""
    project(tmp_path)
    monkeypatch.chdir(tmp_path)
    outcomes = []
    for count_fixes in (False, True):
        monkeypatch.setattr(runner, "_ENGINES", {})
        outcomes.append(run_check([Path(".")], CheckOptions(jobs=1, count_fixes=count_fixes)))
    plain, counted = outcomes
    assert [d.to_json() for d in counted.diagnostics] == [d.to_json() for d in plain.diagnostics]
    assert ("tasks.py", "RTL005") in {(d.path, d.code) for d in counted.diagnostics}
    assert {shown: offer for shown, offer in counted.offers.items() if offer} == OFFERS
    assert runner.fixes_on_offer(counted, safe_too=True) == (4, 6)


@pytest.mark.slow  # real processes: what a warm run imports
def test_a_warm_run_counts_the_fixes_without_importing_libcst(tmp_path):
    root = project(tmp_path)
    script = textwrap.dedent("""
        import sys
        from retrylint.frontends.cli import main
        code = main(["check", "-j1", "-o", "report.txt", "."])
        print(code, "libcst" in sys.modules)
        """)
    runs = [subprocess.run([sys.executable, "-c", script], cwd=root, env=process_environment(), capture_output=True,
                           text=True, timeout=300) for _ in range(2)]
    assert [(result.stdout, result.stderr) for result in runs] == [("1 True\n", ""), ("1 False\n", "")]
    assert (root / "report.txt").read_text().splitlines()[-2:] == PLAIN
