"""Node positions rendered one top-level statement at a time, instead of libcst's
PositionProvider re-rendering the whole module for the few nodes a report needs."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from retrylint.analysis.libcst_compat import module_positions, statement_positions
from retrylint.analysis.model.tree import children
from retrylint.sources import PYTHON_NEWLINE


@dataclass
class Rendered:
    """What positions work out for one top-level statement; none of it depends on where the
    statement is, so a Reparser keeps it for the statements an edit leaves alone."""

    node_ids: list[int] | None = None  # the ids of the statement and of its nodes that hold code
    text: str | None = None  # its code as the module renders it
    computed: dict[cst.CSTNode, CodeRange] | None = None  # its nodes' ranges, counted from its first line


class StatementPositions:
    """``positions[node]`` is PositionProvider's CodeRange for ``node``, from rendering only the
    top-level statement that holds it and finding that text in ``source``; when the text is not
    found exactly once at a line start, the whole module's PositionProvider answers instead.
    Where libcst does not round-trip the source (it drops a leading backslash continuation), a
    placed statement gets its lines in the source, not PositionProvider's."""

    def __init__(self, tree: cst.Module, source: str, rendered: dict[cst.CSTNode, Rendered] | None = None):
        self.tree = tree
        self.source = source
        # Statements rendered already (by a Reparser, for the previous text of an edited module):
        # their text and ranges do not depend on where they are.
        self._rendered = rendered if rendered is not None else {}
        self._statement: dict[int, int] = {}  # id of a node -> index of its top-level statement
        self._indexed = 0  # statements walked into ``_statement`` so far
        self._computed: dict[cst.CSTNode, CodeRange] = {}  # as rendered from line 1
        self._offset: dict[cst.CSTNode, int] = {}  # lines to add to that, for nodes placed so far
        self._whole: dict[cst.CSTNode, CodeRange] | None = None
        self._text_starts: dict[int, int] = {}  # statement index -> where its text starts in the source
        self._line_ends: list[int] | None = None  # where each line break of the source ends

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        if node not in self._offset:
            index = self._find(node)
            if index is None:  # the module, its header or footer, punctuation, or a foreign node
                return self._whole_module()[node]
            self._place(index)
        found, offset = self._computed[node], self._offset[node]
        if not offset:
            return found
        start, end = found.start, found.end
        return CodeRange(CodePosition(start.line + offset, start.column), CodePosition(end.line + offset, end.column))

    def placed_statement(self, node: cst.CSTNode) -> tuple[cst.BaseStatement, int] | None:
        """The top-level statement holding ``node`` and where its text starts in the source, or
        None when it cannot be placed (a fix then renders the whole module)."""
        index = self._find(node)
        if index is None:
            return None
        if index not in self._text_starts and self._offset.get(node) is None:
            self._place(index)
        start = self._text_starts.get(index)
        return None if start is None else (self.tree.body[index], start)

    def _find(self, node: cst.CSTNode) -> int | None:
        body, key = self.tree.body, id(node)
        while key not in self._statement and self._indexed < len(body):
            rendered = self._rendering(body[self._indexed])
            if rendered.node_ids is None:
                rendered.node_ids = [id(n) for n in _nodes_holding_code(body[self._indexed])]
            self._statement.update(dict.fromkeys(rendered.node_ids, self._indexed))
            self._indexed += 1
        return self._statement.get(key)

    def _rendering(self, statement: cst.CSTNode) -> Rendered:
        rendered = self._rendered.get(statement)
        if rendered is None:
            rendered = self._rendered[statement] = Rendered()
        return rendered

    def _place(self, index: int) -> None:
        """Render ``tree.body[index]`` and record its nodes' ranges at its place in the source."""
        statement = self.tree.body[index]
        rendered = self._rendering(statement)
        if rendered.computed is None:
            rendered.text, rendered.computed = statement_positions(self.tree, statement)
        computed = rendered.computed
        starts = _line_starts_of(rendered.text, self.source)
        if len(starts) == 1:
            ranges, offset = computed, self._line_breaks_before(starts[0])
            self._text_starts[index] = starts[0]
        else:
            whole = self._whole_module()
            ranges, offset = {node: whole[node] for node in computed}, 0
        self._computed.update(ranges)  # shifted by ``offset`` lines only when asked for
        self._offset.update(dict.fromkeys(ranges, offset))

    def _line_breaks_before(self, start: int) -> int:
        """How many line breaks ``source[:start]`` holds (a ``\\r\\n`` cut in two counts its ``\\r``)."""
        if self._line_ends is None:
            self._line_ends = [match.end() for match in PYTHON_NEWLINE.finditer(self.source)]
        count = bisect_right(self._line_ends, start)
        if start > 0 and self.source[start - 1:start + 1] == "\r\n":
            count += 1
        return count

    def _whole_module(self) -> dict[cst.CSTNode, CodeRange]:
        if self._whole is None:
            self._whole = module_positions(self.tree)
        return self._whole


def _line_starts_of(text: str, source: str) -> list[int]:
    """Where ``text`` occurs in ``source`` at a line start; two places at most."""
    found: list[int] = []
    at = source.find(text)
    while at >= 0 and len(found) < 2:
        if at == 0 or source[at - 1] in "\r\n":
            found.append(at)
        at = source.find(text, at + 1)
    return found


def _nodes_holding_code(statement: cst.CSTNode) -> list[cst.CSTNode]:
    found, todo = [], [statement]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children(current))
    return found
