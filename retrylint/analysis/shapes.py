"""Billable calls inferred from their shape: when the receiver's type cannot be known (a client
passed in without annotation, an attribute set elsewhere), a call only an SDK makes
(``<x>.chat.completions.create(model=..., messages=...)``) is still the paid call. The shapes and
the keywords each must pass are catalog data (a billable's ``shapes``); config
``infer-billable-shapes = false`` turns the inference off."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import ModuleModel, Scope, identifier
from retrylint.analysis.model.typeflow import SHAPE
from retrylint.catalog import BillableSpec

__all__ = ["SHAPE", "inferred_shape"]

UNTYPED = {"typing.Any", "typing_extensions.Any", "builtins.object"}  # annotations that say nothing


def inferred_shape(model: ModuleModel, call: cst.Call, scope: Scope) -> tuple[str, BillableSpec] | None:
    """The shape ``call`` has (``chat.completions.create``) and its billable spec, when it has
    one of the catalog's shapes, passes every keyword that shape needs, and its receiver's type
    is not known to be something else."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    candidates = model.catalog.billable_shapes.get(identifier(func.attr.value))
    if not candidates:
        return None
    keywords = {identifier(arg.keyword.value) for arg in call.args if arg.keyword is not None}
    for attrs, needed, spec in candidates:
        receiver = _receiver(func, attrs)
        if needed <= keywords and receiver is not None:
            return None if _known_otherwise(model, receiver, scope) else (".".join(attrs), spec)
    return None


def _receiver(func: cst.Attribute, attrs: tuple[str, ...]) -> cst.BaseExpression | None:
    """``<receiver>`` when ``func`` is ``<receiver>.<attrs...>``."""
    expr: cst.BaseExpression = func
    for attr in reversed(attrs):
        if not isinstance(expr, cst.Attribute) or identifier(expr.attr.value) != attr:
            return None
        expr = expr.value
    return expr


def _known_otherwise(model: ModuleModel, receiver: cst.BaseExpression, scope: Scope) -> bool:
    """The receiver's type is known and is no SDK client: a project class or function, a builtin,
    an annotation (of it, or of the container it is taken from), a project factory's return
    annotation. A third-party name the catalog does not know stays unknown."""
    name = model.qualify(receiver, scope)
    if name is not None:
        return name.startswith("builtins.") or model.resolve_class(name) is not None \
            or model.resolve_function(name) is not None
    typed = receiver
    if isinstance(receiver, cst.Subscript):  # ``clients[key]``
        typed = receiver.value
    elif isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute) and receiver.func.attr.value == "get":
        typed = receiver.func.value  # ``clients.get(key)``
    annotation, where = model._annotation_of(typed, scope)
    if annotation is not None and model.qualify(annotation, where) not in UNTYPED:
        return True
    if isinstance(receiver, cst.Call):  # a project factory whose return annotation names something else
        factory = model.resolve_function(model.qualify(receiver.func, scope))
        return factory is not None and isinstance(factory.node, cst.FunctionDef) and factory.node.returns is not None
    return False
