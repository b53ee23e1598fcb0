"""Form ``billable-call``: a paid call that retries itself by its own keywords (instructor's
``client.chat.completions.create(response_model=M, max_retries=3)`` asks again while the answer
fails validation): a layer whose retried unit is that one call. The cap keyword may instead hold
a retrying object of the catalog (a tenacity ``Retrying(...)``), which is then the policy, read
in its own dialect."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.layers.dialects import policy_reader
from retrylint.analysis.layers.dialects.keywords import call_options
from retrylint.analysis.layers.layer import ExceptionRef, Layer, bound_call, keywords_of, positional
from retrylint.analysis.layers.readers.base import FORWARDED_CALL, IMPORTED_CALL, FormReader
from retrylint.analysis.pins import older_than, pinned_version
from retrylint.analysis.receiver_calls import receiver_calls


def read_billable_call(finder, function, site, spec):
    call, scope, model = site.node, function.scope, finder.model
    if spec.settings.paths:
        return _settings_layer(finder, function, spec, call)
    if spec.made_by and not _made_by(function, spec, call):
        return None
    kw = keywords_of(call)
    # Without a response model the call is passed straight through: nothing is validated or retried.
    handed = kw.get(spec.target_keyword) if spec.target_keyword else None
    if handed is None and spec.target_position is not None:
        handed = positional(call, spec.target_position)
    if (spec.target_keyword or spec.target_position is not None) and (handed is None or model.literal(handed.value, scope) is None):
        return None
    cap = kw.get(spec.attempts.param) if spec.attempts.param else None
    given = bound_call(cap.value, scope) if cap is not None else None
    retrying = finder.catalog.layer_by_name.get(model.qualify(given.func, scope)) if given is not None else None
    if retrying is not None and retrying.form == "retrying":
        policy = policy_reader(retrying.dialect)(finder, retrying, given, scope, None)
        policy.answers_only = bool(policy.retry_on) and not (policy.retry_all or policy.predicate) \
            and all(ref.name in spec.retry_on.default for ref in policy.retry_on)
        layer = Layer("billable-call", spec.library, f"{spec.label}={retrying.label}", call, function, call,
                      policy, spec=retrying, call=given, keywords=keywords_of(given))
    else:
        policy = finder.keyword_policy(spec, call, scope, _options(finder, function, spec, call))
        if spec.retry_on.default and spec.retry_on_param not in kw:
            # What it retries by default: a malformed answer when it re-asks (instructor), else errors (LiteLLM).
            policy.retry_all, policy.retries_exceptions, policy.answers_only = False, True, spec.reasks
            policy.retry_on = [ExceptionRef(name, cst.Name(name.rpartition(".")[2])) for name in spec.retry_on.default]
        label = _older_semantics(finder.model, spec, policy)
        layer = Layer("billable-call", spec.library, label, call, function, call, policy, spec=spec, call=call,
                      keywords=kw)
    options = _options(finder, function, spec, call) or {name: None for name in kw}
    budgeted = spec.budget is not None and spec.budget in options
    layer.reasks = spec.reasks and not budgeted  # a token budget bounds what the re-asks spend
    # An older release's semantics (the label names it) predate the budget keyword too (token_budget: 1.16).
    older = layer.spec is spec and layer.label != spec.label
    layer.budget = spec.budget if layer.reasks and not older else None
    return layer


def _settings_layer(finder, function, spec, call):
    """A layer whose options are those of a settings object the call's keywords lead to
    (``Runner.run(agent)`` with ``Agent(model_settings=ModelSettings(retry=ModelRetrySettings(
    max_retries=2, policy=...)))``); none without one. Without ``settings.requires`` it never
    retries; its attempts keyword given as 0 may turn the client's retries off (``client_off``)."""
    found = _settings_object(function, spec, call)
    if found is None:
        return None
    settings, where = found
    options = call_options(spec, settings, where)
    policy = finder.keyword_policy(spec, settings, where, options)
    required = spec.settings.requires
    if required and (required not in options or where.model.literal(*options[required]) is None):
        policy.capped, policy.attempts = True, 1
    layer = Layer("billable-call", spec.library, spec.label, call, function, call, policy, spec=spec, call=settings,
                  keywords=keywords_of(settings))
    given = options.get(spec.attempts.param)
    layer.client_off = spec.settings.client_off and given is not None and where.model.literal(*given) == 0
    return layer


def _made_by(function, spec, call) -> bool:
    """The client called (``guard(...)``) or called on (``guard.acall(...)``) was made by one of
    ``spec.made_by``, written there or through names, attributes, imports and factories."""
    from retrylint.analysis.client_retries import constructor_of  # it reads layers: imported when needed

    receiver = _receiver(call, function)
    made = constructor_of(receiver, function)
    if made is None:
        return False
    node, where = made
    while True:  # ``Guard.for_pydantic(Pet).use(...)``: each call of the chain
        if where.model.qualify(node.func, where) in spec.made_by or _made_with(spec.made_with, node, where):
            return True
        if not (isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Call)):
            break
        node = node.func.value
    # ``guard.use(ToxicLanguage(on_fail="reask"))`` as a statement of its own
    return any(_made_with(spec.made_with, given, where) for given, where in receiver_calls(receiver, function, spec.made_with.methods))


def _receiver(call: cst.Call, function) -> cst.BaseExpression:
    """The client a call is made on (``guard`` of ``guard.parse(...)``), or the one called (``self.guard(...)``)."""
    return call.func.value if isinstance(call.func, cst.Attribute) and not _is_self(call.func, function) else call.func


def _made_with(made_with, node: cst.Call, where) -> bool:
    """``.use(ToxicLanguage(on_fail="reask"))``: a method of the chain handed an object (written
    there, in a list keyword, or bound to a name) whose keyword holds one of ``made_with``'s values."""
    if not (made_with.keyword and isinstance(node.func, cst.Attribute) and node.func.attr.value in made_with.methods):
        return False
    handed = [arg.value for arg in node.args]
    handed += [element.value for value in handed if isinstance(value, (cst.List, cst.Tuple)) for element in value.elements
               if isinstance(element, cst.Element)]
    for value in handed:
        given = bound_call(value, where)
        option = keywords_of(given).get(made_with.keyword) if given is not None else None
        if option is None:
            continue
        literal = where.model.literal(option.value, where)
        if isinstance(literal, str) and literal.lower() in made_with.values \
                or where.model.qualify(option.value, where) in made_with.names:
            return True
    return False


def _is_self(func, function) -> bool:
    """``self.guard``: the attribute is the client itself (called), not a method on it."""
    return isinstance(func.value, cst.Name) and function.scope.cls is not None and func.value.value == function.scope.self_name


def _settings_object(function, spec, call):
    """The settings object (with the scope its keywords are read in) at the first of
    ``spec.settings.paths`` that leads to one: each segment a keyword (the first also by
    position) whose value is a call, written there or bound to a name (the first through
    attributes, imports and factories)."""
    from retrylint.analysis.client_retries import constructor_of  # it reads layers: imported when needed

    for path in spec.settings.paths:
        first, *rest = path.split(".")
        name, _, position = first.partition(":")
        arg = keywords_of(call).get(name) or (positional(call, int(position)) if position else None)
        if arg is None:
            continue
        value = arg.value
        made = (value, function.scope) if isinstance(value, cst.Call) else constructor_of(value, function)
        for segment in rest:
            if made is None:
                break
            inner = keywords_of(made[0]).get(segment)
            value = bound_call(inner.value, made[1]) if inner is not None else None
            made = (value, made[1]) if value is not None else None
        if made is not None and made[1].model.qualify(made[0].func, made[1]) in spec.settings.objects:
            return made
    return None


def _older_semantics(model, spec, policy) -> str:
    """The layer's label; when the project pins a release older than ``spec.older.below``, the
    policy read with that release's meaning (instructor 1.15.1: max_retries counted every
    attempt, and every error was retried), and the label says which release."""
    older = spec.older
    version = pinned_version(model.path, older.package) if older.package and older.below else None
    if version is None or not older_than(version, older.below):
        return spec.label
    if older.counts == "attempts" and spec.attempts.counts == "retries" and policy.attempts is not None:
        policy.attempts -= 1
    if older.retry_all:
        policy.retry_all, policy.retry_on, policy.answers_only = True, [], False
    return f"{spec.label} ({older.package} {version}: {older.note})" if older.note else f"{spec.label} ({older.package} {version})"


def _options(finder, function, spec, call) -> dict | None:
    """The call's keywords over those of the client's constructor (``Agent(..., retries=3)``),
    when the catalog says the constructor gives them; None: the call's alone."""
    if spec.defaults.receiver_method:
        return _receiver_options(spec, call, function)
    if not spec.constructor_options:
        return None
    from retrylint.analysis.client_retries import constructor_of  # it reads layers: imported when needed

    made = constructor_of(_receiver(call, function), function)  # ``agent.run(...)`` is called on the client; ``refine(...)`` calls it
    if made is None:
        return None
    constructor, where = made
    if where.model.qualify(constructor.func, where) not in spec.clients:
        return None
    options = call_options(spec, constructor, where)
    options.update(call_options(spec, call, function.scope))
    if spec.tools.agents:  # a tool's own budget may be larger than the agent's: the largest is the worst case
        from retrylint.analysis.layers.readers.agent_tools import run_budget

        largest = run_budget(spec, call, function, made, options)
        if largest is not None:
            options[spec.attempts.param] = (cst.Integer(str(largest)), function.scope)
    return options


def _receiver_options(spec, call, function) -> dict:
    """The call's keywords over those of ``spec.defaults.receiver_method`` called on its client
    (``guard.configure(num_reasks=3)``), of which a falsy value sets nothing when
    ``falsy_ignored``."""
    options = {}
    for given, where in receiver_calls(_receiver(call, function), function, (spec.defaults.receiver_method,)):
        for name, (value, scope) in call_options(spec, given, where).items():
            if not (spec.defaults.falsy_ignored and not where.model.literal(value, scope)):
                options[name] = (value, scope)
    options.update(call_options(spec, call, function.scope))
    return options


class BillableCallReader(FormReader):
    form = "billable-call"
    prefilter_shapes = (IMPORTED_CALL, FORWARDED_CALL)
    at_call = staticmethod(read_billable_call)
