"""Whether a retry predicate's helper, a project function of the error whose true answer turns it
down (cognee's ``if is_budget_exhausted_error(error): return False``), can turn down the errors an
SDK raises for a 400, 401, 403 or 404: it names one of their classes (the catalog's
``deterministic``) or statuses (``statuses``), or a class of the library that wraps them, or hands
the error to code that is not read here. A helper testing only other statuses (402, 429), other
classes and the error's message does not: a message test matches some texts, no class as a whole."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import Function, descendants

# Builtins that read an error without judging it for the helper (``str(error)``, ``getattr(error, ...)``).
_READERS = frozenset({"builtins.str", "builtins.repr", "builtins.getattr", "builtins.hasattr", "builtins.isinstance",
                      "builtins.id", "builtins.type", "builtins.vars", "builtins.print", "builtins.len"})


def may_turn_down(helper: Function, wrapper: str, budget: int = 20) -> bool:
    """``helper``, or a project function it hands the error to (``budget`` of them at most), may
    answer true for an SDK's deterministic error or for the ``wrapper`` class it leaves as."""
    queue, seen = [helper], {id(helper)}
    while queue:
        function = queue.pop(0)
        if _names_them(function, wrapper.partition(".")[0]):
            return True
        for callee in _handed_to(function):
            if callee is None:
                return True
            if id(callee) not in seen:
                if len(seen) >= budget:
                    return True
                seen.add(id(callee))
                queue.append(callee)
    return False


def _names_them(function: Function, wrapper_root: str) -> bool:
    scope = function.scope
    model = scope.model
    catalog = model.catalog
    for node in descendants(function.node):
        if isinstance(node, cst.Integer) and node.evaluated_value in catalog.deterministic_statuses:
            return True
        if isinstance(node, (cst.Name, cst.Attribute)):
            name = model.qualify(node, scope)
            if name and (catalog.canonical_exception(name) in catalog.core_deterministic
                         or name.partition(".")[0] == wrapper_root):
                return True
    return False


def _handed_to(function: Function) -> list[Function | None]:
    """The project functions ``function`` hands an error to, None for a callable not read here (a
    library's, or a method of the error itself)."""
    scope = function.scope
    model = scope.model
    errors = _error_names(function)
    found: list[Function | None] = []
    for site in function.calls:
        call = site.node
        func = call.func
        if isinstance(func, cst.Attribute) and _root_name(func.value) in errors:
            found.append(None)
            continue
        if not any(isinstance(arg.value, cst.Name) and arg.value.value in errors for arg in call.args):
            continue
        target = model.qualify(func, scope)
        if target in _READERS:
            continue
        callee = model.resolve_function(target)
        found.append(callee if callee is not None and isinstance(callee.node, cst.FunctionDef) else None)
    return found


def _error_names(function: Function) -> set[str]:
    """The parameters, and the names bound to one of them or to an attribute of one
    (``current = current.__cause__``)."""
    names = {param.name.value for param in function.params}
    assigns = [node for node in descendants(function.node) if isinstance(node, (cst.Assign, cst.AnnAssign))]
    for _ in range(3):
        for node in assigns:
            if node.value is not None and _root_name(node.value) in names:
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                names.update(t.value for t in targets if isinstance(t, cst.Name))
    return names


def _root_name(expr) -> str | None:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None
