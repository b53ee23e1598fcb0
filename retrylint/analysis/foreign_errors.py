"""Whether a retry layer retries only errors a billable call's SDK never raises: classes of
other libraries (requests' ``HTTPError`` around an OpenAI client), or builtins' classes the SDK
wraps in its own (``retry_if_exception_type(ConnectionError)`` around the Anthropic SDK, whose
``APIConnectionError`` is no ``builtins.ConnectionError``; the catalog's ``never_raises``)."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.shapes import SHAPE


def foreign_libraries(layer, reach) -> list | None:
    """The error libraries of every class ``layer`` retries, when each is known and none is one
    the reach's SDK raises; None otherwise (a broad base, a predicate not bounded, a class of the
    SDK's or of a library it raises, a call billable by its shape alone)."""
    policy = layer.policy
    retried = list(policy.retry_on)
    if policy.predicate:
        if policy.predicate_bound is None:
            return None
        retried += policy.predicate_bound
    if policy.retry_all or not retried or reach.chain[-1].via == SHAPE:
        return None
    catalog = layer.function.scope.model.catalog
    providers = [reach.spec.provider] + ([reach.client.spec.provider] if reach.client is not None else [])
    raised = catalog.raised_libraries(providers)
    if raised is None:
        return None
    never = catalog.never_raised(providers)
    libraries = []
    for ref in retried:
        library = catalog.library_of_exception(ref.name) if ref.name else None
        if library is None or library.library in raised or library.library == "builtins" and ref.name not in never:
            return None
        libraries.append(library)
    return libraries


def may_call(function, roots: set[str], billable: set[int], seen: set[int], depth: int) -> bool:
    """``function`` (or a project function it calls, ``depth`` deep) may call into one of the
    modules ``roots``, its ``billable`` calls aside: a call that names one, or a method of a
    value of unknown origin."""
    seen.add(id(function))
    model = function.scope.model
    for site in function.calls:
        if id(site.node) in billable:
            continue
        name = model.qualify(site.node.func, function.scope)
        if name is None and not _built_here(site.node.func, function.scope, roots):
            return True
        if name is not None and name.partition(".")[0] in roots:
            return True
        target = model.resolve_function(name)
        if target is not None and id(target) not in seen and (depth == 0 or may_call(target, roots, billable, seen, depth - 1)):
            return True
    return False


def _built_here(func: cst.BaseExpression, scope, roots: set[str]) -> bool:
    """A method of a value this function made by a call of a known name outside ``roots``
    (``urlparse(url).hostname.endswith(...)``, the URL bound to a local name)."""
    while isinstance(func, (cst.Attribute, cst.Call, cst.Subscript)):
        func = func.func if isinstance(func, cst.Call) else func.value
    binding = scope.lookup(func.value) if isinstance(func, cst.Name) else None
    if binding is None or binding.scope is not scope or not isinstance(binding.value, cst.Call):
        return False
    made = scope.model.qualify(binding.value.func, scope)
    return made is not None and made.partition(".")[0] not in roots
