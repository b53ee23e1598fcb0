"""Laying out what a fix writes as the project's formatter would: a call (or a ``from`` import)
whose line grows past the line length is broken one argument per line, as black and ruff
write it (their magic trailing comma then keeps it so); an argument whose own line is still too
long (a call, or a parenthesised tuple) is broken the same way, one level further in. A call's
lone argument gets no trailing comma, as black and ruff write it (they add one after a lone
imported name, and a one-element tuple needs its own)."""

from __future__ import annotations

import libcst as cst

INDENT = "    "


def one_per_line(node: cst.CSTNode, indent: str, line_length: int | None = None) -> cst.CSTNode:
    """``node`` (a call, or a ``from`` import) with each argument on its own line, indented
    one level past ``indent`` (the indentation of the line it starts on), a trailing comma
    (none after a call's lone argument that had none), and the closing bracket on its own line
    at ``indent``; other nodes unchanged. With ``line_length``, an argument still longer than
    that on its line is broken in turn."""
    inner, closing = _line_break(indent + INDENT), _line_break(indent)
    if isinstance(node, cst.Call) and node.args:
        lone = len(node.args) == 1 and node.args[0].comma is cst.MaybeSentinel.DEFAULT
        args = [_lone_argument(node.args[0], closing)] if lone else _each_on_a_line(node.args, inner, closing)
        if line_length is not None:
            args = [_fitted_element(arg, indent + INDENT, line_length, comma=not lone) for arg in args]
        return node.with_changes(whitespace_before_args=inner, args=args)
    if isinstance(node, cst.Tuple) and node.lpar and node.elements:
        elements = _each_on_a_line(node.elements, inner, closing)
        if line_length is not None:
            elements = [_fitted_element(element, indent + INDENT, line_length) for element in elements]
        return node.with_changes(lpar=[cst.LeftParen(whitespace_after=inner)], elements=elements,
                                 rpar=[cst.RightParen()])
    if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        return node.with_changes(
            lpar=cst.LeftParen(whitespace_after=inner),
            names=_each_on_a_line(node.names, inner, closing),
            rpar=cst.RightParen(whitespace_before=cst.SimpleWhitespace("")),
        )
    return node


def _fitted_element(element, indent: str, line_length: int, comma: bool = True):
    """An argument (or tuple element) on its own line at ``indent`` (followed by a ``comma``),
    its value broken when that line is longer than ``line_length`` and the value is a call or a
    parenthesised tuple."""
    value = element.value
    code = _code(element.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace(""))
                 if isinstance(element, cst.Arg) else element.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    if len(indent) + len(code) + comma <= line_length:
        return element
    if isinstance(value, cst.Call) or (isinstance(value, cst.Tuple) and value.lpar):
        return element.with_changes(value=one_per_line(value, indent, line_length))
    return element


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _each_on_a_line(elements, inner: cst.ParenthesizedWhitespace, closing: cst.ParenthesizedWhitespace) -> list:
    laid = []
    for index, element in enumerate(elements):
        after = closing if index == len(elements) - 1 else inner
        element = element.with_changes(comma=cst.Comma(whitespace_after=after))
        if isinstance(element, cst.Arg):
            element = element.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
        laid.append(element)
    return laid


def _lone_argument(arg: cst.Arg, closing: cst.ParenthesizedWhitespace) -> cst.Arg:
    """A call's one argument on a line of its own, without a trailing comma."""
    return arg.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=closing)


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    """A newline (the file's own) followed by ``indent``, whatever block the node sits in."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), empty_lines=[], indent=False, last_line=cst.SimpleWhitespace(indent)
    )
