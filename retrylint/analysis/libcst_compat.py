"""The private libcst APIs retrylint relies on, in one place: an unchecked parse and the position
codegen of one statement. pyproject.toml caps libcst to the versions these were tested with."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState


def parse_unchecked(source: str) -> cst.Module:
    """libcst's parse without its check of every node as it is built (a fifth of the parse
    time): the source has compiled with Python first (see sources.python_rejects), and the
    tree is only read. Fixes build and check their nodes as usual (the check is put back as
    it was when this module loaded, so overlapping parses cannot leave it off).

    Whitespace nodes without a comment are shared (see ``_SHARED_KINDS``): the same node stands
    for every ``SimpleWhitespace(" ")`` of every tree. They were two nodes in five of a tree,
    made and kept apart for nothing: no position, edit or model entry is ever asked of a
    whitespace node (positions are of code and punctuation; ``tree.children`` skips them), and
    nodes are immutable, so a shared one renders, compares and is replaced as its copies were."""
    cst.CSTNode.__post_init__ = _unchecked
    for name, factory in _SHARED_KINDS.items():
        setattr(cst, name, factory)  # libcst's native parser looks each class up on the module
    try:
        return cst.parse_module(source)
    finally:
        cst.CSTNode.__post_init__ = _CHECKED
        for name, kind in _KINDS.items():
            setattr(cst, name, kind)


def _unchecked(node: cst.CSTNode) -> None:
    pass


_CHECKED = cst.CSTNode.__post_init__
_KINDS = {kind.__name__: kind for kind in (cst.SimpleWhitespace, cst.Newline, cst.TrailingWhitespace, cst.EmptyLine)}
_SHARED: dict[tuple, cst.CSTNode] = {}  # (kind, value or ids of the parts) -> the one node
MAX_SHARED = 4096  # distinct whitespace runs kept (indentation widths, continuation lines)


def _shared(key: tuple, kind: type, **fields) -> cst.CSTNode:
    node = _SHARED.get(key)
    if node is None:
        node = kind(**fields)
        if len(_SHARED) < MAX_SHARED:  # a kept node holds its parts, whose ids key it
            _SHARED[key] = node
    return node


def _simple_whitespace(value: str = "") -> cst.SimpleWhitespace:
    return _shared(("s", value), _KINDS["SimpleWhitespace"], value=value)


def _newline(value: str | None = None) -> cst.Newline:
    return _shared(("n", value), _KINDS["Newline"], value=value)


# Made as the native parser makes them, by keyword; any other call (a fix in another thread) is
# passed on to the class.
def _trailing_whitespace(*args, **fields) -> cst.TrailingWhitespace:
    if args or fields.get("comment") is not None or len(fields) < 2:
        return _KINDS["TrailingWhitespace"](*args, **fields)
    whitespace, newline = fields["whitespace"], fields["newline"]
    return _shared(("t", id(whitespace), id(newline)), _KINDS["TrailingWhitespace"], whitespace=whitespace, newline=newline)


def _empty_line(*args, **fields) -> cst.EmptyLine:
    if args or fields.get("comment") is not None or len(fields) < 3:
        return _KINDS["EmptyLine"](*args, **fields)
    indent, whitespace, newline = fields["indent"], fields["whitespace"], fields["newline"]
    return _shared(("e", indent, id(whitespace), id(newline)), _KINDS["EmptyLine"],
                   indent=indent, whitespace=whitespace, newline=newline)


_SHARED_KINDS = {"SimpleWhitespace": _simple_whitespace, "Newline": _newline,
                 "TrailingWhitespace": _trailing_whitespace, "EmptyLine": _empty_line}


def statement_positions(module: cst.Module, statement: cst.CSTNode) -> tuple[str, dict[cst.CSTNode, CodeRange]]:
    """The code of one statement of ``module`` as the module renders it, and its nodes' ranges
    counted from that code's first line (what PositionProvider records while rendering it)."""
    provider = PositionProvider()
    state = PositionProvidingCodegenState(module.default_indent, module.default_newline, provider)
    statement._codegen(state)
    if statement is module.body[-1] and not module.footer and not module.has_trailing_newline:
        state.tokens.pop()  # the newline Module codegen drops at the end of the file
    return "".join(state.tokens), provider._computed


def module_positions(module: cst.Module) -> dict[cst.CSTNode, CodeRange]:
    """What ``MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)`` gives."""
    provider = PositionProvider()
    provider._gen_impl(module)
    return provider._computed
