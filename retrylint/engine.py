"""The one engine API that every front end (CLI, flake8, LSP, pre-commit) calls."""

from __future__ import annotations

from dataclasses import dataclass

from retrylint.diagnostics import Diagnostic
from retrylint.settings import Settings


@dataclass
class FixResult:
    source: str
    diagnostics: list[Diagnostic]
    applied: int


class Engine:
    """Lints and fixes sources under one Settings (placeholder; being written)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def lint_source(self, source: str, path: str) -> list[Diagnostic]:
        return []

    def fix_source(self, source: str, path: str, *, unsafe: bool = False) -> FixResult:
        return FixResult(source, self.lint_source(source, path), 0)
