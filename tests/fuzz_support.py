"""What the fuzz test (tests/test_fuzz.py) and the long campaign (scripts/fuzz_campaign.py) share:
seed sources, mutations of them, and the invariants every engine run must keep."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path
from typing import Callable

from retrylint.diagnostics import Diagnostic
from retrylint.engine import Engine
from retrylint.settings import Settings
from retrylint.sources import python_lines
from retrylint.sources import python_parses as compiles

REPO = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9]+|\s+|\S")
# Prepended to generated programs so that the prefilter lets them through to the full analysis.
RETRY_HEADER = (
    "from tenacity import retry, stop_after_attempt\n"
    "import openai\n"
    "client = openai.OpenAI()\n"
    "@retry\n"
    "def _seed():\n"
    "    return client.chat.completions.create(model='m', messages=[])\n"
)
INSERTS = ["(", ")", "[", "]", "{", "}", ":", ",", "\n", "\t", "    ", "#", "'", '"', '"""', "\\", "\r\n", "\r",
           "@", "=", ".", "*", "**", "lambda", "async ", "await ", "yield ", "try:\n", "except:\n", "while True:\n",
           "@retry\n", "for _ in range(3):\n", "retry(", "stop_after_attempt(", "max_retries=None", "\x0c", "\u00e9",
           "**options", ", **self.config", "*args, "]

Choose = Callable[[int], int]  # choose(n) -> an int in range(n)


def seeds() -> list[str]:
    """Real retry code: the rule modules' VALID and INVALID cases, the silent corpus, the incident."""
    from retrylint.rules import ALL_RULES

    found = [case.code for rule in ALL_RULES for case in [*rule.INVALID, *rule.VALID]]
    found += [p.read_text(encoding="utf-8") for p in sorted((REPO / "tests" / "corpus" / "silent").glob("*.py"))]
    found += [(REPO / "examples" / "incident" / "tasks.py").read_text(encoding="utf-8")]
    return found


# ----- mutations ------------------------------------------------------------------------------------
def _tokens(source: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(source)]


def _words(source: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(source) if not m.group().isspace()]


def delete_token(source: str, choose: Choose) -> str:
    spans = _words(source)
    if not spans:
        return source
    start, end = spans[choose(len(spans))]
    return source[:start] + source[end:]


def duplicate_token(source: str, choose: Choose) -> str:
    spans = _words(source)
    if not spans:
        return source
    start, end = spans[choose(len(spans))]
    return source[:end] + source[start:end] + source[end:]


def swap_tokens(source: str, choose: Choose) -> str:
    """Swap two tokens, e.g. two arguments, a keyword and its value, an exception and a name."""
    spans = _words(source)
    if len(spans) < 2:
        return source
    first = choose(len(spans))
    second = min(len(spans) - 1, first + 1 + choose(min(8, len(spans))))  # usually a nearby one
    if first == second:
        return source
    (a, b), (c, d) = sorted([spans[first], spans[second]])
    return source[:a] + source[c:d] + source[b:c] + source[a:b] + source[d:]


def swap_arguments(source: str, choose: Choose) -> str:
    """Swap two comma-separated arguments of one call."""
    calls = [m for m in re.finditer(r"\(([^()]*,[^()]*)\)", source)]
    if not calls:
        return swap_tokens(source, choose)
    match = calls[choose(len(calls))]
    parts = match.group(1).split(",")
    i, j = choose(len(parts)), choose(len(parts))
    parts[i], parts[j] = parts[j], parts[i]
    return source[:match.start(1)] + ",".join(parts) + source[match.end(1):]


def truncate(source: str, choose: Choose) -> str:
    if not source:
        return source
    if choose(2):
        lines = source.splitlines(keepends=True)
        return "".join(lines[:choose(len(lines) + 1)])
    return source[:choose(len(source) + 1)]


def insert_text(source: str, choose: Choose) -> str:
    position = choose(len(source) + 1)
    return source[:position] + INSERTS[choose(len(INSERTS))] + source[position:]


def delete_line(source: str, choose: Choose) -> str:
    lines = source.splitlines(keepends=True)
    if not lines:
        return source
    index = choose(len(lines))
    return "".join(lines[:index] + lines[index + 1:])


def reindent_line(source: str, choose: Choose) -> str:
    lines = source.splitlines(keepends=True)
    if not lines:
        return source
    index = choose(len(lines))
    lines[index] = [" ", "    ", "\t", ""][choose(4)] + lines[index].lstrip(" \t")
    return "".join(lines)


def newlines(source: str, choose: Choose) -> str:
    return source.replace("\n", ["\r\n", "\r", "\n"][choose(3)])


def splice(source: str, choose: Choose, other: str = "") -> str:
    """Put a slice of ``source`` (or ``other``) somewhere else in ``source``."""
    donor = other or source
    a, b = sorted((choose(len(donor) + 1), choose(len(donor) + 1)))
    position = choose(len(source) + 1)
    return source[:position] + donor[a:b] + source[position:]


MUTATIONS = [delete_token, duplicate_token, swap_tokens, swap_arguments, truncate, insert_text,
             delete_line, reindent_line, newlines, splice]


def mutate(source: str, choose: Choose, steps: int, *, keep_valid: bool = False) -> str:
    """``steps`` random mutations of ``source``; with ``keep_valid``, a mutation that breaks
    compilation is undone (so that the full analysis, not only the parser, meets odd code)."""
    for _ in range(steps):
        mutated = MUTATIONS[choose(len(MUTATIONS))](source, choose)
        if not keep_valid or compiles(mutated):
            source = mutated
    return source


# ----- invariants -----------------------------------------------------------------------------------
def position_problems(diagnostic: Diagnostic, lines: list[str]) -> list[str]:
    problems = []
    where = f"{diagnostic.code} at {diagnostic.line}:{diagnostic.column}-{diagnostic.end_line}:{diagnostic.end_column}"
    if not 1 <= diagnostic.line <= len(lines):
        problems.append(f"{where}: line outside 1..{len(lines)}")
    elif not 1 <= diagnostic.column <= len(lines[diagnostic.line - 1]) + 1:
        problems.append(f"{where}: column outside the line")
    if not diagnostic.line <= diagnostic.end_line <= len(lines):
        problems.append(f"{where}: end line outside {diagnostic.line}..{len(lines)}")
    elif (diagnostic.end_line, diagnostic.end_column) < (diagnostic.line, diagnostic.column):
        problems.append(f"{where}: ends before it starts")
    elif not 1 <= diagnostic.end_column <= len(lines[diagnostic.end_line - 1]) + 1:
        problems.append(f"{where}: end column outside the line")
    if diagnostic.fix is not None:
        for edit in diagnostic.fix.edits:
            if not 1 <= edit.line <= edit.end_line <= len(lines) + 1:
                problems.append(f"{where}: fix edit lines {edit.line}-{edit.end_line} outside the file")
    return problems


def check_source(source: str, path: str = "fuzz.py", engine: Engine | None = None) -> list[str]:
    """Every broken invariant for one source (an empty list when all hold):
    the engine never raises, every diagnostic points inside the file, every fix result parses,
    fixing twice changes nothing more."""
    engine = engine or Engine(Settings())
    lines = python_lines(source) or [""]
    try:
        diagnostics = engine.lint_source(source, path)
    except Exception as error:  # noqa: BLE001 - what the fuzzer looks for
        return [f"lint_source raised {type(error).__name__}: {error}"]
    problems = [p for d in diagnostics for p in position_problems(d, lines)]
    for unsafe in (False, True):
        try:
            result = engine.fix_source(source, path, unsafe=unsafe)
        except Exception as error:  # noqa: BLE001
            problems.append(f"fix_source(unsafe={unsafe}) raised {type(error).__name__}: {error}")
            continue
        if result.source == source:
            continue
        if not compiles(result.source):
            problems.append(f"fix_source(unsafe={unsafe}) produced code that does not compile")
            continue
        try:
            again = engine.fix_source(result.source, path, unsafe=unsafe)
        except Exception as error:  # noqa: BLE001
            problems.append(f"second fix_source(unsafe={unsafe}) raised {type(error).__name__}: {error}")
            continue
        if again.source != result.source:
            problems.append(f"fix_source(unsafe={unsafe}) is not idempotent")
        problems += [f"fix_source(unsafe={unsafe}) {p}" for p in keywords_beside_unpacking(source, result.source)]
    return problems


def keywords_beside_unpacking(before: str, after: str) -> list[str]:
    """Calls that a fix gave a keyword which an unpacked argument (``**options``, ``*args``)
    could already pass: ``f(**config, stop=...)`` raises TypeError when ``config`` has ``stop``."""
    old, new = _unpacking_calls(before), _unpacking_calls(after)
    return [f"added {sorted(keywords)} to {function}(...) beside an unpacked argument"
            for (function, keywords), count in new.items() if count > old[(function, keywords)]]


def _unpacking_calls(source: str) -> Counter:
    """(callee, keyword names) of each call with a ``*`` or ``**`` argument."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Counter()
    return Counter(
        (ast.unparse(node.func), frozenset(k.arg for k in node.keywords if k.arg is not None))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args))
    )
