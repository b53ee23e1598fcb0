"""``# noqa: CODE`` comments: added by ``check --add-noqa`` and by the language server's
"suppress on this line" action."""

from __future__ import annotations

import ast
import re

from retrylint.diagnostics import UNREADABLE_CODE, Diagnostic
from retrylint.engine import NOQA
from retrylint.sources import PYTHON_NEWLINE


def noqa_insertion(line: str, codes: list[str]) -> tuple[int, str] | None:
    """Where (a 1-based column) and what to insert in ``line`` so that its ``# noqa`` covers
    ``codes``: added to the line's list, or a new comment at its end. None when nothing is
    needed (a bare ``# noqa`` silences everything; the codes may be listed already)."""
    match = NOQA.search(line)
    if match is None:
        return len(line) + 1, f"  # noqa: {', '.join(codes)}"
    listed = match.group("codes")
    if listed is None:
        return None
    missing = [code for code in codes if code not in {c.upper() for c in re.split(r"[\s,]+", listed) if c}]
    return (match.end() + 1, "".join(f", {code}" for code in missing)) if missing else None


def add_noqa(text: str, diagnostics: list[Diagnostic]) -> tuple[str, int]:
    """``text`` with a ``# noqa`` for each diagnostic's line, and how many lines changed. The
    result is ``text`` unchanged unless it has the same syntax tree (only comments added)."""
    codes_by_line: dict[int, list[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code != UNREADABLE_CODE and diagnostic.code not in codes_by_line.get(diagnostic.line, []):
            codes_by_line.setdefault(diagnostic.line, []).append(diagnostic.code)
    parts = PYTHON_NEWLINE.split(text)
    breaks = PYTHON_NEWLINE.findall(text)
    changed = 0
    for number, codes in codes_by_line.items():
        if not 0 < number <= len(parts):
            continue
        insertion = noqa_insertion(parts[number - 1], sorted(codes))
        if insertion is not None:
            column, inserted = insertion
            line = parts[number - 1]
            parts[number - 1] = line[:column - 1] + inserted + line[column - 1:]
            changed += 1
    result = "".join(part + newline for part, newline in zip(parts, [*breaks, ""]))
    if changed and not _same_tree(text, result):
        return text, 0
    return result, changed


def _same_tree(before: str, after: str) -> bool:
    try:
        return ast.dump(ast.parse(before)) == ast.dump(ast.parse(after))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
