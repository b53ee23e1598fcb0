"""Fingerprints that survive line shifts, and the baseline file that records today's findings
so that only new ones are reported (``check --write-baseline FILE``, ``--baseline FILE``).

A finding's fingerprint hashes its code, its path (relative to a base folder), the qualified
name of the definition that holds the retry layer it points at, the call chain (names and
paths, no lines) and, for findings equal in all that, their order in the file."""

from __future__ import annotations

import ast
import hashlib
import json
import os
from bisect import bisect_right
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

from retrylint.diagnostics import Diagnostic

BASELINE_FORMAT = 1
MODULE_SCOPE = "<module>"


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message is one line."""


def fingerprints(diagnostics: Iterable[Diagnostic], texts: Mapping[str, str], base: Path) -> list[str]:
    """One fingerprint per diagnostic, in order; ``texts`` maps a path to the source it refers to."""
    scopes: dict[str, _Scopes] = {}
    seen: Counter = Counter()
    found = []
    for diagnostic in diagnostics:
        if diagnostic.path not in scopes:
            scopes[diagnostic.path] = _Scopes(texts.get(diagnostic.path, ""))
        key = (
            diagnostic.code,
            _relative(diagnostic.path, base),
            scopes[diagnostic.path].qualname_at(diagnostic.line),
            " -> ".join(f"{_relative(link.path, base)}:{link.name}" for link in diagnostic.chain),
        )
        seen[key] += 1
        text = "\0".join([*key, str(seen[key])])
        found.append(hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32])  # any file name
    return found


def write_baseline(file: Path, diagnostics: list[Diagnostic], texts: Mapping[str, str]) -> None:
    base = Path(os.path.abspath(file)).parent
    findings = [
        {"fingerprint": fingerprint, "code": d.code, "path": _relative(d.path, base), "line": d.line,
         "message": d.message}
        for d, fingerprint in zip(diagnostics, fingerprints(diagnostics, texts, base))
    ]
    data = {"format": BASELINE_FORMAT, "tool": "retrylint", "findings": findings}
    try:
        file.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"cannot write baseline {file}: {error.strerror or error}") from None


def new_findings(file: Path, diagnostics: list[Diagnostic], texts: Mapping[str, str]) -> list[Diagnostic]:
    """The diagnostics that the baseline in ``file`` does not record (each record matches once)."""
    recorded = Counter(_read_baseline(file))
    kept = []
    for diagnostic, fingerprint in zip(diagnostics, fingerprints(diagnostics, texts, Path(os.path.abspath(file)).parent)):
        if recorded[fingerprint] > 0:
            recorded[fingerprint] -= 1
        else:
            kept.append(diagnostic)
    return kept


def _read_baseline(file: Path) -> list[str]:
    try:
        data = json.loads(file.read_bytes())
        if data.get("format") != BASELINE_FORMAT:
            raise BaselineError(f"baseline {file} has format {data.get('format')!r}, expected {BASELINE_FORMAT}")
        return [str(finding["fingerprint"]) for finding in data["findings"]]
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {file} (write one with --write-baseline)") from None
    except OSError as error:
        raise BaselineError(f"cannot read baseline {file}: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BaselineError(f"baseline {file} is not a retrylint baseline (JSON with a 'findings' list)") from None


def _relative(path: str, base: Path) -> str:
    absolute = os.path.abspath(path)
    try:
        return Path(absolute).relative_to(base).as_posix()
    except ValueError:
        return Path(absolute).as_posix()


class _Scopes:
    """The qualified name of the innermost class or function around each line of a source,
    decorators included (a layer's decorator belongs to the function it decorates)."""

    def __init__(self, text: str):
        self.spans: list[tuple[int, int, str]] = []  # (first line, last line, qualified name)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        self._collect(tree.body, "")
        self.spans.sort()
        self.starts = [span[0] for span in self.spans]

    def _collect(self, body: list[ast.stmt], prefix: str) -> None:
        stack = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                name = f"{prefix}{node.name}"
                self.spans.append((first, node.end_lineno or node.lineno, name))
                self._collect(node.body, f"{name}.")
            else:
                stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))

    def qualname_at(self, line: int) -> str:
        """The innermost span holding ``line`` (the latest-starting one that has not ended)."""
        if not self.spans:
            return MODULE_SCOPE
        best = MODULE_SCOPE
        for first, last, name in self.spans[:bisect_right(self.starts, line)]:
            if first <= line <= last:
                best = name
        return best
