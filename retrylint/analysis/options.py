"""Keyword options a call passes through ``**name``: a dict written as a literal or with
``dict(...)``, and completed by ``name["key"] = ...`` in the same function; a dict a project
function builds and returns (``params = self._build_params(...)``), and the dicts assigned to
``self.options``. A retry policy (``Retrying(**options)``) and an SDK call
(``completion(**params)``) are both read so."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import Scope, children, identifier
from retrylint.analysis.model.strings import string_values


def unpacked_options(call: cst.Call | None, scope: Scope) -> tuple[dict[str, tuple[cst.BaseExpression, Scope]], bool]:
    """The options the ``**`` arguments of ``call`` supply, each with the scope to read it in,
    and whether one of them cannot be read (``**self.config``, a parameter)."""
    options: dict[str, tuple[cst.BaseExpression, Scope]] = {}
    unreadable = False
    for arg in call.args if call is not None else ():
        if arg.star != "**":
            continue
        found, partial = _dict_options(arg.value, scope, 0)
        unreadable = unreadable or partial
        options.update(found)
    return options, unreadable


def _dict_options(expr: cst.BaseExpression, scope: Scope, depth: int) -> tuple[dict, bool]:
    """The entries a ``**expr`` supplies, and whether some of them cannot be read."""
    if depth > 8:
        return {}, True
    if isinstance(expr, cst.Dict):
        return _literal_entries(expr, scope, depth)
    if isinstance(expr, cst.Attribute):
        return _attribute_options(expr, scope, depth)
    if isinstance(expr, cst.Call) and not isinstance(expr.func, cst.Name) or isinstance(expr, cst.Call) and expr.func.value != "dict":
        return _returned_options(expr, scope, depth)  # ``**self._get_credential_kwargs()``
    if not isinstance(expr, cst.Name):
        return {}, True
    binding = scope.lookup(expr.value)
    if binding is None or binding.scope is None or binding.imported:
        return {}, True
    value = binding.value
    if isinstance(value, cst.Dict):
        options, partial = _literal_entries(value, binding.scope, depth)
    elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict":
        if any(arg.keyword is None for arg in value.args):
            return {}, True
        options, partial = {identifier(arg.keyword.value): (arg.value, binding.scope) for arg in value.args}, False
    elif isinstance(value, cst.Call):
        return _returned_options(value, binding.scope, depth)
    else:
        return {}, True
    body = _function_node(binding.scope)
    if body is not None:
        options.update(_item_assignments(body, expr.value, binding.scope))
    return options, partial


def _returned_options(call: cst.Call, scope: Scope, depth: int) -> tuple[dict, bool]:
    """``params = self._build_params(...)``: the entries of the dicts the project function
    returns (swarms' ``_build_completion_params`` builds ``completion_params`` and returns it)."""
    model = scope.model
    function = model.resolve_function(model.qualify(call.func, scope))
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return {}, True
    returned = [node.value for node in _in_order(function.node) if isinstance(node, cst.Return)]
    if not returned or any(value is None for value in returned):
        return {}, True
    options: dict = {}
    partial = False
    for value in returned:
        found, unread = _dict_options(value, function.scope, depth + 1)
        options.update(found)
        partial = partial or unread
    return options, partial


def _attribute_options(expr: cst.Attribute, scope: Scope, depth: int) -> tuple[dict, bool]:
    """``**self.options``: the entries of every dict assigned to that attribute of the class
    (``self._backend_options = {}`` in one branch, a dict of three flags in the other)."""
    if not (isinstance(expr.value, cst.Name) and scope.cls is not None and expr.value.value == scope.self_name):
        return {}, True
    model = scope.model
    bindings = [b for info in model.class_mro(scope.cls) for b in info.attribute_bindings(identifier(expr.attr.value))]
    options: dict = {}
    partial = not bindings
    for binding in bindings:
        if binding.value is None or binding.scope is None:
            return {}, True
        found, unread = _dict_options(binding.value, binding.scope, depth + 1)
        options.update(found)
        partial = partial or unread
    return options, partial


def _literal_entries(expr: cst.Dict, scope: Scope, depth: int) -> tuple[dict, bool]:
    """A dict literal's entries in order: ``**other`` merges what can be read of it (a key
    written before it is the default it may override), a computed key cannot be read."""
    entries: dict = {}
    partial = False
    for element in expr.elements:
        if isinstance(element, cst.StarredDictElement):
            found, unread = _dict_options(element.value, scope, depth + 1)
            entries.update(found)
            partial = partial or unread
        elif isinstance(element.key, cst.SimpleString):
            entries[element.key.evaluated_value] = (element.value, scope)
        else:  # ``self._output_token_key(): n``: each key it can be, when all are known
            keys, known = string_values(scope.model, element.key, scope)
            entries.update((key, (element.value, scope)) for key in keys)
            partial = partial or not known
    return entries, partial


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
