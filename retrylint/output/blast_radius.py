"""``retrylint report``: the blast radius of every retry entry point. For each outermost
retry layer: the layers stacked under it, its worst-case attempts, the billable calls it
reaches and the worst-case number of billed calls for one message."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING

from retrylint.config import ConfigResolver
from retrylint.diagnostics import COUNT_LIMIT, count_text
from retrylint.discovery import discover, display_path
from retrylint.output.terminal import printable
from retrylint.settings import Settings
from retrylint.sources import SourceError, read_source
from retrylint.stack import on_deep_stack

if TYPE_CHECKING:  # the CLI imports this module to build its parser: the engine loads only to report
    from rich.console import Console

    from retrylint.analysis.context import RuleContext
    from retrylint.engine import Engine

REPORT_FORMATS = ("table", "json", "mermaid")
UNLIMITED_WIDTH = 100_000


@dataclass
class BillableReach:
    name: str
    chain: list[dict]
    attempts: int | None  # attempts that bill: the stack over this call, less keyed SDK retries; None: unbounded
    per_item: bool
    calls: int = 1  # how many times one run of the entry point makes this call (its call paths)
    turns: int | None = 1  # paid requests each call sends itself (an agent's turns); None: no cap

    @property
    def shown(self) -> str:
        if self.turns == 1:
            return self.name
        return f"{self.name} ({'no cap on turns' if self.turns is None else f'up to {count_text(self.turns)} turns'})"


@dataclass
class EntryPoint:
    path: str
    line: int
    layer: str
    layers: list[str]  # the worst stack, outermost first
    attempts: int | None  # worst-case attempts of the whole stack; None: unbounded
    billable: list[BillableReach] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def billed_calls(self) -> int | None:
        """Worst-case billed calls for one message (per item for calls in loops)."""
        counts = [None if reach.attempts is None or reach.turns is None else reach.attempts * reach.calls * reach.turns
                  for reach in self.billable]
        return None if None in counts else sum(counts)

    @property
    def per_item(self) -> bool:
        return any(reach.per_item for reach in self.billable)

    def to_json(self) -> dict:
        """As JSON; a count of 10^18 or more is null, as an unbounded one is."""
        data = asdict(self)
        data["billed_calls"] = self.billed_calls
        data["per_item"] = self.per_item
        for holder in (data, *data["billable"]):
            for key in ("attempts", "billed_calls"):
                if isinstance(holder.get(key), int) and holder[key] >= COUNT_LIMIT:
                    holder[key] = None
        return data


def entry_points(context: RuleContext, findings: dict[int, list[str]]) -> list[EntryPoint]:
    """The outermost layers of one analysed file."""
    from retrylint.analysis.reach_record import billed_stack, retry_stack, turns

    found = []
    for layer in context.layers:
        if not context.outermost(layer):
            continue
        worst_parts, worst_depth = [layer.name], 1
        worst_total: int | None = layer.policy.factor()
        billable = []
        for reach in context.reaches(layer):
            factors, parts, depth = retry_stack(layer, reach)
            total = None if None in factors else prod(factors)
            billed = billed_stack(layer, reach)
            billable.append(BillableReach(reach.name, [link.to_json() for link in reach.chain],
                                          None if None in billed else prod(billed), reach.in_loop, reach.calls,
                                          turns(reach)))
            if depth > worst_depth or (total is None and worst_total is not None):
                worst_parts, worst_total, worst_depth = parts, total, depth
        line = context.model.line(layer.anchor)
        found.append(EntryPoint(context.model.path, line, layer.name, worst_parts, worst_total,
                                billable, sorted(set(findings.get(line, [])))))
    return found


def collect(paths: list[Path], config: Path | None = None, isolated: bool = False) -> tuple[list[EntryPoint], list[str]]:
    """Entry points under ``paths`` and one-line errors for files that could not be read."""
    from retrylint.engine import Engine

    resolver = ConfigResolver(config=config, isolated=isolated)
    discovery = discover(paths, resolver.settings_for)
    engines: dict[Settings, Engine] = {}
    points: list[EntryPoint] = []
    errors = list(discovery.errors)
    for path, settings in discovery.files:
        if settings not in engines:
            engines[settings] = Engine(settings)
        shown = display_path(path)
        try:
            points.extend(on_deep_stack(_file_entry_points, engines[settings], path, shown))
        except SourceError as error:
            errors.append(f"{shown}: {error.reason}")
        except Exception as error:  # an engine bug must not hide the other files' entry points
            errors.append(f"internal error while reporting on {shown}: {type(error).__name__}: {error}")
    points.sort(key=lambda p: (p.path, p.line))
    for point in points:  # to be printed: a file name's newline or undecodable bytes as \xNN
        point.path = printable(point.path)
        for reach in point.billable:
            for link in reach.chain:
                link["path"] = printable(link["path"])
    return points, errors


def _file_entry_points(engine: Engine, path: Path, shown: str) -> list[EntryPoint]:
    from retrylint.analysis.context import RuleContext

    text = read_source(path).text
    context = engine.analyse(text, shown)
    if not isinstance(context, RuleContext):
        return []
    findings: dict[int, list[str]] = {}
    for diagnostic in engine.lint_source(text, shown, fixes=False):
        findings.setdefault(diagnostic.line, []).append(diagnostic.code)
    return entry_points(context, findings)


def _count(value: int | None, per_item: bool = False) -> str:
    text = "unbounded" if value is None else count_text(value)
    return text + (" per item" if per_item and value is not None else "")


def render_table(points: list[EntryPoint], console: Console) -> None:
    from rich.table import Table

    if not points:
        console.print("No retry entry points found.")
        return
    table = Table(title="Retry entry points (worst case for one message)", show_lines=True)
    for column in ("entry point", "stacked layers", "attempts", "billable calls", "billed calls", "findings"):
        table.add_column(column)
    for point in points:
        calls = "\n".join(sorted({reach.shown for reach in point.billable})) or "-"
        table.add_row(
            f"{point.layer}\n{point.path}:{point.line}",
            "\n".join(point.layers),
            _count(point.attempts),
            calls,
            _count(point.billed_calls, point.per_item) if point.billable else "0",
            ", ".join(point.findings) or "-",
        )
    if not _on_a_tty(console):  # a pipe or CI log, coloured or not: the table's own width, never cut to 80 columns
        natural = console.measure(table, options=console.options.update(max_width=UNLIMITED_WIDTH)).maximum
        console.width = max(console.width, natural)
    console.print(table)


def _on_a_tty(console: Console) -> bool:
    """Whether the output is a terminal's screen (not a pipe or log that FORCE_COLOR colours)."""
    try:
        return console.file.isatty()
    except (AttributeError, ValueError):  # a file object without isatty, or closed
        return False


def render_json(points: list[EntryPoint]) -> str:
    return json.dumps([point.to_json() for point in points], indent=2)


def render_mermaid(points: list[EntryPoint]) -> str:
    """A flowchart of layers -> call chain -> billable calls, for GitHub Markdown."""
    lines = ["```mermaid", "flowchart LR"]
    ids: dict[str, str] = {}

    def node(key: str, label: str, shape: str = "box") -> str:
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            text = label.replace('"', "'")
            lines.append(f'    {ids[key]}{"[[" if shape == "layer" else "(" if shape == "call" else "["}"{text}"'
                         f'{"]]" if shape == "layer" else ")" if shape == "call" else "]"}')
        return ids[key]

    edges: set[tuple[str, str, str]] = set()
    for point in points:
        layer = node(f"{point.path}:{point.line}", f"{point.layer}<br/>{_count(point.attempts)} attempts", "layer")
        for reach in point.billable:
            previous = layer
            for link in reach.chain[1:-1]:
                current = node(f"{link['path']}:{link['line']}:{link['name']}", f"{link['name']}<br/>{link['path']}:{link['line']}")
                edges.add((previous, current, ""))
                previous = current
            last = reach.chain[-1]
            billed = node(f"{last['path']}:{last['line']}:{last['name']}", f"{last['name']}", "call")
            edges.add((previous, billed, f"x{_count(reach.attempts, reach.per_item)}"))
    for source, target, label in sorted(edges):
        arrow = f" -->|{_safe(label)}| " if label else " --> "
        lines.append(f"    {source}{arrow}{target}")
    lines.append("```")
    return "\n".join(lines)


def _safe(label: str) -> str:
    return re.sub(r"[|\"]", "", label)
