"""The ``retrylint`` command line as declared: its subcommands, their options, and the rule
that a bare ``retrylint [OPTIONS] [PATHS]`` means ``check``. What each command does is in cli.py."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from retrylint import __version__
from retrylint.cache import DEFAULT_CACHE_DIR
from retrylint.output.blast_radius import REPORT_FORMATS
from retrylint.output.terminal import FORMATS

TOP_LEVEL_FLAGS = {"-h", "--help", "--version"}


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
    rule.add_argument("code", nargs="?", help="a rule code or name, such as RTL001 or unbounded-retry")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")

    subcommands.add_parser("catalog-schema", help="print the JSON Schema of catalog files")
    subcommands.add_parser("server", help="run the language server (LSP over stdio)")

    report = subcommands.add_parser("report", help="show each retry entry point's layers and worst-case billed calls")
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
