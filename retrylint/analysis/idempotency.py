"""Evidence that re-running a paid call is safe, or that a check before it is none: an
idempotency key the API honours on the call, and skip checks that cannot skip anything because
what they test is the object's configuration, the same on every attempt."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.layers import keywords_of

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
