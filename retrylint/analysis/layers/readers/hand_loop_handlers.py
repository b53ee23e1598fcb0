"""What an ``except`` clause of a hand-written retry loop does (``readers/hand_loops.py``):
whether it goes round again, which of its tests decide that, and the classes it catches."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import last_statement
from retrylint.analysis.layers.readers.site_arguments import SiteArguments
from retrylint.analysis.model import descendants

EXITS = (cst.Raise, cst.Return, cst.Break)


def goes_round(handler: cst.ExceptHandler) -> bool:
    """The ``except`` goes round again on some path: it does not end by leaving the attempt, or
    it holds a ``continue`` of this loop (``if attempt < max_attempts - 1: sleep(...); continue``
    then ``raise``: a retry until the range runs out)."""
    if not isinstance(last_statement(handler.body), EXITS):
        return True
    return any(isinstance(node, cst.Continue) for node in descendants(handler.body, stop_at_loops=True))


def continue_guards(handler: cst.ExceptHandler) -> list[cst.If]:
    """The ``if`` statements of a handler ending in an exit whose body goes round again
    (``if attempt < n - 1: continue`` then ``raise``): each one is an exit test turned over, the
    failure leaving when its test is false."""
    if not isinstance(last_statement(handler.body), EXITS):
        return []
    return [statement for statement in handler.body.body
            if isinstance(statement, cst.If) and isinstance(last_statement(statement.body), cst.Continue)]


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
