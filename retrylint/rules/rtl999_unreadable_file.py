"""## What it does
Reports a file that retrylint could not check: it cannot be read, decoded (neither as UTF-8
nor in the encoding its PEP 263 coding cookie names), holds null bytes, or does not parse.
The message names the reason (and the line, for a syntax error). The run goes on with the
other files. Every file gets Python's own syntax check (so "All checks passed" means it);
only files that could hold a retry layer are then parsed with libcst and analysed.

## Why is this bad?
Nothing in that file was checked, so an unsafe retry in it would go unnoticed.

## Example
```python
@retry(
def summarize(text):
```

## Use instead
Fix the syntax error or the encoding, or exclude the file (`extend-exclude`).

## Fix safety
No fix.

## Options
None. It cannot be disabled with `ignore`; exclude the file instead.
"""

from __future__ import annotations

from typing import Iterable

from retrylint.diagnostics import UNREADABLE_CODE, UNREADABLE_NAME, Diagnostic
from retrylint.rules.base import Invalid, Rule


class UnreadableFile(Rule):
    """A file could not be read, decoded or parsed, so it was not checked."""

    code = UNREADABLE_CODE
    name = UNREADABLE_NAME

    def check(self, ctx) -> Iterable[Diagnostic]:
        return ()  # the engine reports it before any model exists


UnreadableFile.INVALID = [
    Invalid(
        """
from tenacity import retry

@retry(
def summarize(text):
    ...
""",
        line=4,
        message="cannot check this file: syntax error: '(' was never closed",
    ),
]
