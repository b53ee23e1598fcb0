"""Findings do not depend on --jobs, on the order files are checked in, or on which other files
a run checks: a module is looked up from the importing file's own root and the project's
configured roots, never from roots that other checked files happened to add."""

from __future__ import annotations

from pathlib import Path

import pytest

import retrylint.runner as runner
from retrylint.runner import CheckOptions, run_check
from helpers import write_tree

# lib/ is a folder of its own (no __init__.py): Python finds ``mylib`` from zapp/tasks.py only
# if lib/ is on the path, which checking lib/mylib.py first must not pretend.
TREE = {
    "lib/mylib.py": """
        import openai
        from tenacity import retry, stop_after_attempt, wait_random_exponential

        client = openai.OpenAI(max_retries=0)


        def complete(prompt):
            return client.chat.completions.create(model="m", messages=[prompt])


        @retry(stop=stop_after_attempt(2), wait=wait_random_exponential())
        def ping():
            return 1
        """,
    "zapp/tasks.py": """
        from tenacity import retry, stop_after_attempt

        from mylib import complete


        @retry(stop=stop_after_attempt(3))
        def summarise(prompt):
            return complete(prompt)
        """,
}


def findings(folder: Path, monkeypatch, *paths: str, jobs: int = 1) -> list[dict]:
    monkeypatch.chdir(folder)
    monkeypatch.setattr(runner, "_ENGINES", {})
    monkeypatch.setattr(runner, "MIN_FILES_PER_JOB", 1)  # two files are enough for two workers
    outcome = run_check([Path(p) for p in paths], CheckOptions(jobs=jobs, isolated=True))
    return [d.to_json() for d in outcome.diagnostics]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write_tree(tmp_path, TREE)
    for copy in range(20):  # enough files that two workers get different runs of them
        write_tree(tmp_path / f"more{copy}", TREE)
    return tmp_path


def test_one_file_alone_the_whole_tree_and_any_job_count_agree(tree, monkeypatch):
    alone = findings(tree, monkeypatch, "zapp/tasks.py")
    whole = [d for d in findings(tree, monkeypatch, ".") if d["path"] == "zapp/tasks.py"]
    assert whole == alone
    assert findings(tree, monkeypatch, "lib", "zapp/tasks.py") == findings(tree, monkeypatch, "zapp/tasks.py", "lib")
    assert findings(tree, monkeypatch, ".", jobs=2) == findings(tree, monkeypatch, ".", jobs=1)
    assert [d for d in findings(tree, monkeypatch, "lib/mylib.py", "zapp/tasks.py") if d["path"] == "zapp/tasks.py"] \
        == alone
