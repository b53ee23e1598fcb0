"""The options an actor takes from its broker's retry middleware when it leaves them out (Dramatiq
2.2.1 middleware/retries.py: ``actor.options.get("max_retries", self.max_retries)``, the same for
``retry_when``, ``min_backoff`` and ``max_backoff``; ``Retries(min_backoff=0)`` keeps the 15 s
default, ``min_backoff or DEFAULT_MIN_BACKOFF``). broker.py: a broker made without ``middleware=``
has the default middleware, ``Retries()`` among them; a ``middleware=[...]`` list is all it has;
``add_middleware`` appends one more, a second ``Retries`` beside the first included (both then
re-enqueue each failure: neither's count holds). An actor uses its ``broker=``, or the global
broker ``dramatiq.set_broker(broker)`` sets: read only when the project calls that exactly once
with a broker made at the top of a module, and calls ``add_middleware`` in no other module.
Otherwise, or when its middleware is not written as a list of known classes, the actor keeps the
middleware's own defaults (the catalog's)."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import libcst as cst

from retrylint.analysis.layers.layer import bound_call, keywords_of
from retrylint.analysis.model import ModuleModel, Scope
from retrylint.catalog import LayerSpec
from retrylint.catalog_nested import ActorsSpec

MAX_SETTER_MODULES = 4  # modules under the import root naming the setter: more, and the broker is not read
NO_RETRIES = object()  # a broker with no retry middleware: its actors are never retried
Broker = tuple[cst.Call, Scope, str | None, ModuleModel]  # its call, the call's scope, its top-level name, its module

_GLOBAL: WeakKeyDictionary[ModuleModel, dict[ActorsSpec, Broker | None]] = WeakKeyDictionary()


def broker_options(model: ModuleModel, spec: LayerSpec, given: tuple | None) -> dict | object | None:
    """The options the actor's broker gives (``given``: its ``broker=`` expression and scope, else
    the global broker), as ``{keyword: (expression, scope)}``; ``NO_RETRIES`` when it has no retry
    middleware; None when the broker or its middleware is not known (the catalog's defaults apply)."""
    actors = spec.actors
    if not actors.middleware:
        return None
    broker = _broker(model, *given, actors) if given is not None else _global_broker(model, actors)
    if broker is None or not _added_nowhere_else(broker, actors):
        return None
    call, scope, name, where = broker
    made = _made_with(where, call, scope, actors)
    added = _added(where, name, actors) if name else []
    if made is None or added is None:
        return None
    every = made + added
    if not every:
        return NO_RETRIES
    if len(every) > 1:
        return None  # two retry middlewares each re-enqueue every failure: neither count holds
    retries, retries_scope = every[0]
    options = {}
    for keyword, arg in keywords_of(retries).items():
        if keyword in actors.middleware_options:
            if keyword in actors.falsy_defaults and not where.literal(arg.value, retries_scope):
                continue  # 0 or None: the middleware's own default
            options[keyword] = (arg.value, retries_scope)
    return options


def _global_broker(model: ModuleModel, actors: ActorsSpec) -> Broker | None:
    known = _GLOBAL.setdefault(model, {})
    if actors not in known:
        known[actors] = _find_global(model, actors)
    return known[actors]


def _find_global(model: ModuleModel, actors: ActorsSpec) -> Broker | None:
    """The broker of the project's one ``set_broker(...)`` call, or None."""
    project = model.project
    if project is None or model.root is None:
        return None
    words = {name.rpartition(".")[2] for name in actors.setters}
    paths = sorted({path for word in words for path in project.callers.files_with(model.root, True, word)})
    if not paths or len(paths) > MAX_SETTER_MODULES:
        return None
    calls = []
    own = project.absolute(model.path)
    for path in paths:
        other = model if path == own else project.module(*_named(project, path))
        if other is None:
            return None
        calls += [(other, site.node, function.scope) for function in other.functions for site in function.calls
                  if other.qualify(site.node.func, function.scope) in actors.setters]
    if len(calls) != 1 or not calls[0][1].args:
        return None
    where, call, scope = calls[0]
    return _broker(where, call.args[0].value, scope, actors)


def _named(project, path):
    module, _, root = project.module_name_for(path)
    return module, root


def _broker(model: ModuleModel, expr: cst.BaseExpression, scope: Scope, actors: ActorsSpec) -> Broker | None:
    """The broker ``expr`` makes, or names at the top of a module (here or imported)."""
    if isinstance(expr, cst.Call):
        return (expr, scope, None, model) if model.qualify(expr.func, scope) in actors.brokers else None
    binding = scope.lookup(expr.value) if isinstance(expr, cst.Name) else None
    name = expr.value if binding is not None else None
    if binding is not None and binding.imported and binding.qualname and model.project is not None:
        exported = model.project.exported_binding(binding.qualname, model.root)
        binding, model = exported if exported is not None else (None, model)
        name = binding.qualname.rpartition(".")[2] if binding is not None and binding.qualname else name
    if binding is None or binding.imported or binding.value is None or binding.scope is not model.scope:
        return None  # made in a function, whose other calls on it are not followed
    call = bound_call(binding.value, binding.scope)
    if call is None or model.qualify(call.func, binding.scope) not in actors.brokers:
        return None
    return call, binding.scope, name, model


def _added_nowhere_else(broker: Broker, actors: ActorsSpec) -> bool:
    """No other module adds a retry middleware (to an imported broker, or ``get_broker()``); a
    web app's ``app.add_middleware(CORSMiddleware, ...)`` is no such one."""
    model = broker[3]
    project = model.project
    if project is None or model.root is None:
        return True
    own = project.absolute(model.path)
    paths = [path for path in project.callers.files_with(model.root, True, actors.add_method) if path != own]
    if len(paths) > MAX_SETTER_MODULES:
        return False
    leaves = {qualname.rpartition(".")[2] for qualname in actors.middleware}
    for path in paths:
        other = project.module(*_named(project, path))
        if other is None:
            return False
        for function in other.functions:
            for site in function.calls:
                func, args = site.node.func, site.node.args
                if isinstance(func, cst.Attribute) and func.attr.value == actors.add_method and args \
                        and isinstance(args[0].value, cst.Call) \
                        and (other.qualify(args[0].value.func, function.scope) or "").rpartition(".")[2] in leaves:
                    return False
    return True


def _made_with(model: ModuleModel, call: cst.Call, scope: Scope, actors: ActorsSpec) -> list | None:
    """The retry middleware the broker is made with: the default one (``None``: no keywords), or
    those its list holds; None when the list is not written out of known classes."""
    given = keywords_of(call).get(actors.middleware_param)
    if given is None:
        return [(None, scope)]
    if not isinstance(given.value, (cst.List, cst.Tuple)):
        return None
    found = []
    for element in given.value.elements:
        kind = _kind(model, element.value, scope, actors) if isinstance(element, cst.Element) else None
        if kind is None:
            return None
        if kind:
            found.append((element.value, scope))
    return found


def _added(model: ModuleModel, name: str, actors: ActorsSpec) -> list | None:
    """The retry middleware ``name.add_middleware(...)`` adds in the broker's module; None when one
    added is not known, or the list is replaced (``name.middleware = [...]``)."""
    for target, _, _ in model.assignments:
        if isinstance(target, cst.Attribute) and target.attr.value == actors.middleware_param \
                and isinstance(target.value, cst.Name) and target.value.value == name:
            return None
    found = []
    for function in model.functions:
        for site in function.calls:
            func = site.node.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == actors.add_method
                    and isinstance(func.value, cst.Name) and func.value.value == name):
                continue
            kind = _kind(model, site.node.args[0].value, function.scope, actors) if site.node.args else None
            if kind is None:
                return None
            if kind:
                found.append((site.node.args[0].value, function.scope))
    return found


def _kind(model: ModuleModel, expr: cst.BaseExpression, scope: Scope, actors: ActorsSpec) -> bool | None:
    """True for the retry middleware made here (``Retries(...)``), False for another the library or
    a third party defines, None for one not known (named like it, or a project class: it may be it)."""
    name = model.qualify(expr.func, scope) if isinstance(expr, cst.Call) else None
    if name is None:
        return None
    if name in actors.middleware:
        return True
    leaves = {qualname.rpartition(".")[2] for qualname in actors.middleware}
    if name.rpartition(".")[2] in leaves or model.resolve_class(name) is not None:
        return None
    return False
