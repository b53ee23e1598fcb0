"""Project functions an ``except`` clause of a hand-written retry loop calls (gptme 0.35.1
llm_anthropic.py ``retry_on_overloaded``: ``except Exception as e: _handle_anthropic_transient_error(e,
attempt, ...)``), read as part of the clause, in their own modules, a few calls deep:

- one handed the caught error whose body re-raises it on a test of it (``if not should_retry: raise
  e``, as ``hand_loop_handlers.classifies`` reads a clause) is the clause's classifier: what reaches
  the next attempt is what it lets through;
- one that sleeps (a catalog wait call in its body, loops included, or in a project function it
  calls: ``backoff_wait(delay)`` polling ``time.sleep``) is the clause's wait.

A helper that only logs, counts or returns is neither."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.readers.hand_loop_handlers import CONVERSIONS, classifies
from retrylint.analysis.model import Function, Scope, descendants
from retrylint.analysis.model.caller_args import argument_for

MAX_DEPTH = 3  # helpers handing the error on, or calling a waiting function, so deep
MAX_HELPERS = 12  # project functions read for one clause


def classified_by_helper(scope: Scope, body: cst.CSTNode, names: set[str], depth: int = 0) -> bool:
    """A project function ``body`` hands the error (``names``) to re-raises it on a test of it,
    itself or in a project function it hands it on to."""
    for callee, params in _handed_error(scope, body, names):
        if classifies(callee.node.body, params) or (
                depth < MAX_DEPTH and classified_by_helper(callee.scope, callee.node.body, params, depth + 1)):
            return True
    return False


def waits_in_helper(scope: Scope, body: cst.CSTNode) -> bool:
    """A project function called in ``body`` sleeps, or calls one that does (``MAX_DEPTH`` deep)."""
    seen: set[int] = set()
    queue = [(callee, 1) for callee in _called(scope, body, stop_at_loops=True)]
    while queue:
        function, depth = queue.pop(0)
        if id(function) in seen or len(seen) >= MAX_HELPERS:
            continue
        seen.add(id(function))
        waits = function.scope.model.catalog.loop_wait_calls
        if any(_called_name(node.func) in waits for node in descendants(function.node.body) if isinstance(node, cst.Call)):
            return True
        if depth < MAX_DEPTH:
            queue += [(callee, depth + 1) for callee in _called(function.scope, function.node.body)]
    return False


def _called(scope: Scope, body: cst.CSTNode, stop_at_loops: bool = False) -> list[Function]:
    """The project functions (``def``s) the calls in ``body`` resolve to."""
    model = scope.model
    found = []
    for node in descendants(body, stop_at_loops=stop_at_loops):
        if isinstance(node, cst.Call) and isinstance(node.func, (cst.Name, cst.Attribute)):
            callee = model.resolve_function(model.qualify(node.func, scope))
            if callee is not None and isinstance(callee.node, cst.FunctionDef):
                found.append(callee)
    return found


def _handed_error(scope: Scope, body: cst.CSTNode, names: set[str]) -> list[tuple[Function, set[str]]]:
    """Each project function ``body`` hands the error to, with the names of its parameters that receive it."""
    model = scope.model
    found = []
    for node in descendants(body, stop_at_loops=True):
        if not isinstance(node, cst.Call) or not isinstance(node.func, (cst.Name, cst.Attribute)) \
                or _called_name(node.func) in CONVERSIONS \
                or not any(isinstance(arg.value, cst.Name) and arg.value.value in names for arg in node.args):
            continue
        callee = model.resolve_function(model.qualify(node.func, scope))
        if callee is None or not isinstance(callee.node, cst.FunctionDef):
            continue
        params = set()
        for param in callee.params:
            given = argument_for(node, callee, param)
            if isinstance(given, tuple) and given[1] is None and isinstance(given[0], cst.Name) and given[0].value in names:
                params.add(param.name.value)
        if params:
            found.append((callee, params))
    return found[:MAX_HELPERS]


def _called_name(func: cst.BaseExpression) -> str | None:
    return func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
