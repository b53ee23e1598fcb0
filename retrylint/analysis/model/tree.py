"""Walking libcst trees quickly: only the child nodes that hold code."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Iterator

import libcst as cst

from retrylint.analysis.model.symbols import identifier

_SKIPPED_FIELDS = ("whitespace", "lpar", "rpar", "comma", "semicolon", "equal", "colon", "star", "operator",
                   "dot", "header", "footer", "leading_lines", "lines_after_decorators")
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes that hold code, in source order, without libcst's costly ``children``
    (which walks every whitespace and punctuation node too)."""
    kind = type(node)
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(kind) if not f.name.startswith(_SKIPPED_FIELDS)
        )
        _CHILD_FIELDS[kind] = names
    for name in names:
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:
                if _is_node_type(type(item)):
                    yield item
        elif _is_node_type(kind):
            yield value


@cache
def _is_node_type(kind: type) -> bool:
    return issubclass(kind, cst.CSTNode)


def dotted_name(expr: cst.BaseExpression, max_parts: int) -> str | None:
    """``a.b.c`` for a name or a chain of attributes of one, at most ``max_parts`` long (a
    chain of calls is no dotted name, and is not walked down); None otherwise."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        if len(parts) + 1 >= max_parts:
            return None
        parts.append(expr.attr.value)
        expr = expr.value
    return ".".join([expr.value, *reversed(parts)]) if isinstance(expr, cst.Name) else None


def descendants(node: cst.CSTNode, stop_at_loops: bool = False) -> Iterator[cst.CSTNode]:
    """Nodes under ``node`` in the same scope (nested defs, classes and lambdas are yielded
    but not entered; nor are nested loops when ``stop_at_loops``)."""
    stack = list(children(node))
    while stack:
        child = stack.pop()
        yield child
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if stop_at_loops and isinstance(child, (cst.For, cst.While)):
            continue
        stack.extend(children(child))


def is_docstring(statement: cst.BaseStatement) -> bool:
    """A statement that is only a string: a docstring where it opens a body."""
    return isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 \
        and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))


def keywords_of(call: cst.Call | None) -> dict[str, cst.Arg]:
    if call is None:
        return {}
    return {identifier(arg.keyword.value): arg for arg in call.args if arg.keyword is not None}


def positional(call: cst.Call | None, index: int) -> cst.Arg | None:
    if call is None:
        return None
    args = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return args[index] if index < len(args) else None
