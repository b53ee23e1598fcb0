"""A client factory that builds the SDK client its model string names (instructor
``from_provider("openai/gpt-4o")``, LangChain ``init_chat_model("openai:gpt-4o")``): that SDK's
own retries when the factory is given none. The string is followed only where a literal reaches
the call: written there, a module constant, a parameter's default, or the default a class field
declares (``Field(default="openai:gpt-4.1")``) for an attribute nothing else assigns."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of, positional
from retrylint.analysis.model import NO_LITERAL, ClassInfo, Scope, identifier
from retrylint.analysis.model.strings import DEFAULTS, HOLE, texts
from retrylint.analysis.model.typeflow import self_class
from retrylint.catalog_nested import ModelProvidersSpec

# What declares a field's default in a class body: pydantic's Field(default) and dataclasses'
# field(default=...); a default_factory is not a literal and is not followed.
FIELD_DECLARATIONS = frozenset({"pydantic.Field", "pydantic.fields.Field", "dataclasses.field"})


def provider_retries(providers: ModelProvidersSpec, constructor: cst.Call, where: Scope) -> tuple[int, str] | None:
    """``from_provider("openai/gpt-4o")``, or a parameter or field defaulting to it: the retries of
    the SDK client the model string names, when that SDK retries by default."""
    if not providers.retrying:
        return None
    kw = keywords_of(constructor)
    arg = kw.get(providers.keyword) or positional(constructor, providers.position or 0)
    found = model_string(arg.value, where) if arg is not None else None
    named = kw.get(providers.provider_keyword) if providers.provider_keyword else None
    if named is not None:
        provider = where.model.literal(named.value, where)
        shown = f"{providers.provider_keyword}={provider!r}"
    elif found is not None and providers.separator in found[0]:
        provider, shown = found[0].partition(providers.separator)[0], repr(found[0])
    else:
        return None
    if provider not in providers.retrying:
        return None
    origin = f", {found[1]}" if named is None and found[1] else ""
    return providers.retries, f"the {provider} SDK client's default for {shown}{origin}"


def model_string(expr: cst.BaseExpression, where: Scope) -> tuple[str, str] | None:
    """The string ``expr`` holds when a literal reaches it, with where it comes from when that is
    not the expression itself (``Configuration.model's default``); None otherwise."""
    found = texts(expr, where, DEFAULTS)
    if len(found) == 1 and HOLE not in next(iter(found)):
        return next(iter(found)), ""
    if isinstance(expr, cst.Attribute):
        return _field_default(expr, where)
    return None


def _field_default(expr: cst.Attribute, where: Scope) -> tuple[str, str] | None:
    """``config.model`` (or ``self.model``) of a project class whose body declares ``model`` with a
    literal default and whose methods never assign it."""
    model = where.model
    if isinstance(expr.value, cst.Name) and where.cls is not None and expr.value.value == where.self_name:
        cls: ClassInfo | None = self_class(where.cls)
    else:
        owner = model.qualify(expr.value, where)
        cls = model.resolve_class(owner) if owner is not None else None
    if cls is None:
        return None
    attr = identifier(expr.attr.value)
    classes = list(cls.owner.class_mro(cls))
    if any(info.self_assignments.get(attr) or info.field_values.get(attr) for info in classes):
        return None
    declared = next((info for info in classes if attr in info.body_attrs), None)
    binding = declared.body_attrs[attr] if declared is not None else None
    if binding is None or binding.scope is None:
        return None
    value = _declared_default(binding.value, binding.scope)
    return (value, f"{declared.name}.{attr}'s default") if isinstance(value, str) else None


def _declared_default(value: cst.BaseExpression | None, scope: Scope):
    """The literal a class-body declaration gives as its default: the value itself, or the
    ``default`` of a field declaration."""
    model = scope.model
    if isinstance(value, cst.Call) and model.qualify(value.func, scope) in FIELD_DECLARATIONS:
        kw = keywords_of(value)
        arg = kw.get("default") or (positional(value, 0) if "dataclasses" not in model.qualify(value.func, scope) else None)
        return model.literal(arg.value, scope) if arg is not None else NO_LITERAL
    return model.literal(value, scope)
