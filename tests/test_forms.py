"""What the form cases (cases/forms/, run by test_form_cases.py) cannot say: the call chain a
finding carries, and the exact source that fixes write on each form."""

from __future__ import annotations

from retrylint.engine import Engine
from retrylint.settings import Settings
from helpers import found, lint, src

OAI = src(
    """
    import openai
    from tenacity import retry, stop_after_attempt, wait_exponential, retry_if_exception_type

    client = openai.OpenAI(max_retries=0)
    """
)
TRANSIENT = "retry_if_exception_type((openai.RateLimitError, openai.APIConnectionError))"


def chain(source: str, **settings) -> list[tuple[str, str, int, str]]:
    """(code, name, line, path) of each link of each finding's chain."""
    return [(d.code, link.name, link.line, link.path) for d in lint(source, **settings) for link in d.chain]


def assert_fixed(source: str, expected: str) -> None:
    """One safe fix turns ``source`` into ``expected``, which is clean; fixing again changes nothing."""
    result = Engine(Settings()).fix_source(source, "tasks.py")
    assert (result.source, result.applied) == (expected, 1)
    assert found(result.source) == []
    again = Engine(Settings()).fix_source(result.source, "tasks.py")
    assert (again.source, again.applied) == (result.source, 0)


def test_reachability_through_helpers_has_a_chain():
    s = OAI + "\n" + src(
        f"""
        @retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry={TRANSIENT})
        def build(chapters, db):
            for chapter in chapters:
                write_chapter(chapter, db)

        def write_chapter(chapter, db):
            db.save(draft(chapter))

        def draft(chapter):
            return ask(chapter.title)

        def ask(prompt):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(s) == [("RTL003", 6)]
    assert chain(s) == [("RTL003", "build", 6, "tasks.py"), ("RTL003", "write_chapter", 11, "tasks.py"),
                        ("RTL003", "draft", 14, "tasks.py"), ("RTL003", "ask", 17, "tasks.py"),
                        ("RTL003", "chat.completions.create", 18, "tasks.py")]


def test_reachability_handles_cycles():
    s = OAI + "\n" + src(
        f"""
        @retry(stop=stop_after_attempt(3), retry={TRANSIENT})
        def walk(node):
            return visit(node)

        def visit(node):
            if node.children:
                return [walk(child) for child in node.children]
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert chain(s, select=("RTL006",)) == [("RTL006", "walk", 6, "tasks.py"), ("RTL006", "visit", 10, "tasks.py"),
                                            ("RTL006", "chat.completions.create", 13, "tasks.py")]


def test_fix_extends_a_parenthesized_tenacity_import():
    before = src(
        """
        import openai
        from tenacity import (
            retry,
            stop_after_attempt,
            retry_if_exception_type,
        )

        client = openai.OpenAI(max_retries=0)

        @retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(openai.RateLimitError))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(before) == [("RTL006", 10)]
    assert_fixed(before, before.replace(
        "    retry_if_exception_type,\n", "    retry_if_exception_type,\n    wait_exponential_jitter,\n").replace(
        "@retry(stop=stop_after_attempt(3), retry=retry_if_exception_type(openai.RateLimitError))",
        "@retry(\n    stop=stop_after_attempt(3),\n    retry=retry_if_exception_type(openai.RateLimitError),\n"
        "    wait=wait_exponential_jitter(max=60),\n)"))


def test_fix_adds_stop_to_bare_alias():
    assert_fixed(
        "from tenacity import retry as again\n\n@again\ndef fetch():\n    return 1\n",
        "from tenacity import retry as again, stop_after_attempt\n\n@again(stop=stop_after_attempt(3))\ndef fetch():\n    return 1\n",
    )


def test_fix_caps_backoff_max_time_zero():
    before = "import backoff\n\n@backoff.on_exception(backoff.expo, ConnectionError, max_time=0)\ndef fetch():\n    return 1\n"
    assert_fixed(before, before.replace("max_time=0)", "max_time=0, max_tries=3)"))


def test_fix_caps_celery_base_class_attribute():
    before = src(
        """
        from celery import Celery, Task

        app = Celery("courses")

        class RetryingTask(Task):
            autoretry_for = (ConnectionError,)
            max_retries = None

        @app.task(base=RetryingTask)
        def sync():
            return 1
        """
    )
    assert_fixed(before, before.replace("max_retries = None", "max_retries = 2"))  # 3 attempts: 2 retries
