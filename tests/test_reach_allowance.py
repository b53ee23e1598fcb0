"""Bounded cost across modules: the analysis of one checked file reads at most
MAX_MODULES_PER_FILE other modules (and MAX_CHARACTERS_PER_FILE of their source), never parses
one twice while doing so, and its findings do not depend on which modules are in memory already."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import retrylint.analysis.project as project_module
from helpers import check, write_tree

TASKS = """
    from tenacity import retry, stop_after_attempt

    from app.step0 import go


    @retry(stop=stop_after_attempt(3))
    def summarise():
        return go()
    """
PAID = """
    import openai

    client = openai.OpenAI()


    def go():
        return client.chat.completions.create(model="m", messages=[])
    """


def chain(root: Path, depth: int) -> None:
    """app/tasks.py retrying step0.go, which calls step1.go, ... down to the paid call."""
    files = {"app/__init__.py": "", "app/tasks.py": TASKS, f"app/step{depth}.py": PAID}
    for step in range(depth):
        files[f"app/step{step}.py"] = f"""
            from app.step{step + 1} import go as deeper


            def go():
                return deeper()
            """
    write_tree(root, files)


@pytest.fixture
def loads(monkeypatch) -> Counter:
    """How often each module is parsed for another file's analysis."""
    counted: Counter = Counter()
    load = project_module.Project._load

    def counting(self, name, path, root):
        counted[path.name] += 1
        return load(self, name, path, root)

    monkeypatch.setattr(project_module.Project, "_load", counting)
    return counted


def codes(findings: list[dict]) -> list[tuple[str, int]]:
    return [(f["code"], f["line"]) for f in findings]


def test_a_paid_call_three_modules_away_is_found(tmp_path, loads):
    chain(tmp_path, 3)
    found = check(tmp_path, "--no-cache", "--isolated", "app/tasks.py")
    assert codes(found) == [("RTL002", 6), ("RTL005", 6), ("RTL006", 6)]
    assert "-> go (app/step3.py:6) -> chat.completions.create" in found[1]["message"]
    assert max(loads.values()) == 1


def test_a_chain_longer_than_the_allowance_stops_there(tmp_path, monkeypatch, loads):
    monkeypatch.setattr(project_module, "MAX_MODULES_PER_FILE", 10)
    chain(tmp_path, 15)
    assert check(tmp_path, "--no-cache", "--isolated", "app/tasks.py") == []
    assert sum(loads.values()) == 10
    assert max(loads.values()) == 1


def test_the_allowance_counts_characters(tmp_path, monkeypatch, loads):
    chain(tmp_path, 3)
    step_size = (tmp_path / "app/step0.py").stat().st_size
    monkeypatch.setattr(project_module, "MAX_CHARACTERS_PER_FILE", 2 * step_size + 1)
    assert check(tmp_path, "--no-cache", "--isolated", "app/tasks.py") == []
    assert sorted(loads) == ["__init__.py", "step0.py", "step1.py"]  # the package counts, empty


def test_modules_in_memory_count_as_read(tmp_path, monkeypatch):
    """A module another file's check parsed already still takes its place in the allowance: the
    same file gets the same findings alone and after a neighbour that read the whole chain."""
    depth = 6
    chain(tmp_path, depth)
    monkeypatch.setattr(project_module, "MAX_MODULES_PER_FILE", depth)  # step0..step5: the paid call is out of reach
    write_tree(tmp_path, {"app/aaa_first.py": TASKS.replace("app.step0", f"app.step{depth - 2}")})
    alone = check(tmp_path, "--no-cache", "--isolated", "app/tasks.py")
    together = check(tmp_path, "--no-cache", "--isolated", "-j1", "app/aaa_first.py", "app/tasks.py")
    assert alone == []
    assert [f["path"] for f in together] == ["app/aaa_first.py"] * 3


LAYER_AFTER_A_BIG_READ = {
    "app/__init__.py": "",
    "app/big.py": """
        class Helper:
            def run(self):
                return 1
        """ + "\n# padding\n" * 200,
    "app/preds.py": """
        def retryable(error):
            return isinstance(error, Exception)
        """,
    "app/tasks.py": """
        import openai
        from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

        from app.big import Helper
        from app.preds import retryable

        client = openai.OpenAI(max_retries=0)


        def first():
            return Helper().run()


        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception(retryable))
        def summarise():
            return client.chat.completions.create(model="m", messages=[])
        """,
}


def test_a_layers_own_predicate_is_read_after_the_allowance_is_spent(tmp_path, monkeypatch):
    """The file's other calls read app/big.py first and spend the allowance; the layer's own
    predicate in app/preds.py is still read (from the layer names' reserve): it retries every
    Exception. Without the reserve it is left unread, an unknown classifier, and nothing is said."""
    write_tree(tmp_path, LAYER_AFTER_A_BIG_READ)
    monkeypatch.setattr(project_module, "MAX_CHARACTERS_PER_FILE", (tmp_path / "app/big.py").stat().st_size)
    found = check(tmp_path, "--no-cache", "--isolated", "app/tasks.py")
    assert codes(found) == [("RTL002", 14)]
    assert found[0]["message"].startswith("tenacity @retry on 'summarise' (up to 3 attempts) retries on broad Exception around billable")
    monkeypatch.setattr(project_module, "MAX_CHARACTERS_FOR_LAYER_NAMES", 0)
    assert check(tmp_path, "--no-cache", "--isolated", "app/tasks.py") == []


OWN_NAMES = {
    "app/__init__.py": "",
    "app/client.py": """
        import time


        class Client:
            def _should_retry(self, error):
                return isinstance(error, ConnectionError)

            def request(self, send):
                for retries_taken in range(3):
                    try:
                        return send()
                    except OSError as error:
                        if self._should_retry(error):
                            time.sleep(2 ** retries_taken)
                            continue
                        raise
        """,
}


def test_the_checked_module_is_not_parsed_again_for_its_own_names(tmp_path, loads):
    """While its layers are found, a file's names that lead back into its own module
    (``self._should_retry(error)``, asked whether it is a retrying object) resolve into the model
    being checked, not a copy parsed again (openai's _base_client.py: 0.14 s of 0.56)."""
    write_tree(tmp_path, OWN_NAMES)
    assert check(tmp_path, "--no-cache", "--isolated", "app/client.py") == []
    assert "client.py" not in loads
