"""The house rules on size (CONTRIBUTING.md): no module in retrylint/ over 400 lines, and no
function over 60 lines unless its docstring says why, with a line starting ``Long because:``."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "retrylint"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON_MARKER = "Long because:"


def oversized(text: str, name: str) -> list[str]:
    """What breaks the rules in one module's ``text``: the module itself if it is too long, and
    each function (from ``def`` to its last line, decorators aside) too long without a reason."""
    found = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{name}: {lines} lines (the limit is {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES and REASON_MARKER not in (ast.get_docstring(node) or ""):
                found.append(f"{name}:{node.lineno}: {node.name} has {length} lines (the limit is "
                             f"{MAX_FUNCTION_LINES}; split it, or say '{REASON_MARKER} ...' in its docstring)")
    return found


def test_no_module_or_function_in_the_package_is_over_its_limit():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += oversized(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
    assert found == []


def _function(lines: int, docstring: str = "") -> str:
    """A function of exactly ``lines`` lines."""
    body = [f'    """{docstring}"""'] if docstring else []
    body += ["    x = 1"] * (lines - 1 - len(body))
    return "\n".join(["def f():", *body]) + "\n"


def test_the_check_catches_a_long_function_and_accepts_one_that_says_why():
    assert oversized(_function(60), "m.py") == []
    assert oversized(_function(61), "m.py") == [
        "m.py:1: f has 61 lines (the limit is 60; split it, or say 'Long because: ...' in its docstring)"
    ]
    assert oversized(_function(61, "Does one thing.\n\n    Long because: one table."), "m.py") == []
    nested = "class C:\n" + textwrap.indent(_function(61), "    ")
    assert oversized(nested, "m.py") == [
        "m.py:2: f has 61 lines (the limit is 60; split it, or say 'Long because: ...' in its docstring)"
    ]


def test_the_check_catches_a_long_module():
    assert oversized("x = 1\n" * 400, "m.py") == []
    assert oversized("x = 1\n" * 401, "m.py") == ["m.py: 401 lines (the limit is 400)"]
