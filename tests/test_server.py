"""``retrylint server`` end to end: the server runs as a subprocess, pytest-lsp drives a real
client session, and the results are compared with the CLI's JSON on the same project."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from helpers import FLAT, REPO, TASKS, bench_script, run, write_tree

pytestmark = pytest.mark.asyncio
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "retrylint", "server"],
    server_env=dict(os.environ, PYTHONPATH=str(REPO)),
))
async def client(lsp_client: LanguageClient, request):
    root = request.getfixturevalue("tmp_path")
    write_tree(root, FLAT)
    (root / "digest.py").write_text(TASKS)
    (root / "pyproject.toml").write_text('[tool.retrylint]\nmax-attempts = 4\n')
    lsp_client.root = root
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")],
    ))
    yield
    await lsp_client.shutdown_session()


async def open_document(client: LanguageClient, name: str, text: str | None = None) -> str:
    path = client.root / name
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text() if text is None else text)))
    await client.wait_for_notification(PUBLISH)
    return uri


def cli_json(root: Path, *args: str) -> list[dict]:
    result = run(root, "check", "--output-format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def positions(diagnostics) -> list[tuple]:
    return sorted((d.code, d.range.start.line + 1, d.range.start.character + 1, d.message) for d in diagnostics)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text, so characters are code points) from the last to the first."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        return offsets[min(position.line, len(lines))] + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def actions(client: LanguageClient, uri: str, line: int, only=None) -> list[types.CodeAction]:
    where = types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=where,
        context=types.CodeActionContext(diagnostics=[], only=only)))


async def test_diagnostics_on_open_match_the_cli_across_modules(client):
    uri = await open_document(client, "tasks.py")
    expected = cli_json(client.root, "tasks.py")
    found = client.diagnostics[uri]
    assert positions(found) == sorted((d["code"], d["line"], d["column"], d["message"]) for d in expected)
    assert {d.code for d in found} == {"RTL002", "RTL003"}
    rtl003 = next(d for d in found if d.code == "RTL003")
    assert rtl003.source == "retrylint" and rtl003.severity == types.DiagnosticSeverity.Error
    chain = [(Path(info.location.uri.removeprefix("file://")).name, info.location.range.start.line + 1)
             for info in rtl003.related_information]
    assert chain == [("tasks.py", 6), ("pipeline.py", 5), ("llm.py", 6), ("llm.py", 7)]


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_hover_shows_the_call_chain(client):
    uri = await open_document(client, "tasks.py")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=5, character=3)))
    assert "**RTL003**" in hover.contents.value
    assert "`run_batch` (pipeline.py:5)" in hover.contents.value and "`messages.create` (llm.py:7)" in hover.contents.value


async def test_quick_fixes_fix_all_and_suppress(client):
    text = (client.root / "digest.py").read_text()
    uri = await open_document(client, "digest.py")
    found = await actions(client, uri, 11)
    titles = [a.title for a in found]
    assert "RTL001: Pass max_retries=3" in titles  # max-attempts = 4 from pyproject.toml: 3 retries
    assert any(t.startswith("RTL005") and t.endswith("(unsafe)") for t in titles)
    assert "Suppress RTL001 on this line" in titles and "Fix all retrylint issues" in titles
    unsafe = next(a for a in found if a.title.endswith("(unsafe)"))
    assert unsafe.kind == types.CodeActionKind.QuickFix and not unsafe.is_preferred

    fix_all = await actions(client, uri, 0, only=[types.CodeActionKind.SourceFixAll])
    assert [a.title for a in fix_all] == ["Fix all retrylint issues"]
    assert fix_all[0].kind == "source.fixAll.retrylint"
    fixed = apply(text, fix_all[0].edit.changes[uri])
    cli_fixed = client.root / "cli_fixed.py"
    cli_fixed.write_text(text)
    assert run(client.root, "check", "--fix", "cli_fixed.py").returncode in (0, 1)
    assert fixed == cli_fixed.read_text() != text

    suppress = next(a for a in found if a.title == "Suppress RTL001 on this line")
    suppressed = apply(text, suppress.edit.changes[uri])
    assert suppressed.splitlines()[11].endswith("max_retries=None)  # noqa: RTL001")
    again = await actions_after_change(client, uri, suppressed)
    suppress_more = next(a for a in again if a.title == "Suppress RTL002 on this line")
    assert apply(suppressed, suppress_more.edit.changes[uri]).splitlines()[11].endswith("# noqa: RTL001, RTL002")


async def actions_after_change(client: LanguageClient, uri: str, text: str) -> list[types.CodeAction]:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    await client.wait_for_notification(PUBLISH)
    assert "RTL001" not in {d.code for d in client.diagnostics[uri] if d.range.start.line == 11}
    return await actions(client, uri, 11)


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_changes_are_debounced_and_republished(client):
    uri = await open_document(client, "digest.py")
    assert client.diagnostics[uri]
    for version, text in enumerate(["x = 1\n", "y = 2\n", "import os\n"], start=2):
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    params = await client.wait_for_notification(PUBLISH)
    assert params.version == 4 and list(client.diagnostics[uri]) == []
    with pytest.raises(asyncio.TimeoutError):  # three quick changes, one publish
        await asyncio.wait_for(client.wait_for_notification(PUBLISH), timeout=1)


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_syntax_error_gets_one_diagnostic_and_the_server_stays_up(client):
    uri = await open_document(client, "broken.py", "from tenacity import retry\n\n@retry\ndef f(:\n    pass\n")
    assert [(d.code, d.range.start.line) for d in client.diagnostics[uri]] == [("RTL999", 3)]
    other = await open_document(client, "tasks.py")
    assert client.diagnostics[other]
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=other)))
    await client.wait_for_notification(PUBLISH)
    assert {d.code for d in client.diagnostics[other]} == {"RTL002", "RTL003"}


PAID_CALL = 'client.messages.create(model="claude", max_tokens=1000, messages=[])'


def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def published(client: LanguageClient, uri: str) -> set[str]:
    """The codes of the next diagnostics published, for ``uri`` the only open document."""
    params = await asyncio.wait_for(client.wait_for_notification(PUBLISH), timeout=30)
    assert params.uri == uri
    return {d.code for d in params.diagnostics}


async def codes_become(client: LanguageClient, uri: str, expected: set[str]) -> set[str]:
    """The codes published for ``uri`` once they are ``expected`` (or after 30 s)."""
    for _ in range(600):
        found = {d.code for d in client.diagnostics.get(uri, [])}
        if found == expected:
            break
        await asyncio.sleep(0.05)
    return found


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_an_edit_of_a_helper_module_republishes_the_open_documents_that_depend_on_it(client):
    tasks = await open_document(client, "tasks.py")
    assert {d.code for d in client.diagnostics[tasks]} == {"RTL002", "RTL003"}
    paid = (client.root / "llm.py").read_text()
    llm = await open_document(client, "llm.py")
    change(client, llm, paid.replace(PAID_CALL, "None"), version=2)  # unsaved: the buffer counts
    assert await codes_become(client, tasks, set()) == set()
    change(client, llm, paid, version=3)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=llm)))
    assert await codes_become(client, tasks, {"RTL002", "RTL003"}) == {"RTL002", "RTL003"}


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_an_unsaved_buffer_is_read_before_the_disk(client):
    llm = await open_document(client, "llm.py")
    change(client, llm, (client.root / "llm.py").read_text().replace(PAID_CALL, "None"), version=2)
    assert await published(client, llm) == set()
    tasks = await open_document(client, "tasks.py")
    assert list(client.diagnostics[tasks]) == []


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_modules_are_read_again_only_when_the_client_says_they_changed(client):
    tasks = await open_document(client, "tasks.py")
    (client.root / "llm.py").write_text((client.root / "llm.py").read_text().replace(PAID_CALL, "None"))
    change(client, tasks, (client.root / "tasks.py").read_text() + "\n", version=2)
    assert await published(client, tasks) == {"RTL002", "RTL003"}  # the engine and its modules are kept
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=(client.root / "llm.py").as_uri(), type=types.FileChangeType.Changed)]))
    assert await published(client, tasks) == set()


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_a_saved_config_file_applies_to_the_open_documents(client):
    tasks = await open_document(client, "tasks.py")
    assert {d.code for d in client.diagnostics[tasks]} == {"RTL002", "RTL003"}
    config = client.root / "pyproject.toml"
    config.write_text('[tool.retrylint]\nignore = ["RTL003"]\n')
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config.as_uri())))
    assert await published(client, tasks) == {"RTL002"}


@pytest.mark.slow  # a server process per test (two of them stay in the fast loop)
async def test_edits_of_a_long_module_publish_the_clis_findings(client):
    """The server parses an edited module again statement by statement (Reparser): after each
    edit and save its diagnostics are the CLI's on the same text."""
    (client.root / "long").mkdir()
    with bench_script("lsp_edit") as bench:
        tasks = bench.make_tree(client.root / "long", 200)
    text = tasks.read_text()
    uri = await open_document(client, "long/tasks.py")
    edits = [text.replace("max_retries=3", "max_retries=None", 1),
             "import os\n\n# moved down\n" + text.replace("    save(doc_id", "    os.sync()\n    save(doc_id", 1)]
    for version, edited in enumerate(edits, start=2):
        change(client, uri, edited, version)
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        while (await asyncio.wait_for(client.wait_for_notification(PUBLISH), timeout=30)).version != version:
            pass
        tasks.write_text(edited)
        expected = cli_json(client.root, "long/tasks.py")
        assert positions(client.diagnostics[uri]) == sorted((d["code"], d["line"], d["column"], d["message"]) for d in expected)
        assert {d.code for d in client.diagnostics[uri]} >= {"RTL001", "RTL003"}
