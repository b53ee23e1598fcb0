"""The unchecked parse (analysis/libcst_compat.py): whitespace nodes without a comment are shared
between trees, and everything else about the tree is as libcst's own parse gives it."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from retrylint.analysis.libcst_compat import module_positions, parse_unchecked

SOURCE = (
    "import openai  # client\n"
    "\n"
    "\r\n"
    "def f(a,  b):\r\n"
    "    # why\n"
    "    x = openai.chat( a ,\n"
    "        b)  \\\n"
    "        + 1\n"
    "    return x\n"
)


def test_the_tree_renders_and_places_code_as_libcst_parses_it():
    tree, checked = parse_unchecked(SOURCE), cst.parse_module(SOURCE)
    assert tree.code == SOURCE and tree.deep_equals(checked)
    ours = module_positions(tree)
    theirs = MetadataWrapper(checked, unsafe_skip_copy=True).resolve(PositionProvider)
    call, their_call = (t.body[1].body.body[0].body[0].value.left for t in (tree, checked))
    assert ours[call] == theirs[their_call]
    assert (ours[call].start.line, ours[call].start.column, ours[call].end.line) == (6, 8, 7)


def test_whitespace_without_a_comment_is_one_node_across_trees():
    first, second = parse_unchecked("a = b\n"), parse_unchecked("c = d\n")
    assign, other = first.body[0].body[0], second.body[0].body[0]
    assert assign.targets[0].whitespace_before_equal is other.targets[0].whitespace_before_equal
    assert first.body[0].trailing_whitespace is second.body[0].trailing_whitespace
    assert assign.value is not other.value  # code is never shared


def test_comments_stay_with_their_line_and_the_classes_are_put_back():
    tree = parse_unchecked("a = 1  # one\nb = 2  # two\n")
    assert [line.trailing_whitespace.comment.value for line in tree.body] == ["# one", "# two"]
    assert all(isinstance(getattr(cst, name), type)
               for name in ("SimpleWhitespace", "Newline", "TrailingWhitespace", "EmptyLine"))
    assert cst.SimpleWhitespace(" ") is not cst.SimpleWhitespace(" ")  # a fix's nodes are its own
