"""The ``retrylint`` command: ``check`` (the default), ``rule``, ``report``, ``catalog-schema``,
``server`` and ``--version``. The options each takes are declared in cli_arguments.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrylint.catalog import CatalogError
from retrylint.config import ConfigError, Overrides, check_code_prefixes
from retrylint.frontends.cli_arguments import build_parser, with_implicit_check
from retrylint.output.baseline import BaselineError, new_findings, write_baseline
from retrylint.output.blast_radius import collect, render_json, render_mermaid, render_table
from retrylint.output.terminal import (HUMAN_FORMATS, fixes_lines, format_diff, format_statistics, make_console, make_progress_console,
                                       print_diagnostics, printable, summary_lines)

if TYPE_CHECKING:  # the commands import what they use, so that each starts quickly
    from rich.console import Console

    from retrylint.diagnostics import Diagnostic
    from retrylint.rules.base import Rule
    from retrylint.runner import CheckOutcome

EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
PROGRESS_MIN_FILES = 50


def main(argv: list[str] | None = None) -> int:
    parser, commands = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(with_implicit_check(argv, commands))
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # e.g. `retrylint rule RTL001 | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl-C: no traceback, the shell's code for SIGINT
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug: one line, and never the code that means "findings remain"
        _error(f"internal error: {type(error).__name__}: {error}")
        return EXIT_ERROR


# ----- check ------------------------------------------------------------------------------
def check_command(args: argparse.Namespace) -> int:
    from retrylint.runner import CheckOptions, run_check, run_stdin

    stdout, stderr = make_console(sys.stdout), make_console(sys.stderr)
    try:
        overrides = Overrides(
            select=None if args.select is None else check_code_prefixes(list(args.select), "--select"),
            extend_select=check_code_prefixes(list(args.extend_select), "--extend-select"),
            ignore=check_code_prefixes(list(args.ignore), "--ignore"),
        )
        if args.show_files or args.show_settings:
            return _show_files_or_settings(args, overrides)
        options = CheckOptions(fix=args.fix, unsafe_fixes=args.unsafe_fixes, diff=args.diff,
                               config=args.config, isolated=args.isolated, overrides=overrides,
                               jobs=args.jobs, cache_dir=None if args.no_cache else args.cache_dir,
                               force_exclude=args.force_exclude, dependents=args.include_dependents,
                               count_fixes=_summary_counts_fixes(args))
        if args.paths == [Path("-")]:
            outcome, fixed_text = run_stdin(sys.stdin.buffer.read(), args.stdin_filename, options)
        else:
            with ProgressBar(make_progress_console(sys.stderr), enabled=sys.stderr.isatty() and not args.quiet) as progress:
                outcome = run_check(args.paths, options, progress)
    except (ConfigError, CatalogError) as error:
        _error(f"{error}")
        return EXIT_ERROR
    if args.paths == [Path("-")] and args.fix and not args.diff:
        sys.stdout.write(fixed_text)  # as ruff: the fixed source on stdout, the report on stderr
        sys.stdout.flush()
        stdout = stderr
    for message in outcome.errors:
        _error(message)
    if args.diff:
        return _report_diff(outcome, stdout, stderr, quiet=args.quiet)
    finished = _record_or_filter(outcome, args, stderr)
    if finished is not None:
        return finished
    return _report_findings(outcome, args, stdout)


def _record_or_filter(outcome: CheckOutcome, args: argparse.Namespace, stderr: Console) -> int | None:
    """``--write-baseline`` and ``--add-noqa`` record the findings and end the run (their exit
    code); otherwise the outcome keeps only the findings its baseline does not record (None)."""
    failed = EXIT_ERROR if outcome.errors else EXIT_CLEAN
    try:
        if args.write_baseline is not None:
            write_baseline(args.write_baseline, outcome.diagnostics, outcome.texts)
            count = len(outcome.diagnostics)
            stderr.print(f"Recorded {count} finding{'' if count == 1 else 's'} in {args.write_baseline}.")
            return failed
        if args.add_noqa:
            count = _add_noqa(outcome)
            stderr.print(f"Added {count} noqa directive{'' if count == 1 else 's'}.")
            return failed
        outcome.diagnostics = _new_findings(outcome, args.baseline)
    except BaselineError as error:
        _error(str(error))
        return EXIT_ERROR
    return None


def _report_findings(outcome: CheckOutcome, args: argparse.Namespace, stdout: Console) -> int:
    """Print the report (to ``--output-file`` if given) and choose the exit code."""
    output_format = args.output_format or (outcome.settings and outcome.settings.output_format) or "full"
    try:
        if args.output_file is not None:
            with open(args.output_file, "w", encoding="utf-8") as file:
                _print_report(make_console(file), outcome, args, output_format)
        else:
            _print_report(stdout, outcome, args, output_format)
    except OSError as error:
        _error(f"cannot write {args.output_file}: {error.strerror or error}")
        return EXIT_ERROR
    if outcome.errors:
        return EXIT_ERROR
    if args.exit_non_zero_on_fix and outcome.fixed:
        return EXIT_FOUND
    return EXIT_FOUND if outcome.diagnostics and not args.exit_zero else EXIT_CLEAN


def _print_report(console: Console, outcome: CheckOutcome, args: argparse.Namespace, output_format: str) -> None:
    """The diagnostics (or their statistics), the fixes made and the summary."""
    if args.statistics:
        console.file.write(format_statistics(outcome.diagnostics, output_format, unsafe_fixes=args.unsafe_fixes))
        return
    print_diagnostics(console, outcome.diagnostics, output_format, texts=outcome.texts, unsafe_fixes=args.unsafe_fixes)
    if output_format not in HUMAN_FORMATS or args.quiet:
        return
    if args.show_fixes:
        for line in fixes_lines(outcome.changes):
            console.print(line)
    for line in summary_lines(outcome.diagnostics, fixed=outcome.fixed, fixing=args.fix,
                              unsafe_fixes=args.unsafe_fixes, failed=bool(outcome.errors),
                              on_offer=_fixes_on_offer(outcome, args)):
        console.print(line)


def _fixes_on_offer(outcome: CheckOutcome, args: argparse.Namespace) -> tuple[int, int] | None:
    """What --fix (and --fix --unsafe-fixes) would apply, found by fixing in memory where each
    file was checked: the summary promises no more and no less than that. None when no fix is
    on offer or all were applied."""
    from retrylint.runner import fixes_on_offer

    if (args.fix and args.unsafe_fixes) or not any(d.fix is not None for d in outcome.diagnostics):
        return None
    return fixes_on_offer(outcome, safe_too=not (args.fix or args.unsafe_fixes))


def _summary_counts_fixes(args: argparse.Namespace) -> bool:
    """Whether the run may end with the summary's count of the fixes on offer (the config's
    output-format, not known yet, may still choose a machine format)."""
    quiet = args.quiet or args.statistics or args.diff or args.write_baseline is not None or args.add_noqa
    return not quiet and not (args.fix and args.unsafe_fixes) and args.output_format in (None, *HUMAN_FORMATS)


def _show_files_or_settings(args: argparse.Namespace, overrides: Overrides) -> int:
    """``--show-files``: the files a check would read; ``--show-settings``: the settings of the first path."""
    from retrylint.config import ConfigResolver
    from retrylint.discovery import discover, display_path

    resolver = ConfigResolver(config=args.config, isolated=args.isolated, overrides=overrides)
    if args.show_settings:
        path = args.paths[0]
        settings = resolver.settings_for(path)
        print(f"Resolved settings for: {path}")
        print(f"Settings path: {settings.config_file or '(none: defaults)'}")
        for name, value in vars(settings).items():
            print(f"{name} = {value!r}")
        return EXIT_CLEAN
    discovery = discover(args.paths, resolver.settings_for, force_exclude=args.force_exclude)
    for message in discovery.errors:
        _error(message)
    for path, _ in discovery.files:
        print(display_path(path))
    return EXIT_ERROR if discovery.errors else EXIT_CLEAN


def _new_findings(outcome: CheckOutcome, baseline: Path | None) -> list[Diagnostic]:
    """The diagnostics not recorded in ``baseline``, or else in their config's ``baseline``."""
    by_baseline: dict[Path | None, list[Diagnostic]] = {}
    for diagnostic in outcome.diagnostics:
        by_baseline.setdefault(baseline or outcome.baselines.get(diagnostic.path), []).append(diagnostic)
    kept = by_baseline.pop(None, [])
    for file, diagnostics in by_baseline.items():
        kept += new_findings(file, diagnostics, outcome.texts)
    return sorted(kept, key=lambda d: d.sort_key)


def _add_noqa(outcome: CheckOutcome) -> int:
    """Add ``# noqa`` comments for the outcome's diagnostics to their files; the lines changed."""
    from retrylint.fixing.writer import write_atomically
    from retrylint.frontends.noqa import add_noqa
    from retrylint.sources import SourceError, read_source

    by_path: dict[str, list] = {}
    for diagnostic in outcome.diagnostics:
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    added = 0
    for path, diagnostics in by_path.items():
        new_text, count = add_noqa(outcome.texts.get(path, ""), diagnostics)
        if not count:
            continue
        try:
            source = read_source(Path(path))
        except SourceError:
            continue
        if source.text == outcome.texts[path] and write_atomically(source, new_text):
            added += count
    return added


def _report_diff(outcome: CheckOutcome, stdout: Console, stderr: Console, *, quiet: bool) -> int:
    for change in outcome.changes:
        stdout.file.write(format_diff(printable(change.path), change.before, change.after))
    if not quiet:
        stderr.print(f"Would fix {outcome.fixed} error{'' if outcome.fixed == 1 else 's'}.")
    if outcome.errors:
        return EXIT_ERROR
    return EXIT_FOUND if outcome.changes else EXIT_CLEAN


def _error(message: str) -> None:
    print(f"retrylint: error: {printable(message)}", file=sys.stderr)


class ProgressBar:
    """A transient progress bar on stderr, shown only for long runs on a terminal."""

    def __init__(self, console: Console, *, enabled: bool):
        self.console = console
        self.enabled = enabled
        self.bar = None
        self.task = None

    def start(self, total: int) -> None:
        if self.enabled and total > PROGRESS_MIN_FILES:
            from rich.progress import Progress

            self.bar = Progress(console=self.console, transient=True)
            self.task = self.bar.add_task("Checking", total=total)
            self.bar.start()

    def advance(self) -> None:
        if self.task is not None:
            self.bar.advance(self.task)

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.task is not None:
            self.bar.stop()


# ----- rule -------------------------------------------------------------------------------
def rule_command(args: argparse.Namespace) -> int:
    from retrylint.rules import ALL_RULES

    if args.code is None:
        if args.output_format == "json":
            print(json.dumps([rule_json(rule) for rule in ALL_RULES], indent=2))
        else:
            print(rule_table())
        return EXIT_CLEAN
    rule = next((rule for rule in ALL_RULES if args.code.upper() == rule.code or args.code.lower() == rule.name), None)
    if rule is None:
        _error(f"unknown rule code or name {args.code!r}; `retrylint rule` lists them")
        return EXIT_ERROR
    if args.output_format == "json":
        print(json.dumps(rule_json(rule), indent=2))
        return EXIT_CLEAN
    print(f"# {rule.code} {rule.name}\n\n{rule.summary()}\n\nFix: {fix_availability(rule)}.\n")
    print(rule.documentation())
    return EXIT_CLEAN


def rule_json(rule: type[Rule]) -> dict:
    return {"code": rule.code, "name": rule.name, "summary": rule.summary(), "fix": fix_availability(rule),
            "explanation": rule.documentation()}


def rule_table() -> str:
    from retrylint.rules import ALL_RULES

    rows = [("CODE", "NAME", "FIX", "SUMMARY")]
    rows += [(rule.code, rule.name, fix_availability(rule), rule.summary()) for rule in ALL_RULES]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3] for row in rows
    )


def fix_availability(rule: type[Rule]) -> str:
    """"safe", "unsafe" or "none", as the rule's own INVALID cases show it."""
    fixed = [case for case in rule.INVALID if case.fixed is not None]
    if any(not case.unsafe for case in fixed):
        return "safe"
    return "unsafe" if fixed else "none"


# ----- report, catalog-schema, server ------------------------------------------------------
def report_command(args: argparse.Namespace) -> int:
    try:
        selected = None if args.select is None else check_code_prefixes(list(args.select), "--select")
        points, errors = collect(args.paths, config=args.config, isolated=args.isolated)
    except (ConfigError, CatalogError) as error:
        _error(str(error))
        return EXIT_ERROR
    if selected is not None:
        for point in points:
            point.findings = [code for code in point.findings if code.startswith(selected)]
        points = [point for point in points if point.findings]
    for message in errors:
        _error(message)
    if args.format == "json":
        print(render_json(points))
    elif errors and not points:  # after a usage error, only the error
        pass
    elif args.format == "mermaid":
        print(render_mermaid(points))
    else:
        render_table(points, make_console(sys.stdout))
    return EXIT_ERROR if errors else EXIT_CLEAN


def catalog_schema_command(args: argparse.Namespace) -> int:
    """Print the JSON Schema that rules/catalog.schema.json holds (editors check catalog files with it)."""
    import json

    from retrylint.catalog_specs import catalog_json_schema

    print(json.dumps(catalog_json_schema(), indent=2))
    return EXIT_CLEAN


def server_command(args: argparse.Namespace) -> int:
    from retrylint.frontends.server import serve  # pygls loads only for the server

    serve()
    return EXIT_CLEAN


COMMANDS = {  # each subcommand that cli_arguments.build_parser declares, and what runs it
    "check": check_command,
    "rule": rule_command,
    "catalog-schema": catalog_schema_command,
    "server": server_command,
    "report": report_command,
}
