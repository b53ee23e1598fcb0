"""The SDK client under a framework's call that calls the paid function it is handed (catalog
client ``calls_through``): Guardrails ``guard(llm_api=openai.chat.completions.create, ...)`` calls
that function with the call's other arguments (guardrails-ai 0.11.0 llm_providers.py get_llm_ask:
ArbitraryCallable), ``guard(model="gpt-4o", ...)`` calls ``litellm.completion(model=..., **kwargs)``
(LiteLLMCallable), so ``num_retries=`` written there is LiteLLM's. The handed function's client,
with its retries, is the one under the framework's re-asks; a function that is not a paid one of
the catalog counts no client."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of, positional
from retrylint.analysis.model import Function


def called_through(catalog, spec, call: cst.Call, function: Function, target: str):
    """The ClientUse of the paid function ``call`` (a call of ``target``) is handed, or None."""
    from retrylint.analysis.client_retries import _client_of, _own_use, client_use  # it imports this module

    through = spec.calls_through
    kw = keywords_of(call)
    handed = kw.get(through.keyword)
    if handed is None and through.position is not None and target.rpartition(".")[2] in through.position_calls:
        handed = positional(call, through.position)
    rest = [arg for arg in call.args if arg is not handed]
    if handed is None:
        if through.model_keyword not in kw or not through.model_call:
            return None
        owner, inner = _client_of(catalog, through.model_call)
        if inner is None:
            return None
        module, _, name = through.model_call.rpartition(".")
        func = cst.Attribute(value=cst.Name(module.rpartition(".")[2]), attr=cst.Name(name))
        return _own_use(catalog, inner, owner, cst.Call(func=func, args=rest), function)
    model = function.scope.model
    paid = model.qualify(handed.value, function.scope)
    if paid is None or catalog.billable(paid) is None or model.resolve_function(paid) is not None:
        return None
    return client_use(catalog, cst.Call(func=handed.value, args=rest), function, paid)
