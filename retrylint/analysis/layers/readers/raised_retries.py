"""Form ``raise``: a retry asked for by raising (arq's ``raise Retry(defer=5)``, Huey's
``raise RetryTask``): the function is run again; the ``except`` it is raised from names what
it retries on."""

from __future__ import annotations

from retrylint.analysis.layers.layer import Layer
from retrylint.analysis.layers.readers.base import IMPORTED_CALL, RAISE, FormReader
from retrylint.analysis.model import EXCEPT


def read_raised_retry(finder, function, site, spec):
    policy = finder.keyword_policy(spec, None, function.scope)
    handlers = {id(h.node): h.node for h in function.handlers}
    handler = next((handlers[i] for i, kind, _ in reversed(site.path) if kind == EXCEPT and i in handlers), None)
    if handler is None:
        policy.retry_all, policy.predicate = False, True  # raised on a condition: a poll
    elif handler.type is not None:
        policy.retry_all = False
        policy.retry_on = finder.exception_refs(handler.type, function.scope)
    return Layer("raise", spec.library, spec.label, site.node, function, None, policy, spec=spec)


class RaisedRetryReader(FormReader):
    form = "raise"
    prefilter_shapes = (RAISE, IMPORTED_CALL)
    at_call = staticmethod(read_raised_retry)
    at_raised_name = staticmethod(read_raised_retry)
