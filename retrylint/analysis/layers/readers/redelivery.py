"""At-least-once redelivery as a retry layer: a queue that hands a task's message back when the
worker running it dies (Celery 5.7 ``worker/request.py``: with ``acks_late`` and
``reject_on_worker_lost``, a ``WorkerLostError`` ends in ``reject(requeue=True)``), so the task
runs again with no count and no end. Each flag comes from the task's options, or, where it leaves
one out, from the app's settings written in the task's module or the app's (``app.conf.task_acks_late
= True``, ``app.conf.update(task_acks_late=True)``). ``retry_on_worker_lost`` sends it through
the task's own retries instead, capped by ``max_retries``. Kept only when it reaches paid work."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import libcst as cst

from retrylint.analysis.layers.layer import Layer, Policy, keywords_of
from retrylint.analysis.model import Function, ModuleModel, Scope, identifier
from retrylint.catalog import LayerSpec


_SETTINGS: WeakKeyDictionary[ModuleModel, dict[str, dict]] = WeakKeyDictionary()


def redeliveries(finder, function: Function, spec: LayerSpec, anchor, call: cst.Call | None, scope: Scope,
                 options: dict) -> list[Layer | None]:
    """The task's redelivery layers: when its worker dies, and when it is killed at its time limit."""
    return [redelivery(finder, function, spec, anchor, call, scope, options, rule)
            for rule in (spec.redelivery, spec.timeout_redelivery) if rule.flags]


def redelivery(finder, function: Function, spec: LayerSpec, anchor, call: cst.Call | None, scope: Scope,
               options: dict, rule) -> Layer | None:
    """The redelivery layer of a task whose options (and app settings) turn ``rule`` on, or None."""
    model = finder.model
    settings = None

    def flag(name: str):
        nonlocal settings
        if name in options:
            return model.literal(*options[name])
        if settings is None:
            declared = call.func if call is not None else getattr(anchor, "decorator", None)
            settings = _app_settings(model, declared, scope, rule.setting_prefix or "")
        return settings.get(name)

    if not all(flag(name) is True for name in rule.flags):
        return None
    if rule.off and next((value for value in map(flag, rule.off) if value is not None), True) is not False:
        return None  # (Celery acks_on_timeout: true unless given false)
    if any(flag(name) is None for name in rule.given):
        return None
    if rule.capped_by and flag(rule.capped_by) is True:
        attempts = options.get(spec.attempts.param)
        if attempts is None or model.literal(*attempts) is not None:
            return None  # the task's own retries count it, and stop it
    policy = Policy(capped=False, retries_exceptions=False)
    layer = Layer("redelivery", spec.library, rule.label or f"{spec.label} redelivery", anchor, function, None,
                  policy, call=call, keywords=keywords_of(call), speculative=True)
    layer.note = rule.note or ""
    return layer


def _app_settings(model: ModuleModel, declared, scope: Scope, prefix: str) -> dict:
    """The app settings named ``prefix + option`` written in this module and, when the task's app
    is imported (``@app.task`` with ``from proj.celery import app``), in the app's module."""
    found = _settings_in(model, prefix)
    receiver = declared.value if isinstance(declared, cst.Attribute) else None
    binding = scope.lookup(identifier(receiver.value)) if isinstance(receiver, cst.Name) else None
    if binding is not None and binding.imported and binding.qualname and model.project is not None:
        exported = model.project.exported_binding(binding.qualname, model.root)
        if exported is not None and exported[1] is not model:
            found = {**_settings_in(exported[1], prefix), **found}
    return found


def _settings_in(model: ModuleModel, prefix: str) -> dict:
    """The module's app settings named ``prefix + option`` (read once per module and prefix: every
    task of the module asks; callers only read the dict)."""
    known = _SETTINGS.setdefault(model, {})
    if prefix not in known:
        known[prefix] = _read_settings(model, prefix)
    return known[prefix]


def _read_settings(model: ModuleModel, prefix: str) -> dict:
    found = {}
    for target, value, scope in model.assignments:  # app.conf.task_acks_late = True
        if isinstance(target, cst.Attribute) and _is_conf(target.value):
            name = identifier(target.attr.value)
            if name.startswith(prefix):
                found[name[len(prefix):]] = model.literal(value, scope)
    for function in model.functions:  # app.conf.update(task_acks_late=True, ...)
        for site in function.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "update" and _is_conf(func.value):
                for name, arg in keywords_of(site.node).items():
                    if name.startswith(prefix):
                        found[name[len(prefix):]] = model.literal(arg.value, function.scope)
    return found


def _is_conf(expr) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == "conf"
