"""Evidence that re-running a paid call is safe, or that a check before it is none: an
idempotency key the API honours on the call, and skip checks that cannot skip anything because
what they test is the object's configuration, the same on every attempt, or because their
skipping branch hands the whole request on to other code, which does the work another way."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.layers import keywords_of
from retrylint.analysis.model.tree import descendants

if TYPE_CHECKING:
    from retrylint.analysis.model import Function
    from retrylint.catalog import BillableSpec


def keyed(call: cst.Call, spec: "BillableSpec") -> bool:
    """The call passes the idempotency key its API honours (a dict built elsewhere is given the benefit of the doubt)."""
    kw = keywords_of(call)
    if spec.idempotency_key and spec.idempotency_key in kw:
        return True
    if spec.idempotency_option:
        param, _, key = spec.idempotency_option.partition(".")
        if param in kw:
            value = kw[param].value
            if not isinstance(value, cst.Dict):
                return True
            return any(
                isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == key
                or isinstance(e, cst.StarredDictElement)
                for e in value.elements
            )
    return False


def tests_configuration(function: "Function", check: cst.If) -> bool:
    """``if self.evaluator: ... return`` where ``self.evaluator`` is only ever set in ``__init__``
    (or the class body): the object's configuration, the same on every attempt of a retry, so the
    check takes the same branch each time and skips no work an earlier attempt did."""
    attr = _self_attribute(check.test, function)
    if attr is None or function.cls is None:
        return False
    found = False
    for cls in function.scope.model.class_mro(function.cls):
        init = cls.methods.get("__init__")
        for binding in cls.self_assignments.get(attr, ()):
            if init is None or binding.scope is not init.scope:
                return False  # set by some other method: state an attempt may change
            found = True
        found = found or attr in cls.body_attrs
    return found


def hands_on_request(function: "Function", check: cst.If) -> bool:
    """The check's branch passes the function's own ``*args`` or ``**kwargs`` on to a call (swarms
    16.0.3 ``Agent._dispatch``: ``if self.max_loops == "auto": return self._run_autonomous_loop(task=task,
    ..., *args, **kwargs)``): it hands the whole request to another way of doing the work, paid
    or not where retrylint cannot follow it. A check for work already done returns what it found."""
    node = function.node
    if not isinstance(node, cst.FunctionDef):
        return False
    star = node.params.star_arg
    names = {("*", star.name.value)} if isinstance(star, cst.Param) else set()
    if node.params.star_kwarg is not None:
        names.add(("**", node.params.star_kwarg.name.value))
    return bool(names) and any(
        isinstance(call, cst.Call) and any(isinstance(arg.value, cst.Name) and (arg.star, arg.value.value) in names
                                           for arg in call.args)
        for call in descendants(check.body))


def _self_attribute(test: cst.BaseExpression, function: "Function") -> str | None:
    """``X`` of a test ``self.X``, ``not self.X``, ``self.X is None`` or ``self.X is not None``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if not isinstance(target.operator, (cst.Is, cst.IsNot)) or not (
                isinstance(target.comparator, cst.Name) and target.comparator.value == "None"):
            return None
        test = test.left
    if isinstance(test, cst.Attribute) and isinstance(test.value, cst.Name) \
            and test.value.value == function.scope.self_name and function.scope.self_name is not None:
        return test.attr.value
    return None
