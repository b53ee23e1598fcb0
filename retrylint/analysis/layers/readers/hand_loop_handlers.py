"""What an ``except`` clause of a hand-written retry loop does (``readers/hand_loops.py``):
whether it goes round again, and the classes it catches."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import last_statement
from retrylint.analysis.layers.readers.site_arguments import SiteArguments

EXITS = (cst.Raise, cst.Return, cst.Break)


def goes_round(handler: cst.ExceptHandler) -> bool:
    """The ``except`` goes round again: it does not end by leaving the attempt."""
    return not isinstance(last_statement(handler.body), EXITS)


def caught(finder, handler: cst.ExceptHandler, earlier: list[cst.ExceptHandler], scope, site: SiteArguments | None):
    """The classes ``handler`` catches: those its type names (through the site's value of a
    factory parameter, ``except tuple(on_exceptions)``, when it names one) that no ``earlier``
    clause of its ``try`` names, which would catch them first."""
    refs = _named(finder, handler.type, scope, site)
    taken = {ref.name for clause in earlier if clause.type is not None
             for ref in _named(finder, clause.type, scope, site) if ref.name is not None}
    return [ref for ref in refs if ref.name is None or ref.name not in taken]


def _named(finder, expr: cst.BaseExpression, scope, site: SiteArguments | None):
    bound = site.exceptions(expr, scope) if site is not None else None
    if bound is None:
        return finder.exception_refs(expr, scope)
    return (finder if bound[1].model is finder.model else site.finder).exception_refs(*bound)
