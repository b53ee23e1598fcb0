"""A client factory that builds the SDK client its model string names (instructor
``from_provider("openai/gpt-4o")``): that SDK's own retries when the factory is given none."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of, positional
from retrylint.analysis.model import NO_LITERAL, Scope
from retrylint.catalog_nested import ModelProvidersSpec


def provider_retries(providers: ModelProvidersSpec, constructor: cst.Call, where: Scope) -> tuple[int, str] | None:
    """``from_provider("openai/gpt-4o")``, or a parameter defaulting to it: the retries of the SDK
    client the model string names, when that SDK retries by default."""
    arg = keywords_of(constructor).get(providers.keyword) or positional(constructor, providers.position or 0)
    if not providers.retrying or arg is None:
        return None
    value = where.model.literal(arg.value, where)
    if value is NO_LITERAL and isinstance(arg.value, cst.Name):
        value = where.model.literal(_parameter_default(arg.value.value, where), where)
    provider = value.partition(providers.separator)[0] if isinstance(value, str) and providers.separator in value else None
    if provider not in providers.retrying:
        return None
    return providers.retries, f"the {provider} SDK client's default for {value!r}"


def _parameter_default(name: str, scope: Scope) -> cst.BaseExpression | None:
    """The default of parameter ``name`` of the function whose scope is ``scope``."""
    function = next((f for f in scope.model.functions if f.scope is scope), None)
    param = next((p for p in function.params if p.name.value == name), None) if function is not None else None
    return param.default if param is not None else None
