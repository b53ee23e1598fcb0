"""Real findings through the command line: suppression, config keys, fixes written to disk,
JSON shape, user catalog files. Each test runs the command in a temporary project."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from helpers import TASKS, run, write


def codes(result) -> list[tuple[str, int]]:
    return [(d["code"], d["line"]) for d in json.loads(result.stdout)]


def test_json_findings_with_chain_and_fixes(tmp_path):
    write(tmp_path, "tasks.py", TASKS)
    result = run(tmp_path, "check", "--output-format", "json")
    assert result.returncode == 1
    found = json.loads(result.stdout)
    assert [(d["code"], d["line"]) for d in found] == [
        ("RTL001", 12), ("RTL002", 12), ("RTL003", 12), ("RTL005", 12), ("RTL001", 19),
    ]
    rtl003 = found[2]
    assert rtl003["chain"] == [
        {"path": "tasks.py", "line": 12, "name": "digest", "via": ""},
        {"path": "tasks.py", "line": 8, "name": "summarize", "via": "import"},
        {"path": "tasks.py", "line": 9, "name": "chat.completions.create", "via": "import"},
    ]
    assert "runs in a loop, billed per item, billed again if store fails after it" in rtl003["message"]
    assert rtl003["fix"] is None
    assert found[0]["fix"]["applicability"] == "safe"
    assert found[0]["fix"]["edits"] == [
        {"line": 12, "column": 54, "end_line": 12, "end_column": 58, "content": "2"}  # 3 attempts
    ]
    assert found[3]["fix"]["applicability"] == "unsafe"
    assert set(found[0]) == {
        "code", "name", "message", "path", "line", "column", "end_line", "end_column", "severity", "fix", "chain",
    }


def test_noqa_and_skip_file(tmp_path):
    suppressed = TASKS.replace(
        "@shared_task(autoretry_for=(Exception,), max_retries=None)",
        "@shared_task(autoretry_for=(Exception,), max_retries=None)  # noqa: RTL001, RTL005",
    ).replace("@retry\n", "@retry  # noqa\n")
    write(tmp_path, "tasks.py", suppressed)
    write(tmp_path, "skipped.py", "# retrylint: skip-file\n" + TASKS)
    result = run(tmp_path, "check", "--output-format", "json")
    assert codes(result) == [("RTL002", 12), ("RTL003", 12)]


def test_config_select_ignore_and_per_file_ignores(tmp_path):
    write(tmp_path, "pyproject.toml", textwrap.dedent(
        """\
        [tool.retrylint]
        ignore = ["RTL005"]
        per-file-ignores = { "legacy/*" = ["RTL001"] }
        """
    ))
    write(tmp_path, "app/tasks.py", TASKS)
    write(tmp_path, "legacy/tasks.py", TASKS)
    result = run(tmp_path, "check", "--output-format", "concise", "--quiet")
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] + " " + line.split(" ")[1] for line in lines] == [
        "app/tasks.py:12:1 RTL001",
        "app/tasks.py:12:1 RTL002",
        "app/tasks.py:12:1 RTL003",
        "app/tasks.py:19:1 RTL001",
        "legacy/tasks.py:12:1 RTL002",
        "legacy/tasks.py:12:1 RTL003",
    ]
    selected = run(tmp_path, "check", "--output-format", "json", "--select", "RTL003", "app")
    assert codes(selected) == [("RTL003", 12)]


def test_per_file_ignores_are_relative_to_the_config_folder_from_any_working_folder(tmp_path, monkeypatch):
    write(tmp_path, "pyproject.toml", '[tool.retrylint]\nper-file-ignores = { "legacy/tasks.py" = ["RTL"] }\n')
    write(tmp_path, "legacy/tasks.py", TASKS)
    write(tmp_path, "app/tasks.py", TASKS)
    from_root = run(tmp_path, "check", "--output-format", "json", "legacy/tasks.py")
    from_folder = run(tmp_path / "legacy", "check", "--output-format", "json", "tasks.py")
    assert (codes(from_root), codes(from_folder)) == ([], [])
    assert codes(run(tmp_path / "app", "check", "--output-format", "json", "tasks.py")) != []
    from retrylint.config import load_settings
    from retrylint.engine import Engine

    monkeypatch.chdir(tmp_path / "legacy")  # the language server works from its workspace folder
    assert Engine(load_settings(Path("tasks.py"))).lint_source(TASKS, "tasks.py") == []


def test_max_total_attempts_and_max_attempts(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.retrylint]\nmax-total-attempts = 9\nmax-attempts = 5\n")
    write(tmp_path, "jobs.py", textwrap.dedent(
        """\
        import openai
        from tenacity import retry, stop_after_attempt, wait_random_exponential

        client = openai.OpenAI()

        @retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=10),
               retry=retry_if_exception_type(openai.RateLimitError))
        def summarize(text):
            return client.chat.completions.create(model="gpt-4o", messages=[])

        @retry
        def ping():
            return 1
        """
    ))
    assert codes(run(tmp_path, "check", "--output-format", "json")) == [("RTL001", 11)]
    fixed = run(tmp_path, "check", "--fix", "--select", "RTL001")
    assert fixed.returncode == 0, fixed.stdout
    assert "@retry(stop=stop_after_attempt(5))\ndef ping():" in (tmp_path / "jobs.py").read_text()


def test_fix_writes_safe_fixes_and_unsafe_on_request(tmp_path):
    path = write(tmp_path, "tasks.py", TASKS)
    first = run(tmp_path, "check", "--fix", "--output-format", "concise")
    assert first.returncode == 1
    text = path.read_text()
    assert "from tenacity import retry, stop_after_attempt\n" in text
    assert "@retry(stop=stop_after_attempt(3))\ndef ping():" in text
    assert (
        "@shared_task(\n    autoretry_for=(Exception,),\n    max_retries=2,\n    dont_autoretry_for=(\n"
        "        openai.BadRequestError,\n        openai.AuthenticationError,\n        openai.PermissionDeniedError,\n"
        "        openai.NotFoundError,\n        openai.UnprocessableEntityError,\n    ),\n)\n"
    ) in text
    assert "client = openai.OpenAI()\n" in text
    assert [line.split(" ")[1] for line in first.stdout.splitlines() if ": RTL" in line] == ["RTL003", "RTL005"]
    unsafe = run(tmp_path, "check", "--fix", "--unsafe-fixes", "--output-format", "json")
    assert codes(unsafe) == [("RTL003", 12)]
    assert "client = openai.OpenAI(max_retries=0)\n" in path.read_text()
    again = run(tmp_path, "check", "--fix", "--unsafe-fixes", "--diff")
    assert again.returncode == 0 and again.stdout == ""


def test_diff_writes_nothing(tmp_path):
    path = write(tmp_path, "tasks.py", TASKS)
    result = run(tmp_path, "check", "--diff")
    assert result.returncode == 1
    assert "+@retry(stop=stop_after_attempt(3))" in result.stdout
    assert "-@retry\n" in result.stdout
    assert path.read_text() == TASKS


def test_extend_catalog_and_billable_patterns(tmp_path):
    write(tmp_path, "pyproject.toml", textwrap.dedent(
        """\
        [tool.retrylint]
        extend-catalog = ["retry-catalog.toml"]
        billable = ["myco.llm.*"]
        """
    ))
    write(tmp_path, "retry-catalog.toml", textwrap.dedent(
        """\
        [[layer]]
        library = "myco"
        names = ["myco.jobs.task"]
        form = "decorator"
        label = "myco job"
        attempts = { param = "attempts", default = 5 }
        """
    ))
    write(tmp_path, "work.py", textwrap.dedent(
        """\
        from myco.jobs import task
        from myco.llm import complete

        @task()
        def nightly(items):
            for item in items:
                complete(item)

        @task(attempts=None)
        def hourly():
            pass
        """
    ))
    result = run(tmp_path, "check", "--output-format", "json")
    found = json.loads(result.stdout)
    assert [(d["code"], d["line"]) for d in found] == [
        ("RTL002", 4), ("RTL003", 4), ("RTL006", 4), ("RTL001", 9),
    ]
    assert found[1]["message"].startswith("myco job on 'nightly' (up to 5 attempts)")


def test_syntax_error_is_reported_and_the_run_goes_on(tmp_path):
    write(tmp_path, "a_broken.py", "from tenacity import retry\n\n@retry(\ndef f():\n    pass\n")
    write(tmp_path, "b_tasks.py", TASKS)
    result = run(tmp_path, "check", "--output-format", "json")
    found = json.loads(result.stdout)
    assert (found[0]["code"], found[0]["path"], found[0]["line"]) == ("RTL999", "a_broken.py", 3)
    assert found[0]["message"] == "cannot check this file: syntax error: '(' was never closed"
    assert [d["path"] for d in found[1:]] == ["b_tasks.py"] * 5


def test_entrypoints_declared_in_config(tmp_path):
    write(tmp_path, "pyproject.toml", textwrap.dedent(
        """\
        [tool.retrylint]

        [[tool.retrylint.entrypoint]]
        name = "handlers.on_*"
        label = "SQS handler"
        attempts = 4
        """
    ))
    write(tmp_path, "handlers.py", textwrap.dedent(
        """\
        import anthropic

        client = anthropic.Anthropic(max_retries=0)

        def on_upload(event):
            for record in event["Records"]:
                client.messages.create(model="m", max_tokens=1, messages=[])
        """
    ))
    result = run(tmp_path, "check", "--output-format", "json")
    found = json.loads(result.stdout)
    assert [(d["code"], d["line"]) for d in found] == [("RTL002", 5), ("RTL003", 5)]
    assert found[1]["message"].startswith("SQS handler on 'on_upload' (up to 4 attempts)")


def test_bad_entrypoint_config_is_a_usage_error(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.retrylint]\n\n[[tool.retrylint.entrypoint]]\nname = "x.*"\nattempts = 0\n')
    write(tmp_path, "x.py", "x = 1\n")
    result = run(tmp_path, "check")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"retrylint: error: an entrypoint of 'entrypoint' in {tmp_path / 'pyproject.toml'} needs "
        "'attempts': an integer >= 1, \"unbounded\" or \"unknown\""
    )


def test_entrypoints_declared_by_module(tmp_path):
    """``handlers.*`` names no function: the prefilter lets that module through by its name."""
    write(tmp_path, "pyproject.toml", '[tool.retrylint]\n\n[[tool.retrylint.entrypoint]]\nname = "app.handlers.*"\n'
                                      'label = "SQS handler"\nattempts = 4\n')
    handler = "import anthropic\n\nclient = anthropic.Anthropic(max_retries=0)\n\ndef upload(event):\n" \
              "    client.messages.create(model='m', max_tokens=1, messages=[])\n"
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/handlers.py", handler)
    write(tmp_path, "app/other.py", handler)
    result = run(tmp_path, "check", "--output-format", "json")
    found = json.loads(result.stdout)
    assert [(d["code"], d["path"], d["line"]) for d in found] == [("RTL002", "app/handlers.py", 5)]
