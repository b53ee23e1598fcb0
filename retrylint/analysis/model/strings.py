"""The strings an expression can hold, read from the literals that reach it (never by running
anything): written there, through names bound to one, ``a if c else b``, and the returns of a
project function called without arguments (swarms' ``select_backend()``, which returns
"routehub" or "litellm", or a method choosing a dict key: "max_tokens" or
"max_completion_tokens")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.model.tree import descendants

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel
    from retrylint.analysis.model.symbols import Scope

MAX_DEPTH = 6


def string_values(model: "ModuleModel", expr: cst.BaseExpression, scope: "Scope", depth: int = 0) -> tuple[set[str], bool]:
    """The strings ``expr`` can hold, and whether those are all it can hold (False when a part
    of it is not read: a parameter, an environment variable)."""
    if depth > MAX_DEPTH:
        return set(), False
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return ({value}, True) if isinstance(value, str) else (set(), False)
    if isinstance(expr, cst.IfExp):
        body, whole_body = string_values(model, expr.body, scope, depth + 1)
        orelse, whole_orelse = string_values(model, expr.orelse, scope, depth + 1)
        return body | orelse, whole_body and whole_orelse
    if isinstance(expr, cst.Name):
        binding = scope.lookup(expr.value)
        if binding is None or binding.imported or binding.value is None or binding.scope is None:
            return set(), False
        return string_values(model, binding.value, binding.scope, depth + 1)
    if isinstance(expr, cst.Call) and not expr.args:
        return _returned(model, expr, scope, depth)
    return set(), False


def _returned(model: "ModuleModel", call: cst.Call, scope: "Scope", depth: int) -> tuple[set[str], bool]:
    function = model.resolve_function(model.qualify(call.func, scope))
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return set(), False
    found: set[str] = set()
    whole = True
    for node in descendants(function.node):
        if isinstance(node, cst.Return):
            if node.value is None:
                return found, False
            values, complete = string_values(function.scope.model, node.value, function.scope, depth + 1)
            found |= values
            whole = whole and complete
    return found, whole and bool(found)
