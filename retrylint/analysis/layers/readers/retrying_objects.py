"""Form ``retrying``: a retrying object, iterated (``for attempt in Retrying(...):``) or called
with the function to run (``Retrying(...)(fetch, url)``, ``r = Retrying(...); r(fetch)``)."""

from __future__ import annotations

from retrylint.analysis.layers.readers.base import CALL, IMPORTED_CALL, FormReader, applied_to_function


def read_iteration(finder, function, loop, spec, call):
    """The loop body is the retried block."""
    return finder.make_layer(spec, "block", loop, function, loop, call, function.scope)


class RetryingReader(FormReader):
    form = "retrying"
    prefilter_shapes = (CALL, IMPORTED_CALL)
    at_loop = staticmethod(read_iteration)
    at_applied_call = staticmethod(applied_to_function)
