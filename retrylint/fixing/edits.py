"""Building fixes as text edits (keeping the file's formatting) and applying them."""

from __future__ import annotations

import bisect
import sys
from functools import lru_cache
from typing import Sequence

import libcst as cst

from retrylint.diagnostics import Edit
from retrylint.fixing.layout import one_per_line
from retrylint.settings import DEFAULT_LINE_LENGTH
from retrylint.analysis.model import ModuleModel, identifier
from retrylint.analysis.model.module import BUILTIN_NAMES
from retrylint.sources import PYTHON_NEWLINE

FIRST_PARTY, THIRD_PARTY = "first-party", "third-party"
STANDARD_LIBRARY = frozenset(sys.stdlib_module_names) | {"__future__"}


class FixBuilder:
    """Turns node-level changes into text edits for one module."""

    def __init__(self, model: ModuleModel, line_length: int = DEFAULT_LINE_LENGTH):
        self.model = model
        self.line_length = line_length  # the formatter's: a fixed call longer than it is broken

    # ----- edits ----------------------------------------------------------------------
    def replace(self, old: cst.CSTNode, new: cst.CSTNode | str) -> Edit:
        """The smallest edit that turns the file into the one where ``old`` is ``new``.

        The top-level statement holding ``old`` is rendered with the change (or, when it cannot
        be placed in the source, the whole module), so that the new node gets the indentation
        of the block it sits in (a node rendered alone loses it)."""
        if isinstance(new, str):
            new = cst.parse_expression(new)
        old, new = self._fitted(old, new)
        edit = self._replace_alone(old, new)
        if edit is not None:
            return edit
        placed = self.model.positions.placed_statement(old)
        if placed is None:
            return _smallest_edit(self.model.source, self.model.tree.deep_replace(old, new).code)
        statement, offset = placed
        tree = self.model.tree
        before = tree.code_for_node(statement)
        after = tree.code_for_node(statement.deep_replace(old, new))
        return _smallest_edit(self.model.source, after, before, offset)

    def _replace_alone(self, old: cst.CSTNode, new: cst.CSTNode) -> Edit | None:
        """The edit from rendering ``old`` and ``new`` alone, when ``old`` alone renders as it
        stands in the source (its layout then owes nothing to the block's indentation): the
        cost of the node, not of its statement, which a function with 300 stacked retry
        decorators made quadratic. None otherwise."""
        if not isinstance(old, cst.BaseExpression):
            return None
        try:
            where = self.model.positions[old]
        except KeyError:
            return None
        source, before = self.model.source, self.model.code(old)
        offset = _line_starts(source)[where.start.line - 1] + where.start.column
        if source[offset:offset + len(before)] != before:
            return None
        return _smallest_edit(source, self.model.code(new), before, offset)

    def _fitted(self, old: cst.CSTNode, new: cst.CSTNode) -> tuple[cst.CSTNode, cst.CSTNode]:
        """What to replace and with what so that the line stays within the line length, as black
        and ruff break it: ``new`` broken one argument per line when it is a call or ``from``
        import written on one line and the line of ``old`` (one line) with ``new`` in its place
        is longer than the line length (and than it was); when ``old`` sits inside another call's
        brackets on that line, that call, holding ``new``, broken instead. A layout across lines
        is the author's and stays."""
        if not isinstance(new, (cst.Call, cst.ImportFrom)):
            return old, new
        try:
            where = self.model.positions[old]
        except KeyError:
            return old, new
        code = self.model.code(new)
        if where.start.line != where.end.line or "\n" in code or "\r" in code:
            return old, new
        line = self._line(where.start.line)
        grown = len(code) - (where.end.column - where.start.column)
        if grown <= 0 or len(line) + grown <= self.line_length:
            return old, new  # within the line length, or no longer than the author wrote it
        if _inside_brackets(line[:where.start.column]):
            outer = self._enclosing_call(old, where)
            return (old, new) if outer is None else self._fitted(outer, outer.deep_replace(old, new))
        return old, one_per_line(new, line[:len(line) - len(line.lstrip(" \t"))], self.line_length)

    def _line(self, number: int) -> str:
        """Line ``number`` (1-based) of the source, without its newline."""
        source, starts = self.model.source, _line_starts(self.model.source)
        return source[starts[number - 1]:starts[number] if number < len(starts) else None].rstrip("\r\n")

    def _enclosing_call(self, node: cst.CSTNode, where) -> cst.Call | None:
        """The outermost call around ``node`` on its line that is not itself inside brackets, or None."""
        placed = self.model.positions.placed_statement(node)
        if placed is None:
            return None
        line = self._line(where.start.line)
        for call in _calls_in(placed[0]):
            try:
                span = self.model.positions[call]
            except KeyError:
                continue
            if (span.start.line == span.end.line == where.start.line and span.start.column <= where.start.column
                    and span.end.column >= where.end.column and not _inside_brackets(line[:span.start.column])):
                return call
        return None

    def with_keyword(self, call: cst.Call, name: str, value: str) -> cst.Call | None:
        """``call`` with ``name=value`` set: replaced when present, appended otherwise; None
        when an unpacked argument (``**options``, ``*args``) could already pass ``name``
        (adding it would raise TypeError, "multiple values for keyword argument")."""
        expr = cst.parse_expression(value)
        for index, arg in enumerate(call.args):
            if arg.keyword is not None and identifier(arg.keyword.value) == name:
                args = list(call.args)
                args[index] = arg.with_changes(value=expr)
                return call.with_changes(args=args)
        if any(arg.star for arg in call.args):
            return None
        new_arg = cst.Arg(value=expr, keyword=cst.Name(name), equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
        return call.with_changes(args=_append(call.args, new_arg, call.whitespace_before_args))

    def without_element(self, container: cst.Tuple | cst.List, element: cst.BaseExpression) -> cst.CSTNode | None:
        kept = [e for e in container.elements if e.value is not element]
        if len(kept) == len(container.elements) or not kept:
            return None
        last_original = container.elements[-1]
        if kept[-1] is not last_original:
            kept[-1] = kept[-1].with_changes(comma=last_original.comma)
        if isinstance(container, cst.Tuple) and len(kept) == 1 and kept[0].comma is cst.MaybeSentinel.DEFAULT:
            kept[0] = kept[0].with_changes(comma=cst.Comma())
        return container.with_changes(elements=kept)

    # ----- imports ----------------------------------------------------------------------
    def references(self, qualnames: Sequence[str]) -> tuple[list[str], list[Edit]]:
        """How to spell each qualified name in this file, importing what is missing in the
        file's own style: ``mod.Name`` where ``import mod`` exists, otherwise a ``from mod
        import Name`` (extending an existing one)."""
        model = self.model
        bound = model.scope.names
        spelled: list[str] = []
        extend: dict[int, tuple[cst.ImportFrom, list[str]]] = {}
        new_from: dict[str, list[str]] = {}
        new_import: list[str] = []
        taken = set(bound) | BUILTIN_NAMES  # a builtin is never shadowed (openai.error.PermissionError)
        for qualname in qualnames:
            module, _, name = qualname.rpartition(".")
            existing = next((b for b, binding in bound.items() if binding.qualname == qualname), None)
            if existing is not None:
                spelled.append(existing)
                continue
            alias = next((b for b, binding in bound.items() if binding.qualname == module), None)
            if alias is not None:
                spelled.append(f"{alias}.{name}")
                continue
            if module == "builtins":
                spelled.append(name)
                continue
            site = next(
                (s for s in model.imports if isinstance(s.node, cst.ImportFrom) and not isinstance(s.node.names, cst.ImportStar)
                 and s.node.relative == () and s.node.module is not None and model.code(s.node.module) == module),
                None,
            )
            if name not in taken:
                taken.add(name)
                spelled.append(name)
                if site is not None:
                    extend.setdefault(id(site.node), (site.node, []))[1].append(name)
                else:
                    new_from.setdefault(module, []).append(name)
                continue
            root = module.split(".")[0]
            if root not in taken or bound.get(root) and bound[root].qualname == root:
                if module not in new_import:
                    new_import.append(module)
                spelled.append(qualname)
            else:
                spelled.append(qualname)  # every spelling is taken; leave it qualified
                if module not in new_import:
                    new_import.append(module)
        edits = [self._extend_import(node, names) for node, names in extend.values()]
        lines = [f"from {module} import {', '.join(names)}" for module, names in new_from.items()]
        lines += [f"import {module}" for module in new_import]
        if lines:
            edits.append(self._insert_lines(lines))
        return spelled, edits

    def _extend_import(self, node: cst.ImportFrom, names: list[str]) -> Edit:
        aliases = list(node.names)
        opening = node.lpar.whitespace_after if node.lpar else None
        for name in names:
            aliases = _append(aliases, cst.ImportAlias(name=cst.Name(name)), opening)
        return self.replace(node, node.with_changes(names=aliases))

    def _insert_lines(self, lines: list[str]) -> Edit:
        """New imports (of libraries) in the third-party group, as isort places them: after the
        last third-party import before the first-party ones, else in a group of their own after
        the standard library's (and ``from __future__``), else above the first-party imports,
        else after the docstring."""
        model = self.model
        newline = model.tree.default_newline
        text = "".join(self._fitted_line(line) + newline for line in lines)
        before_first_party = []
        for site in model.imports:
            if self._group(site.node) == FIRST_PARTY:
                break
            before_first_party.append(site)
        third_party = [site for site in before_first_party if self._group(site.node) == THIRD_PARTY]
        if third_party:
            anchor = model.range(third_party[-1].statement).end.line
        elif before_first_party:
            anchor, text = model.range(before_first_party[-1].statement).end.line, newline + text
        elif model.imports:
            anchor, text = model.range(model.imports[0].statement).start.line - 1, text + newline
        else:
            anchor = self._after_preamble()
        starts = _line_starts(model.source)  # starts[n] is where line n + 1 begins
        if anchor + 1 < len(starts) or (anchor + 1 == len(starts) and starts[-1] == len(model.source)):
            return Edit(anchor + 1, 1, anchor + 1, 1, text)
        column = len(model.source) - starts[-1] + 1  # the last line has no newline: append one
        return Edit(anchor, column, anchor, column, newline + text.rstrip("\r\n"))

    def _fitted_line(self, line: str) -> str:
        """A new import line, broken one name per line when longer than the line length."""
        if len(line) <= self.line_length:
            return line
        return self.model.code(one_per_line(cst.parse_statement(line).body[0], ""))

    def _group(self, node: cst.Import | cst.ImportFrom) -> str:
        """An import's isort group: first-party (relative, or of a top-level name found as a module
        or package of the checked project), the standard library's, or third-party."""
        model = self.model
        if isinstance(node, cst.ImportFrom):
            if node.relative:
                return FIRST_PARTY
            names = [model.code(node.module)] if node.module is not None else []
        else:
            names = [model.code(alias.name) for alias in node.names]
        tops = {name.split(".")[0] for name in names}
        own = model.module_name.split(".")[0]
        if own in tops or model.project is not None and any(model.project.locate(top, model.root) for top in tops):
            return FIRST_PARTY
        if tops and all(top in STANDARD_LIBRARY for top in tops):
            return "standard library"
        return THIRD_PARTY

    def _after_preamble(self) -> int:
        """The last line of a module docstring, or 0 to insert at the top."""
        body = self.model.tree.body
        if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr):
            if isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                return self.model.range(body[0]).end.line
        return 0




@lru_cache(maxsize=4)  # the fixes of one file place many edits in the same text; callers only read it
def _line_starts(text: str) -> list[int]:
    """Offsets where each line starts, splitting lines as libcst and Python do."""
    return [0] + [match.end() for match in PYTHON_NEWLINE.finditer(text)]


def _inside_brackets(text: str) -> bool:
    """Whether the start of a line, ``text``, leaves a bracket open (brackets in strings count too)."""
    return sum(map(text.count, "([{")) > sum(map(text.count, ")]}"))


def _smallest_edit(source: str, after: str, before: str | None = None, offset: int = 0) -> Edit:
    """The edit that turns ``before`` (the text at ``offset`` in ``source``; by default all of
    it) into ``after``, placed in ``source``."""
    if before is None:
        before = source
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    line, column = _position(source, offset + start)
    end_line, end_column = _position(source, min(offset + len(before) - end, len(source)))
    return Edit(line, column, end_line, end_column, after[start : len(after) - end])


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    return line + 1, offset - starts[line] + 1


def _append(elements: Sequence, new, opening: cst.BaseParenthesizableWhitespace | None = None):
    """Append to args/import names/tuple elements, copying the existing comma style.
    ``opening`` is the whitespace after the opening bracket: the layout of a one-element
    list that ends with a trailing comma."""
    elements = list(elements)
    if not elements:
        return [new]
    last = elements[-1]
    if last.comma is not cst.MaybeSentinel.DEFAULT:  # a trailing comma: keep the layout
        if len(elements) > 1:
            between = elements[-2].comma
        elif opening is not None:
            between = cst.Comma(whitespace_after=opening)
        else:
            between = last.comma
        elements[-1] = last.with_changes(comma=between)
        new = new.with_changes(comma=last.comma)
    else:
        if len(elements) > 1 and elements[-2].comma is not cst.MaybeSentinel.DEFAULT:
            between = elements[-2].comma
        elif len(elements) == 1 and isinstance(opening, cst.ParenthesizedWhitespace):
            between = cst.Comma(whitespace_after=opening)  # the one argument on a line of its own: so is the new one
        else:
            between = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        elements[-1] = last.with_changes(comma=between)
        if isinstance(last, cst.Arg):
            new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
            elements[-1] = elements[-1].with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    elements.append(new)
    return elements


def apply_edits(source: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits (1-based line/column positions) to ``source``."""
    starts = _line_starts(source)

    def offset(line: int, column: int) -> int:
        if line - 1 >= len(starts):
            return len(source)
        return min(starts[line - 1] + column - 1, len(source))

    result = source
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        result = result[:start] + edit.content + result[end:]
    return result


def overlaps(a: Sequence[Edit], b: Sequence[Edit]) -> bool:
    return any(
        (x.line, x.column) < (y.end_line, y.end_column) and (y.line, y.column) < (x.end_line, x.end_column)
        or (x.line, x.column) == (y.line, y.column)
        for x in a
        for y in b
    )


class _CallFinder(cst.CSTVisitor):
    """The calls under a node, in the order libcst visits them (parents first, then in the order
    of the code), as ``libcst.matchers.findall(node, Call())`` finds them without importing
    libcst's matchers (a fifth of the start-up of a one-file check)."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)


def _calls_in(node: cst.CSTNode) -> list[cst.Call]:
    finder = _CallFinder()
    node.visit(finder)
    return finder.calls
