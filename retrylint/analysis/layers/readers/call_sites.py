"""Form ``call-site``: a call that hands a function to something that retries it
(``queue.enqueue(f, retry=Retry(max=3))``, ``workflow.execute_activity(f, retry_policy=...)``,
``PythonOperator(python_callable=f, retries=2)``): a layer around ``f``. The policy is read from
the object passed as the catalog's ``policy_param``, or from the call itself."""

from __future__ import annotations

import libcst as cst

from retrylint.catalog import LayerSpec
from retrylint.analysis.layers.layer import Layer, first_match_policy, given_policies, is_policy_object, keywords_of, positional
from retrylint.analysis.layers.readers.base import CALL, IMPORTED_CALL, FormReader
from retrylint.analysis.model import CallSite, Function, identifier


def read_call_site(finder, function: Function, site: CallSite, spec: LayerSpec) -> Layer | None:
    model, scope, call = finder.model, function.scope, site.node
    kw = keywords_of(call)
    handed = kw.get(spec.target_keyword) if spec.target_keyword else None
    if handed is None and spec.target_position is not None:
        handed = positional(call, spec.target_position)
    if handed is None and spec.target.alone_position is not None:
        handed = positional(call, spec.target.alone_position)
    target = model.resolve_function(model.qualify(handed.value, scope)) if handed is not None else None
    if target is None:
        return None
    if spec.policy_param:
        calls = given_policies(spec, call, scope)
        if calls is None and spec.defaults.receiver_method:
            defaults = _receiver_defaults(function, call, spec.defaults.receiver_method)
            calls = given_policies(spec, defaults, scope) if defaults is not None else None
        if calls is not None and not all(is_policy_object(spec, given, scope) for given in calls):
            return None  # a policy built elsewhere: cannot be read
        if calls is None and spec.absent_policy != "default":
            return None  # no policy, no retries
        read = [(finder.keyword_policy(spec, given, scope, _policy_options(spec, given, kw, scope)), given)
                for given in calls or [None]]
        policy = first_match_policy([found for found, _ in read])
        policy_call = max(read, key=lambda pair: pair[0].attempts or 0)[1]  # fixes go to the largest cap
    else:
        policy_call = call
        options = finder.surroundings.options(spec, call, scope, function, site.path)
        policy = finder.keyword_policy(spec, policy_call, scope, options)
    if _raises_to_stop(target, spec):
        policy.classifier = True
    return Layer("call", spec.library, spec.label, call, target, None, policy, spec=spec,
                 call=policy_call, keywords=keywords_of(policy_call), handover_call=call)


def _policy_options(spec: LayerSpec, policy_call: cst.Call | None, kw: dict, scope) -> dict:
    """A policy object's keywords, with the deadline keywords of the call that hands it over."""
    options = {name: (arg.value, scope) for name, arg in keywords_of(policy_call).items()}
    options.update({p: (kw[p].value, scope) for p in spec.deadline_params if p in kw})
    return options


def _receiver_defaults(function: Function, call: cst.Call, method: str) -> cst.Call | None:
    """The call of ``method`` on the receiver of ``call`` that sets defaults for it (LangGraph
    ``builder.set_node_defaults(retry_policy=...)`` for ``builder.add_node(...)``, applied at
    compile time whatever the order): chained before it, in the chain the receiver's name is bound
    to, or called on that name where ``call`` is or where the name is bound."""
    if not isinstance(call.func, cst.Attribute):
        return None
    found, name = _in_chain(call.func.value, method)
    if found is not None or name is None:
        return found
    binding = function.scope.lookup(name)
    if binding is not None and binding.value is not None:
        found, _ = _in_chain(binding.value, method)
        if found is not None:
            return found
    model = function.scope.model
    places = [function] + ([model.module_function] if binding is not None and binding.scope is model.scope else [])
    for place in places:
        for site in place.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and identifier(func.attr.value) == method \
                    and isinstance(func.value, cst.Name) and func.value.value == name:
                return site.node
    return None


def _in_chain(expr: cst.BaseExpression, method: str) -> tuple[cst.Call | None, str | None]:
    """The call of ``method`` in a chain of method calls (``StateGraph(S).set_node_defaults(...)
    .add_node(...)``), or the name the chain starts from."""
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        if identifier(expr.func.attr.value) == method:
            return expr, None
        expr = expr.func.value
    return None, expr.value if isinstance(expr, cst.Name) else None


def _raises_to_stop(function: Function, spec: LayerSpec) -> bool:
    """The retried function raises an error that tells the layer to stop at once."""
    model = function.scope.model
    for entry in spec.stop_raises:
        name, _, keyword = entry.partition(":")
        for site in function.calls:
            if model.qualify(site.node.func, function.scope) == name:
                arg = keywords_of(site.node).get(keyword)
                if arg is not None and model.literal(arg.value, function.scope) is True:
                    return True
    return False


class CallSiteReader(FormReader):
    form = "call-site"
    prefilter_shapes = (CALL, IMPORTED_CALL)
    at_call = staticmethod(read_call_site)
