"""A paid SDK method handed to a project function that calls it: ``self._call_client(
self._client.chat.completions.create, **params)`` where ``_call_client(self, call, *args, **kwargs)``
does ``return call(*args, **kwargs)`` (camel-ai 0.2.90 models/base_model.py:392). The call to
the project function is the paid call: it sends the request with the arguments given here."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import libcst as cst

if TYPE_CHECKING:
    from retrylint.analysis.model import Function, ModuleModel
    from retrylint.analysis.model.symbols import Scope
    from retrylint.catalog import BillableSpec, Catalog


class Handed(NamedTuple):
    target: str  # the paid method, qualified
    spec: "BillableSpec"
    func: cst.BaseExpression  # how it is named (a local name read through its assignment): its client's receiver


def handed_billable(catalog: "Catalog", model: "ModuleModel", call: cst.Call, scope: "Scope",
                    called: str | None) -> Handed | None:
    """The billable method passed at ``call`` to the project function ``called`` names, for a
    parameter that function calls."""
    callee = model.resolve_function(called) if called is not None else None
    if callee is None:
        return None
    params = [p for p in callee.params if p.name.value != callee.scope.self_name]
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    keywords = {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
    for index, param in enumerate(params):
        name = param.name.value
        arg = keywords.get(name) or (positional[index] if index < len(positional) else None)
        if arg is None or not isinstance(arg.value, (cst.Name, cst.Attribute)) or not _calls(callee, name):
            continue
        target = model.qualify(arg.value, scope)
        spec = catalog.billable(target) if target is not None else None
        if spec is not None and model.resolve_function(target) is None:
            return Handed(target, spec, _named(arg.value, scope))
    return None


def _named(expr: cst.BaseExpression, scope: "Scope") -> cst.BaseExpression:
    """``create`` after ``create = client.chat.completions.create``: that attribute."""
    binding = scope.names.get(expr.value) if isinstance(expr, cst.Name) else None
    return binding.value if binding is not None and isinstance(binding.value, cst.Attribute) else expr


def _calls(callee: "Function", name: str) -> bool:
    """``callee`` calls its parameter ``name`` itself (``call(*args, **kwargs)``), never rebinding it."""
    binding = callee.scope.names.get(name)
    if binding is None or binding.value is not binding.annotation:
        return False  # ``call = something_else``
    return any(isinstance(site.node.func, cst.Name) and site.node.func.value == name for site in callee.calls)
