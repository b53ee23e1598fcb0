"""The fallbacks of a client (LiteLLM ``Router(fallbacks=[{"gpt-4o": ["gpt-4o-mini"]}])``): when
a model group fails after all its retries, the Router tries each fallback group in turn, each
with all its retries again (litellm 1.80.0 router_utils/fallback_event_handlers.py
run_async_fallback: every group of the list, whatever max_fallbacks; max_fallbacks <= 0 tries
none). Each fallback is another billed call sequence: the client's attempts multiply by 1 + the
fallbacks tried."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.client_retries import bound_value
from retrylint.analysis.model import ModuleModel, Scope


def fallbacks_tried(value: cst.BaseExpression, scope: Scope, model: ModuleModel) -> int:
    """The most fallback groups one model group lists in a literal ``[{"a": ["b", "c"]}, ...]``
    (a group alone is one); 0 when the list cannot be read."""
    value = bound_value(value, scope)
    if not isinstance(value, (cst.List, cst.Tuple)):
        return 0
    most = 0
    for element in value.elements:
        entry = bound_value(element.value, scope) if isinstance(element, cst.Element) else None
        if not isinstance(entry, cst.Dict):
            return 0
        for item in entry.elements:
            if not isinstance(item, cst.DictElement):
                return 0
            groups = bound_value(item.value, scope)
            if isinstance(groups, (cst.List, cst.Tuple)):
                most = max(most, sum(1 for group in groups.elements if isinstance(group, cst.Element)))
            elif isinstance(model.literal(item.value, scope), str):
                most = max(most, 1)
    return most
