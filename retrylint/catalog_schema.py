"""How catalog files are read and checked: each spec in catalog.py is a dataclass whose fields
are the TOML keys (one declaration per key); this module reads a TOML table into such a spec,
refusing unknown keys, misspelt choices and wrong types with ``file:line: message``, and
derives the JSON Schema of catalog files from the same declarations."""

from __future__ import annotations

import dataclasses
import difflib
import enum
import re
import types
import typing
from typing import Any, Literal

MAX_CATALOG_BYTES = 1024 * 1024  # a catalog file is a few kilobytes; anything over 1 MiB is refused


class CatalogError(Exception):
    """A catalog file that cannot be used; the message names the file and the line."""


class Choice(str, enum.Enum):
    """A closed set of words; members compare and hash as their strings."""

    __str__ = str.__str__
    __format__ = str.__format__


def key(default: Any = None, *, toml: str | None = None, aliases: tuple[str, ...] = (), doc: str = "",
        none_word: str | None = None, factory: Any = None) -> Any:
    """A spec field that is a catalog key: ``toml`` is its spelling in the file (default: the
    field's name), ``aliases`` other accepted spellings, ``none_word`` a word that means None
    (``default = "unbounded"``), ``doc`` the description editors show."""
    metadata = {"toml": toml, "aliases": aliases, "doc": doc, "none_word": none_word}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def toml_name(field: dataclasses.Field) -> str:
    return field.metadata.get("toml") or field.name


def catalog_fields(spec: type) -> list[tuple[dataclasses.Field, Any]]:
    """(field, type) of each key of ``spec``, in declaration order."""
    hints = typing.get_type_hints(spec)
    return [(field, hints[field.name]) for field in dataclasses.fields(spec)]


# ----- locating a key in the file text -----------------------------------------------------------
class Locator:
    """Line numbers of tables and keys in one catalog file's text."""

    def __init__(self, path: object, text: str):
        self.path = path
        self.lines = text.splitlines()

    def error(self, line: int, message: str) -> CatalogError:
        """``file:line: message``; the bare message for a table that is not in a file (a config's)."""
        return CatalogError(message if self.path is None else f"{self.path}:{line}: {message}")

    def table(self, header: str, index: int = 0) -> int:
        """The line of the ``index``-th ``[[header]]`` (or ``[header]``) header; 1 when none."""
        pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?\s*(#.*)?$")
        found = [number for number, line in enumerate(self.lines, 1) if pattern.match(line)]
        return found[index] if index < len(found) else (found[-1] if found else 1)

    def key(self, start: int, path: tuple[str, ...]) -> int:
        """The line of the key ``path`` (nested keys in order) in the table starting at line ``start``."""
        line = start
        for name in path:
            line = self._find(line, name)
        return line

    def _find(self, start: int, name: str) -> int:
        pattern = re.compile(rf"""(^|[\s{{,.])["']?{re.escape(name)}["']?\s*=|^\s*\[[^\]]*\.{re.escape(name)}\]""")
        for number in range(start, len(self.lines) + 1):
            text = self.lines[number - 1]
            if number > start and text.lstrip().startswith("[["):
                break
            if pattern.search(text):
                return number
        return start


# ----- reading a table into a spec ---------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Where:
    """Where a table is: for messages (``[[layer]]``) and for line numbers."""

    name: str  # e.g. "[[layer]]"
    locator: Locator
    start: int
    path: tuple[str, ...] = ()

    def at(self, *keys: str) -> "Where":
        return dataclasses.replace(self, path=self.path + keys)

    def error(self, message: str, *keys: str) -> CatalogError:
        return self.locator.error(self.locator.key(self.start, self.path + keys), message)

    def label(self, key: str) -> str:
        return ".".join(self.path + (key,))


def read_spec(spec: type, table: Any, where: Where) -> Any:
    """The ``spec`` that ``table`` declares; CatalogError for an unknown key or a wrong value."""
    if not isinstance(table, dict):
        raise where.error(f"{'.'.join(where.path) or where.name} must be a table, got {_shown(table)}")
    fields = catalog_fields(spec)
    spellings = {name: field for field, _ in fields for name in (toml_name(field), *field.metadata["aliases"])}
    for name in table:
        if name not in spellings:
            raise where.error(f"unknown key '{where.label(name)}' in {where.name}{suggestion(name, spellings)}", name)
    values = {}
    for field, hint in fields:
        given = [name for name in (toml_name(field), *field.metadata["aliases"]) if name in table]
        if given:
            values[field.name] = read_value(hint, table[given[0]], field, where, given[0])
    try:
        return spec(**values)
    except ValueError as error:  # a check across keys in the spec's __post_init__: "needs 'module'"
        raise where.error(f"{where.name} {error}") from None


def read_value(hint: Any, value: Any, field: dataclasses.Field, where: Where, name: str) -> Any:
    if field.metadata.get("none_word") is not None and value == field.metadata["none_word"]:
        return None
    checked = _read(_without_none(hint), value, where, name)
    if checked is _WRONG:
        raise where.error(f"'{where.label(name)}' in {where.name} must be {describe(hint, field)}, got {_shown(value)}"
                          f"{suggestion(value, _choices(hint)) if isinstance(value, str) else ''}", name)
    return checked


_WRONG = object()


def _read(hint: Any, value: Any, where: Where, name: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return read_spec(hint, value, where.at(name))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value) if isinstance(value, str) and value in _choices(hint) else _WRONG
    if origin is Literal:
        return value if isinstance(value, str) and value in typing.get_args(hint) else _WRONG
    if origin is tuple:
        items = [_read(typing.get_args(hint)[0], item, where, name) for item in value] if isinstance(value, list) else [_WRONG]
        return _WRONG if _WRONG in items else tuple(items)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            result = _read(option, value, where, name)
            if result is not _WRONG:
                return result
        return _WRONG
    if hint is bool:
        return value if isinstance(value, bool) else _WRONG
    if hint is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _WRONG
    if hint is float:
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else _WRONG
    if hint is str:
        return value if isinstance(value, str) else _WRONG
    raise TypeError(f"no reader for {hint!r}")  # a declaration error in catalog.py, not a user's


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        return options[0] if len(options) == 1 else typing.Union[tuple(options)]
    return hint


def _choices(hint: Any) -> list[str]:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return [member.value for member in hint]
    if typing.get_origin(hint) is Literal:
        return list(typing.get_args(hint))
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [choice for option in typing.get_args(hint) for choice in _choices(option)]
    return []


def describe(hint: Any, field: dataclasses.Field | None = None) -> str:
    """What a value of ``hint`` is, in words: "a list of strings", "one of decorator, retrying"."""
    words = [f'"{field.metadata["none_word"]}"'] if field is not None and field.metadata.get("none_word") else []
    hint = _without_none(hint)
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    for option in options:
        choices = _choices(option)
        if choices:
            words.append("one of " + ", ".join(choices))
        elif dataclasses.is_dataclass(option):
            words.append("a table")
        else:
            words.append({bool: "true or false", int: "an integer", float: "a number", str: "a string",
                          tuple[int, ...]: "a list of integers"}.get(option, "a list of strings"))
    return " or ".join(words)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def suggestion(word: Any, choices) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ----- JSON Schema ---------------------------------------------------------------------------------
def json_schema_of(hint: Any, field: dataclasses.Field | None = None) -> dict:
    """The JSON Schema of a value of ``hint`` (a spec, an enum, a scalar or a list)."""
    schema = _json_schema(_without_none(hint))
    if field is not None and field.metadata.get("none_word"):
        schema = {"anyOf": [schema, {"const": field.metadata["none_word"]}]}
    if field is not None and field.metadata.get("doc"):
        schema = {"description": field.metadata["doc"], **schema}
    return schema


def _json_schema(hint: Any) -> dict:
    if dataclasses.is_dataclass(hint):
        properties = {}
        for field, field_hint in catalog_fields(hint):
            for name in (toml_name(field), *field.metadata["aliases"]):
                properties[name] = json_schema_of(field_hint, field)
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        if hint.__doc__ and not hint.__doc__.startswith(hint.__name__ + "("):
            schema = {"description": " ".join(hint.__doc__.split()), **schema}
        return schema
    choices = _choices(hint)
    if choices:
        return {"enum": choices}
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return {"anyOf": [_json_schema(option) for option in typing.get_args(hint)]}
    if typing.get_origin(hint) is tuple:
        return {"type": "array", "items": _json_schema(typing.get_args(hint)[0])}
    return {"type": {bool: "boolean", int: "integer", float: "number", str: "string"}[hint]}
