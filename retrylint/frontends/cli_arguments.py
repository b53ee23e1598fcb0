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


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value!r}")
    return int(value)


def _code_list(value: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in value.split(",") if code.strip())


def _option(*flags: str, **settings) -> tuple[tuple[str, ...], dict]:
    """One ``add_argument`` call, as data."""
    return flags, settings


def _switch(*flags: str, help: str) -> tuple[tuple[str, ...], dict]:
    """An option that takes no value: present means on."""
    return _option(*flags, action="store_true", help=help)


def _paths(help: str | None = None) -> tuple[tuple[str, ...], dict]:
    """The files or folders to read (default: the current folder)."""
    return _option("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH", help=help)


ISOLATED = _switch("--isolated", help="ignore all configuration files")

CHECK_OPTIONS = (  # in the order --help lists them
    _paths("files or folders to check (default: .); - reads one source from stdin"),
    _option("--stdin-filename", type=Path, metavar="PATH",
            help="the path of the source read from stdin: its settings, module and project apply"),
    _switch("--fix", help="apply safe fixes"),
    _switch("--unsafe-fixes", help="with --fix, apply unsafe fixes too; without, show them as available"),
    _switch("--diff", help="print the diff --fix would make and write nothing; exit 1 if it would change files"),
    _option("--output-format", choices=FORMATS, default=None,
            help="how to print diagnostics (default: the config's 'output-format', else full)"),
    _option("-o", "--output-file", type=Path, metavar="FILE", help="write the report to FILE instead of stdout"),
    _switch("--statistics", help="print the number of findings per rule instead of the findings"),
    _switch("--show-fixes", help="with --fix, list the fixes made per file and rule"),
    _switch("--exit-non-zero-on-fix", help="exit 1 when --fix changed files, even if no diagnostics remain"),
    _switch("--show-settings", help="print the settings of the first path and exit"),
    _switch("--show-files", help="print the files that would be checked and exit"),
    _option("--config", type=Path, metavar="FILE",
            help="pyproject.toml with [tool.retrylint], or a TOML file holding the settings at top level"),
    ISOLATED,
    _option("--select", type=_code_list, metavar="CODES",
            help="comma-separated rule codes or prefixes to enable, replacing the config's"),
    _option("--extend-select", type=_code_list, default=(), metavar="CODES",
            help="comma-separated rule codes or prefixes to enable as well"),
    _option("--ignore", type=_code_list, default=(), metavar="CODES", help="comma-separated rule codes or prefixes to disable"),
    _switch("--exit-zero", help="exit 0 even when diagnostics remain"),
    _option("--jobs", "-j", type=_positive, default=os.cpu_count() or 1, metavar="N",
            help="worker processes (default: the number of CPUs)"),
    _option("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, metavar="DIR",
            help=f"where findings are cached by file content (default: {DEFAULT_CACHE_DIR})"),
    _switch("--no-cache", help="neither read nor write the cache"),
    _option("--baseline", type=Path, metavar="FILE",
            help="report only the findings that FILE (from --write-baseline) does not record (default: the config's 'baseline')"),
    _option("--write-baseline", type=Path, metavar="FILE",
            help="record today's findings in FILE and exit 0; --baseline FILE then reports only new ones"),
    _switch("--add-noqa", help="add a '# noqa: CODE' comment to every line with a finding, and exit 0"),
    _switch("--include-dependents",
            help="also check the files whose findings depend on the given ones, as the cache recorded them "
                 "(for pre-commit: a changed helper module re-checks its callers)"),
    _switch("--force-exclude", help="apply exclude and extend-exclude to paths named on the command line too (for pre-commit)"),
    _switch("-q", "--quiet", help="print diagnostics only, no summary"),
)

RULE_OPTIONS = (
    _option("code", nargs="?", help="a rule code or name, such as RTL001 or unbounded-retry"),
    _option("--output-format", choices=("text", "json"), default="text"),
)

REPORT_OPTIONS = (
    _paths(),
    _option("--output-format", "--format", dest="format", choices=REPORT_FORMATS, default="table"),
    _option("--select", type=_code_list, metavar="CODES",
            help="comma-separated rule codes or prefixes: only entry points with such findings"),
    _option("--config", type=Path, metavar="FILE"),
    ISOLATED,
)

SUBCOMMANDS = (  # name, help, options; cli.COMMANDS says what runs each
    ("check", "check files (the default command)", CHECK_OPTIONS),
    ("rule", "explain a rule, or list all rules", RULE_OPTIONS),
    ("catalog-schema", "print the JSON Schema of catalog files", ()),
    ("server", "run the language server (LSP over stdio)", ()),
    ("report", "show each retry entry point's layers and worst-case billed calls", REPORT_OPTIONS),
)


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser and the names of its subcommands."""
    parser = argparse.ArgumentParser(prog="retrylint", description="Static linter for retry safety in Python.")
    parser.add_argument("--version", action="version", version=f"retrylint {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text, options in SUBCOMMANDS:
        subcommand = subcommands.add_parser(name, help=help_text)
        for flags, settings in options:
            subcommand.add_argument(*flags, **settings)
    return parser, set(subcommands.choices)
