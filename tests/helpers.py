"""Helpers shared by the test modules (imported by conftest.py, so every test module can say
``from helpers import ...``): running the command, writing projects, linting snippets."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from retrylint.engine import Engine
from retrylint.settings import Settings

REPO = Path(__file__).resolve().parent.parent
UNBOUNDED = "from tenacity import retry\n\n@retry\ndef f():\n    pass\n"
COLOUR_VARIABLES = ("NO_COLOR", "FORCE_COLOR")


# ----- the command ------------------------------------------------------------------------
def process_environment(**env: str) -> dict[str, str]:
    """This process's environment without colour variables, with the repository importable."""
    environment = {k: v for k, v in os.environ.items() if k not in COLOUR_VARIABLES}
    environment.update(PYTHONPATH=str(REPO), **env)
    return environment


def run_process(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m retrylint ARGS`` in ``cwd``: a real process, for what only a process shows."""
    return subprocess.run([sys.executable, "-m", "retrylint", *args], cwd=cwd, env=process_environment(**env),
                          capture_output=True, text=True, timeout=300)


def run(cwd: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """The command's ``main(ARGS)`` run in this process from ``cwd``, with ``env`` set, ``stdin`` (if
    given) to read, engines made afresh and stdout/stderr captured: what ``python -m retrylint ARGS``
    does, without starting Python."""
    import retrylint.runner as runner
    from retrylint.frontends.cli import main

    saved_environment, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
    saved_engines = dict(runner._ENGINES)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        for name in COLOUR_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(env)
        os.chdir(cwd)
        runner._ENGINES.clear()
        if stdin is not None:
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(list(args))
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environment)
        runner._ENGINES.clear()
        runner._ENGINES.update(saved_engines)
    return subprocess.CompletedProcess(["retrylint", *args], code, stdout.getvalue(), stderr.getvalue())


def check(root: Path, *paths: str) -> list[dict]:
    """The findings of ``retrylint check`` on ``paths`` in ``root``, as JSON."""
    result = run(root, "check", "--output-format", "json", *paths)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


# ----- projects on disk ---------------------------------------------------------------------
def write(project: Path, name: str, text: str) -> Path:
    path = project / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        write(root, name, textwrap.dedent(text).lstrip("\n"))


# A Celery task with an unbounded, broad autoretry over a billable call in a loop, and a bare @retry.
TASKS = textwrap.dedent(
    """\
    import openai
    from celery import shared_task
    from tenacity import retry

    client = openai.OpenAI()


    def summarize(text):
        return client.chat.completions.create(model="gpt-4o", messages=[])


    @shared_task(autoretry_for=(Exception,), max_retries=None)
    def digest(texts):
        for text in texts:
            summary = summarize(text)
            store(summary)


    @retry
    def ping():
        return 1
    """
)


# Two RTL005 findings (layers over one client) that share one fix, the client's max_retries=0.
SHARED_CLIENT = """\
import openai
from tenacity import retry, stop_after_attempt, wait_random_exponential

client = openai.OpenAI()


@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=30), retry=lambda s: True)
def one(text):
    return client.chat.completions.create(model="m", messages=[])


@retry(wait=wait_random_exponential(max=30), retry=lambda s: True)
def two(text):
    return client.chat.completions.create(model="m", messages=[])
"""


# Three modules: a Celery task in tasks.py reaches an Anthropic call in llm.py through pipeline.py.
FLAT = {
    "tasks.py": """
        from celery import shared_task

        import pipeline


        @shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
        def build_course(course_id, chapters):
            pipeline.run_batch(course_id, chapters)
        """,
    "pipeline.py": """
        from llm import complete as ask
        from store import save


        def run_batch(course_id, chapters):
            for chapter in chapters:
                text = ask(chapter)
                save(course_id, chapter, text)
        """,
    "llm.py": """
        import anthropic

        client = anthropic.Anthropic(max_retries=0)


        def complete(prompt):
            reply = client.messages.create(model="claude", max_tokens=1000, messages=[])
            return reply.content[0].text
        """,
    "store.py": """
        def save(course_id, chapter, text):
            ...
        """,
}



# ----- snippets linted in this process --------------------------------------------------------
def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def lint(source: str, **settings):
    return Engine(Settings(**settings)).lint_source(source, "tasks.py")


def found(source: str, **settings):
    return sorted((d.code, d.line) for d in lint(source, **settings))


def at(source: str, fragment: str, nth: int = 1) -> int:
    """1-based line of the nth line containing ``fragment``."""
    seen = 0
    for number, text in enumerate(source.splitlines(), 1):
        if fragment in text:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{fragment!r} not in source")


def message(source: str, code: str, **settings) -> str:
    messages = [d.message for d in lint(source, **settings) if d.code == code]
    assert len(messages) == 1, (code, [(d.code, d.line, d.message) for d in lint(source, **settings)])
    return messages[0]


@contextlib.contextmanager
def bench_script(name: str):
    """``bench/NAME.py`` loaded as the module ``bench_NAME``; skips the test where it is absent (an
    sdist carries tests/ but not bench/)."""
    import pytest

    script = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
    if not script.is_file():
        pytest.skip(f"bench/{name}.py is not here")
    spec = importlib.util.spec_from_file_location(f"bench_{name}", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]
