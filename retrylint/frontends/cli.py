"""The ``retrylint`` command: ``check`` (the default), ``rule``, ``server`` and ``--version``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retrylint import __version__
from retrylint.cache import DEFAULT_CACHE_DIR
from retrylint.catalog import CatalogError
from retrylint.config import ConfigError, Overrides, check_code_prefixes
from retrylint.output.baseline import BaselineError, new_findings, write_baseline
from retrylint.output.blast_radius import REPORT_FORMATS, collect, render_json, render_mermaid, render_table
from retrylint.output.terminal import (FORMATS, HUMAN_FORMATS, fixes_lines, format_diff, format_statistics, make_console, make_progress_console,
                                       print_diagnostics, printable, summary_lines)

if TYPE_CHECKING:  # the commands import what they use, so that each starts quickly
    from rich.console import Console

    from retrylint.diagnostics import Diagnostic
    from retrylint.rules.base import Rule
    from retrylint.runner import CheckOutcome

EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
TOP_LEVEL_FLAGS = {"-h", "--help", "--version"}
PROGRESS_MIN_FILES = 50


def main(argv: list[str] | None = None) -> int:
    parser, commands = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(with_implicit_check(argv, commands))
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    try:
        return args.handler(args)
    except BrokenPipeError:  # e.g. `retrylint rule RTL001 | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:  # Ctrl-C: no traceback, the shell's code for SIGINT
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug: one line, and never the code that means "findings remain"
        _error(f"internal error: {type(error).__name__}: {error}")
        return EXIT_ERROR


def with_implicit_check(argv: list[str], commands: set[str]) -> list[str]:
    """``retrylint [OPTIONS] [PATHS]`` means ``retrylint check [OPTIONS] [PATHS]``."""
    first_word = next((arg for arg in argv if not arg.startswith("-")), None)
    if first_word in commands or (argv and set(argv) <= TOP_LEVEL_FLAGS):
        return argv
    return ["check", *argv]


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser and the names of its subcommands."""
    parser = argparse.ArgumentParser(prog="retrylint", description="Static linter for retry safety in Python.")
    parser.add_argument("--version", action="version", version=f"retrylint {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = subcommands.add_parser("check", help="check files (the default command)")
    check.set_defaults(handler=check_command)
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH",
                       help="files or folders to check (default: .); - reads one source from stdin")
    check.add_argument("--stdin-filename", type=Path, metavar="PATH",
                       help="the path of the source read from stdin: its settings, module and project apply")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix, apply unsafe fixes too; without, show them as available")
    check.add_argument("--diff", action="store_true",
                       help="print the diff --fix would make and write nothing; exit 1 if it would change files")
    check.add_argument("--output-format", choices=FORMATS, default=None,
                       help="how to print diagnostics (default: the config's 'output-format', else full)")
    check.add_argument("-o", "--output-file", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead of the findings")
    check.add_argument("--show-fixes", action="store_true", help="with --fix, list the fixes made per file and rule")
    check.add_argument("--exit-non-zero-on-fix", action="store_true",
                       help="exit 1 when --fix changed files, even if no diagnostics remain")
    check.add_argument("--show-settings", action="store_true", help="print the settings of the first path and exit")
    check.add_argument("--show-files", action="store_true", help="print the files that would be checked and exit")
    check.add_argument("--config", type=Path, metavar="FILE",
                       help="pyproject.toml with [tool.retrylint], or a TOML file holding the settings at top level")
    check.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    check.add_argument("--select", type=_code_list, metavar="CODES",
                       help="comma-separated rule codes or prefixes to enable, replacing the config's")
    check.add_argument("--extend-select", type=_code_list, default=(), metavar="CODES",
                       help="comma-separated rule codes or prefixes to enable as well")
    check.add_argument("--ignore", type=_code_list, default=(), metavar="CODES",
                       help="comma-separated rule codes or prefixes to disable")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when diagnostics remain")
    check.add_argument("--jobs", "-j", type=_positive, default=os.cpu_count() or 1, metavar="N",
                       help="worker processes (default: the number of CPUs)")
    check.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, metavar="DIR",
                       help=f"where findings are cached by file content (default: {DEFAULT_CACHE_DIR})")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check.add_argument("--baseline", type=Path, metavar="FILE",
                       help="report only the findings that FILE (from --write-baseline) does not record "
                            "(default: the config's 'baseline')")
    check.add_argument("--write-baseline", type=Path, metavar="FILE",
                       help="record today's findings in FILE and exit 0; --baseline FILE then reports only new ones")
    check.add_argument("--add-noqa", action="store_true",
                       help="add a '# noqa: CODE' comment to every line with a finding, and exit 0")
    check.add_argument("--include-dependents", action="store_true",
                       help="also check the files whose findings depend on the given ones, as the cache "
                            "recorded them (for pre-commit: a changed helper module re-checks its callers)")
    check.add_argument("--force-exclude", action="store_true",
                       help="apply exclude and extend-exclude to paths named on the command line too (for pre-commit)")
    check.add_argument("-q", "--quiet", action="store_true", help="print diagnostics only, no summary")

    rule = subcommands.add_parser("rule", help="explain a rule, or list all rules")
    rule.set_defaults(handler=rule_command)
    rule.add_argument("code", nargs="?", help="a rule code or name, such as RTL001 or unbounded-retry")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")

    schema = subcommands.add_parser("catalog-schema", help="print the JSON Schema of catalog files")
    schema.set_defaults(handler=catalog_schema_command)

    server = subcommands.add_parser("server", help="run the language server (LSP over stdio)")
    server.set_defaults(handler=server_command)

    report = subcommands.add_parser("report", help="show each retry entry point's layers and worst-case billed calls")
    report.set_defaults(handler=report_command)
    report.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    report.add_argument("--output-format", "--format", dest="format", choices=REPORT_FORMATS, default="table")
    report.add_argument("--select", type=_code_list, metavar="CODES",
                        help="comma-separated rule codes or prefixes: only entry points with such findings")
    report.add_argument("--config", type=Path, metavar="FILE")
    report.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    return parser, set(subcommands.choices)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value!r}")
    return int(value)


def _code_list(value: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in value.split(",") if code.strip())


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
                               force_exclude=args.force_exclude, dependents=args.include_dependents)
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
                              unsafe_fixes=args.unsafe_fixes, failed=bool(outcome.errors)):
        console.print(line)


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


# ----- server -----------------------------------------------------------------------------
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
