#!/usr/bin/env python3
"""How fast the language server re-checks an edited module (issue 13).

Usage (from the repository root):

    python bench/lsp_edit.py                # 40 edits, prints the median and the spread
    python bench/lsp_edit.py --edits 10 --lines 1500

It writes a project to a temporary folder: a Celery module of about 1,500 lines (``tasks.py``:
tasks with autoretry over LLM calls, helpers, classes) among the modules it imports (``llm.py``,
``pipeline.py``, ``store.py``). It starts ``python -m retrylint server`` and speaks LSP to it over
stdio, opens ``tasks.py``, then edits it again and again: each edit changes one line
(``didChange``) and saves (``didSave``, which checks at once, without the typing debounce). The
time measured is from sending the edit to receiving the ``publishDiagnostics`` of that version.
On Linux it also prints the CPU time the server process spent per edit (its mean over the edits,
from ``/proc``), which depends much less than the elapsed time on other jobs sharing the machine.
Timings are never asserted anywhere; they depend on the machine and on its load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NEIGHBOURS = {
    "llm.py": """
        import anthropic
        import openai

        claude = anthropic.Anthropic(max_retries=0)
        gpt = openai.OpenAI()


        def complete(prompt):
            reply = claude.messages.create(model="claude", max_tokens=1000, messages=[])
            return reply.content[0].text


        def embed(text):
            return gpt.embeddings.create(model="text-embedding-3-small", input=text)
        """,
    "pipeline.py": """
        from llm import complete, embed
        from store import save


        def run_batch(course_id, chapters):
            for chapter in chapters:
                text = complete(chapter)
                save(course_id, chapter, text)


        def index(doc_id, parts):
            return [embed(part) for part in parts]
        """,
    "store.py": """
        def save(course_id, chapter, text):
            ...
        """,
}

HEADER = '''\
"""Background jobs of a course platform."""

import logging

from celery import Celery, shared_task

import pipeline
from store import save

app = Celery("courses")
log = logging.getLogger(__name__)
'''

BLOCK = '''

@shared_task(autoretry_for=(Exception,), max_retries={retries}, retry_backoff=True)
def build_course_{n}(course_id, chapters):
    """Build course {n}: one LLM call per chapter."""
    log.info("building %s", course_id)
    pipeline.run_batch(course_id, chapters)


@app.task(bind=True, max_retries=3)
def index_document_{n}(self, doc_id, parts):
    try:
        vectors = pipeline.index(doc_id, parts)
    except ConnectionError as error:
        raise self.retry(exc=error, countdown=2 ** self.request.retries)
    save(doc_id, "vectors", vectors)
    return len(vectors)


class Report{n}:
    """Plain code around the tasks, as a real module has."""

    def __init__(self, rows):
        self.rows = list(rows)

    def total(self):
        return sum(row.get("amount", 0) for row in self.rows)

    def by_key(self, key):
        grouped = {{}}
        for row in self.rows:
            grouped.setdefault(row.get(key), []).append(row)
        return grouped

    def summary(self):
        lines = []
        for key, rows in sorted(self.by_key("kind").items(), key=lambda item: str(item[0])):
            lines.append(f"{{key}}: {{len(rows)}} rows, {{sum(r.get('amount', 0) for r in rows)}}")
        return "\\n".join(lines)


def normalise_{n}(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split()).lower()
'''


def make_tree(root: Path, lines: int) -> Path:
    """Write the project; return the path of the big module."""
    for name, text in NEIGHBOURS.items():
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"))
    parts, n = [HEADER], 0
    while sum(part.count("\n") for part in parts) < lines:
        parts.append(BLOCK.format(n=n, retries=5 if n % 2 else "None"))
        n += 1
    tasks = root / "tasks.py"
    tasks.write_text("".join(parts))
    (root / "pyproject.toml").write_text("[tool.retrylint]\n")
    return tasks


class Client:
    """A minimal LSP client over the server's stdin and stdout."""

    def __init__(self, cwd: Path):
        environment = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen([sys.executable, "-m", "retrylint", "server"], cwd=cwd, env=environment,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0

    def send(self, method: str, params: dict, request: bool = False) -> int | None:
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return message.get("id")

    def receive(self) -> dict:
        length = 0
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def wait_for(self, predicate) -> dict:
        while True:
            message = self.receive()
            if message.get("method") == "window/workDoneProgress/create" and "id" in message:
                self.reply(message["id"])
            if predicate(message):
                return message

    def reply(self, message_id) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": message_id, "result": None}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def close(self) -> None:
        request = self.send("shutdown", {}, request=True)
        self.wait_for(lambda message: message.get("id") == request)
        self.send("exit", {})
        self.process.wait(timeout=10)


def published(uri: str, version: int):
    return lambda message: (message.get("method") == "textDocument/publishDiagnostics"
                            and message["params"]["uri"] == uri and message["params"].get("version") == version)


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) a process has used, where ``/proc`` tells it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def measure(edits: int, lines: int) -> tuple[list[float], int, int, float | None]:
    """Milliseconds from each edit to its diagnostics; the module's lines; its diagnostics; the
    server's mean CPU milliseconds per edit (None where it cannot be read)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        tasks = make_tree(root, lines)
        text = tasks.read_text()
        uri = tasks.as_uri()
        client = Client(root)
        try:
            request = client.send("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                                 "capabilities": {}}, request=True)
            client.wait_for(lambda message: message.get("id") == request)
            client.send("initialized", {})
            client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                  "version": 1, "text": text}})
            first = client.wait_for(published(uri, 1))
            timings, cpu_before = [], cpu_seconds(client.process.pid)
            for version in range(2, edits + 2):
                edited = text.replace('log.info("building %s", course_id)',
                                      f'log.info("building %s (edit {version})", course_id)', 1)
                start = time.perf_counter()
                client.send("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]})
                client.send("textDocument/didSave", {"textDocument": {"uri": uri}})
                client.wait_for(published(uri, version))
                timings.append((time.perf_counter() - start) * 1000)
            cpu_after = cpu_seconds(client.process.pid)
            cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000 / edits
            return timings, text.count("\n"), len(first["params"]["diagnostics"]), cpu
        finally:
            client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--lines", type=int, default=1500)
    args = parser.parse_args(argv)
    timings, lines, diagnostics, cpu = measure(args.edits, args.lines)
    quartiles = statistics.quantiles(timings, n=4)
    print(f"tasks.py: {lines} lines, {diagnostics} diagnostics; {len(timings)} edits")
    print(f"edit -> diagnostics: median {statistics.median(timings):.0f} ms "
          f"(quartiles {quartiles[0]:.0f}-{quartiles[2]:.0f} ms, max {max(timings):.0f} ms)")
    if cpu is not None:
        print(f"server CPU time per edit: {cpu:.0f} ms (mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
