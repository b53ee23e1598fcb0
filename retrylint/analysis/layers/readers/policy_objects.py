"""Form ``policy``: a retry policy object (google-api-core ``Retry(...)``, LangChain's
``runnable.with_retry(...)``), checked for its own bounds; what it wraps is decided at run time."""

from __future__ import annotations

from retrylint.analysis.layers.readers.base import IMPORTED_CALL, FormReader


def read_policy_object(finder, function, site, spec):
    call = site.node
    return finder.make_layer(spec, "policy", call, function, call, call, function.scope)


class PolicyObjectReader(FormReader):
    form = "policy"
    prefilter_shapes = (IMPORTED_CALL,)
    at_call = staticmethod(read_policy_object)
