"""Parsing an edited module again, re-using the top-level statements whose text did not change
(the language server, where one keystroke changes one statement of a long module).

A module is cut into runs at lines that start at column 0 with code, each run taking the blank
lines and column-0 comments above it (libcst gives those to the statement below them). Each run
is parsed alone, or taken from the module's previous version when its text is the same, and the
runs are joined into the tree ``parse_unchecked`` gives for the whole module. A run that parses
alone is a whole sequence of statements that ends at the top level, so the module's tokens and
statements are those of its runs: a cut inside a string, brackets, a decorated definition or
before an ``else`` leaves a run that does not parse alone, which is then joined to the next one.
No cut is made after a line that a block's footer could own (an indented comment, a blank line
with spaces); where runs disagree on the indentation or line ending libcst takes from the first
block and the first line end, or too many runs fail, the module is parsed whole."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import accumulate

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.libcst_compat import parse_unchecked
from retrylint.sources import python_rejects

if TYPE_CHECKING:
    from retrylint.analysis.positions import Rendered

MIN_RUNS = 4  # fewer runs than this: one parse costs no more than cutting
FAILED_TEXT = 1  # text of runs found not to parse alone, in module lengths, before parsing it whole
LINE_BREAK = re.compile(r"(\r\n|\r|\n)")  # the line ends Python counts (see sources.PYTHON_NEWLINE)
CONTINUES = re.compile(r"(?:else|elif|except|finally)\b")  # a clause of the statement above
REACHES_ACROSS = re.compile(r"__future__|\b(?:global|nonlocal)\b")  # statements Python checks against others

RunKey = tuple[bool, bool, str]  # first run, last run, its text


@dataclass
class _Run:
    statements: list[cst.BaseStatement]
    module: cst.Module  # the run parsed alone: its header, footer, indentation and line ending


@dataclass
class _Version:
    runs: dict[RunKey, _Run] = field(default_factory=dict)
    failed: set[RunKey] = field(default_factory=set)  # texts that do not parse (or compile) alone
    rendered: dict[cst.CSTNode, Rendered] = field(default_factory=dict)  # statement -> its rendering
    compiling: bool = False  # while joined: runs not taken from a vouched version are compiled first
    vouched: bool = False  # every run compiles alone, as the module does (no statement reaches across)
    failed_text: int = 0  # characters of the runs found not to parse alone while joined


class Reparser:
    """Parses sources by path, keeping the statements of each path's last version."""

    def __init__(self, max_paths: int = 64, min_runs: int = MIN_RUNS):
        self.max_paths = max_paths
        self.min_runs = min_runs
        self._versions: dict[str, _Version] = {}

    def parse(self, source: str, path: str, *, compiled: bool = True
              ) -> tuple[cst.Module, dict[cst.CSTNode, Rendered]] | None:
        """The tree of ``source`` as ``parse_unchecked`` gives it (raising as it does) and the
        renderings kept for its statements (positions add to them as they are asked for).

        ``compiled=False``: Python has not compiled the source yet (libcst must only see code it
        compiles, see sources.python_rejects). Each run is then compiled alone before libcst parses
        it, unless it comes from a version that was; runs that all compile alone make a module that
        compiles, where no statement reaches across statements (``__future__``, ``global``,
        ``nonlocal``). None where that cannot vouch for the module: the caller compiles it whole."""
        if not compiled and REACHES_ACROSS.search(source):
            return None
        previous = self._versions.get(path) or _Version()
        version = _Version(compiling=not compiled)
        cuts = run_starts(source, self.min_runs)
        tree = None if cuts is None else self._join(source, cuts, previous, version)
        if tree is None:
            if not compiled:
                return None
            tree, version = parse_unchecked(source), _Version()
        version.vouched = REACHES_ACROSS.search(source) is None
        version.compiling = False
        kept = set(tree.body)
        version.rendered = {s: r for s, r in previous.rendered.items() if s in kept}
        self._versions.pop(path, None)
        self._versions[path] = version
        while len(self._versions) > self.max_paths:
            del self._versions[next(iter(self._versions))]
        return tree, version.rendered

    def forget(self, path: str) -> None:
        self._versions.pop(path, None)

    def _join(self, source: str, cuts: list[int], previous: _Version, version: _Version) -> cst.Module | None:
        """The module joined from its runs (filling ``version``), or None to parse it whole."""
        ordered: list[_Run] = []
        ends = cuts[1:] + [len(source)]
        start = 0
        while start < len(cuts):
            end = start
            while True:
                key = (start == 0, end == len(cuts) - 1, source[cuts[start]:ends[end]])
                run = self._run(key, previous, version)
                if run is not None:
                    break
                if end == len(cuts) - 1 or version.failed_text > FAILED_TEXT * len(source):
                    return None
                end += 1
            ordered.append(run)
            start = end + 1
        if len({(run.module.default_indent, run.module.default_newline) for run in ordered}) != 1:
            return None  # libcst takes both from the module's first block and first line end
        first, last = ordered[0].module, ordered[-1].module
        return cst.Module(body=[statement for run in ordered for statement in run.statements],
                          header=first.header, footer=last.footer, encoding=first.encoding,
                          default_indent=first.default_indent, default_newline=first.default_newline,
                          has_trailing_newline=last.has_trailing_newline)

    @staticmethod
    def _run(key: RunKey, previous: _Version, version: _Version) -> _Run | None:
        """The run of ``key`` parsed alone (its nodes from the previous version when it had the
        same text), or None when it does not parse alone as it does in the module."""
        if key in previous.failed or key in version.failed:
            version.failed.add(key)
            return None
        run = previous.runs.get(key) if key not in version.runs else None  # a repeated text gets nodes of its own
        if run is None or (version.compiling and not previous.vouched):
            run = None if version.compiling and python_rejects(key[2]) is not None else _parse_run(*key)
        if run is None:
            version.failed.add(key)
            version.failed_text += len(key[2])  # a cut in a long string makes ever longer runs
        else:
            version.runs.setdefault(key, run)
        return run


def _parse_run(first: bool, last: bool, text: str) -> _Run | None:
    try:
        module = parse_unchecked(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return None
    if not module.body or (not last and (module.footer or not module.has_trailing_newline)):
        return None
    statements = list(module.body)
    if not first and module.header:  # in the module, these lines are the statement's own
        statements[0] = statements[0].with_changes(leading_lines=module.header)
    return _Run(statements, module)


def run_starts(source: str, min_runs: int = MIN_RUNS) -> list[int] | None:
    """Where each run may start in ``source`` (the first at 0), or None when there are too few
    runs to be worth it. A run starts at a line beginning with code at column 0, taking the
    blank lines and column-0 comments above it, after a line of code that is not a decorator
    and does not continue on the next line."""
    parts = LINE_BREAK.split(source)  # line, line end, line, ...
    lines, offsets = parts[0::2], list(accumulate(map(len, parts), initial=0))[0::2]
    cuts = [0]
    for index in range(1, len(lines)):
        line = lines[index]
        if not line or line[0] in " \t\f#\\)]}" or CONTINUES.match(line):
            continue
        above = index
        while above > 0 and (not lines[above - 1] or lines[above - 1][0] == "#"):
            above -= 1
        code = lines[above - 1].strip() if above > 0 else ""
        if not code or code[0] in "#@" or code.endswith("\\") or offsets[above] <= cuts[-1]:
            continue
        cuts.append(offsets[above])
    return cuts if len(cuts) >= min_runs else None
