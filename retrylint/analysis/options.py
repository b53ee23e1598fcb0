"""Keyword options a call passes through ``**name``: a dict written as a literal or with
``dict(...)``, and completed by ``name["key"] = ...`` in the same function. A retry policy
(``Retrying(**options)``) and an SDK call (``completion(**params)``) are both read so."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import Scope, children, identifier


def unpacked_options(call: cst.Call | None, scope: Scope) -> tuple[dict[str, tuple[cst.BaseExpression, Scope]], bool]:
    """The options the ``**`` arguments of ``call`` supply, each with the scope to read it in,
    and whether one of them cannot be read (``**self.config``, a parameter)."""
    options: dict[str, tuple[cst.BaseExpression, Scope]] = {}
    unreadable = False
    for arg in call.args if call is not None else ():
        if arg.star != "**":
            continue
        found = _dict_options(arg.value, scope)
        if found is None:
            unreadable = True
        else:
            options.update(found)
    return options, unreadable


def _dict_options(expr: cst.BaseExpression, scope: Scope) -> dict | None:
    if isinstance(expr, cst.Dict):
        return _literal_entries(expr, scope)
    if not isinstance(expr, cst.Name):
        return None
    binding = scope.lookup(expr.value)
    if binding is None or binding.scope is None or binding.imported:
        return None
    value = binding.value
    if isinstance(value, cst.Dict):
        options = _literal_entries(value, binding.scope)
    elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict" and not value.args:
        options = {}
    elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict":
        if any(arg.keyword is None for arg in value.args):
            return None
        options = {identifier(arg.keyword.value): (arg.value, binding.scope) for arg in value.args}
    else:
        return None
    if options is None:
        return None
    body = _function_node(binding.scope)
    if body is not None:
        options.update(_item_assignments(body, expr.value, binding.scope))
    return options


def _literal_entries(expr: cst.Dict, scope: Scope) -> dict | None:
    entries = {}
    for element in expr.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return None  # ``**other`` or a computed key: cannot be read
        entries[element.key.evaluated_value] = (element.value, scope)
    return entries


def _function_node(scope: Scope) -> cst.CSTNode | None:
    """The body a function scope belongs to (None for a module's own scope)."""
    if scope is scope.model.scope:
        return None
    return next((f.node for f in scope.model.functions if f.scope is scope), None)


def _item_assignments(body: cst.CSTNode, variable: str, scope: Scope) -> dict:
    """``variable["key"] = value`` statements in ``body``, in source order."""
    found = {}
    for node in _in_order(body):
        if not isinstance(node, cst.Assign):
            continue
        for target in node.targets:
            subscript = target.target
            if (
                isinstance(subscript, cst.Subscript)
                and isinstance(subscript.value, cst.Name)
                and subscript.value.value == variable
                and len(subscript.slice) == 1
                and isinstance(subscript.slice[0].slice, cst.Index)
                and isinstance(subscript.slice[0].slice.value, cst.SimpleString)
            ):
                found[subscript.slice[0].slice.value.evaluated_value] = (node.value, scope)
    return found


def _in_order(node: cst.CSTNode):
    """The nodes under ``node`` in source order, not entering nested definitions."""
    for child in children(node):
        yield child
        if not isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            yield from _in_order(child)
