"""``retrylint server`` keeps stdout for the protocol: a raw client reads every byte the server
writes there as framed JSON-RPC (pytest-lsp, in test_server.py, would hide stray bytes less
plainly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from helpers import FLAT, REPO, write_tree

pytestmark = pytest.mark.slow


PUBLISH = "textDocument/publishDiagnostics"


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_message(stream) -> dict:
    """One framed LSP message from ``stream``; anything else there (a stray print, a warning,
    a progress bar) fails the test."""
    length = None
    while True:
        line = stream.readline()
        assert line.endswith(b"\r\n"), f"not an LSP header: {line!r}"
        if line == b"\r\n":
            break
        name, _, value = line.decode("ascii").partition(":")
        assert name in ("Content-Length", "Content-Type"), f"not an LSP header: {line!r}"
        if name == "Content-Length":
            length = int(value)
    assert length is not None
    return json.loads(stream.read(length))


def test_the_server_speaks_only_lsp_on_stdout(tmp_path):
    """Everything the server writes to stdout is a framed JSON-RPC message, from initialize to
    exit, with a finding published on the way."""
    write_tree(tmp_path, FLAT)
    tasks = tmp_path / "tasks.py"
    server = subprocess.Popen([sys.executable, "-m", "retrylint", "server"], cwd=tmp_path,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
    watchdog = threading.Timer(120, server.kill)  # a hung server ends the reads, not the suite
    watchdog.start()
    try:
        server.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}))
        server.stdin.flush()
        assert _read_message(server.stdout)["id"] == 1
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": tasks.as_uri(), "languageId": "python", "version": 1,
                             "text": tasks.read_text()}}}))
        server.stdin.flush()
        published = _read_message(server.stdout)
        while published.get("method") != PUBLISH:
            published = _read_message(server.stdout)
        assert [d["code"] for d in published["params"]["diagnostics"]] == ["RTL002", "RTL003"]
        server.stdin.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        server.stdin.flush()
        reply = _read_message(server.stdout)
        while reply.get("id") != 2:
            reply = _read_message(server.stdout)
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        server.stdin.close()
        assert server.wait(timeout=30) == 0
        assert server.stdout.read() == b""  # nothing after the last message
    finally:
        watchdog.cancel()
        server.kill()
