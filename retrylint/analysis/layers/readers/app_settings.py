"""A task queue's app settings, as far as the project's modules write them: ``app.conf.NAME =
value``, ``app.conf.update(NAME=value)``, the app's constructor keywords (``Celery("proj",
broker="redis://...", task_acks_late=True)``) and the top-level names of the module or class
``app.config_from_object(...)`` loads (``"proj.celeryconfig"``, an imported module or class, or
``"django.conf:settings"`` with ``namespace="CELERY"``: the module ``DJANGO_SETTINGS_MODULE`` names,
whose ``CELERY_BROKER_URL`` is ``broker_url``). Read in the task's module and, when the task's app
is imported (``@app.task`` with ``from proj.celery import app``), in the app's module; the task's
module wins. Each setting is kept as the expression written and its scope, for the caller to read."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of
from retrylint.analysis.model import ModuleModel, Scope, identifier
from retrylint.catalog_nested import AppSettingsSpec

Setting = tuple[cst.BaseExpression, Scope]
MAX_APP_MODULES = 4  # modules under the import root naming the app class: more, and none is taken as the app

_SETTINGS: WeakKeyDictionary[ModuleModel, dict[AppSettingsSpec, dict[str, Setting]]] = WeakKeyDictionary()


def app_settings(model: ModuleModel, declared, scope: Scope, spec: AppSettingsSpec) -> dict[str, Setting]:
    """The app settings written in this module and, when the task's app is imported, in the app's module."""
    found = settings_in(model, spec)
    receiver = declared.value if isinstance(declared, cst.Attribute) else None
    binding = scope.lookup(identifier(receiver.value)) if isinstance(receiver, cst.Name) else None
    if binding is not None and binding.imported and binding.qualname and model.project is not None:
        exported = model.project.exported_binding(binding.qualname, model.root)
        if exported is not None and exported[1] is not model:
            found = {**settings_in(exported[1], spec), **found}
    elif spec.shared and model.qualify(declared, scope) in spec.shared:  # @shared_task
        app = _only_app(model, spec)
        if app is not None:
            found = {**settings_in(app, spec), **found}
    return found


def _only_app(model: ModuleModel, spec: AppSettingsSpec) -> ModuleModel | None:
    """The one other module under the import root that makes an app (``Celery("proj")``), or None
    when there is none or more than one."""
    project = model.project
    if project is None or model.root is None:
        return None
    own = project.absolute(model.path)
    names = {name.rpartition(".")[2] for name in spec.objects}
    paths = {path for name in names for path in project.callers.files_with(model.root, True, name) if path != own}
    makers = []
    for path in sorted(paths)[:MAX_APP_MODULES + 1]:
        module, _, root = project.module_name_for(path)
        other = project.module(module, root)
        if other is not None and any(_makes_app(other, spec)):
            makers.append(other)
    return makers[0] if len(makers) == 1 and len(paths) <= MAX_APP_MODULES else None


def _makes_app(model: ModuleModel, spec: AppSettingsSpec):
    """Each call in ``model`` that makes an app."""
    for function in model.functions:
        for site in function.calls:
            if model.qualify(site.node.func, function.scope) in spec.objects:
                yield site


def settings_in(model: ModuleModel, spec: AppSettingsSpec) -> dict[str, Setting]:
    """The module's app settings (read once per module: every task of the module asks; callers
    only read the dict)."""
    known = _SETTINGS.setdefault(model, {})
    if spec not in known:
        known[spec] = _read_settings(model, spec)
    return known[spec]


def _read_settings(model: ModuleModel, spec: AppSettingsSpec) -> dict[str, Setting]:
    found: dict[str, Setting] = {}
    renames = dict(rename.split(":", 1) for rename in spec.renames + spec.old_names)
    apps = {name.rpartition(".")[2] for name in spec.objects}
    for target, value, scope in model.assignments:  # app.conf.task_acks_late = True
        if isinstance(target, cst.Attribute) and _is_conf(target.value):
            name = identifier(target.attr.value)
            found[renames.get(name, name)] = (value, scope)
    for function in model.functions:
        for site in function.calls:
            func = site.node.func
            method = func.attr.value if isinstance(func, cst.Attribute) else None
            called = method or (func.value if isinstance(func, cst.Name) else None)
            if method == "update" and _is_conf(func.value):  # app.conf.update(task_acks_late=True, ...)
                found.update({renames.get(name, name): (arg.value, function.scope)
                              for name, arg in keywords_of(site.node).items()})
            elif method in spec.loaders:  # app.config_from_object("proj.celeryconfig")
                found.update(_loaded(model, site.node, function.scope, spec))
            elif called in apps and model.qualify(func, function.scope) in spec.objects:  # Celery(broker=...)
                found.update({renames.get(name, name): (arg.value, function.scope)
                              for name, arg in keywords_of(site.node).items()})
    return found


def _loaded(model: ModuleModel, call: cst.Call, scope: Scope, spec: AppSettingsSpec) -> dict[str, Setting]:
    """The settings of the module or class a loader call names."""
    if not call.args or call.args[0].keyword is not None or model.project is None:
        return {}
    target = call.args[0].value
    namespace = keywords_of(call).get(spec.namespace_param) if spec.namespace_param else None
    prefix = model.literal(namespace.value, scope) if namespace is not None else None
    if namespace is not None and not isinstance(prefix, str):
        return {}
    named = model.literal(target, scope)
    variable = next((entry.partition("=")[2] for entry in spec.env_modules if entry.partition("=")[0] == named), None)
    if variable is not None:
        module, attribute = _env_module(model, variable), ""
    elif isinstance(named, str):
        module, _, attribute = named.partition(":")
    else:
        module, attribute = model.qualify(target, scope) or "", ""
    names = _top_level(model, module, attribute)
    if prefix:
        start = f"{prefix}_"
        return {name[len(start):].lower(): value for name, value in names.items() if name.startswith(start)}
    old = dict(entry.split(":", 1) for entry in spec.old_names)  # BROKER_URL, CELERY_ACKS_LATE
    return {old.get(name, name): value for name, value in names.items()}


def _top_level(model: ModuleModel, module: str, attribute: str) -> dict[str, Setting]:
    """The names bound at the top of ``module`` (or in the body of its class ``attribute``; a
    qualified name that is no module may be a class in one)."""
    loaded = model.project.module(module, model.root) if module else None
    if loaded is None and module and not attribute:
        module, _, attribute = module.rpartition(".")
        loaded = model.project.module(module, model.root) if module else None
    if loaded is None:
        return {}
    if attribute:
        cls = loaded.class_by_qualname.get(f"{loaded.module_name}.{attribute}")
        bindings = cls.body_attrs if cls is not None else {}
    else:
        bindings = loaded.scope.names
    return {name: (binding.value, binding.scope) for name, binding in bindings.items()
            if binding.value is not None and binding.scope is not None and not binding.imported}


def _env_module(model: ModuleModel, variable: str) -> str:
    """The module ``os.environ.setdefault(variable, "module")`` names in this module, or ""."""
    for function in model.functions:
        for site in function.calls:
            args = site.node.args
            if (len(args) == 2 and model.qualify(site.node.func, function.scope) == "os.environ.setdefault"
                    and model.literal(args[0].value, function.scope) == variable):
                value = model.literal(args[1].value, function.scope)
                return value if isinstance(value, str) else ""
    return ""


def _is_conf(expr) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == "conf"
