"""Form ``task``: a task-queue task (``@app.task(autoretry_for=...)``, ``@dramatiq.actor``, a
``class Job(celery.Task)`` with retry attributes and its own ``run``). Options come from the
decorator, a ``base=`` Task class and its bases; a bound task may retry by hand
(``raise self.retry(exc=e)``), and the ``except`` around that call names what it retries on."""

from __future__ import annotations

import libcst as cst

from retrylint.catalog import LayerSpec
from retrylint.analysis.layers.layer import Layer, TaskParts, keywords_of, last_statement
from retrylint.analysis.layers.readers.base import DECORATOR, IMPORTED_CALL, TASK_CLASS, FormReader
from retrylint.analysis.layers.readers.redelivery import redeliveries
from retrylint.analysis.model import EXCEPT, NO_LITERAL, ClassInfo, Function, Scope


def read_task_decorator(finder, function, decorator, spec, call, scope):
    layer = _task(finder, function, spec, decorator, call, scope)
    if not spec.redelivery.flags:
        return layer
    options, _ = _task_options(finder.model, spec, call, scope)
    return [layer, *redeliveries(finder, function, spec, decorator, call, scope, options)]


def read_task_class(finder, cls: ClassInfo, spec: LayerSpec) -> Layer | None:
    """A Task subclass with retry options and its own ``spec.task_base_method`` (``run``)."""
    method = cls.methods.get(spec.task_base_method) if spec.task_base_method else None
    if method is None:
        return None
    options = _class_options(finder.model, cls)
    layer = _task(finder, method, spec, cls.node, None, finder.model.scope, dict(options), cls)
    if layer is not None:
        layer.kind = "task-class"
        layer.label = f"{spec.label} class"
    if not spec.redelivery.flags:
        return layer
    return [layer, *redeliveries(finder, method, spec, cls.node, None, finder.model.scope, options)]


class TaskReader(FormReader):
    form = "task"
    prefilter_shapes = (DECORATOR, TASK_CLASS, IMPORTED_CALL)
    at_decorator = staticmethod(read_task_decorator)
    at_class = staticmethod(read_task_class)


def _task(finder, function: Function, spec: LayerSpec, anchor, call, scope, options=None, task_class=None) -> Layer | None:
    model = finder.model
    if options is None:
        options, task_class = _task_options(model, spec, call, scope)
    autoretry = spec.retry_on_param in options and any(True for _ in model.elements(*options[spec.retry_on_param]))
    bound = spec.bind_param in options and model.literal(*options[spec.bind_param]) is True
    self_name = function.params[0].name.value if function.params and (bound or task_class is not None or function.cls) else None
    retry_calls = _bound_retry_calls(function, spec, self_name) if self_name else []
    if not autoretry and not retry_calls:
        return None
    if spec.retry_kwargs_param in options:
        _unpack_retry_kwargs(model, spec, options)
    policy = finder.keyword_policy(spec, call, scope, options)
    parts = TaskParts(options_class=task_class, self_name=self_name if bound else None,
                      manual_retries=[site for site, _ in retry_calls])
    layer = Layer("task", spec.library, spec.label, anchor, function, None, policy, spec=spec, call=call,
                  keywords=keywords_of(call), task=parts)
    if retry_calls:
        _merge_bound_retries(finder, layer, retry_calls, autoretry)
    return layer


def _task_options(model, spec: LayerSpec, call: cst.Call | None, scope: Scope) -> tuple[dict, ClassInfo | None]:
    options = {}
    task_class = None
    kw = keywords_of(call)
    if spec.base_param and spec.base_param in kw:
        base = model.qualify(kw[spec.base_param].value, scope)
        task_class = model.class_by_qualname.get(base) if base else None
        if task_class is not None:
            options.update(_class_options(model, task_class))
    options.update({name: (arg.value, scope) for name, arg in kw.items()})
    return options, task_class


def _class_options(model, cls: ClassInfo) -> dict:
    options = {}
    for info in reversed(list(model.class_mro(cls))):
        for name, binding in info.body_attrs.items():
            if binding.value is not None and binding.scope is not None:
                options[name] = (binding.value, binding.scope)
    return options


def _unpack_retry_kwargs(model, spec: LayerSpec, options: dict) -> None:
    """Celery's ``retry_kwargs={"max_retries": 5, "countdown": 0}`` reach every autoretry
    (there, as in ``self.retry``, ``max_retries=None`` means the task's own value)."""
    expr, scope = options[spec.retry_kwargs_param]
    if not isinstance(expr, cst.Dict):
        return
    renames = {spec.bound_retry_attempts: spec.attempts.param}
    renames.update({spec.bound_retry_delay: param for param in spec.delay_params})
    for element in expr.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            key = element.key.evaluated_value
            if key == spec.bound_retry_attempts and model.literal(element.value, scope) is None:
                continue
            if key in renames and renames[key]:
                options[renames[key]] = (element.value, scope)


def _bound_retry_calls(function: Function, spec: LayerSpec, self_name: str):
    """``self.retry(...)`` calls, each with the except handler it sits in (or None)."""
    found = []
    handlers = {id(site.node): site for site in function.handlers}
    for site in function.calls:
        func = site.node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self_name
            and func.attr.value == spec.bound_retry
        ):
            handler = next((handlers[i] for i, kind, _ in reversed(site.path) if kind == EXCEPT and i in handlers), None)
            found.append((site.node, handler))
    return found


def _merge_bound_retries(finder, layer: Layer, retry_calls, autoretry: bool) -> None:
    """What the ``self.retry(...)`` calls add: their attempts and delay, and the exceptions of
    the ``except`` clauses they sit in (or a predicate, outside one)."""
    model = finder.model
    policy, spec, scope = layer.policy, layer.spec, layer.function.scope
    policy.retries_exceptions = True
    if not autoretry:
        policy.retry_all, policy.retry_on = False, []
    for call, handler in retry_calls:
        kw = keywords_of(call)
        if spec.bound_retry_attempts in kw:
            value = model.literal(kw[spec.bound_retry_attempts].value, scope)
            if isinstance(value, int) and not isinstance(value, bool):
                policy.attempts, policy.capped = spec.attempts.total(value), True
            elif value is NO_LITERAL:
                policy.attempts = None
        if spec.bound_retry_delay in kw and model.literal(kw[spec.bound_retry_delay].value, scope) in (0, 0.0):
            policy.waits = False
        if handler is None:
            policy.predicate = True
            continue
        for sibling in _reraising_siblings(layer.function, handler, spec.bound_retry):
            if sibling.type is not None:
                policy.never_retry.extend(finder.exception_refs(sibling.type, scope))
                policy.classifier = True
        if handler.node.type is None:
            policy.retry_all = True
        else:
            refs = finder.exception_refs(handler.node.type, scope)
            policy.retry_on.extend(refs)
            for ref in refs:
                layer.task.manual_retry_handlers.append((ref, handler.node))


def _reraising_siblings(function: Function, handler, retry_method: str) -> list[cst.ExceptHandler]:
    """Earlier ``except`` clauses of the same ``try`` that re-raise (not into another
    retry): the task's non-retryable list."""
    found = []
    for site in function.handlers:
        if site is handler:
            break
        last = last_statement(site.node.body)
        if site.path[:-1] != handler.path[:-1] or not isinstance(last, cst.Raise):
            continue
        retries = (
            isinstance(last.exc, cst.Call)
            and isinstance(last.exc.func, cst.Attribute)
            and last.exc.func.attr.value == retry_method
        )
        if not retries:
            found.append(site.node)
    return found
