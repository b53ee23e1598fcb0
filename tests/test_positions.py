"""StatementPositions gives libcst's PositionProvider ranges, rendering only the statements asked for."""

import random
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from retrylint.analysis.positions import StatementPositions

ROOT = Path(__file__).resolve().parent.parent

SOURCES = {
    "decorators and classes": (
        "import functools\n\n\n@functools.cache\n@other(1,\n       2)\ndef f(a, b=2, *args, **kw):\n"
        "    return a + b  # sum\n\n\nclass C(Base, metaclass=M):\n    '''Doc.'''\n\n    x: int = 1\n\n"
        "    # a comment\n    @property\n    def g(self):\n        def inner():\n            return lambda y: y\n"
        "        return [i for i in inner()]\n"
    ),
    "no trailing newline": "import os\n\ndef f():\n    return os.sep",
    "comment without trailing newline": "x = 1\n\n# the end",
    "simple statement last without newline": "x = 1; y = 2",
    "crlf": "import os\r\n\r\n# c\r\ndef f():\r\n    if os:\r\n        return 1\r\n    return 2\r\n",
    "lone cr": "import os\r\rdef f():\r    return [\r        1,\r    ]\r",
    "mixed newlines": "x = 1\ny = 2\r\nz = (\r    3)\r",
    "tabs": "if True:\n\tx = 1\n\tif x:\n\t\ty = 2\nelse:\n\tz = 3\n",
    "form feeds": "import os\n\x0c\ndef f():\n    pass\n\x0c\n\x0c# c\nclass C:\n\x0c    x = 1\n",
    "form feed before a statement": "x = 1\n\x0cy = 2\n",  # libcst drops it: not at a line start
    "header comment": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n\"\"\"Doc.\"\"\"\n\nimport os  # why\n",
    "duplicated statements": "import os\nx = 1\nimport os\n\ndef f():\n    pass\n\ndef f():\n    pass\n",
    "statement text in a string": 'DOC = """\nx = 1\n"""\nx = 1\n',
    "statement text mid-line": 'DOC = """ x = 1\n"""\nx = 1\n',
    "if/else at top level": "try:\n    import a\nexcept ImportError:\n    a = None\nif a:\n    b = 1\nelif c:\n"
                            "    b = 2\nelse:\n    b = 3\n",
    "nested functions": (
        "async def outer(x):\n    async def middle():\n        def inner():\n            nonlocal_ = x\n"
        "            return {k: v for k, v in x.items()}\n        return inner\n"
        "    async with a as b, c:\n        await middle()\n    while x:\n        x = (yield x)\n"
    ),
    "backslash continuation mid-file": "x = 1 + \\\n    2\nif x and \\\n        y:\n    pass\n",
    "one-line compound statements": "if x: y = 1\nfor i in y: pass\nclass E(Exception): pass\n",
    "empty": "",
    "only comments": "# one\n\n# two\n",
}


def assert_same_as_position_provider(source: str) -> None:
    """Every node, asked for in two orders (the module and its footer first, and shuffled)."""
    tree = cst.parse_module(source)
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    for order in (list(reversed(expected)), random.Random(0).sample(list(expected), len(expected))):
        lazy = StatementPositions(tree, source)
        assert {node: lazy[node] for node in order} == dict(expected)


@pytest.mark.parametrize("name", SOURCES)
def test_every_node_matches_position_provider(name):
    assert_same_as_position_provider(SOURCES[name])


def _files():
    """The small example files in the fast tier; retrylint's own modules (a few seconds each) in the slow one."""
    for pattern, marks in (("retrylint/**/*.py", [pytest.mark.slow]), ("tests/corpus/**/*.py", []),
                           ("examples/**/*.py", [])):
        for path in sorted(ROOT.glob(pattern)):
            yield pytest.param(path, marks=marks, id=str(path.relative_to(ROOT)))


@pytest.mark.parametrize("path", list(_files()))
def test_repository_files_match_position_provider(path):
    assert_same_as_position_provider(path.read_text(encoding="utf-8"))


def _statement_nodes(tree: cst.Module) -> list[cst.CSTNode]:
    nodes: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node):
            nodes.append(node)
            return True

    for statement in tree.body:
        statement.visit(Collect())
    return nodes


@pytest.mark.parametrize("name", ["decorators and classes", "crlf", "lone cr", "no trailing newline",
                                  "statement text mid-line", "nested functions"])
def test_statements_are_placed_without_the_whole_module(name):
    tree = cst.parse_module(SOURCES[name])
    lazy = StatementPositions(tree, SOURCES[name])
    for node in _statement_nodes(tree):
        lazy[node]
    assert lazy._whole is None


@pytest.mark.parametrize("name", ["duplicated statements", "statement text in a string",
                                  "form feed before a statement"])
def test_statements_not_found_once_at_a_line_start_fall_back_to_the_whole_module(name):
    tree = cst.parse_module(SOURCES[name])
    lazy = StatementPositions(tree, SOURCES[name])
    lazy[tree.body[-1]]
    assert lazy._whole is not None


def test_asking_for_a_node_renders_only_its_statement(monkeypatch):
    source = SOURCES["decorators and classes"]
    tree = cst.parse_module(source)
    rendered = []
    original = PositionProvidingCodegenState.before_codegen

    def spy(state, node):
        if node in tree.body:
            rendered.append(node)
        original(state, node)

    monkeypatch.setattr(PositionProvidingCodegenState, "before_codegen", spy)
    lazy = StatementPositions(tree, source)
    function = tree.body[1]
    decorator, call = function.decorators[1], function.decorators[1].decorator
    assert lazy[call].start.line == 5
    assert lazy[decorator].start.line == 5
    assert lazy[function].start.line == 7
    assert rendered == [function]
    assert tree.body[0] not in lazy._computed and tree.body[2] not in lazy._computed
    method = tree.body[2].body.body[-1]
    assert lazy[method].start.line == 18
    assert rendered == [function, tree.body[2]]


def test_nodes_outside_the_tree_raise_key_error():
    source = "x = 1\n"
    lazy = StatementPositions(cst.parse_module(source), source)
    with pytest.raises(KeyError):
        lazy[cst.parse_module(source).body[0]]
    with pytest.raises(KeyError):
        lazy[cst.Name("x")]


def test_lines_are_the_sources_where_libcst_drops_a_leading_backslash_continuation():
    source = "\\\nimport os\n\ndef f():\n    pass\n"
    tree = cst.parse_module(source)
    assert tree.code != source  # libcst renders the module without the continuation
    assert MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)[tree.body[1]].start.line == 3
    assert StatementPositions(tree, source)[tree.body[1]].start.line == 4
