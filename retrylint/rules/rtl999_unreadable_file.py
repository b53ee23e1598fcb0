"""## What it does
Reports a file that retrylint could not check: it cannot be read, decoded (neither as UTF-8
nor in the encoding its PEP 263 coding cookie names), holds null bytes, or does not parse.
The message names the reason (and the line, for a syntax error). The run goes on with the
other files. Every file is read and decoded; only files that could hold a retry layer (the
prefilter) are compiled by Python, parsed with libcst and analysed, so a syntax error in any
other file is left to your other linters (flake8's E999, ruff).

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
