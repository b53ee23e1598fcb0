"""Whether a client's ``base_url`` names a server on this machine (a local vLLM or Ollama, whose
answers nobody bills), as far as literals reach it: a literal or module constant, a parameter's
default, an f-string whose leading parts are such values (``f"{url}:{port}/v1/"`` with ``url``
defaulting to ``"http://localhost"``), or ``self.base_url`` when every ``self.base_url = ...`` of
the class is one of these. Only the leading text matters: ``http://localhost:`` then anything is
local, ``http://localhost`` then anything is not (``http://localhost.example.com``)."""

from __future__ import annotations

import fnmatch

import libcst as cst

from retrylint.analysis.model import Scope, identifier
from retrylint.analysis.model.typeflow import self_class
from retrylint.analysis.provider_defaults import parameter_default

_DEPTH = 6


def url_matches(expr: cst.BaseExpression, where: Scope, patterns: tuple[str, ...]) -> bool:
    """``expr`` makes a URL that one of ``patterns`` matches (globs: the catalog's ``local_base_urls``,
    a queue's broker URLs)."""
    return _local(expr, where, patterns, 0)


def _local(expr, where: Scope, patterns: tuple[str, ...], depth: int) -> bool:
    if depth > _DEPTH:
        return False
    assigned = _self_assignments(expr, where)
    if assigned is not None:
        return bool(assigned) and all(_local(value, scope, patterns, depth + 1) for value, scope in assigned)
    found = _text(expr, where, depth)
    if found is None:
        return False
    text, complete = found
    if complete:
        return any(fnmatch.fnmatchcase(text, pattern) for pattern in patterns)
    return any(pattern.endswith("*") and not any(c in pattern[:-1] for c in "*?[") and text.startswith(pattern[:-1])
               for pattern in patterns)


def _text(expr, where: Scope, depth: int) -> tuple[str, bool] | None:
    """The text ``expr`` makes, or its known leading part, and whether that is all of it."""
    model = where.model
    value = model.literal(expr, where)
    if isinstance(value, str):
        return value, True
    if isinstance(expr, cst.Name):
        default = parameter_default(expr.value, where)
        value = model.literal(default, where) if default is not None else None
        return (value, True) if isinstance(value, str) else None
    if not isinstance(expr, cst.FormattedString) or depth > _DEPTH:
        return None
    text = ""
    for part in expr.parts:
        if isinstance(part, cst.FormattedStringText):
            text += part.value
            continue
        inner = _text(part.expression, where, depth + 1) if part.conversion is None and part.format_spec is None else None
        if inner is None or not inner[1]:
            return text + (inner[0] if inner else ""), False
        text += inner[0]
    return text, True


def _self_assignments(expr, where: Scope) -> list[tuple[cst.BaseExpression, Scope]] | None:
    """What every ``self.x = ...`` of the class assigns, for ``self.x`` read in one of its methods;
    None for any other expression."""
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and where.cls is not None
            and expr.value.value == where.self_name):
        return None
    cls = self_class(where.cls)
    attr = identifier(expr.attr.value)
    bindings = [b for info in cls.owner.class_mro(cls) for b in info.self_assignments.get(attr, [])]
    return [(b.value, b.scope) for b in bindings if b.value is not None and b.scope is not None] \
        if all(b.value is not None and b.scope is not None for b in bindings) else []
