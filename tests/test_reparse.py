"""The Reparser gives the tree libcst gives for the whole module, re-using the statements of the
module's previous version, and diagnostics with it are the engine's without it."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from retrylint.analysis.libcst_compat import parse_unchecked
from retrylint.analysis.positions import StatementPositions
from retrylint.analysis.reparse import REACHES_ACROSS, Reparser, run_starts
from retrylint.engine import Engine
from retrylint.sources import python_rejects

from helpers import bench_script
from test_positions import SOURCES

EDGES = {
    "indented comment after a block": "def f():\n    return 1\n    # after\nx = 2\n\n# c\ny = 3\n",
    "indented comment then blank lines": "def f():\n    return 1\n    # after\n\n\n# c\n\ny = 3\nz = 4\n",
    "blank line with spaces after a block": "def f():\n    return 1\n    \nx = 2\ny = 3\nz = 4\n",
    "column-0 comment right after a block": "def f():\n    return 1\n# c\nx = 2\ny = 3\nz = 4\n",
    "decorators over lines": "@a\n@b(\n    1,\n)\n\n# c\ndef f():\n    pass\n@c\nclass C:\n    pass\nx = 1\n",
    "docstring with column-0 lines": 'x = 1\nDOC = """\ny = 2\n# z\n\nw = 3\n"""\nv = 4\nu = 5\n',
    "two-space indentation after four": "def f():\n    return 1\ndef g():\n  return 2\nx = 1\ny = 2\n",
    "two-space indentation throughout": "def f():\n  return 1\ndef g():\n  if x:\n    return 2\nx = 1\ny = 2\n",
    "tab after spaces": "def f():\n    return 1\ndef g():\n\treturn 2\nx = 1\ny = 2\n",
    "crlf then lf": "x = 1\r\ny = 2\nz = 3\nw = 4\n",
    "lf then crlf": "x = 1\ny = 2\r\nz = 3\r\nw = 4\r\n",
    "try and clauses": "try:\n    x = 1\nexcept E:\n    x = 2\nelse:\n    y = 1\nfinally:\n    z = 1\nw = 1\nv = 2\n",
    "backslash ends a line": "x = 1\ny = 2 + \\\n3\nz = 3\nw = 4\n",
    "brackets over column-0 lines": "x = [\n1,\n2,\n]\ny = {\n'a': 1,\n}\nz = 3\nw = 4\n",
    "no trailing newline": "x = 1\ny = 2\nz = 3\nw = 4",
    "trailing comments": "x = 1\ny = 2\nz = 3\nw = 4\n\n# end\n",
    "match statement": "match x:\n    case 1:\n        pass\n    case _:\n        pass\ny = 1\nz = 2\nw = 3\n",
    "repeated statements": "pass\npass\npass\npass\npass\n",
    "semicolons": "x = 1; y = 2\nz = 3; w = 4\nv = 5\nu = 6\n",
    "leading blank lines and comments": "\n\n# head\n\nx = 1\n\n# c\ny = 2\nz = 3\nw = 4\n",
}
ALL = {**SOURCES, **EDGES}


def assert_whole(tree: cst.Module, source: str) -> None:
    whole = parse_unchecked(source)
    assert tree.deep_equals(whole)
    assert tree.code == whole.code


@pytest.mark.parametrize("name", ALL)
def test_the_tree_is_the_whole_modules(name):
    source = ALL[name]
    tree, _ = Reparser(min_runs=1).parse(source, "m.py")
    assert_whole(tree, source)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("inserted", ["\n", "# note\n", "q = 0\n", "    # indented\n", "    \n", "@d\n"])
def test_an_edit_gives_the_whole_modules_tree(name, inserted):
    source = ALL[name]
    reparser = Reparser(min_runs=1)
    reparser.parse(source, "m.py")
    lines = source.splitlines(keepends=True)
    for at in range(len(lines) + 1):
        edited = "".join(lines[:at]) + inserted + "".join(lines[at:])
        try:
            compile(edited, "m.py", "exec")
        except SyntaxError:
            continue
        tree, _ = reparser.parse(edited, "m.py")
        assert_whole(tree, edited)
        tree, _ = reparser.parse(source, "m.py")  # and back, from the edited version's statements
        assert_whole(tree, source)


REJECTED = {
    "syntax error mid-module": "x = 1\ny = (\nz = 3\nw = 4\nv = 5\n",
    "return at module level": "x = 1\nreturn x\ny = 2\nz = 3\n",
    "late __future__ import": "x = 1\nfrom __future__ import annotations\ny = 2\nz = 3\n",
    "global after use": "x = 1\nprint(x)\nglobal x\nz = 3\n",
    "nonlocal at module level": "x = 1\ny = 2\nnonlocal x\nz = 3\n",
    "too deeply nested": "x = 1\ny = " + "(" * 250 + ")" * 250 + "\nz = 3\nw = 4\n",
    "unterminated string at the end": "x = 1\ny = 2\nz = 3\nw = '''\n",
    "tabs and spaces mixed": "def f():\n        x = 1\n\ty = 2\nz = 3\nw = 4\nv = 5\n",
    "break outside a loop": "x = 1\nbreak\ny = 2\nz = 3\n",
    "await outside a function": "x = 1\nawait y\ny = 2\nz = 3\n",
}


def compiles(source: str) -> bool:
    return python_rejects(source) is None


@pytest.mark.parametrize("name", {**ALL, **REJECTED})
def test_runs_compiled_alone_vouch_for_the_module_only_when_it_compiles(name):
    source = {**ALL, **REJECTED}[name]
    reparser = Reparser(min_runs=1)
    found = reparser.parse(source, "m.py", compiled=False)
    if name in REJECTED:
        assert found is None
    elif found is not None:  # None (compile it whole) is always allowed
        assert compiles(source)
        assert_whole(found[0], source)
    lines = source.splitlines(keepends=True)
    for at in range(len(lines)):  # each line broken in turn, then mended, from the last version's runs
        for edited in ("".join(lines[:at]) + "x = (\n" + "".join(lines[at:]), source):
            found = reparser.parse(edited, "m.py", compiled=False)
            assert found is None or compiles(edited)
            if found is not None:
                assert_whole(found[0], edited)


def test_the_engine_compiles_an_edited_module_run_by_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = "from tenacity import retry\n\n\n@retry\ndef call():\n    pass\n" + "\n\nx = 1\n" * 4
    engine = Engine()
    engine.project.reparser = Reparser()
    compiled = []
    monkeypatch.setattr("retrylint.engine._python_rejects", lambda *args: compiled.append(args))
    for edited in (source, source.replace("x = 1", "x = 2", 1), source + "y = 3\n"):
        assert [d.code for d in engine.lint_source(edited, "m.py")] == ["RTL001"]
    assert compiled == []  # every run compiled alone: no whole module compiled
    assert [d.code for d in engine.lint_source("global x\n" + source, "m.py")] == ["RTL001"]
    assert len(compiled) == 1


BLOCKS = "".join(f"\n\ndef f{n}(x):\n    return x + {n}\n" for n in range(6))


def test_unchanged_statements_are_the_same_nodes_and_keep_their_renderings():
    source = "import os\n" + BLOCKS
    reparser = Reparser()
    before, rendered = reparser.parse(source, "m.py")
    StatementPositions(before, source, rendered)[before.body[1].body]  # renders f0
    StatementPositions(before, source, rendered)[before.body[3].body]  # renders f2
    edited = source.replace("x + 2", "x * 2")
    after, kept = reparser.parse(edited, "m.py")
    same = [a is b for a, b in zip(before.body, after.body)]
    assert same == [True, True, True, False, True, True, True]
    assert kept[before.body[1]].computed is not None
    assert before.body[3] not in kept and after.body[3] not in kept  # f2 changed: its rendering is dropped


def test_positions_after_lines_are_inserted_above_reused_statements():
    source = "import os\n" + BLOCKS
    reparser = Reparser()
    tree, rendered = reparser.parse(source, "m.py")
    positions = StatementPositions(tree, source, rendered)
    for statement in tree.body:
        positions[statement]
    edited = "import sys\n\n# more\n" + source
    tree, rendered = reparser.parse(edited, "m.py")
    assert sum(r.computed is not None for r in rendered.values()) == len(tree.body) - 2  # import sys, import os
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = StatementPositions(tree, edited, rendered)
    assert {node: positions[node] for node in expected} == dict(expected)


def test_few_statements_or_a_failing_module_are_parsed_whole():
    assert run_starts("x = 1\ny = 2\n") is None
    reparser = Reparser()
    with pytest.raises(cst.ParserSyntaxError):
        reparser.parse("x = 1\ny = 2\nz = 3\nw = (\n", "m.py")
    assert run_starts("x = 1\ny = 2\nz = 3\nw = 4\n") == [0, 6, 12, 18]


def test_diagnostics_with_the_reparser_are_the_engines_without_it(tmp_path, monkeypatch):
    """Edits of the language server benchmark's Celery module (RTL001, RTL002, RTL003 across modules, RTL005)."""
    with bench_script("lsp_edit") as bench:
        source = bench.make_tree(tmp_path, 160).read_text()
    monkeypatch.chdir(tmp_path)
    plain, reparsing = Engine(), Engine()
    reparsing.project.reparser = Reparser()
    edits = [source, source.replace("max_retries=3", "max_retries=None", 1),
             source.replace("    save(doc_id", "    # saved later\n    save(doc_id", 1),
             "import os\n\n# shifted\n" + source, source.replace("    save(doc_id", "    save(doc_id,,", 1), source]
    for edited in edits:
        expected = plain.lint_source(edited, "tasks.py")
        plain.project.forget(tmp_path / "tasks.py")
        reparsing.project.forget(tmp_path / "tasks.py")
        assert reparsing.lint_source(edited, "tasks.py") == expected
        assert {d.code for d in expected} == ({"RTL999"} if ",," in edited else {"RTL001", "RTL002", "RTL003", "RTL005"})


def test_many_decorators_over_lines_still_reuse_statements():
    """Each cut above a ``def`` under a decorator written over lines fails once and is joined."""
    source = "import app\n" + "".join(f"\n\n@app.task(\n    bind=True,\n)\ndef task_{n}(self):\n    pass\n"
                                      for n in range(60))
    reparser = Reparser()
    before, _ = reparser.parse(source, "m.py")
    after, _ = reparser.parse(source.replace("task_7(", "task_7b("), "m.py")
    assert_whole(after, source.replace("task_7(", "task_7b("))
    assert [a is b for a, b in zip(before.body, after.body)].count(False) == 1


def test_a_long_string_cut_in_many_places_is_parsed_whole():
    source = "x = 1\nDOC = '''\n" + "".join(f"line{n} = {n}\n" for n in range(400)) + "'''\ny = 2\nz = 3\n"
    reparser = Reparser()
    tree, _ = reparser.parse(source, "m.py")
    assert_whole(tree, source)
    assert reparser._versions["m.py"].runs == {}  # given up: the whole module was parsed
