"""Framework knowledge the layer readers and fixes take from the catalog, not from code: a
user's catalog file changes it for its own library."""

from __future__ import annotations

import textwrap
from pathlib import Path

from retrylint.analysis.prefilter import Prefilter
from retrylint.catalog import load_catalog
from retrylint.engine import Engine
from retrylint.settings import Settings


def layers(source: str, catalog: Path | None = None) -> list[tuple[str, str, int | None, bool]]:
    """(kind, label, worst-case attempts, waits) of each layer the engine finds in ``source``."""
    engine = Engine(Settings(extend_catalog=(catalog,) if catalog else ()))
    context = engine.analyse(textwrap.dedent(source), "jobs.py")
    return [(layer.kind, layer.label, layer.policy.attempts, layer.policy.waits) for layer in getattr(context, "layers", [])]


def catalog(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ours.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_decorator_that_leaves_async_generators_alone_says_so_in_the_catalog(tmp_path):
    source = """
        from ourlib import again

        @again(tries=3)
        async def stream():
            yield 1
        """
    spec = """
        [[layer]]
        names = ["ourlib.again"]
        form = "decorator"
        label = "ourlib @again"
        attempts = { param = "tries" }
        """
    assert layers(source, catalog(tmp_path, spec)) == [("decorator", "ourlib @again", 3, False)]
    quiet = catalog(tmp_path, spec + "retries_async_generators = false\n")
    assert layers(source, quiet) == []


def test_a_task_class_runs_the_method_its_catalog_entry_names(tmp_path):
    source = """
        from ourqueue import Job

        class Import(Job):
            retry_for = (ConnectionError,)
            max_tries = 4

            def perform(self):
                ...

            def run(self):
                ...
        """
    path = catalog(tmp_path, """
        [[layer]]
        names = ["ourqueue.job"]
        form = "task"
        label = "ourqueue job"
        attempts = { param = "max_tries" }
        retry_on = { param = "retry_for", none = true }
        task_base = ["ourqueue.Job"]
        task_base_method = "perform"
        """)
    found = Engine(Settings(extend_catalog=(path,))).analyse(textwrap.dedent(source), "jobs.py").layers
    assert [(layer.kind, layer.label, layer.function.name, layer.policy.attempts) for layer in found] == [
        ("task-class", "ourqueue job class", "perform", 4)
    ]


def test_loop_words_come_from_the_catalog(tmp_path):
    source = """
        def fetch():
            for _ in range(3):
                try:
                    return get()
                except OSError:
                    pause(1)
        """
    assert layers(source) == [("loop", "hand-written retry loop", 3, False)]
    path = catalog(tmp_path, '[loops]\nwait_calls = ["pause"]\n')
    assert layers(source, path) == [("loop", "hand-written retry loop", 3, True)]


def test_loop_iterators_come_from_the_catalog(tmp_path):
    """A ``for`` loop is a retry loop only over a catalogued iterator: a counting one bounds it
    (and its argument is the attempts), an endless one does not."""
    source = """
        from ourlib import forever, tries

        def fetch():
            for _ in forever():
                try:
                    return get()
                except OSError:
                    pass

        def send():
            for attempt in tries(4):
                try:
                    return post()
                except OSError:
                    pass
        """
    assert layers(source) == []
    assert Prefilter(load_catalog()).could_hold_layer(textwrap.dedent(source)) is False
    path = catalog(tmp_path, '[loops]\nendless_iterators = ["ourlib.forever"]\ncounting_iterators = ["ourlib.tries"]\n')
    assert layers(source, path) == [
        ("loop", "hand-written retry loop", None, False),
        ("loop", "hand-written retry loop", 4, False),
    ]
    assert Prefilter(load_catalog((path,))).could_hold_layer(textwrap.dedent(source)) is True


def test_a_recursive_retry_waits_with_the_catalog_wait_calls(tmp_path):
    source = """
        def fetch(attempt=0):
            try:
                return get()
            except OSError:
                if attempt >= 3:
                    raise
                pause(1)
                return fetch(attempt + 1)
        """
    assert layers(source) == [("recursion", "recursive retry", 4, False)]
    path = catalog(tmp_path, '[loops]\nwait_calls = ["pause"]\n')
    assert layers(source, path) == [("recursion", "recursive retry", 4, True)]


def test_which_violations_a_reread_heals_and_which_calls_reread_come_from_the_catalog(tmp_path):
    """peewee's IntegrityError around User.get_or_none then User.create: a retry of the same
    write, until a catalog file says it races and that get_or_none reads again."""
    source = textwrap.dedent("""
        import time

        from peewee import IntegrityError


        def sign_up(email):
            for attempt in range(3):
                try:
                    return User.get_or_none(User.email == email) or User.create(email=email)
                except IntegrityError:
                    time.sleep(2 ** attempt)
        """)
    spec = """
        [[errors]]
        module = "peewee"
        deterministic = ["IntegrityError"]
        """

    def findings(extra: Path) -> list[tuple[int, str]]:
        engine = Engine(Settings(select=("RTL004",), extend_catalog=(extra,)))
        return [(d.line, d.message) for d in engine.lint_source(source, "jobs.py")]

    loop = "hand-written retry loop (up to 3 attempts) retries after peewee.IntegrityError, which"
    assert findings(catalog(tmp_path, spec)) == [(8, f"{loop} no retry can fix; re-raise it instead of retrying")]
    assert findings(catalog(tmp_path, spec + 'racing = ["IntegrityError"]\n')) == [(8, (
        f"{loop} no retry of the same write can fix (it heals only when the attempt reads the rows again before "
        "writing, after a concurrent writer won a race, and this one reads none first); re-raise it instead of retrying"))]
    assert findings(catalog(tmp_path, spec + 'racing = ["IntegrityError"]\nrereads = ["get_or_none"]\n')) == []


def test_shipped_racing_classes_are_deterministic_ones():
    """'racing' only lifts RTL004 from classes it would otherwise report."""
    for library in load_catalog().error_libraries:
        assert set(library.racing) <= set(library.deterministic + library.also_deterministic), library.module
