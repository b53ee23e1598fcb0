"""One check run over many files: discover, read, lint or fix, write back. Shared by every
front end that works on files (the CLI today; the flake8 plugin and the LSP later)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from retrylint.config import ConfigResolver, Overrides
from retrylint.diagnostics import Diagnostic, unreadable_file
from retrylint.discovery import discover, display_path
from retrylint.engine import Engine
from retrylint.settings import Settings
from retrylint.sources import Source, SourceError, read_source
from retrylint.writer import write_atomically


@dataclass(frozen=True)
class CheckOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes like ``fix`` but write nothing
    config: Path | None = None
    isolated: bool = False
    overrides: Overrides = Overrides()


@dataclass
class FileChange:
    """Fixes made (or, with ``diff``, that would be made) to one file."""

    path: str
    before: str
    after: str
    fixed: int


@dataclass
class CheckOutcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # display path -> text diagnostics refer to
    changes: list[FileChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each; they make the exit code 2
    files_checked: int = 0

    @property
    def fixed(self) -> int:
        return sum(change.fixed for change in self.changes)


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


def run_check(paths: list[Path], options: CheckOptions, progress: Progress | None = None) -> CheckOutcome:
    """Check (and fix) every file under ``paths``.

    Raises ConfigError or CatalogError for settings that cannot be used."""
    resolver = ConfigResolver(config=options.config, isolated=options.isolated, overrides=options.overrides)
    discovery = discover(paths, resolver.settings_for)
    outcome = CheckOutcome(errors=list(discovery.errors), files_checked=len(discovery.files))
    engines: dict[Settings, Engine] = {}
    if progress is not None:
        progress.start(len(discovery.files))
    for path, settings in discovery.files:
        if settings not in engines:
            engines[settings] = Engine(settings)
        _check_file(path, engines[settings], options, outcome)
        if progress is not None:
            progress.advance()
    outcome.diagnostics.sort(key=lambda d: d.sort_key)
    return outcome


def _check_file(path: Path, engine: Engine, options: CheckOptions, outcome: CheckOutcome) -> None:
    shown = display_path(path)
    try:
        source = read_source(path)
    except SourceError as error:
        outcome.diagnostics.append(unreadable_file(shown, error.reason, error.line))
        return
    try:
        diagnostics, text = _lint_or_fix(source, shown, engine, options, outcome)
    except Exception as error:  # an engine bug must not hide the other files' results
        outcome.errors.append(f"internal error while checking {shown}: {type(error).__name__}: {error}")
        return
    outcome.diagnostics.extend(diagnostics)
    if diagnostics:
        outcome.texts[shown] = text


def _lint_or_fix(source: Source, shown: str, engine: Engine, options: CheckOptions,
                 outcome: CheckOutcome) -> tuple[list[Diagnostic], str]:
    """The diagnostics left in the file and the text they refer to."""
    if not (options.fix or options.diff):
        return engine.lint_source(source.text, shown), source.text
    result = engine.fix_source(source.text, shown, unsafe=options.unsafe_fixes)
    if result.source == source.text:
        return result.diagnostics, source.text
    if options.fix and not options.diff and not write_atomically(source, result.source):
        return engine.lint_source(source.text, shown), source.text
    outcome.changes.append(FileChange(shown, source.text, result.source, result.applied))
    return result.diagnostics, result.source
