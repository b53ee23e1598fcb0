"""What an ``except`` clause of a hand-written retry loop does (``readers/hand_loops.py``):
whether it goes round again, which of its tests decide that, the classes it catches, and whether
it re-raises some failures at once (a classifier) or goes round only on a transient message. A project function it hands the error to is
read the same way (``handler_helpers.py``)."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import last_statement
from retrylint.analysis.layers.readers.site_arguments import SiteArguments
from retrylint.analysis.model import descendants

EXITS = (cst.Raise, cst.Return, cst.Break)
# Calls that read an error without judging it (``str(e)``): handing it to one asks nothing.
CONVERSIONS = frozenset({"str", "repr", "format", "type", "vars", "getattr", "hasattr"})


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


def admits_transient_messages(handler: cst.ExceptHandler, texts: tuple[str, ...]) -> bool:
    """Every way round the handler goes is a ``continue`` guard that first tests the error's
    message against words naming a failure a retry heals (the catalog's ``[loops]
    transient_texts``): ``is_rate_limit = any(m in str(e).lower() for m in ["rate limit", "429"])``
    then ``if is_rate_limit and attempt < n - 1: continue``; any other failure leaves at once."""
    guards = continue_guards(handler)
    body = list(descendants(handler.body, stop_at_loops=True))
    if not guards or not texts or handler.name is None or not isinstance(handler.name.name, cst.Name) \
            or sum(isinstance(node, cst.Continue) for node in body) != len(guards):
        return False
    assigned = {target.target.value: node.value for node in body if isinstance(node, cst.Assign)
                for target in node.targets if isinstance(target.target, cst.Name)}
    return all(_tests_message(guard.test, handler.name.name.value, assigned, texts) for guard in guards)


def _tests_message(test: cst.BaseExpression, error: str, assigned: dict, texts: tuple[str, ...]) -> bool:
    """``test`` (or a name it reads that the handler assigned) reads ``str(error)`` and compares it
    only with literals that each hold one of ``texts``."""
    nodes = [test, *descendants(test)]
    for name in [node.value for node in nodes if isinstance(node, cst.Name) and node.value in assigned]:
        nodes += [assigned[name], *descendants(assigned[name])]
    reads = any(isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("str", "repr")
                and any(isinstance(arg.value, cst.Name) and arg.value.value == error for arg in node.args) for node in nodes)
    literals = [node.evaluated_value.lower() for node in nodes
                if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str)]
    return reads and bool(literals) and all(any(text in literal for text in texts) for literal in literals)


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


def classifies(body: cst.CSTNode, names: set[str], guards: list[cst.If] = ()) -> bool:
    """``body`` (an ``except`` clause's, or that of a project function it hands the error to) re-raises
    some failures at once: an ``if`` ending in ``raise`` (or one of ``guards``) whose test reads the error
    ``names`` or a verdict on it (``if not transient(e): raise``, ``if not ok`` after ``ok =
    self.retry_predicate(e)``, ``if not should_retry: raise e`` after ``if isinstance(e, APIStatusError):
    should_retry = True``)."""
    nodes = list(descendants(body, stop_at_loops=True))
    judged = verdicts(nodes, names)
    tests = [node for node in nodes if isinstance(node, cst.If) and isinstance(last_statement(node.body), cst.Raise)]
    return any(mentions(node.test, judged) for node in [*tests, *guards])


def verdicts(nodes: list[cst.CSTNode], names: set[str]) -> set[str]:
    """``names`` with the names bound to a verdict on the error: to a call handed it (``ok =
    is_transient(e)``, not ``text = str(e)``), or in a branch whose test reads it or such a verdict."""
    judged = set(names)
    for node in nodes:
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) \
                and asks_predicate(node.value, names):
            judged.add(node.targets[0].target.value)
    for _ in range(2):
        for node in nodes:
            if isinstance(node, cst.If) and mentions(node.test, judged):
                judged.update(target.target.value for inner in descendants(node, stop_at_loops=True)
                              if isinstance(inner, cst.Assign) for target in inner.targets
                              if isinstance(target.target, cst.Name))
    return judged


def asks_predicate(value: cst.BaseExpression, names: set[str]) -> bool:
    """``value`` hands the error to a predicate (``self.retry_predicate(e)``), not to ``str(e)``."""
    return any(isinstance(n, cst.Call) and not (isinstance(n.func, cst.Name) and n.func.value in CONVERSIONS)
               and any(isinstance(arg.value, cst.Name) and arg.value.value in names for arg in n.args)
               for n in (value, *descendants(value, stop_at_loops=True)))


def mentions(test: cst.CSTNode, names: set[str]) -> bool:
    return any(isinstance(n, cst.Name) and n.value in names for n in (test, *descendants(test, stop_at_loops=True)))
