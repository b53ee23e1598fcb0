"""Methods called on a client in statements of their own, after it is built (Guardrails
``guard = Guard()`` then ``guard.use(V(on_fail="reask"))`` and ``guard.configure(num_reasks=3)``;
``self.guard.use(...)`` in any method of the class): what they set holds for the client's calls
as if chained onto its constructor."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import Function, Scope, identifier


def receiver_calls(expr: cst.BaseExpression, function: Function, methods: tuple[str, ...]) -> list[tuple[cst.Call, Scope]]:
    """The calls of ``methods`` on the object ``expr`` (a name, or ``self.attr``) names, with the
    scope each is read in: in ``function``, at the top of the module binding the name (followed
    through imports of project modules), or, for ``self.attr``, in the methods of the class."""
    if not methods:
        return []
    scope = function.scope
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and scope.cls is not None \
            and expr.value.value == scope.self_name:
        methods_of = [method for info in scope.model.class_mro(scope.cls) for method in info.methods.values()]
        return [found for place in methods_of for found in _calls_on(place, methods, _self_attribute(place, expr.attr.value))]
    if not isinstance(expr, cst.Name):
        return []
    binding, model = scope.lookup(expr.value), scope.model
    found = _calls_on(function, methods, _named(identifier(expr.value)))
    if binding is not None and binding.imported and binding.qualname and model.project is not None:
        exported = model.project.exported_binding(binding.qualname, model.root)
        if exported is not None:
            found += _calls_on(exported[1].module_function, methods, _named(binding.qualname.rpartition(".")[2]))
    elif binding is not None and binding.scope is model.scope and function is not model.module_function:
        found += _calls_on(model.module_function, methods, _named(identifier(expr.value)))
    return found


def _calls_on(function: Function, methods: tuple[str, ...], names_it) -> list[tuple[cst.Call, Scope]]:
    found = []
    for site in function.calls:
        func = site.node.func
        if isinstance(func, cst.Attribute) and identifier(func.attr.value) in methods and names_it(_chain_root(func.value)):
            found.append((site.node, function.scope))
    return found


def _chain_root(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``guard`` of ``guard.use(A).use(B)``: what a chain of method calls starts from."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        expr = expr.func.value
    return expr


def _named(name: str):
    return lambda root: isinstance(root, cst.Name) and identifier(root.value) == name


def _self_attribute(method: Function, attr: str):
    self_name = method.scope.self_name
    return lambda root: isinstance(root, cst.Attribute) and isinstance(root.value, cst.Name) and self_name is not None \
        and root.value.value == self_name and identifier(root.attr.value) == identifier(attr)
