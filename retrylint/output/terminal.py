"""Printing diagnostics (full, concise, json and the CI formats of formats.py), fix diffs and the
closing summary."""

from __future__ import annotations

import difflib
import json
import os
import re
from collections import Counter
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Iterable, Mapping

from retrylint.diagnostics import Applicability, Diagnostic
from retrylint.output.ci_formats import MACHINE_FORMATS, format_sarif
from retrylint.sources import PYTHON_NEWLINE

if TYPE_CHECKING:  # rich loads only when a console is made
    from rich.console import Console
    from rich.text import Text

HUMAN_FORMATS = ("full", "concise")  # the formats followed by the summary
FORMATS = (*HUMAN_FORMATS, "json", *MACHINE_FORMATS)
# All control characters but the tab, and the bytes of a file name that are not UTF-8 (which
# os.fsdecode keeps as the lone surrogates U+DC80..U+DCFF).
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\udc80-\udcff]")


def printable(text: str) -> str:
    """``text`` with control characters (terminal escape sequences, line breaks) and a file
    name's undecodable bytes written as ``\\xNN``: a path, a message or a source line never
    drives the terminal, splits a line or makes invalid UTF-8."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()) & 0xff:02x}", text)


def with_printable_paths(diagnostic: Diagnostic) -> Diagnostic:
    """``diagnostic`` with its path and its chain's made ``printable``, for the machine formats."""
    paths = (diagnostic.path, *(link.path for link in diagnostic.chain))
    if not any(CONTROL.search(path) for path in paths):
        return diagnostic
    return replace(diagnostic, path=printable(diagnostic.path),
                   chain=[replace(link, path=printable(link.path)) for link in diagnostic.chain])


def make_console(stream: IO[str]) -> Console:
    """A console that colours only a terminal; NO_COLOR wins over FORCE_COLOR, which wins over the TTY check."""
    from rich.console import Console

    if os.environ.get("NO_COLOR"):
        color = False
    elif os.environ.get("FORCE_COLOR"):
        color = True
    else:
        color = stream.isatty()
    return Console(
        file=stream, force_terminal=color, no_color=not color, color_system="auto" if color else None,
        highlight=False, markup=False, emoji=False, soft_wrap=True,
    )


def make_progress_console(stream: IO[str]) -> Console:
    """The progress bar's console (shown only on a terminal): NO_COLOR takes its colours away, not the bar."""
    from rich.console import Console

    plain = bool(os.environ.get("NO_COLOR"))
    return Console(file=stream, force_terminal=True, no_color=plain, color_system=None if plain else "auto",
                   highlight=False, markup=False, emoji=False)


def is_fixable(diagnostic: Diagnostic, *, unsafe_fixes: bool) -> bool:
    """Whether ``--fix`` would apply the diagnostic's fix under these options."""
    fix = diagnostic.fix
    return fix is not None and (fix.applicability is Applicability.SAFE or unsafe_fixes)


def print_diagnostics(console: Console, diagnostics: list[Diagnostic], output_format: str, *,
                      texts: Mapping[str, str], unsafe_fixes: bool) -> None:
    """Print ``diagnostics`` sorted; ``texts`` maps a path to the source the positions refer to.
    Every format prints paths ``printable``, but SARIF, whose URIs percent-encode the bytes."""
    ordered = sorted(diagnostics, key=lambda d: d.sort_key)
    if output_format == "json":
        console.file.write(format_json([with_printable_paths(d) for d in ordered]) + "\n")
        return
    if output_format == "sarif":
        console.file.write(format_sarif(ordered, texts))
        return
    if output_format in MACHINE_FORMATS:
        console.file.write(MACHINE_FORMATS[output_format]([with_printable_paths(d) for d in ordered]))
        return
    for diagnostic in ordered:
        if output_format == "concise":
            console.print(concise_line(diagnostic))
        else:
            console.print(full_report(diagnostic, texts.get(diagnostic.path), unsafe_fixes=unsafe_fixes))


def format_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in sorted(diagnostics, key=lambda d: d.sort_key)], indent=2)


def _location(diagnostic: Diagnostic) -> Text:
    from rich.text import Text

    text = Text()
    text.append(printable(diagnostic.path), style="bold")
    text.append(f":{diagnostic.line}:{diagnostic.column}: ")
    text.append(diagnostic.code, style="bold red")
    return text


def concise_line(diagnostic: Diagnostic) -> Text:
    """``path:line:col: CODE message``."""
    return _location(diagnostic).append(f" {printable(diagnostic.message)}")


def full_report(diagnostic: Diagnostic, source: str | None, *, unsafe_fixes: bool) -> Text:
    """The header line, the source line with the range underlined, the chain and the fix help."""
    text = _location(diagnostic)
    if is_fixable(diagnostic, unsafe_fixes=unsafe_fixes):
        text.append(" [*]", style="bold cyan")
    text.append(f" {printable(diagnostic.message)}\n")
    lines = PYTHON_NEWLINE.split(source) if source is not None else []
    number = str(diagnostic.line)
    gutter = " " * len(number)
    if 0 < diagnostic.line <= len(lines):
        line = lines[diagnostic.line - 1]
        start = min(max(diagnostic.column - 1, 0), len(line))
        end = diagnostic.end_column - 1 if diagnostic.end_line == diagnostic.line else len(line)
        indent = "".join(c if c == "\t" else " " for c in printable(line[:start]))
        text.append(f"{gutter} |\n", style="blue")
        text.append(f"{number} | ", style="blue")
        text.append(f"{printable(line)}\n")
        text.append(f"{gutter} | ", style="blue")
        text.append(indent)
        text.append("^" * max(len(printable(line[start:end])), 1), style="bold red")
        text.append("\n")
    if diagnostic.chain:
        chain = printable(" -> ".join(f"{link.path}:{link.line} {link.name}" for link in diagnostic.chain))
        text.append(f"{gutter} = ", style="blue")
        text.append("chain: ", style="bold")
        text.append(f"{chain}\n")
    if diagnostic.fix is not None:
        text.append(f"{gutter} = ", style="blue")
        text.append("help: ", style="bold cyan")
        suffix = "" if diagnostic.fix.applicability is Applicability.SAFE else " (unsafe fix)"
        text.append(f"{printable(diagnostic.fix.message)}{suffix}\n")
    return text


def format_diff(path: str, before: str, after: str) -> str:
    """A unified diff of one file's fixes."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def summary_lines(diagnostics: list[Diagnostic], *, fixed: int, fixing: bool, unsafe_fixes: bool,
                  failed: bool = False, on_offer: tuple[int, int] | None = None) -> list[str]:
    """Counts per rule, the total and what --fix / --unsafe-fixes would do; or all clear, unless
    the run ``failed`` (a path not found, an internal error). ``on_offer``: the fixes ``--fix`` and
    ``--fix --unsafe-fixes`` would apply (runner.fixes_on_offer); without it, the fixable findings."""
    lines = [f"Fixed {fixed} error{_plural(fixed)}."] if fixing else []
    if not diagnostics:
        return (lines if fixed else []) if failed else lines + ["All checks passed!"]
    counts = Counter((d.code, d.name) for d in diagnostics)
    name_width = max(len(name) for _, name in counts)
    count_width = len(str(max(counts.values())))
    lines += [f"{code}  {name:<{name_width}}  {n:>{count_width}}" for (code, name), n in sorted(counts.items())]
    lines.append(f"Found {len(diagnostics)} error{_plural(len(diagnostics))}.")
    fixable = sum(is_fixable(d, unsafe_fixes=unsafe_fixes) for d in diagnostics)
    hidden = sum(is_fixable(d, unsafe_fixes=True) for d in diagnostics) - fixable
    if on_offer is not None:
        safe, with_unsafe = on_offer
        fixable = with_unsafe if unsafe_fixes else safe
        hidden = with_unsafe - fixable
    if fixable and not fixing:
        more = f" ({hidden} more with --unsafe-fixes)" if hidden else ""
        lines.append(f"[*] {fixable} fixable with --fix{more}")
    elif hidden:
        lines.append(f"{hidden} fixable with --fix --unsafe-fixes")
    return lines


def format_statistics(diagnostics: list[Diagnostic], output_format: str, *, unsafe_fixes: bool) -> str:
    """``--statistics``: one line per rule, most frequent first (a JSON list for ``json``)."""
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = {d.code for d in diagnostics if is_fixable(d, unsafe_fixes=unsafe_fixes)}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if output_format == "json":
        return json.dumps([{"code": code, "name": names[code], "count": count, "fixable": code in fixable}
                           for code, count in rows], indent=2) + "\n"
    width = len(str(max(counts.values()))) if counts else 1
    return "".join(f"{count:>{width}}\t{code}\t{'[*]' if code in fixable else '[ ]'} {names[code]}\n"
                   for code, count in rows)


def fixes_lines(changes) -> list[str]:
    """``--show-fixes``: what ``--fix`` fixed, per file and rule."""
    if not changes:
        return []
    total = sum(change.fixed for change in changes)
    lines = [f"Fixed {total} error{_plural(total)}:"]
    for change in changes:
        lines.append(f"- {change.path}:")
        for code, count in sorted(Counter(change.codes).items()):
            lines.append(f"    {count} \u00d7 {code}")
    return lines


def _plural(count: int) -> str:
    return "" if count == 1 else "s"
