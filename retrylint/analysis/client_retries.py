"""The SDK client under a billable call and how often it retries by itself (OpenAI and
Anthropic clients retry twice by default): a retry layer of its own for RTL005."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of, positional
from retrylint.analysis.model import NO_LITERAL, Function, ModuleModel, Scope, identifier
from retrylint.analysis.client_constructors import constructor_of
from retrylint.analysis.local_servers import url_matches
from retrylint.analysis.model.caller_args import receivers
from retrylint.analysis.known_values import counted, known
from retrylint.analysis.options import unpacked_options
from retrylint.analysis.provider_defaults import provider_retries
from retrylint.analysis.client_versions import default_retries, given_retries
from retrylint.catalog import Catalog, ClientSpec


@dataclass
class ClientUse:
    """The SDK client a billable call goes through, and how often that client retries."""

    spec: ClientSpec
    retries: int
    attempts: int  # requests one call sends at worst: retries + 1, or more when each retry sends several
    constructor: cst.Call | None  # where ``max_retries=0`` can be passed
    model: ModuleModel  # the module the constructor is written in
    local: bool = False  # it talks to a server on this machine (``base_url="http://localhost..."``): nothing billed
    note: str = ""  # where its retries come from, when not plain (``legacy mode``)
    per_retry: int = 1  # requests each retry sends (LiteLLM ``num_retries=N``: 2)
    keyword_stops: bool = True  # passing the retries keyword as 0 stops them (not under a per-error policy)
    given: bool = False  # its retries are written in the code (not the SDK's default)


def client_use(catalog: Catalog, call: cst.Call, function: Function, target: str) -> ClientUse | None:
    """The SDK client a billable call to ``target`` goes through, with its retries."""
    owner, spec = _client_of(catalog, target)
    if spec is None:
        return _made_as(catalog, call, function, target)
    if target[len(owner) + 1:] in spec.retryless_calls:
        return None
    if spec.given.paths or spec.given.setters:
        from retrylint.analysis.given_clients import DEFAULT, given_client  # it reads constructors as this module does

        handed = given_client(catalog, call, function, spec)
        if handed is not DEFAULT:
            return _handed_use(catalog, spec, handed)
    if spec.calls_through.keyword:
        from retrylint.analysis.called_through import called_through  # it reads clients with this module

        return called_through(catalog, spec, call, function, target)
    return _own_use(catalog, spec, owner, call, function)


def _handed_use(catalog: Catalog, spec: ClientSpec, handed: tuple[cst.Call, Scope] | None) -> ClientUse | None:
    """The client handed to a framework (catalog ``given``), in place of its default one."""
    use = _made_by(catalog, *handed) if handed is not None else None
    if use is not None:
        use.note = ", ".join(filter(None, [use.note, f"the client {spec.provider} runs on"]))
    return use


def _own_use(catalog: Catalog, spec: ClientSpec, owner: str, call: cst.Call, function: Function) -> ClientUse | None:
    """The client the call is made on (or the module client), with the retries it is built with."""
    model = function.scope.model
    found, override = _receiver_constructor(spec, owner, call, function)
    if spec.module:
        given = _argument(call, spec.retries_param, function.scope)
        if given is not None:
            override = model.literal(*given)
        elif override is None and spec.retries.setting_adds:
            return _module_default(spec, call, function, owner)
        elif override is None and spec.setting:
            override = _module_setting(model, owner, spec.setting)
    constructor, where = found if found is not None else (None, function.scope)
    if spec.wraps.position is not None or spec.wraps.keyword:
        return _wrapped(catalog, spec, constructor, where)
    if _is_int(override):
        retries = override
        per_retry = spec.retries.requests_per_retry
        return ClientUse(spec, retries, retries * per_retry + 1, constructor, where.model,
                         local=_local(spec, constructor, where), per_retry=per_retry, given=True)
    retries, note, given = _constructor_retries(spec, constructor, where) if override is None else (spec.default_retries, "", False)
    largest = _policy_retries(spec, constructor, where)
    if largest is not None and largest > retries:
        retries, note = largest, f"the largest in {spec.retry_policy.param}"
    attempts = retries + 1
    if spec.retries.outer_attempts and retries > 0:
        attempts, note = retries * (retries + 1), f"its own retry decorator makes {retries} attempt{'s' if retries != 1 else ''}"
    from retrylint.analysis.client_fallbacks import with_fallbacks  # it reads values as this module does

    attempts, note, tried = with_fallbacks(spec, constructor, where, attempts, note, call, function.scope)
    return ClientUse(spec, retries, attempts, constructor, where.model, local=_local(spec, constructor, where),
                     note=note, keyword_stops=not largest and not tried, given=given)


def _receiver_constructor(spec: ClientSpec, owner: str, call: cst.Call, function: Function):
    """The constructor of the client ``call`` is made on and the scope its arguments are read in
    (through names, attributes, factories: ``self._client().embeddings.create``), and the retries
    a call on the way passes (``client.with_options(max_retries=0)``), or None."""
    model = function.scope.model
    override = None
    expr = call.func
    with receivers():  # a parameter is what its callers pass (model/caller_args.py)
        while expr is not None:
            if isinstance(expr, cst.Call):
                kw = keywords_of(expr)
                if override is None and spec.retries_param in kw:
                    override = model.literal(kw[spec.retries_param].value, function.scope)
                if model.qualify(expr.func, function.scope) in spec.names:
                    return (expr, function.scope), override
                made = None if spec.module else constructor_of(expr, function)
                if made is not None and model.qualify(made[0].func, made[1]) in spec.names:
                    return made, override  # a factory's returned client
                expr = expr.func
            elif isinstance(expr, cst.Attribute):
                if model.qualify(expr, function.scope) == owner and not spec.module:
                    return constructor_of(expr, function), override
                expr = expr.value
            elif isinstance(expr, cst.Name):
                return (None if spec.module else constructor_of(expr, function)), override
            else:
                break
    return None, override


def _client_of(catalog: Catalog, target: str) -> tuple[str, ClientSpec | None]:
    """The catalogued client ``target`` is a call of (``openai.OpenAI.chat.completions.create``:
    ``openai.OpenAI``), with its spec."""
    owner = target
    while "." in owner:
        owner = owner.rpartition(".")[0]
        spec = catalog.client_by_name.get(owner)
        if spec is not None:
            return owner, spec
    return owner, None


def _made_as(catalog: Catalog, call: cst.Call, function: Function, target: str) -> ClientUse | None:
    """A receiver typed as a base class (a factory annotated ``-> BaseChatModel``) that a project
    factory builds with a client's constructor (``return ChatOpenAI(...)``): that client's retries."""
    receiver = call.func.value if isinstance(call.func, cst.Attribute) and not target.endswith(".__call__") else call.func
    if not isinstance(receiver, (cst.Name, cst.Attribute)):
        return None
    others: list[tuple[cst.Call, Scope]] = []
    found = constructor_of(receiver, function, others)
    if found is None or None in others:
        return None
    uses = [_made_by(catalog, constructor, where) for constructor, where in [found, *others]]
    if not uses or None in uses or any(use.local for use in uses):
        return None
    worst = max(uses, key=lambda use: use.retries)
    if others:  # one keyword does not stop them all: no fix
        worst.constructor = None
    return worst


def _made_by(catalog: Catalog, constructor: cst.Call, where: Scope) -> ClientUse | None:
    spec = catalog.client_by_name.get(where.model.qualify(constructor.func, where) or "")
    if spec is None or spec.module or spec.wraps.position is not None or spec.wraps.keyword:
        return None
    retries, note, given = _constructor_retries(spec, constructor, where)
    return ClientUse(spec, retries, retries + 1, constructor, where.model, local=_local(spec, constructor, where),
                     note=note, given=given)


def _module_default(spec: ClientSpec, call: cst.Call, function: Function, owner: str) -> ClientUse:
    """A module-level call without the retries keyword (``litellm.completion(...)``): the SDK's
    retries (its own keyword, ``max_retries=0``, or its default), and the attempts a module
    setting adds after them (``litellm.num_retries = 2``: its wrapper runs the call 2 more times)."""
    model = function.scope.model
    retries, written = spec.default_retries, False
    for param in spec.retries.sdk_params:
        given = _argument(call, param, function.scope)
        if given is not None:
            value = model.literal(*given)
            retries, written = (value, True) if _is_int(value) else (spec.default_retries, False)
            break
    added = _module_setting(model, owner, spec.setting) if spec.setting else None
    if not added or added < 0:
        return ClientUse(spec, retries, retries + 1, None, model, given=written)
    return ClientUse(spec, retries, retries + 1 + added, None, model, note=f"{owner}.{spec.setting}={added} adds {added}",
                     given=written)


def _policy_retries(spec: ClientSpec, constructor: cst.Call | None, where: Scope) -> int | None:
    """The largest of a constructor's per-error retry counts (``Router(retry_policy=RetryPolicy(
    RateLimitErrorRetries=5))``, or a dict); None without one."""
    policy = spec.retry_policy
    given = _argument(constructor, policy.param, where) if constructor is not None else None
    if given is None:
        return None
    value = bound_value(*given)
    model = where.model
    if isinstance(value, cst.Call) and model.qualify(value.func, given[1]) in policy.objects:
        counts = [model.literal(arg.value, given[1]) for arg in value.args if arg.keyword is not None]
    else:
        counts = list((_literal_dict(model, *given) or {}).values())
    return max((count for count in counts if _is_int(count)), default=None)


def _wrapped_function(catalog: Catalog, expr, scope: Scope) -> ClientUse | None:
    """A module-level client's function handed to a wrapper (``instructor.from_litellm(litellm.completion)``)."""
    where = scope.model
    owner = where.qualify(expr, scope) or ""
    while "." in owner:
        owner = owner.rpartition(".")[0]
        inner = catalog.client_by_name.get(owner)
        if inner is not None:
            if not inner.module:
                return None
            setting = _module_setting(where, owner, inner.setting) if inner.setting else None
            retries = setting if _is_int(setting) else inner.default_retries
            per_retry = inner.retries.requests_per_retry if _is_int(setting) else 1
            return ClientUse(inner, retries, retries * per_retry + 1, None, where, per_retry=per_retry, given=_is_int(setting))
    return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _constructor_retries(spec: ClientSpec, constructor: cst.Call | None, where: Scope) -> tuple[int, str, bool]:
    """The retries a client's constructor sets (its keyword, or a config object's retries dict),
    the SDK's default when it says nothing, 0 when set in a way this pass does not read; what
    messages add about where the number comes from (``legacy mode``); and whether the code
    writes the number (``max_retries=2`` is given, not a default, even when it equals one)."""
    if constructor is None:
        return spec.default_retries, "", False
    given = _argument(constructor, spec.retries_param, where)
    if given is not None:
        found = counted(known(*given), least=0)  # (``max_retries=self.max_retries``: its field's default)
        value = found.value if found is not None else NO_LITERAL
        if not _is_int(value):
            return spec.default_retries, "", False
        retries, note = given_retries(spec, value, where.model)
        return retries, note, not found.default  # (a default of the project's: "retries 3 by default")
    if any(p in keywords_of(constructor) for p in spec.opaque_params):
        return 0, "", False  # configured in a way this pass does not read: do not count it
    config = _argument(constructor, spec.config.param, where)
    if config is not None:
        return _config_retries(spec, *config, where.model, unset=_unset_retries(spec, constructor, where))
    return (*_unset_retries(spec, constructor, where), False)


def _unset_retries(spec: ClientSpec, constructor: cst.Call, where: Scope) -> tuple[int, str]:
    """The retries of a client whose code does not set them: those of the SDK its model string
    names (``init_chat_model("openai:gpt-4o")``), else the SDK's default."""
    return provider_retries(spec.model_providers, constructor, where) or default_retries(spec, where.model)


def _config_retries(spec: ClientSpec, expr, scope, where: ModuleModel, unset: tuple[int, str] | None = None) -> tuple[int, str, bool]:
    """``config=Config(retries={"mode": "legacy", "total_max_attempts": 3})`` (or the config as a
    dict, the retries as an object), written in the call or bound to a name; 0 (not counted)
    when it cannot be read; ``unset`` (the SDK default's) when it says nothing of them."""
    config = spec.config
    options, given = _config_options(config, bound_value(expr, scope), scope, where)
    if options is None:
        return 0, "", False
    if _is_int(options.get(config.total_key)):
        return max(options[config.total_key] - 1, 0), "", True
    if _is_int(options.get(config.retries_key)):
        return options[config.retries_key], "", True
    mode = options.get(config.mode_key)
    if mode is not None and mode == config.legacy_mode:
        return config.legacy_retries, f"{mode} mode", True
    if given and config.given_total is not None and options.get(config.total_key) is None:
        return config.given_total - 1, "", False  # HttpRetryOptions(): its default attempts
    if mode is not None:
        return spec.default_retries, "", False
    return (*(unset or default_retries(spec, where)), False)


def _config_options(config, value, scope, where: ModuleModel) -> tuple[dict | None, bool]:
    """The retry options a config sets (None: they cannot be read), and whether it gives its
    retries keyword at all."""
    if config.keyword is None and isinstance(value, cst.Dict):
        return _literal_dict(where, value, scope), True  # model_settings={"max_retries": 0}
    if isinstance(value, cst.Dict) and config.keyword_objects:  # http_options={"retry_options": ...}
        given = _dict_entry(value, config.keyword, scope)
        if given is None and not all(isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) for e in value.elements):
            return None, False
    elif not isinstance(value, cst.Call) or where.qualify(value.func, scope) not in config.objects:
        return None, False
    elif config.keyword is None:
        return {name: where.literal(arg.value, scope) for name, arg in keywords_of(value).items()}, True
    else:
        given = _argument(value, config.keyword, scope)
    return _retry_options(config, given, where), given is not None


def _retry_options(config, given, where: ModuleModel) -> dict | None:
    """The retry options of a config: a dict literal, or the keywords of a ``keyword_objects``
    call (each a literal); {} when not given; None when they cannot be read."""
    if given is None:
        return {}
    value = bound_value(*given)
    if isinstance(value, cst.Call) and where.qualify(value.func, given[1]) in config.keyword_objects:
        if any(arg.keyword is None for arg in value.args):
            return None
        found = {identifier(arg.keyword.value): where.literal(arg.value, given[1]) for arg in value.args}
        counted = [found.get(key) for key in (config.total_key, config.retries_key, config.mode_key) if key]
        return None if any(item is NO_LITERAL for item in counted) else found
    return _literal_dict(where, *given)


def _dict_entry(value: cst.Dict, key: str, scope):
    """The value of a string key of a dict literal, with its scope; None when absent."""
    for element in value.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString) \
                and element.key.evaluated_value == key:
            return element.value, scope
    return None


def bound_value(expr, scope):
    """``expr``, or the value a plain name is bound to."""
    if isinstance(expr, cst.Name):
        binding = scope.lookup(identifier(expr.value))
        return binding.value if binding is not None and binding.scope is not None else None
    return expr


def _literal_dict(where: ModuleModel, expr, scope) -> dict | None:
    """A dict literal of string keys and literal values (or a name bound to one); None otherwise."""
    value = bound_value(expr, scope)
    if not isinstance(value, cst.Dict):
        return None
    found = {}
    for element in value.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return None
        literal = where.literal(element.value, scope)
        if literal is NO_LITERAL:
            return None
        found[element.key.evaluated_value] = literal
    return found


def _wrapped(catalog: Catalog, spec: ClientSpec, wrapper: cst.Call | None, where: Scope) -> ClientUse | None:
    """The SDK client a wrapper was made from (``instructor.from_openai(OpenAI(max_retries=0))``),
    written in the call or bound to a name: the wrapper keeps that client's retries."""
    kw = keywords_of(wrapper)
    arg = kw.get(spec.wraps.keyword) if spec.wraps.keyword else None
    if arg is None and spec.wraps.position is not None:
        arg = positional(wrapper, spec.wraps.position)
    method = kw.get(spec.wraps.method_keyword) if arg is None and spec.wraps.method_keyword else None
    if method is not None and isinstance(method.value, cst.Attribute):
        arg = method.value.value  # ``create=AsyncAnthropic(...).messages.create``: the client it is a method of
        while isinstance(arg, cst.Attribute):
            arg = arg.value
        arg = cst.Arg(arg)
    if arg is None:
        return None
    value = bound_value(arg.value, where)
    if not isinstance(value, cst.Call):
        return _wrapped_function(catalog, arg.value, where)
    inner = catalog.client_by_name.get(where.model.qualify(value, where) or "")
    if inner is None or inner.wraps.position is not None or inner.wraps.keyword:
        return None
    retries, note, given = _constructor_retries(inner, value, where)
    return ClientUse(inner, retries, retries + 1, value, where.model, local=_local(inner, value, where), note=note,
                     given=given)

def _local(spec: ClientSpec, constructor: cst.Call | None, where: Scope) -> bool:
    """The client is built with a ``base_url`` on this machine (a local vLLM or Ollama), as far as
    literals reach it (analysis/local_servers.py)."""
    if constructor is None or not spec.base_url_param:
        return False
    given = _argument(constructor, spec.base_url_param, where)
    return given is not None and url_matches(*given, spec.local_base_urls)

def _module_setting(model: ModuleModel, module: str, setting: str) -> int | None:
    for target, value, scope in model.assignments:
        if isinstance(target, cst.Attribute) and identifier(target.attr.value) == setting:
            if model.qualify(target.value, scope) == module:
                literal = model.literal(value, scope)
                if isinstance(literal, int) and not isinstance(literal, bool):
                    return literal
    return None


def _argument(call: cst.Call, name: str | None, scope):
    """The expression passed as keyword ``name`` (with the scope to read it in), written as a
    keyword or inside a ``**options`` dict; None when it is not passed."""
    if name is None:
        return None
    given = next(((arg.value, scope) for arg in call.args if arg.keyword is not None and identifier(arg.keyword.value) == name), None)
    if given is None and any(arg.star == "**" for arg in call.args):
        given = unpacked_options(call, scope)[0].get(name)
    return given
