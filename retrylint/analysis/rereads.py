"""Whether a retry layer's attempt reads rows again before it writes (catalog ``rereads``:
``X.objects.get``, ``get_or_create``, ``select``, ``on_conflict_do_update``): a unique or foreign
key violation from a lost race with a concurrent writer (catalog ``racing``) then heals on the
next attempt, where the same write again would fail the same way. Read from the calls of the
retried unit and of the functions of its own module it calls, a few levels deep: other modules
are not parsed for it (a read there is not seen, and the layer is judged as writing blind)."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.call_order import inside
from retrylint.analysis.layers import Layer
from retrylint.analysis.model import Function, dotted_name

MAX_DEPTH = 3  # calls of the module's own functions followed from the unit
MAX_NAME_PARTS = 8


def rereads(layer: Layer, names: set[str] | frozenset[str]) -> bool:
    """Whether a call of the layer's unit, or of a function of its module the unit runs, is one
    of ``names`` (matched by its written name's last dotted parts)."""
    if not names:
        return False
    todo: list[tuple[Function, cst.CSTNode | None, int]] = [(layer.function, layer.unit_root, 0)]
    seen = {id(layer.function)}
    while todo:
        function, root, depth = todo.pop()
        for site in function.calls:
            if root is not None and site.node is not root and not inside(site.path, root):
                continue
            written = dotted_name(site.node.func, MAX_NAME_PARTS)
            if written is not None and any(written == name or written.endswith("." + name) for name in names):
                return True
            callee = _own_function(function, site.node.func) if depth < MAX_DEPTH else None
            if callee is not None and id(callee) not in seen:
                seen.add(id(callee))
                todo.append((callee, None, depth + 1))
    return False


def _own_function(function: Function, func: cst.BaseExpression) -> Function | None:
    """The function of ``function``'s module that ``name(...)`` or ``self.name(...)`` runs."""
    scope = function.scope
    if isinstance(func, cst.Name):
        binding = scope.lookup(func.value)
        found = binding.function if binding is not None else None
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and scope.cls is not None \
            and func.value.value == scope.self_name:
        found = scope.cls.methods.get(func.attr.value)
    else:
        found = None
    return found if found is not None and found.scope.model is scope.model else None
