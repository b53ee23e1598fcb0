"""Actors with options from elsewhere than their decorator's keywords: those the broker's retry
middleware gives (readers/actor_brokers.py), and class-based actors, ``class
Summarize(dramatiq.GenericActor)`` whose ``perform`` is the task body: the same layer as the queue's
decorator with the options of its inner ``Meta``. dramatiq 2.2.1
generic.py: the metaclass takes ``getattr(cls, "Meta")`` (the class's own, or its nearest base's)
and hands that class's own attributes (``vars(meta)``, not those of its bases) to ``actor(...)``;
a class whose own Meta says ``abstract = True`` is no actor, only a base, and its subclasses
inherit its Meta as their options (the flag is reset once the base is made). A subclass of a
project base is read through the bases the project defines; its ``perform`` must be in its own
module (the layer is reported there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.layers.dialects.keywords import call_options
from retrylint.analysis.layers.layer import Layer, TaskParts, keywords_of
from retrylint.analysis.layers.readers.actor_brokers import NO_RETRIES, broker_options
from retrylint.analysis.model import ClassInfo
from retrylint.catalog import LayerSpec

if TYPE_CHECKING:
    from retrylint.analysis.layers.finder import LayerFinder


def inherited_spec(finder: "LayerFinder", cls: ClassInfo) -> LayerSpec | None:
    """The actor layer of a class that subclasses a ``task_base`` with an options class through
    bases of the project: through those of other modules only for a class that has the task method
    or an options class itself, so that other classes never resolve a base elsewhere."""
    specs = {spec for spec in finder.catalog.task_bases.values() if spec.actors.options_class}
    if not specs:
        return None
    anywhere = any(spec.task_base_method in cls.methods or _own_options_class(cls, spec) for spec in specs)
    model, seen = finder.model, {id(cls)}
    bases = list(model.class_mro(cls))[1:] if anywhere else _local_bases(model, cls, seen)
    for info in bases:
        spec = next((finder.catalog.task_bases[base] for base in info.bases if base in finder.catalog.task_bases), None)
        if spec in specs:
            return spec
    return None


def _local_bases(model, cls: ClassInfo, seen: set[int]):
    """The bases of ``cls`` defined in its own module, and theirs."""
    for base in cls.bases:
        info = model.class_by_qualname.get(base) if base else None
        if info is not None and id(info) not in seen:
            seen.add(id(info))
            yield info
            yield from _local_bases(model, info, seen)


def read_actor_class(finder: "LayerFinder", cls: ClassInfo, spec: LayerSpec) -> Layer | None:
    """The layer of an actor class: its task method (its own, or a base's in the same module)
    retried with the options of the Meta that applies; None for an abstract base."""
    if not spec.actors.options_class or not spec.task_base_method:
        return None
    model = finder.model
    mro = list(model.class_mro(cls))
    method = next((info.methods[spec.task_base_method] for info in mro if spec.task_base_method in info.methods), None)
    if method is None or method.scope.model is not model:
        return None
    meta, own = None, False
    for info in mro:
        meta = _own_options_class(info, spec)
        if meta is not None:
            own = info is cls
            break
    options = {}
    if meta is not None:
        abstract = meta.body_attrs.get(spec.actors.abstract) if spec.actors.abstract else None
        if own and abstract is not None and model.literal(abstract.value, abstract.scope) is not False:
            return None  # abstract (or not known not to be): a base for actors
        options = {name: (binding.value, binding.scope) for name, binding in meta.body_attrs.items()
                   if binding.value is not None and binding.scope is not None and name != spec.actors.abstract}
    defaults = broker_options(model, spec, options.get(spec.actors.broker_param))
    if defaults is NO_RETRIES:
        return None
    policy = finder.keyword_policy(spec, None, model.scope, {**(defaults or {}), **options})
    layer = Layer("task-class", spec.library, f"{spec.label} class {cls.name}", cls.node, method, None, policy,
                  spec=spec, task=TaskParts(options_class=meta))
    layer.note = _broker_note(spec, defaults or {}, options)
    return layer


def _own_options_class(cls: ClassInfo, spec: LayerSpec) -> ClassInfo | None:
    """The options class (``Meta``) defined in ``cls``'s own body."""
    name = spec.actors.options_class
    for statement in cls.node.body.body if isinstance(cls.node.body, cst.IndentedBlock) else ():
        if isinstance(statement, cst.ClassDef) and statement.name.value == name:
            return next((info for info in cls.owner.classes if info.node is statement), None)
    return None


def read_actor_decorator(finder: "LayerFinder", function, decorator, spec: LayerSpec, call, scope, bare) -> Layer | None:
    """``@dramatiq.actor(...)``: its keywords over those of its broker's retry middleware; None
    when that broker has none (its actors are never retried)."""
    given = keywords_of(call).get(spec.actors.broker_param)
    defaults = broker_options(finder.model, spec, (given.value, scope) if given is not None else None)
    if defaults is NO_RETRIES:
        return None
    if not defaults:
        return finder.make_layer(spec, "decorator", decorator, function, None, call, scope, bare)
    own = call_options(spec, call, scope)
    policy = finder.keyword_policy(spec, call, scope, {**defaults, **own})
    layer = Layer("decorator", spec.library, spec.label, decorator, function, None, policy,
                  spec=spec, call=call, bare=bare, keywords=keywords_of(call))
    layer.note = _broker_note(spec, defaults, own)
    return layer


def _broker_note(spec: LayerSpec, defaults: dict, own: dict) -> str:
    """What an unbounded-retry message says of an attempt count the broker's middleware gives."""
    param = spec.attempts.param
    if param not in defaults or param in own:
        return ""
    return f"its {param} comes from its broker's retry middleware ({param}={cst.Module([]).code_for_node(defaults[param][0])})"
