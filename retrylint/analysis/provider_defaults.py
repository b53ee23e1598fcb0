"""A client factory that builds the SDK client its model string names (instructor
``from_provider("openai/gpt-4o")``, LangChain ``init_chat_model("openai:gpt-4o")``): that SDK's
own retries when the factory is given none. The string is followed only where a literal reaches
the call: written there, a module constant, a parameter's default, or the default a class field
declares (``Field(default="openai:gpt-4.1")``) for an attribute nothing else assigns."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of, positional
from retrylint.analysis.known_values import field_default
from retrylint.analysis.model import Scope
from retrylint.analysis.model.strings import DEFAULTS, HOLE, texts
from retrylint.catalog_nested import ModelProvidersSpec


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
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        found = field_default(expr, where)
        return (found.value, found.origin) if found is not None and isinstance(found.value, str) else None
    return None
