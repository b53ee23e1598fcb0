"""Class-based actors: ``class Summarize(dramatiq.GenericActor)`` whose ``perform`` is the task body,
the same layer as the queue's decorator with the options of its inner ``Meta``. dramatiq 2.2.1
generic.py: the metaclass takes ``getattr(cls, "Meta")`` (the class's own, or its nearest base's)
and hands that class's own attributes (``vars(meta)``, not those of its bases) to ``actor(...)``;
a class whose own Meta says ``abstract = True`` is no actor, only a base, and its subclasses
inherit its Meta as their options (the flag is reset once the base is made). A subclass of a
project base is read through the bases the project defines; its ``perform`` must be in its own
module (the layer is reported there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.layers.layer import Layer, TaskParts
from retrylint.analysis.model import ClassInfo
from retrylint.catalog import LayerSpec

if TYPE_CHECKING:
    from retrylint.analysis.layers.finder import LayerFinder


def inherited_spec(finder: "LayerFinder", cls: ClassInfo) -> LayerSpec | None:
    """The actor layer of a class that subclasses a ``task_base`` with an options class through
    bases of the project. Walked only for a class that has the task method or an options class
    itself, or a base in its own module, so that other classes' bases are never resolved."""
    specs = {spec for spec in finder.catalog.task_bases.values() if spec.actors.options_class}
    local_base = any(base in finder.model.class_by_qualname for base in cls.bases)
    specs = {spec for spec in specs if local_base or spec.task_base_method in cls.methods or _own_options_class(cls, spec)}
    if not specs:
        return None
    for info in list(finder.model.class_mro(cls))[1:]:
        spec = next((finder.catalog.task_bases[base] for base in info.bases if base in finder.catalog.task_bases), None)
        if spec in specs:
            return spec
    return None


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
    policy = finder.keyword_policy(spec, None, model.scope, options)
    return Layer("task-class", spec.library, f"{spec.label} class {cls.name}", cls.node, method, None, policy,
                 spec=spec, task=TaskParts(options_class=meta))


def _own_options_class(cls: ClassInfo, spec: LayerSpec) -> ClassInfo | None:
    """The options class (``Meta``) defined in ``cls``'s own body."""
    name = spec.actors.options_class
    for statement in cls.node.body.body if isinstance(cls.node.body, cst.IndentedBlock) else ():
        if isinstance(statement, cst.ClassDef) and statement.name.value == name:
            return next((info for info in cls.owner.classes if info.node is statement), None)
    return None
