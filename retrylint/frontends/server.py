"""``retrylint server``: a language server (LSP over stdio, pygls) over the same engine as the CLI.

Diagnostics on open, change (debounced) and save; quick fixes, "fix all" (safe fixes only) and
"suppress on this line" code actions; the call chain as related information and on hover. The
server works from the workspace root so paths read like the CLI's. It keeps one engine per
settings: a change forgets only the changed module (a saved config file, the settings), the
project around a document is read from the open buffers before the disk, and the open documents
whose findings depend on a changed module are checked again."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from retrylint import __version__
from retrylint.analysis.reparse import Reparser
from retrylint.catalog import CatalogError
from retrylint.config import ConfigError, ConfigResolver
from retrylint.diagnostics import Applicability, Diagnostic, Edit
from retrylint.discovery import display_path, is_excluded
from retrylint.engine import Engine
from retrylint.frontends.noqa import noqa_insertion
from retrylint.settings import Settings
from retrylint.sources import PYTHON_NEWLINE

DEBOUNCE_SECONDS = 0.3
SOURCE = "retrylint"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.retrylint"


@dataclass
class Linted:
    """One document's last check: the text the diagnostics refer to."""

    text: str
    path: str
    engine: Engine | None
    diagnostics: list[Diagnostic]  # without their fixes: those are built when an action asks
    _with_fixes: list[Diagnostic] | None = None
    _lines: list[str] | None = None

    def with_fixes(self) -> list[Diagnostic]:
        """The diagnostics with their fixes, built on first need for this text."""
        if self._with_fixes is None:
            try:
                self._with_fixes = [] if self.engine is None else self.engine.lint_source(self.text, self.path)
            except Exception:  # as for a check: an engine bug leaves the diagnostics, without fixes
                self._with_fixes = self.diagnostics
        return self._with_fixes

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = PYTHON_NEWLINE.split(self.text)
        return self._lines


class RetrylintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.resolver = ConfigResolver()
        self.engines: dict[Settings, Engine] = {}
        self.overlay: dict[Path, str] = {}  # open documents' text, read before the disk
        self.dependencies: dict[str, set[Path]] = {}  # uri -> files its findings depend on

    def engine_for(self, settings: Settings) -> Engine:
        if settings not in self.engines:
            engine = Engine(settings)
            engine.project.overlay = self.overlay
            engine.project.reparser = Reparser()  # an edit parses again only the statements it changed
            self.engines[settings] = engine
        return self.engines[settings]

    def changed(self, uri: str, text: str | None) -> None:
        """A document's text changed (``None``: closed, the disk holds it again)."""
        path = file_path(uri)
        if text is None:
            self.overlay.pop(path, None)
        else:
            self.overlay[path] = text
        for engine in self.engines.values():
            engine.project.forget(path)

    def settings_changed(self) -> None:
        """A config or catalog file was saved: read the settings afresh and check everything."""
        self.resolver = ConfigResolver()
        self.engines.clear()
        for uri in list(self.linted):
            self.check(uri)

    def check_dependents(self, uri: str) -> None:
        """Check again the open documents whose findings depend on ``uri``'s module."""
        path = file_path(uri)
        for other in [other for other, files in self.dependencies.items() if other != uri and path in files]:
            if other in self.linted:
                self.check(other)

    def check(self, uri: str) -> Linted:
        """Lint the document as it is now and publish the diagnostics (a check waiting for a
        pause in typing is then not needed)."""
        pending = self.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        document = self.workspace.get_text_document(uri)
        linted, self.dependencies[uri] = lint_document(document, self)
        self.linted[uri] = linted
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[to_lsp(d, linted, document) for d in linted.diagnostics],
        ))
        return linted

    def current(self, uri: str) -> Linted:
        """The last check if the document has not changed since, else a new one."""
        linted = self.linted.get(uri)
        if linted is None or linted.text != self.workspace.get_text_document(uri).source:
            linted = self.check(uri)
        return linted

    def check_later(self, uri: str) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check_after_pause(uri))

    async def _check_after_pause(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.pending.pop(uri, None)
        self.check(uri)
        self.check_dependents(uri)


def lint_document(document: TextDocument, server: RetrylintServer) -> tuple[Linted, set[Path]]:
    """The engine's diagnostics for the document's text, with the settings for its path, and the
    files of other modules they depend on."""
    path = Path(document.path)
    shown = display_path(path)
    text = document.source
    try:
        settings = server.resolver.settings_for(path)
        if is_excluded(path, settings):
            return Linted(text, shown, None, []), set()
        engine = server.engine_for(settings)
        with engine.project.tracking() as dependencies:
            diagnostics = engine.lint_source(text, shown, fixes=False)
        return Linted(text, shown, engine, diagnostics), dependencies
    except (ConfigError, CatalogError) as error:
        server.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"retrylint: {error}"))
    except Exception as error:  # an engine bug must not take the server down
        server.window_log_message(types.LogMessageParams(
            type=types.MessageType.Error, message=f"retrylint: internal error on {shown}: {type(error).__name__}: {error}"))
    return Linted(text, shown, None, []), set()


# ----- positions: ours are 1-based code points, end column exclusive; LSP's 0-based client units ----
def to_position(lines: list[str], document: TextDocument, line: int, column: int) -> types.Position:
    position = types.Position(line=max(line - 1, 0), character=max(column - 1, 0))
    if position.line < len(lines):
        before = lines[position.line][:position.character]
        if before.isascii():  # one code unit per character in every encoding: no count needed
            return types.Position(line=position.line, character=len(before))
    return document.position_codec.position_to_client_units(lines, position)


def to_range(lines: list[str], document: TextDocument, line: int, column: int,
             end_line: int, end_column: int) -> types.Range:
    return types.Range(start=to_position(lines, document, line, column),
                       end=to_position(lines, document, end_line, end_column))


def to_lsp(diagnostic: Diagnostic, linted: Linted, document: TextDocument) -> types.Diagnostic:
    lines = linted.lines
    return types.Diagnostic(
        range=to_range(lines, document, diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column),
        message=diagnostic.message,
        severity=types.DiagnosticSeverity.Error if diagnostic.severity == "error" else types.DiagnosticSeverity.Warning,
        code=diagnostic.code,
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(location=link_location(link.path, link.line, os.getcwd()),
                                               message=f"{index}. {link.name}")
            for index, link in enumerate(diagnostic.chain, start=1)
        ] or None,
    )


def text_edit(edit: Edit, lines: list[str], document: TextDocument) -> types.TextEdit:
    return types.TextEdit(range=to_range(lines, document, edit.line, edit.column, edit.end_line, edit.end_column),
                          new_text=edit.content)


# ----- code actions ---------------------------------------------------------------------------
def code_actions(server: RetrylintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    document = server.workspace.get_text_document(uri)
    linted = server.current(uri)
    lines = linted.lines
    here = [d for d in linted.with_fixes()
            if d.line - 1 <= params.range.end.line and d.end_line - 1 >= params.range.start.line]
    actions = []
    for diagnostic in here:
        lsp_diagnostic = to_lsp(diagnostic, linted, document)
        fix = diagnostic.fix
        if fix is not None:
            unsafe = fix.applicability is Applicability.UNSAFE
            actions.append(types.CodeAction(
                title=f"{diagnostic.code}: {fix.message}{' (unsafe)' if unsafe else ''}",
                kind=types.CodeActionKind.QuickFix, diagnostics=[lsp_diagnostic], is_preferred=not unsafe,
                edit=types.WorkspaceEdit(changes={uri: [text_edit(e, lines, document) for e in fix.edits]}),
            ))
        suppress = suppression_edit(diagnostic, lines, document)
        if suppress is not None:
            actions.append(types.CodeAction(
                title=f"Suppress {diagnostic.code} on this line", kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp_diagnostic], edit=types.WorkspaceEdit(changes={uri: [suppress]}),
            ))
    fix_all = fix_all_action(linted, document)
    if fix_all is not None:
        actions.append(fix_all)
    only = params.context.only
    if only:
        actions = [a for a in actions if any(a.kind == kind or a.kind.startswith(f"{kind}.") for kind in only)]
    return actions


def suppression_edit(diagnostic: Diagnostic, lines: list[str], document: TextDocument) -> types.TextEdit | None:
    """Add the code to the line's ``# noqa: ...`` list, or add ``# noqa: CODE`` at the line end."""
    if not 0 < diagnostic.line <= len(lines):
        return None
    insertion = noqa_insertion(lines[diagnostic.line - 1], [diagnostic.code])
    if insertion is None:
        return None  # a bare ``# noqa`` already silences everything on the line
    column, new_text = insertion
    position = to_position(lines, document, diagnostic.line, column)
    return types.TextEdit(range=types.Range(start=position, end=position), new_text=new_text)


def fix_all_action(linted: Linted, document: TextDocument) -> types.CodeAction | None:
    """Every safe fix at once, as one edit of the whole document."""
    if linted.engine is None or not any(
        d.fix is not None and d.fix.applicability is Applicability.SAFE for d in linted.with_fixes()
    ):
        return None
    result = linted.engine.fix_source(linted.text, linted.path, unsafe=False)
    if result.source == linted.text:
        return None
    lines = linted.lines
    whole = to_range(lines, document, 1, 1, len(lines), len(lines[-1]) + 1)
    return types.CodeAction(
        title="Fix all retrylint issues", kind=FIX_ALL_KIND,
        edit=types.WorkspaceEdit(changes={document.uri: [types.TextEdit(range=whole, new_text=result.source)]}),
    )


# ----- hover ----------------------------------------------------------------------------------
def hover_text(linted: Linted, position: types.Position) -> str | None:
    """Each diagnostic on the hovered line with its call chain, as Markdown."""
    parts = []
    for diagnostic in linted.diagnostics:
        if not diagnostic.line - 1 <= position.line <= diagnostic.end_line - 1:
            continue
        part = f"**{diagnostic.code}** {diagnostic.name}: {diagnostic.message}"
        if diagnostic.chain:
            hops = "\n".join(f"{i}. `{link.name}` ({link.path}:{link.line})"
                             for i, link in enumerate(diagnostic.chain, start=1))
            part += f"\n\nCall chain:\n\n{hops}"
        parts.append(part)
    return "\n\n---\n\n".join(parts) or None


# ----- wiring ---------------------------------------------------------------------------------
def build_server() -> RetrylintServer:
    server = RetrylintServer()
    _follow_workspace(server)
    _follow_documents(server)
    _answer_requests(server)
    return server


def _follow_workspace(server: RetrylintServer) -> None:
    """The workspace's root, and files changed outside the editor."""

    @server.feature(types.INITIALIZED)
    def initialized(ls: RetrylintServer, params: types.InitializedParams) -> None:
        root = ls.workspace.root_path
        if root and os.path.isdir(root):
            os.chdir(root)  # paths, config discovery and the project resolve like the CLI run there

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: RetrylintServer, params: types.DidChangeWatchedFilesParams) -> None:
        """Files changed outside the editor (a checkout, a formatter): forget them, check again."""
        if any(change.uri.endswith(".toml") for change in params.changes):
            ls.settings_changed()
            return
        for change in params.changes:
            path = file_path(change.uri)
            if path not in ls.overlay:
                for engine in ls.engines.values():
                    engine.project.forget(path)
        for uri in list(ls.linted):
            ls.check(uri)


def _follow_documents(server: RetrylintServer) -> None:
    """Open, edited, saved and closed documents: each is checked as it changes."""

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RetrylintServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.changed(uri, params.text_document.text)
        ls.check(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: RetrylintServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.changed(uri, ls.workspace.get_text_document(uri).source)
        ls.check_later(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RetrylintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith(".toml"):
            ls.settings_changed()
        else:
            ls.check(uri)
            ls.check_dependents(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RetrylintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.changed(params.text_document.uri, None)
        ls.linted.pop(params.text_document.uri, None)
        ls.dependencies.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


def _answer_requests(server: RetrylintServer) -> None:
    """What the editor asks for: code actions (fixes) and hovers."""

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]))
    def code_action(ls: RetrylintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return code_actions(ls, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RetrylintServer, params: types.HoverParams) -> types.Hover | None:
        text = hover_text(ls.current(params.text_document.uri), params.position)
        if text is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


@lru_cache(maxsize=4096)
def link_location(path: str, line: int, cwd: str) -> types.Location:
    """The start of a line of a call chain's link (its path relative to ``cwd``, the workspace
    root), shared by the diagnostics that pass through it (they are only serialised)."""
    start = types.Position(line=line - 1, character=0)
    return types.Location(uri=Path(os.path.abspath(os.path.join(cwd, path))).as_uri(),
                          range=types.Range(start=start, end=start))


def file_path(uri: str) -> Path:
    return Path(to_fs_path(uri) or uri).resolve()


def serve() -> None:
    """Run the language server on stdin/stdout until the client says exit."""
    build_server().start_io()
