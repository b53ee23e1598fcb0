"""Whether a URL (a client's ``base_url``, a queue's broker) matches globs, as far as literals reach
it (model/strings.py: a literal or module constant, a parameter's default, an f-string whose
leading parts are such values: ``f"{url}:{port}/v1/"`` with ``url`` defaulting to
``"http://localhost"``, or ``self.base_url`` when every ``self.base_url = ...`` of the class is one
of these). A server on this machine (a local vLLM or Ollama) bills nothing. Only the leading text
matters: ``http://localhost:`` then anything is local, ``http://localhost`` then anything is not
(``http://localhost.example.com``)."""

from __future__ import annotations

import fnmatch

import libcst as cst

from retrylint.analysis.model import Scope
from retrylint.analysis.model.strings import DEFAULTS, HOLE, texts


def url_matches(expr: cst.BaseExpression, where: Scope, patterns: tuple[str, ...]) -> bool:
    """``expr`` makes a URL that one of ``patterns`` matches (globs: the catalog's ``local_base_urls``,
    a queue's broker URLs), whichever text it holds."""
    found = texts(expr, where, DEFAULTS)
    return all(_matches(text, patterns) for text in found)


def _matches(text: str, patterns: tuple[str, ...]) -> bool:
    if HOLE not in text:
        return any(fnmatch.fnmatchcase(text, pattern) for pattern in patterns)
    known = text.partition(HOLE)[0]
    return any(pattern.endswith("*") and not any(c in pattern[:-1] for c in "*?[") and known.startswith(pattern[:-1])
               for pattern in patterns)
