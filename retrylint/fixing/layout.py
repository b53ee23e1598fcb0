"""Laying out what a fix writes as the project's formatter would: a call (or a ``from`` import)
whose line grows past the line length is broken one argument per line, as black and ruff
write it (their magic trailing comma then keeps it so)."""

from __future__ import annotations

import libcst as cst

INDENT = "    "


def one_per_line(node: cst.CSTNode, indent: str) -> cst.CSTNode:
    """``node`` (a call, or a ``from`` import) with each argument on its own line, indented
    one level past ``indent`` (the indentation of the line it starts on), a trailing comma,
    and the closing bracket on its own line at ``indent``; other nodes unchanged."""
    inner, closing = _line_break(indent + INDENT), _line_break(indent)
    if isinstance(node, cst.Call) and node.args:
        return node.with_changes(whitespace_before_args=inner, args=_each_on_a_line(node.args, inner, closing))
    if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        return node.with_changes(
            lpar=cst.LeftParen(whitespace_after=inner),
            names=_each_on_a_line(node.names, inner, closing),
            rpar=cst.RightParen(whitespace_before=cst.SimpleWhitespace("")),
        )
    return node


def _each_on_a_line(elements, inner: cst.ParenthesizedWhitespace, closing: cst.ParenthesizedWhitespace) -> list:
    laid = []
    for index, element in enumerate(elements):
        after = closing if index == len(elements) - 1 else inner
        element = element.with_changes(comma=cst.Comma(whitespace_after=after))
        if isinstance(element, cst.Arg):
            element = element.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
        laid.append(element)
    return laid


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    """A newline (the file's own) followed by ``indent``, whatever block the node sits in."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), empty_lines=[], indent=False, last_line=cst.SimpleWhitespace(indent)
    )
