"""Whether a retry layer retries only errors a billable call's SDK never raises: classes of
other libraries (requests' ``HTTPError`` around an OpenAI client), or builtins' classes the SDK
wraps in its own (``retry_if_exception_type(ConnectionError)`` around the Anthropic SDK, whose
``APIConnectionError`` is no ``builtins.ConnectionError``; the catalog's ``never_raises``)."""

from __future__ import annotations

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
