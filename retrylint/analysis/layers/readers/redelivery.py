"""At-least-once redelivery as a retry layer: a queue that hands a task's message back when the
worker running it dies (Celery 5.7 ``worker/request.py``: with ``acks_late`` and
``reject_on_worker_lost``, a ``WorkerLostError`` ends in ``reject(requeue=True)``), so the task
runs again with no count and no end. Each flag comes from the task's options, or, where it leaves
one out, from the app's settings (readers/app_settings.py). ``retry_on_worker_lost`` sends it
through the task's own retries instead, capped by ``max_retries``. A broker can hand the message
out again by itself: kombu's Redis transport does when it has stayed unacked past the
``visibility_timeout``, and SQS does past the queue's (which kombu's SQS transport sets when it makes
the queue), so a run longer than that runs again beside the first, unless a time limit at most that
long ends every run. Kept only when it reaches paid work."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.layer import Layer, Policy, keywords_of
from retrylint.analysis.layers.readers.app_settings import app_settings
from retrylint.analysis.local_servers import url_matches
from retrylint.analysis.model import NO_LITERAL, Function, Scope
from retrylint.catalog import LayerSpec


def redeliveries(finder, function: Function, spec: LayerSpec, anchor, call: cst.Call | None, scope: Scope,
                 options: dict) -> list[Layer | None]:
    """The task's redelivery layers: when its worker dies, when it is killed at its time limit,
    and when it outlives the broker's visibility timeout."""
    read = _Options(finder.model, spec, anchor, call, scope, options)
    return [redelivery(read, spec, function, anchor, call, rule)
            for rule in (spec.redelivery, spec.timeout_redelivery, spec.visibility_redelivery) if rule.flags]


class _Options:
    """A task's options, each from the task (its decorator, a base Task) or else the app's settings."""

    def __init__(self, model, spec: LayerSpec, anchor, call: cst.Call | None, scope: Scope, options: dict):
        self.model, self.spec, self.options = model, spec, options
        self._declared = call.func if call is not None else getattr(anchor, "decorator", None)
        self._scope = scope
        self._settings = None

    def setting(self, name: str):
        """The app setting ``name`` as written (expression, scope), or None."""
        if self._settings is None:
            self._settings = app_settings(self.model, self._declared, self._scope, self.spec.app_settings)
        return self._settings.get(name)

    def given(self, name: str, prefix: str):
        """The option ``name`` as written, or the app setting ``prefix + name``, or None."""
        return self.options.get(name) or self.setting(prefix + name)

    def value(self, name: str, prefix: str):
        """The option's literal value; None when not given, NO_LITERAL when not a literal."""
        written = self.given(name, prefix)
        return self.model.literal(*written) if written is not None else None


def redelivery(read: _Options, spec: LayerSpec, function: Function, anchor, call, rule) -> Layer | None:
    """The redelivery layer of a task whose options (and app settings) turn ``rule`` on, or None."""
    prefix = rule.setting_prefix or ""

    def flag(name: str):
        return read.value(name, prefix)

    if not all(flag(name) is True for name in rule.flags):
        return None
    if rule.off and next((value for value in map(flag, rule.off) if value is not None), True) is not False:
        return None  # (Celery acks_on_timeout: true unless given false)
    if any(flag(name) is None for name in rule.given):
        return None
    if rule.capped_by and flag(rule.capped_by) is True:
        attempts = read.options.get(spec.attempts.param)
        if attempts is None or read.model.literal(*attempts) is not None:
            return None  # the task's own retries count it, and stop it
    note, unlimited, label = rule.note or "", False, rule.label or f"{spec.label} redelivery"
    if rule.broker_kinds:
        outliving = _outliving(read, rule, prefix)
        if outliving is None:
            return None
        note, unlimited, broker = outliving
        label = label.format(broker=broker, a_broker=f"{_article(broker)} {broker}")
    policy = Policy(capped=False, retries_exceptions=False)
    layer = Layer("redelivery", spec.library, label, anchor, function, None,
                  policy, call=call, keywords=keywords_of(call), speculative=True)
    layer.note, layer.ends_when_guarded = note, rule.guards_end_it
    layer.outlived_per_item = unlimited and rule.outlived_per_item
    return layer


def _outliving(read: _Options, rule, prefix: str) -> tuple[str, bool, str] | None:
    """The note of a broker redelivery that can happen (the broker is of one of
    ``rule.broker_kinds`` and no time limit ends every run within its window), whether no limit is
    set at all (with the window at its default or longer), and the broker's name; or None when it
    cannot happen, or is not known to."""
    url = next((read.setting(name) for name in rule.broker_settings if read.setting(name) is not None), None)
    kind = _broker_kind(url, rule) if url is not None else None
    if kind is None:
        return None  # not such a broker, or not known to be (an environment variable)
    broker, default = kind
    window = _window(read, rule, default)
    if window is None:
        return None
    limits = []
    for name in rule.outlived_by:
        # the task's own limit, and the app's, which the worker's pool applies when the task's is None
        written = [read.options.get(name), read.setting(prefix + name)]
        values = [read.model.literal(*given) for given in written if given is not None]
        if any(value is NO_LITERAL or (_number(value) and value <= window) for value in values):
            return None  # ends within the window, or not known not to
        limits += [f"{name} {_seconds(value)} s" for value in values[:1] if value is not None]
    limit = ", ".join(limits) if limits else f"no {rule.outlived_by[0]}" if rule.outlived_by else ""
    unlimited = not limits and window >= default  # a lowered window is outlasted sooner
    return (rule.note or "").format(limit=limit, timeout=_seconds(window), broker=broker), unlimited, broker


def _broker_kind(url, rule) -> tuple[str, float] | None:
    """The name and default window of the first of ``rule.broker_kinds`` the broker URL is known to match."""
    for kind in rule.broker_kinds:
        glob, name, seconds = kind.rsplit("=", 2)
        if url_matches(*url, (glob,)):
            return name, float(seconds)
    return None


def _window(read: _Options, rule, default: float) -> float | None:
    """The broker's window (visibility_timeout) from the app's transport options or its default;
    None when the options are written but not readable as a dict, or leave the window unknown."""
    written = read.setting(rule.window_setting) if rule.window_setting else None
    if written is None:
        return default
    expr, scope = written
    if not isinstance(expr, cst.Dict):
        return None
    if any(isinstance(element, cst.DictElement) and read.model.literal(element.key, scope) in rule.unknown_window_keys
           for element in expr.elements):
        return None
    for element in expr.elements:
        if not isinstance(element, cst.DictElement):
            return None  # **other_options may hold it
        if read.model.literal(element.key, scope) == rule.window_key:
            value = read.model.literal(element.value, scope)
            return value if _number(value) else None
    return default


def _article(name: str) -> str:
    """"an" before an initialism read letter by letter from a vowel sound (an SQS), else "a"."""
    return "an" if name.isupper() and name[0] in "AEFHILMNORSX" else "a"


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

