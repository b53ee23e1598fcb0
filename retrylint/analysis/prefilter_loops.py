"""The prefilter's test for a hand-written retry loop: a ``try`` right inside ``while`` or a
``for`` over one of the catalog's loop iterators (``range``, ``count``, ...), that can leave the
loop, found in the text; then that loop's exact shape as its reader wants it
(``readers.hand_loops_tree.may_be_written_in``), on Python's own tree of the loop's lines alone.
Linear in the text: the lines are indexed once (10,000 ``try`` blocks in one function took
minutes), and only in a file with a loop header and a ``break`` or ``return``."""

from __future__ import annotations

import bisect
import itertools
import re

from retrylint.analysis.layers.readers import hand_loops_tree
from retrylint.analysis.prefilter_text import Code
from retrylint.sources import python_tree

TRY = re.compile(r"\n([ \t]+)try[ \t]*:")
LEAVES_LOOP = re.compile(r"\b(?:break|return)\b")
LINE_PREFIX = re.compile(r"[ \t]*(?:async[ \t]+)?")  # before a loop header's keyword on its line


def block_header(loop_iterators) -> re.Pattern:
    """A block's header line; group 1 is a ``while``, group 3 the iterator of a ``for`` over one
    of ``loop_iterators`` (the catalog's, qualified: only their last part is in the text)."""
    leaves = list(dict.fromkeys(name.rpartition(".")[2] for name in loop_iterators))
    iterator = r"(?:.*?\bin[ \t]+[\w.]*\b(%s)[ \t]*\()?" % "|".join(map(re.escape, leaves)) if leaves else "()?"
    return re.compile(
        r"[ \t]*(?:async[ \t]+)?(?:(while)\b|(for)\b%s"
        r"|(?:if|elif|else|with|try|except|finally|def|class|match|case)\b)" % iterator
    )


class HandLoops:
    """``hand_loops(text)``: whether the text may hold a hand-written retry loop, for one
    catalog's loop iterators."""

    def __init__(self, loop_iterators):
        self.iterators = frozenset(name.rpartition(".")[2] for name in loop_iterators)
        self.block_header = block_header(loop_iterators)
        leaves = "|".join(map(re.escape, sorted(self.iterators)))
        iterator = r"|for\b.*?\bin[ \t]+[\w.]*\b(?:%s)[ \t]*\(" % leaves if leaves else ""
        # A line ``block_header`` takes for a loop: one in the file, or no index is built. Its
        # keyword is searched for (a literal the search skips ahead to), then its line's start
        # checked: what ``^[ \t]*(?:async[ \t]+)?(?:while...)`` finds, at a fifth of its cost.
        self.loop_keyword = re.compile(r"while\b%s" % iterator)

    def __call__(self, text: str) -> bool:
        if "try" not in text:
            return False
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if LEAVES_LOOP.search(text) is None or not self._has_loop_header(text):
            return False
        text = "\n" + text
        code = Code(text)
        tries = [match for match in TRY.finditer(text) if not code.in_string(match.start())]
        if not tries:
            return False
        lines = Lines(text, self.block_header)
        loops: dict[int, None] = {}
        for match in tries:
            line = lines.number_at(match.start() + 1)
            loop = lines.enclosing_loop(line)
            if loop is not None and lines.leaves(line, lines.widths[loop]):
                loops[loop] = None
        return any(self._may_retry(text, lines, loop) for loop in loops)

    def _has_loop_header(self, text: str) -> bool:
        found = self.loop_keyword.search(text)
        while found is not None:
            start = found.start()
            if LINE_PREFIX.fullmatch(text, text.rfind("\n", 0, start) + 1, start) is not None:
                return True
            found = self.loop_keyword.search(text, start + 1)
        return False

    def _may_retry(self, text: str, lines: "Lines", loop: int) -> bool:
        """The reader's test on the loop's lines parsed alone (under ``if 1:`` when indented);
        on the whole file when they do not parse alone (a string or bracket the loop's end
        cuts); yes when Python refuses the file (its syntax error is then reported)."""
        width = lines.widths[loop]
        chunk = "\n".join(lines.lines[loop: lines.end_of_block(loop, width)])
        tree = python_tree("if 1:\n" + chunk if width else chunk) or python_tree(text)
        return tree is None or hand_loops_tree.may_be_written_in(tree, self.iterators)


class Lines:
    """A text's lines with what the loop test asks of them, each answered in (amortised)
    constant or logarithmic time: which block header a line sits under, and whether a
    ``break`` or ``return`` follows it before its loop ends."""

    def __init__(self, text: str, block_header: re.Pattern):
        self.block_header = block_header
        lines = text.split("\n")
        self.starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        self.lines = lines
        self.widths: list[int | None] = []  # None: blank or comment
        for line in lines:
            code = line.lstrip(" \t")
            self.widths.append(None if not code or code.startswith("#") else _width(line[: len(line) - len(code)]))
        self.leaving = list(itertools.accumulate((bool(LEAVES_LOOP.search(line)) for line in lines), initial=0))
        self.before_smaller = self._previous(strict=True)  # the nearest earlier line indented less
        self.before_not_deeper = self._previous(strict=False)  # ... indented less or the same
        self._header: dict[int, int | None] = {}  # line -> the header line its search ends at
        self._ends = NextShallower(self.widths)

    def number_at(self, position: int) -> int:
        return bisect.bisect_right(self.starts, position) - 1

    def _previous(self, *, strict: bool) -> list[int | None]:
        found: list[int | None] = []
        stack: list[int] = []  # earlier code lines, indentation rising
        for number, width in enumerate(self.widths):
            if width is None:
                found.append(None)
                continue
            while stack and (self.widths[stack[-1]] >= width if strict else self.widths[stack[-1]] > width):
                stack.pop()
            found.append(stack[-1] if stack else None)
            if not strict:
                while stack and self.widths[stack[-1]] >= width:
                    stack.pop()
            stack.append(number)
        return found

    def enclosing_loop(self, line: int) -> int | None:
        """The ``while`` or counting ``for`` header of the block ``line`` starts a statement in,
        or None. A line indented less that is no header ends a statement written over several
        lines: the search goes on above it, for a line indented no deeper."""
        chain, current = [], self.before_smaller[line]
        while current is not None and current not in self._header:
            if self.block_header.match(self.lines[current]) is not None:
                self._header[current] = current
                break
            chain.append(current)
            current = self.before_not_deeper[current]
        header = None if current is None else self._header[current]
        for passed in chain:
            self._header[passed] = header
        if header is None:
            return None
        match = self.block_header.match(self.lines[header])
        return header if match.group(1) or match.group(3) else None

    def end_of_block(self, header: int, indent: int) -> int:
        """The first code line after ``header`` indented ``indent`` or less (or the line count)."""
        return self._ends.first(header + 1, indent) if header + 1 < len(self.widths) else len(self.widths)

    def leaves(self, line: int, indent: int) -> bool:
        """Whether the lines from ``line`` to the end of the loop (the first code line
        indented ``indent`` or less) hold a ``break`` or ``return``."""
        end = self._ends.first(line, indent)
        return self.leaving[end] > self.leaving[line]


class NextShallower:
    """``first(line, indent)``: the first code line from ``line`` on indented ``indent`` or
    less (or the number of lines). Each line points to the next code line no deeper than it;
    following those pointers skips whole blocks, and the answers found on the way are kept."""

    def __init__(self, widths: list[int | None]):
        self.widths = widths
        self.count = len(widths)
        self._next: list[int] = [self.count] * self.count
        self._found: dict[tuple[int, int], int] = {}
        following = self.count  # the next code line
        stack: list[int] = []  # later code lines, indentation falling
        for number in range(self.count - 1, -1, -1):
            width = widths[number]
            if width is None:
                self._next[number] = following
                continue
            while stack and widths[stack[-1]] > width:
                stack.pop()
            self._next[number] = stack[-1] if stack else self.count
            stack.append(number)
            following = number

    def first(self, line: int, indent: int) -> int:
        passed = []
        current = line if self.widths[line] is not None else self._next[line]
        while current < self.count and self.widths[current] > indent and (current, indent) not in self._found:
            passed.append(current)
            current = self._next[current]
        found = self._found.get((current, indent), current)
        for number in passed:
            self._found[number, indent] = found
        return found


def _width(indent: str) -> int:
    return len(indent.expandtabs())
