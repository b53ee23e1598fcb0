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
    it was when this module loaded, so overlapping parses cannot leave it off)."""
    cst.CSTNode.__post_init__ = _unchecked
    try:
        return cst.parse_module(source)
    finally:
        cst.CSTNode.__post_init__ = _CHECKED


def _unchecked(node: cst.CSTNode) -> None:
    pass


_CHECKED = cst.CSTNode.__post_init__


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
