"""Form ``decorator``: a retry decorator, bare or called (``@retry``, ``@backoff.on_exception(...)``,
``@stamina.retry(on=...)``), also applied by hand (``retry(stop=...)(fetch)``), or made by a class
(``class A(dramatiq.GenericActor)``, readers/class_actors.py)."""

from __future__ import annotations

from retrylint.analysis.layers.layer import first_match_policy, given_policies, is_policy_object
from retrylint.analysis.layers.readers.base import DECORATOR, IMPORTED_CALL, TASK_CLASS, FormReader, applied_to_function
from retrylint.analysis.layers.readers.class_actors import read_actor_class, read_actor_decorator


def read_decorator(finder, function, decorator, spec, call, scope):
    if spec.policy_param:  # ``@task(retry_policy=RetryPolicy(...))``: the policy object's options
        calls = given_policies(spec, call, scope)
        if calls is None or not all(is_policy_object(spec, given, scope) for given in calls):
            return None  # no policy, no retries; or one built elsewhere
        layers = [finder.make_layer(spec, "decorator", decorator, function, None, given, scope) for given in calls]
        layer = max(layers, key=lambda found: found.policy.attempts or 0)  # fixes go to the largest cap
        layer.policy = first_match_policy([found.policy for found in layers])
        return layer
    bare = None if call is not None else decorator.decorator
    if spec.actors.middleware:  # ``@dramatiq.actor``: what its broker's Retries gives
        return read_actor_decorator(finder, function, decorator, spec, call, scope, bare)
    return finder.make_layer(spec, "decorator", decorator, function, None, call, scope, bare)


class DecoratorReader(FormReader):
    form = "decorator"
    prefilter_shapes = (DECORATOR, IMPORTED_CALL, TASK_CLASS)
    at_decorator = staticmethod(read_decorator)
    at_applied_call = staticmethod(applied_to_function)
    at_class = staticmethod(read_actor_class)  # ``class A(dramatiq.GenericActor)``: a decorator's options in its Meta
