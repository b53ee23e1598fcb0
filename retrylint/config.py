"""Where Settings come from: ``[tool.retrylint]`` in the nearest pyproject.toml, a file
named with ``--config``, or nothing at all (``--isolated``); command-line overrides on top."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from retrylint.catalog import CatalogError, EntryPointSpec, entry_point_from_table
from retrylint.diagnostics import UNREADABLE_CODE
from retrylint.settings import DEFAULT_LINE_LENGTH, PYPROJECT, RUFF_FILES, Settings
from retrylint.sources import MAX_FILE_BYTES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

FORMATTERS = ("ruff", "black")  # whose [tool.*] line-length fixes keep to, in this order
MAX_LINE_LENGTH = 320  # ruff's limit
CODE_PREFIX = re.compile(r"[A-Z]+[0-9]*")


class ConfigError(Exception):
    """A configuration that cannot be used; the message is one line naming the file and key."""


@dataclass(frozen=True)
class Overrides:
    """Rule selection given on the command line; ``None`` means "not given"."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def apply(self, settings: Settings) -> Settings:
        """``--select`` starts the selection afresh; otherwise the flags add to the config's."""
        if self.select is not None:
            return dataclasses.replace(
                settings, select=self.select, extend_select=self.extend_select, ignore=self.ignore
            )
        if not (self.extend_select or self.ignore):
            return settings
        return dataclasses.replace(
            settings,
            extend_select=settings.extend_select + self.extend_select,
            ignore=settings.ignore + self.ignore,
        )


def _known_codes() -> set[str]:
    from retrylint.rules import ALL_RULES  # loads libcst: only when codes are to be checked

    return {rule.code for rule in ALL_RULES} | {UNREADABLE_CODE}


def check_code_prefixes(codes: list[str], where: str) -> tuple[str, ...]:
    """``codes`` unchanged if each one is a prefix of a rule code; ``where`` names the source."""
    codes_known = _known_codes() if codes else set()
    for code in codes:
        if not (CODE_PREFIX.fullmatch(code) and any(k.startswith(code) for k in codes_known)):
            raise ConfigError(f"{where} has unknown rule code {code!r}{_suggestion(code, codes_known)}")
    return tuple(codes)


def load_settings(path: Path, *, config: Path | None = None, isolated: bool = False) -> Settings:
    """The settings that apply to ``path`` (a file or a folder)."""
    return ConfigResolver(config=config, isolated=isolated).settings_for(path)


class ConfigResolver:
    """Finds the settings for each checked path, reading every config file at most once."""

    def __init__(self, *, config: Path | None = None, isolated: bool = False,
                 overrides: Overrides = Overrides(), warn: Callable[[str], None] | None = None):
        """``warn``: told each warning once (a formatter setting that cannot be used); by default
        they are printed on stderr."""
        self.overrides = overrides
        self._warn = warn or _print_warning
        self._warned: set[str] = set()
        self._settings_by_file: dict[Path, Settings] = {}
        self._documents: dict[Path, dict[str, Any]] = {}
        self._config_by_dir: dict[tuple[Path, tuple[str, ...]], Path | None] = {}
        self._line_lengths: dict[Path, int] = {}  # folder -> the line length of files in it
        self._unconfigured: dict[int, Settings] = {}  # line length -> the settings without a config file
        self._files: dict[Path, bool] = {}  # path -> whether it is a file, asked once
        self._fixed: Settings | None = None
        if isolated:
            self._fixed = overrides.apply(Settings())
        elif config is not None:
            self._fixed = self._settings_from(Path(os.path.abspath(config)), explicit=True)

    def settings_for(self, path: Path) -> Settings:
        if self._fixed is not None:
            return self._fixed
        path = Path(os.path.abspath(path))
        folder = path if path.is_dir() else path.parent
        config_file = self._nearest_config(folder)
        if config_file is None:
            line_length = self._nearest_line_length(folder)
            if line_length not in self._unconfigured:  # one object per line length: cheap to hash and compare
                self._unconfigured[line_length] = self.overrides.apply(Settings(line_length=line_length))
            return self._unconfigured[line_length]
        return self._settings_from(config_file, explicit=False)

    def _nearest_config(self, folder: Path) -> Path | None:
        """The pyproject.toml with a [tool.retrylint] table in ``folder`` or its nearest parent."""
        if folder not in self._config_by_dir:
            candidate = folder / PYPROJECT
            if self._is_file(candidate) and _tool_table(self._document(candidate)) is not None:
                self._config_by_dir[folder] = candidate
            else:
                self._config_by_dir[folder] = None if folder.parent == folder else self._nearest_config(folder.parent)
        return self._config_by_dir[folder]

    def _nearest_line_length(self, folder: Path, config_file: Path | None = None) -> int:
        """The line length of the formatter configured nearest to ``folder``, found as ruff finds
        its config: the first folder, going up, with a ``.ruff.toml``, a ``ruff.toml`` or a
        pyproject.toml with [tool.ruff] or [tool.black] decides. ``config_file``: retrylint's
        config, which stands for ``folder``'s pyproject.toml."""
        if config_file is None and folder in self._line_lengths:
            return self._line_lengths[folder]
        pyproject = config_file or folder / PYPROJECT
        found = self._line_length_in(folder, pyproject)
        if found is None:
            found = DEFAULT_LINE_LENGTH if folder.parent == folder else self._nearest_line_length(folder.parent)
        if config_file is None:
            self._line_lengths[folder] = found
        return found

    def _line_length_in(self, folder: Path, pyproject: Path) -> int | None:
        """The first line-length set in ``folder`` by ``.ruff.toml``, ``ruff.toml``, then
        ``pyproject``'s [tool.ruff] or [tool.black] (one that cannot be used: a warning and the
        default); the default when they set none; None when there is no formatter config."""
        configs: list[tuple[str, Any]] = []  # (how to name its line-length, the table holding it)
        for path in (folder / name for name in RUFF_FILES):
            document = self._formatter_document(path)
            if document is not None:
                configs.append((f"line-length in {path}", document))
        document = self._formatter_document(pyproject) or {}
        for tool in FORMATTERS:
            table = _tool_table(document, tool)
            if table is not None:
                configs.append((f"[tool.{tool}] line-length in {pyproject}", table))
        for where, table in configs:
            value = table.get("line-length") if isinstance(table, dict) else None
            if value is not None:
                return value if _is_line_length(value) else self._odd_line_length(where, value)
        return DEFAULT_LINE_LENGTH if configs else None

    def _formatter_document(self, path: Path) -> dict[str, Any] | None:
        """A file read only for its formatter settings; None when it is not there, and a
        warning when it cannot be read (the formatter reports it; the check goes on)."""
        if not self._is_file(path):
            return None
        try:
            return self._document(path)
        except ConfigError as error:
            self._warning(f"{error}; its line-length is not used")
            return None

    def _is_file(self, path: Path) -> bool:
        if path not in self._files:
            self._files[path] = path.is_file()
        return self._files[path]

    def _odd_line_length(self, where: str, value: Any) -> int:
        self._warning(f"{where} is {value!r}, not a line length from 1 to {MAX_LINE_LENGTH}: "
                      f"fixes keep to {DEFAULT_LINE_LENGTH}")
        return DEFAULT_LINE_LENGTH

    def _warning(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)

    def _document(self, config_file: Path) -> dict[str, Any]:
        if config_file not in self._documents:
            self._documents[config_file] = _read_toml(config_file)
        return self._documents[config_file]

    def _settings_from(self, config_file: Path, *, explicit: bool) -> Settings:
        if config_file not in self._settings_by_file:
            document = self._document(config_file)
            table, where = _retrylint_table(document, config_file, explicit=explicit)
            line_length = self._nearest_line_length(config_file.parent, config_file)
            settings = _settings_from_table(table, where, config_file, line_length)
            self._settings_by_file[config_file] = self.overrides.apply(settings)
        return self._settings_by_file[config_file]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ConfigError(f"config file {path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        return tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"invalid TOML in {path}: {error}") from None
    except UnicodeDecodeError as error:  # TOML is UTF-8
        raise ConfigError(f"invalid TOML in {path}: not UTF-8 at byte {error.start}") from None
    except RecursionError:
        raise ConfigError(f"invalid TOML in {path}: nested too deeply") from None
    except ValueError as error:  # an integer of more digits than Python converts
        raise ConfigError(f"invalid TOML in {path}: {' '.join(str(error).split(';')[0].split())}") from None


def _tool_table(document: dict[str, Any], name: str = "retrylint") -> Any:
    """``[tool.NAME]`` of a TOML document, or None."""
    tool = document.get("tool")
    return tool.get(name) if isinstance(tool, dict) else None


def _is_line_length(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_LINE_LENGTH


def _print_warning(message: str) -> None:
    from retrylint.output.terminal import printable

    print(f"retrylint: warning: {printable(message)}", file=sys.stderr)


def _retrylint_table(document: dict[str, Any], config_file: Path, *,
                     explicit: bool) -> tuple[dict[str, Any], str]:
    """The settings table and how to name it in messages: [tool.retrylint] or the whole file."""
    table = _tool_table(document)
    if table is not None:
        if not isinstance(table, dict):
            raise ConfigError(f"[tool.retrylint] in {config_file} must be a table")
        return table, f"[tool.retrylint] of {config_file}"
    if explicit and config_file.name == PYPROJECT:
        raise ConfigError(f"no [tool.retrylint] table in {config_file}")
    return document, str(config_file)


def _settings_from_table(table: dict[str, Any], where: str, config_file: Path,
                         line_length: int = DEFAULT_LINE_LENGTH) -> Settings:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise ConfigError(f"unknown key {key!r} in {where}{_suggestion(key, KEYS)}")
        values[key.replace("-", "_")] = KEYS[key](value, f"{key!r} in {config_file}", config_file.parent)
    return Settings(root=config_file.parent, config_file=config_file, line_length=line_length, **values)


def _suggestion(word: str, choices) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ----- value checkers: (value, "'key' in file", config folder) -> Settings field value ---------
def _strings(value: Any, where: str, folder: Path) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)


def _codes(value: Any, where: str, folder: Path) -> tuple[str, ...]:
    return check_code_prefixes(list(_strings(value, where, folder)), where)


def _attempts(value: Any, where: str, folder: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be an integer >= 1, got {value!r}")
    return value


DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _bool(value: Any, where: str, folder: Path) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _dotted_names(value: Any, where: str, folder: Path) -> tuple[str, ...]:
    names = _strings(value, where, folder)
    for name in names:
        if not DOTTED_NAME.fullmatch(name):
            raise ConfigError(f"{where} must be a list of dotted names like 'myapp.errors.QuotaExceeded', got {name!r}")
    return names


def _per_file_ignores(value: Any, where: str, folder: Path):
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of glob = [codes], got {value!r}")
    return tuple((glob, _codes(codes, f"{where} for {glob!r}", folder)) for glob, codes in value.items())


def _catalog_paths(value: Any, where: str, folder: Path) -> tuple[Path, ...]:
    return tuple(Path(os.path.abspath(folder / item)) for item in _strings(value, where, folder))


def _path(value: Any, where: str, folder: Path) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a path (a string), got {value!r}")
    return Path(os.path.abspath(folder / value))


def _output_format(value: Any, where: str, folder: Path) -> str:
    from retrylint.output.terminal import FORMATS

    if value not in FORMATS:
        raise ConfigError(f"{where} must be one of {', '.join(FORMATS)}, got {value!r}")
    return value


def _entrypoints(value: Any, where: str, folder: Path) -> tuple[EntryPointSpec, ...]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"{where} must be an array of tables ([[tool.retrylint.entrypoint]]), got {value!r}")
    try:
        return tuple(entry_point_from_table(item, where) for item in value)
    except CatalogError as error:
        raise ConfigError(str(error)) from None


@dataclass(frozen=True)
class ConfigKey:
    """One ``[tool.retrylint]`` key: how its value is checked, what README's configuration table
    says of it, and whether flake8 takes it as ``--retrylint-NAME`` (an ``"int"`` or a comma-separated
    ``"list"``)."""

    name: str
    check: Callable[[Any, str, Path], Any]
    type: str
    default: str
    meaning: str
    flake8: str | None = None

    @property
    def field(self) -> str:
        """The Settings field it sets."""
        return self.name.replace("-", "_")

    @property
    def flake8_option(self) -> str | None:
        return f"--retrylint-{self.name}" if self.flake8 else None


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey('select', _codes, 'list of codes/prefixes', '`["RTL"]`',
              'rules to run'),
    ConfigKey('extend-select', _codes, 'list', '`[]`',
              'more rules to run'),
    ConfigKey('ignore', _codes, 'list', '`[]`',
              'rules not to run'),
    ConfigKey('per-file-ignores', _per_file_ignores, 'table glob -> list', '`{}`',
              "rules not to run on matching files; a glob with `/` is relative to the config file's folder, whatever the working folder"),
    ConfigKey('exclude', _strings, 'list of globs', 'VCS, venv, build and cache folders',
              'replaces the default excludes'),
    ConfigKey('extend-exclude', _strings, 'list of globs', '`[]`',
              'adds to the excludes'),
    ConfigKey('max-attempts', _attempts, 'int >= 1', '3',
              "the total attempts RTL001's fix allows, the first run included, written in each library's unit "
              "(tenacity `stop_after_attempt(N)`, Celery `max_retries=N-1`)", flake8='int'),
    ConfigKey('max-total-attempts', _attempts, 'int >= 1', 'unset',
              'RTL005 tolerates stacks whose product stays within it', flake8='int'),
    ConfigKey('idempotency-guards', _strings, 'list of qualified-name globs', '`[]`',
              'decorators or functions that make a billable call safe to repeat', flake8='list'),
    ConfigKey('billable', _strings, 'list of qualified-name globs', '`[]`',
              'more billable calls, e.g. `"myco.llm.*"`', flake8='list'),
    ConfigKey('infer-billable-shapes', _bool, 'bool', '`true`',
              "a call whose receiver's type cannot be known is billable when its shape is an SDK's "
              "(`<x>.chat.completions.create(model=..., messages=...)`; the catalog's billable `shapes`)"),
    ConfigKey('non-retryable', _dotted_names, 'list of qualified names', '`[]`',
              "more deterministic exceptions (used by RTL002's fix and RTL004)", flake8='list'),
    ConfigKey('extend-catalog', _catalog_paths, 'list of paths', '`[]`',
              'your own catalog TOML files, relative to the config file'),
    ConfigKey('baseline', _path, 'path', 'unset',
              'findings recorded there (by `--write-baseline`) are not reported; relative to the config file'),
    ConfigKey('output-format', _output_format, 'string', '`full`',
              "`check`'s `--output-format` when the flag is not given"),
    ConfigKey('entrypoint', _entrypoints, 'array of tables', '`[]`',
              'functions another system re-invokes on failure: `name` (qualified-name glob), `attempts` (int, `"unbounded"` or `"unknown"`), `retry-on` (`"all"` or exception names), `label`'),
)
KEYS = {key.name: key.check for key in CONFIG_KEYS}


def readme_table() -> str:
    """README's configuration table, one row per key."""
    rows = ["| key | type | default | flake8 option | meaning |", "|---|---|---|---|---|"]
    for key in CONFIG_KEYS:
        option = f"`{key.flake8_option}`" if key.flake8_option else ""
        rows.append(f"| `{key.name}` | {key.type} | {key.default} | {option} | {key.meaning} |")
    return "\n".join(rows) + "\n"
