"""Form ``decorator``: a retry decorator, bare or called (``@retry``, ``@backoff.on_exception(...)``,
``@stamina.retry(on=...)``), also applied by hand (``retry(stop=...)(fetch)``)."""

from __future__ import annotations

from retrylint.analysis.layers.layer import given_policy, is_policy_object
from retrylint.analysis.layers.readers.base import DECORATOR, IMPORTED_CALL, FormReader, applied_to_function


def read_decorator(finder, function, decorator, spec, call, scope):
    if spec.policy_param:  # ``@task(retry_policy=RetryPolicy(...))``: the policy object's options
        policy = given_policy(spec, call, scope)
        if policy is None or not is_policy_object(spec, policy, scope):
            return None  # no policy, no retries; or one built elsewhere
        return finder.make_layer(spec, "decorator", decorator, function, None, policy, scope)
    bare = None if call is not None else decorator.decorator
    return finder.make_layer(spec, "decorator", decorator, function, None, call, scope, bare)


class DecoratorReader(FormReader):
    form = "decorator"
    prefilter_shapes = (DECORATOR, IMPORTED_CALL)
    at_decorator = staticmethod(read_decorator)
    at_applied_call = staticmethod(applied_to_function)
