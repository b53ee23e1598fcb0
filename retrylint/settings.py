"""The resolved settings that drive one lint run (see config.py for where they come from)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrylint.catalog import EntryPointSpec

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs",
)

DEFAULT_LINE_LENGTH = 88  # black's and ruff's
PYPROJECT = "pyproject.toml"
RUFF_FILES = (".ruff.toml", "ruff.toml")  # ruff's own config files, before pyproject.toml (ruff's order)
CONFIG_FILES = frozenset((PYPROJECT, *RUFF_FILES))  # a folder without one has its parent's settings


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("RTL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    max_attempts: int = 3
    max_total_attempts: int | None = None
    idempotency_guards: tuple[str, ...] = ()
    billable: tuple[str, ...] = ()
    non_retryable: tuple[str, ...] = ()
    infer_billable_shapes: bool = True
    extend_catalog: tuple[Path, ...] = ()
    entrypoint: tuple["EntryPointSpec", ...] = ()
    output_format: str | None = None  # check's --output-format when not given
    baseline: Path | None = None  # findings recorded there are not reported (output/baseline.py)
    # The folder holding the config file; relative patterns are matched from here.
    root: Path | None = None
    config_file: Path | None = None
    # The project formatter's line length ([tool.ruff] or [tool.black] line-length): longer fixed
    # calls are broken one argument per line.
    line_length: int = DEFAULT_LINE_LENGTH
