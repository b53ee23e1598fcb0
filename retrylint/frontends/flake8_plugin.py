"""flake8 front end: ``flake8 --select RTL`` reports what ``retrylint check`` reports.

Settings come from ``[tool.retrylint]`` like the CLI's; ``--retrylint-*`` flake8 options (command
line or flake8 config) override the main ones. flake8 applies ``# noqa`` itself."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any, Iterator

from retrylint import __version__
from retrylint.config import CONFIG_KEYS, ConfigResolver
from retrylint.discovery import display_path
from retrylint.engine import Engine
from retrylint.settings import Settings

# flake8 option -> (Settings field, is a comma-separated list), from the config keys' declarations
OPTIONS = {key.name: (key.field, key.flake8 == "list") for key in CONFIG_KEYS if key.flake8}


class RetrylintChecker:
    """A flake8 AST plugin; flake8 classifies plugins by their ``tree`` argument, which is unused:
    the engine parses ``lines`` itself with libcst."""

    name = "retrylint"
    version = __version__

    overrides: dict[str, Any] = {}
    config: Path | None = None
    _resolver: ConfigResolver | None = None
    _engines: dict[Settings, Engine] = {}

    def __init__(self, tree: Any, filename: str, lines: list[str]):
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager) -> None:
        for option, (_, is_list) in OPTIONS.items():
            manager.add_option(
                f"--retrylint-{option}", parse_from_config=True, comma_separated_list=is_list,
                type=None if is_list else _positive_int, default=None,
                help=f"retrylint's {option} (overrides [tool.retrylint])",
            )
        manager.add_option("--retrylint-config", parse_from_config=True, default=None,
                           help="retrylint config file instead of the nearest pyproject.toml")

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.overrides = {}
        for option, (field, is_list) in OPTIONS.items():
            value = getattr(options, f"retrylint_{option.replace('-', '_')}", None)
            if value not in (None, [], ""):
                cls.overrides[field] = tuple(value) if is_list else value
        cls.config = Path(options.retrylint_config) if options.retrylint_config else None
        cls._resolver = None
        cls._engines = {}

    @classmethod
    def engine_for(cls, path: Path) -> Engine:
        """The engine for ``path``'s settings, one per distinct settings."""
        if cls._resolver is None:
            cls._resolver = ConfigResolver(config=cls.config)
        settings = dataclasses.replace(cls._resolver.settings_for(path), **cls.overrides)
        if settings not in cls._engines:
            cls._engines[settings] = Engine(settings)
        return cls._engines[settings]

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        path = Path(self.filename)
        engine = self.engine_for(path)
        source = "".join(self.lines)
        for diagnostic in engine.lint_source(source, display_path(path), apply_noqa=False, fixes=False):
            yield diagnostic.line, diagnostic.column - 1, f"{diagnostic.code} {diagnostic.message}", type(self)


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return number
