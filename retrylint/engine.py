"""The one engine API that every front end (CLI, flake8, LSP, pre-commit) calls.

Pipeline for one source: cheap prefilter -> Python's own syntax check -> parse -> module model -> retry layers ->
reachability -> rules -> selection and suppression -> (fixes, re-checked until stable)."""

from __future__ import annotations

import fnmatch
import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

import libcst as cst

from retrylint.cache import settings_fingerprint
from retrylint.catalog import catalog_for
from retrylint.analysis.context import RuleContext
from retrylint.diagnostics import UNREADABLE_CODE, Applicability, Diagnostic, unreadable_file
from retrylint.fixing.edits import apply_edits, overlaps
from retrylint.analysis.layers import LayerFinder
from retrylint.analysis.libcst_compat import parse_unchecked
from retrylint.analysis.model import ModuleModel
from retrylint.analysis.prefilter import Prefilter
from retrylint.analysis.project import Project
from retrylint.analysis.reach import Reachability
from retrylint.rules import ALL_RULES
from retrylint.settings import Settings
from retrylint.sources import python_lines, python_parses, python_rejects
from retrylint.stack import on_deep_stack

MAX_FIX_PASSES = 10
NOQA = re.compile(r"#\s*noqa(?::[\s]*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
SKIP_FILE = re.compile(r"#\s*retrylint:\s*skip-file\b")


@dataclass
class FixResult:
    source: str
    diagnostics: list[Diagnostic]
    applied: int
    applied_codes: list[str] = field(default_factory=list)  # the code of each fix applied


class Engine:
    """Lints and fixes Python sources under one set of Settings."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.catalog = catalog_for(self.settings)
        self.rules = [rule() for rule in ALL_RULES]
        self.project = Project(self.catalog)
        self.project.add_config_root(self.settings.root)
        self._last_prefiltered: tuple[str, bool] | None = None  # see could_hold_layer

    @cached_property
    def fingerprint(self) -> str:
        return settings_fingerprint(self.settings)

    @cached_property
    def prefilter(self) -> Prefilter:
        return Prefilter(self.catalog)

    def could_hold_layer(self, source: str) -> bool:
        """The prefilter's answer, kept for the last text asked about: ``lint_source`` asks before
        choosing a thread, ``analyse`` again for the same string."""
        last = self._last_prefiltered
        if last is not None and last[0] is source:
            return last[1]
        answer = self.prefilter.could_hold_layer(source)
        self._last_prefiltered = (source, answer)
        return answer

    def _may_hold_entry_point(self, path: str) -> bool:
        """An entry point configured by module (``myapp.handlers.*``) may be in this file."""
        if not self.prefilter.entry_module_prefixes:
            return False
        module, _, _ = self.project.module_name_for(Path(path))
        return self.prefilter.module_may_hold_entry_point(module)

    # ----- checking ---------------------------------------------------------------------
    def lint_source(self, source: str, path: str, *, apply_noqa: bool = True, fixes: bool = True) -> list[Diagnostic]:
        """Diagnostics for one file, selected and, with ``apply_noqa``, without ``# noqa``-ed ones
        (flake8 applies ``# noqa`` itself). Only a file that will be parsed gets a deep stack's
        thread: starting one costs more than the prefilter that turns most files away."""
        if not self.could_hold_layer(source) and not self._may_hold_entry_point(path):
            return self._lint(source, path, apply_noqa, None, fixes)
        return on_deep_stack(self._lint, source, path, apply_noqa, None, fixes)

    def _lint(self, source: str, path: str, apply_noqa: bool = True, tree: cst.Module | None = None,
              fixes: bool = True) -> list[Diagnostic]:
        if SKIP_FILE.search(source) and _skip_file_comment(source):
            return []
        diagnostics = self._raw_diagnostics(source, path, tree, fixes)
        return self._select(diagnostics, source, path, apply_noqa=apply_noqa)

    def analyse(self, source: str, path: str, tree: cst.Module | None = None,
                fixes: bool = True) -> RuleContext | Diagnostic | None:
        """The model of one file with its retry layers and their reach; an RTL999 diagnostic
        when it cannot be parsed; None when it holds no retry layer. ``tree``: the source's
        libcst tree when Python and libcst have accepted it already (a fix's result)."""
        if "\x00" in source:
            return unreadable_file(path, "source contains null bytes")
        if not self.could_hold_layer(source) and not self._may_hold_entry_point(path):
            return None  # not parsed at all: syntax errors there are for the other linters
        try:
            parsed = self.project.parsed_uncompiled(source, path) if tree is None else None
            if tree is None and parsed is None:
                rejected = _python_rejects(source, path)
                if rejected is not None:
                    return rejected
            return self._analyse(source, path, tree, fixes, parsed)
        except cst.ParserSyntaxError as error:
            return _syntax_error(source, path, error)
        except (RecursionError, MemoryError):
            return _too_deep(path)

    def _analyse(self, source: str, path: str, tree: cst.Module | None, fixes: bool = True,
                 parsed: tuple | None = None) -> RuleContext | None:
        """``parsed``: the tree and renderings the project's reparser gave for an uncompiled source."""
        module_name, is_package, root = self.project.module_name_for(Path(path), source)
        self.project.start_file()
        rendered = None
        if tree is None:
            tree, rendered = parsed if parsed is not None else self.project.parsed(source, path)
        model = ModuleModel(source, path, self.catalog, module_name, is_package, self.project, root, tree, rendered)
        self.project.register(model, [])  # its own names resolve into this model while its layers are found, not a copy
        layers = LayerFinder(model).find()
        self.project.register(model, layers)
        reachability = Reachability(model, layers, self.settings.idempotency_guards)
        layers = [layer for layer in layers if not layer.speculative or reachability.reaches(layer)]
        if not layers:
            return None
        return RuleContext(model, self.catalog, self.settings, layers, reachability, build_fixes=fixes)

    def _raw_diagnostics(self, source: str, path: str, tree: cst.Module | None = None,
                         fixes: bool = True) -> list[Diagnostic]:
        context = self.analyse(source, path, tree, fixes)
        if not isinstance(context, RuleContext):
            return [context] if context is not None else []
        found: list[Diagnostic] = []
        try:
            for rule in self.rules:
                if self._enabled(rule.code, path):
                    found.extend(rule.check(context))
        except (RecursionError, MemoryError):
            return [_too_deep(path)]
        return found

    def _enabled(self, code: str, path: str) -> bool:
        settings = self.settings
        if code == UNREADABLE_CODE:
            return True
        selected = any(code.startswith(p) for p in settings.select + settings.extend_select)
        ignored = any(code.startswith(p) for p in settings.ignore)
        if selected and not ignored:
            for pattern, codes in settings.per_file_ignores:
                if _per_file_ignore_matches(self._from_root(path), pattern) and any(code.startswith(c) for c in codes):
                    return False
            return True
        return False

    def _from_root(self, path: str) -> str:
        """``path`` relative to the folder of the config file (per-file-ignores patterns are
        written from there), or as given when there is none or it lies outside."""
        if self.settings.root is None:
            return path
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(self.settings.root)).as_posix()
        except ValueError:
            return path

    def _select(self, diagnostics: list[Diagnostic], source: str, path: str, *,
                apply_noqa: bool = True) -> list[Diagnostic]:
        lines = python_lines(source)
        kept = []
        for diagnostic in diagnostics:
            if not self._enabled(diagnostic.code, path):
                continue
            if apply_noqa and diagnostic.code != UNREADABLE_CODE and _suppressed(diagnostic, lines):
                continue
            kept.append(diagnostic)
        kept.sort(key=lambda d: d.sort_key)
        return kept

    # ----- fixing -----------------------------------------------------------------------
    def fix_source(self, source: str, path: str, *, unsafe: bool = False,
                   diagnostics: list[Diagnostic] | None = None) -> FixResult:
        """Apply fixes until none is left (or MAX_FIX_PASSES); only code that parses is kept.
        ``diagnostics``: those ``lint_source`` gave for ``source``, when known (not found again)."""
        return on_deep_stack(self._fix_source, source, path, unsafe, diagnostics)

    def fixes_on_offer(self, source: str, path: str, diagnostics: list[Diagnostic]) -> tuple[int, int]:
        """How many fixes ``--fix`` and ``--fix --unsafe-fixes`` would apply to ``source``, whose
        ``lint_source`` diagnostics are given: fixed in memory by the very passes they make
        (findings that share one edit are one fix; a fix another one makes moot is none). Other
        modules go on resolving into the file as it is, not into its fixed text."""
        with self.project.keeping_model(path):
            safe = 0
            if any(d.fix is not None and d.fix.applicability is Applicability.SAFE for d in diagnostics):
                safe = self.fix_source(source, path, diagnostics=diagnostics).applied
            return safe, self.fix_source(source, path, unsafe=True, diagnostics=diagnostics).applied

    def _fix_source(self, source: str, path: str, unsafe: bool, known: list[Diagnostic] | None = None) -> FixResult:
        applied, applied_codes = 0, []
        rejected: set[tuple] = set()
        tree = None  # the tree of an accepted fix's result, parsed when it was checked: used once
        for _ in range(MAX_FIX_PASSES):
            diagnostics = known if known is not None else self._lint(source, path, tree=tree)
            tree = known = None
            chosen = []
            for diagnostic in diagnostics:
                fix = diagnostic.fix
                if fix is None or (fix.applicability is Applicability.UNSAFE and not unsafe):
                    continue
                if _fix_key(diagnostic) in rejected:
                    continue
                if any(overlaps(fix.edits, other.fix.edits) for other in chosen):
                    continue
                chosen.append(diagnostic)
            if not chosen:
                return FixResult(source, diagnostics, applied, applied_codes)
            edits = [edit for diagnostic in chosen for edit in diagnostic.fix.edits]
            candidate = apply_edits(source, edits)
            candidate_tree = _parsed(candidate) if candidate != source else None
            if candidate_tree is None:
                if len(chosen) == 1:
                    rejected.add(_fix_key(chosen[0]))
                    continue
                # Apply one at a time to find the culprit.
                candidate = apply_edits(source, chosen[0].fix.edits)
                candidate_tree = _parsed(candidate) if candidate != source else None
                if candidate_tree is None:
                    rejected.add(_fix_key(chosen[0]))
                    continue
                chosen = chosen[:1]
            source, tree = candidate, candidate_tree
            applied += len(chosen)
            applied_codes += [diagnostic.code for diagnostic in chosen]
        return FixResult(source, self._lint(source, path, tree=tree), applied, applied_codes)


def _skip_file_comment(source: str) -> bool:
    """Whether ``# retrylint: skip-file`` is a comment of ``source``, not text in a string.
    Code that does not tokenize keeps the marker where a line starts with it."""
    try:
        return any(token.type == tokenize.COMMENT and SKIP_FILE.match(token.string)
                   for token in tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return any(SKIP_FILE.match(line.lstrip()) for line in python_lines(source))


def _python_rejects(source: str, path: str) -> Diagnostic | None:
    """RTL999 when Python itself cannot compile ``source``, before libcst sees it."""
    error = python_rejects(source, path)
    if isinstance(error, SyntaxError):
        line, column = _inside(source, error.lineno or 1, error.offset or 1)
        return unreadable_file(path, f"syntax error: {error.msg}", line, column)
    if isinstance(error, (RecursionError, MemoryError)):
        return _too_deep(path)
    if error is not None:
        return unreadable_file(path, str(error))
    return None


def _too_deep(path: str) -> Diagnostic:
    return unreadable_file(path, "nesting too deep to analyse")


def _inside(source: str, line: int, column: int) -> tuple[int, int]:
    """``line``/``column`` moved onto the file's last character when they point past it
    (Python reports some errors at end of file one line or one column beyond)."""
    lines = python_lines(source) or [""]
    line = min(max(line, 1), len(lines))
    column = min(max(column, 1), len(lines[line - 1]) + 1)
    return line, column


def _syntax_error(source: str, path: str, error: cst.ParserSyntaxError) -> Diagnostic:
    """RTL999 for code Python compiles but libcst cannot parse (syntax newer than it knows)."""
    reason = " ".join(str(error.message).split())
    line, column = _inside(source, error.raw_line, error.raw_column + 1)
    return unreadable_file(path, f"syntax error: {reason}", line, column)


def _fix_key(diagnostic: Diagnostic) -> tuple:
    return (diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.fix.edits)


def _parsed(source: str) -> cst.Module | None:
    """The tree of ``source`` when Python compiles it and libcst reads it again; else None."""
    if not python_parses(source):
        return None
    try:
        return parse_unchecked(source)
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return None


def _suppressed(diagnostic: Diagnostic, lines: list[str]) -> bool:
    if not 0 < diagnostic.line <= len(lines):
        return False
    match = NOQA.search(lines[diagnostic.line - 1])
    if match is None:
        return False
    codes = match.group("codes")
    if codes is None:
        return True
    return diagnostic.code in {c.upper() for c in re.split(r"[\s,]+", codes) if c}


def _per_file_ignore_matches(path: str, pattern: str) -> bool:
    posix = PurePosixPath(path.replace("\\", "/"))
    return (
        fnmatch.fnmatch(str(posix), pattern)
        or fnmatch.fnmatch(posix.name, pattern)
        or fnmatch.fnmatch(str(posix), f"*/{pattern}")
    )
