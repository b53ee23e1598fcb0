"""Form ``tool``: a function an agent runs as a tool, and runs again, after a billed model turn
that appends the error, while it raises what the layer retries (pydantic-ai: ``ModelRetry``, a
``ValidationError``): ``@agent.tool(retries=3)``, ``@agent.tool_plain``, ``Tool(f, max_retries=3)``,
``Agent(tools=[f])``. Each tool has a budget of its own, or else the agent's (``Agent(retries=2)``,
``Agent(retries={"tools": 2})``). ``run_budget`` is the largest budget a run of the agent may
spend on one tool or output object: the worst case of its re-asks."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.client_constructors import constructor_of
from retrylint.analysis.foreign_errors import may_call
from retrylint.analysis.layers.layer import ExceptionRef, Layer, keywords_of, positional
from retrylint.analysis.layers.readers.base import DECORATOR, IMPORTED_CALL, FormReader
from retrylint.analysis.model import NO_LITERAL, Function, Scope


def read_tool_decorator(finder, function, decorator, spec, call, scope):
    """``@agent.tool(retries=3)`` / ``@agent.tool_plain`` on ``function``."""
    func = call.func if call is not None else decorator.decorator
    if not isinstance(func, cst.Attribute):
        return None
    options = _agent_default(spec, _agent(func.value, _place(finder.model, scope)))
    options.update(_given(spec, call, scope, spec.tools.decorator_keyword))
    return _layer(finder, spec, "decorator", decorator, function, call, scope, options)


def read_tool_call(finder, function, site, spec):
    """``Tool(f, max_retries=3)``, ``agent.tool_plain(f, retries=3)``, or ``Agent(tools=[f, g])``:
    a layer on each project function."""
    call, model, tools = site.node, finder.model, spec.tools
    name = model.qualify(call.func, function.scope)
    if isinstance(call.func, cst.Attribute) and call.func.attr.value in tools.decorators and call.args:
        return read_applied_tool(finder, function, site, spec, call, call)
    if name in tools.objects:
        handed = keywords_of(call).get("function") or positional(call, 0)
        target = model.resolve_function(model.qualify(handed.value, function.scope)) if handed is not None else None
        if target is None:
            return None
        options = _agent_default(spec, _listing_agent(function, call, spec))
        options.update(_given(spec, call, function.scope, tools.object_keyword))
        return _layer(finder, spec, "call", call, target, call, function.scope, options)
    listed = keywords_of(call).get(tools.list_keyword) if name in tools.agents else None
    if listed is None or not isinstance(listed.value, (cst.List, cst.Tuple)):
        return None
    options = _agent_default(spec, (call, function.scope))
    layers = []
    for element in listed.value.elements:
        target = model.resolve_function(model.qualify(element.value, function.scope))
        if target is not None:
            layers.append(_layer(finder, spec, "call", element.value, target, None, function.scope, options))
    return [layer for layer in layers if layer is not None]


def read_applied_tool(finder, function, site, spec, declared, inner):
    """``agent.tool_plain(retries=3)(f)`` (``inner``: the call giving the options), or
    ``agent.tool_plain(f, retries=3)`` (the same call)."""
    model, scope = finder.model, function.scope
    handed = positional(site.node, 0)
    target = model.resolve_function(model.qualify(handed.value, scope)) if handed is not None else None
    func = inner.func if inner is not None else declared
    if target is None or not isinstance(func, cst.Attribute):
        return None
    options = _agent_default(spec, _agent(func.value, function))
    options.update(_given(spec, inner, scope, spec.tools.decorator_keyword))
    return _layer(finder, spec, "call", site.node, target, inner, scope, options)


def _layer(finder, spec, kind, anchor, target: Function, call, scope, options) -> Layer | None:
    """The tool's layer; none when nothing in it (or in what it calls) can raise what the agent
    retries: its body runs once (a ValidationError of its arguments is raised before it runs)."""
    names = dict.fromkeys(finder.catalog.canonical_exception(name) for name in spec.retry_on.default)
    if not may_call(target, {name.partition(".")[0] for name in names}, set(), set(), depth=3):
        return None
    policy = finder.keyword_policy(spec, call, scope, options)
    policy.retry_all, policy.retries_exceptions, policy.answers_only = False, True, True
    policy.retry_on = [ExceptionRef(name, cst.Name(name.rpartition(".")[2])) for name in names]
    return Layer(kind, spec.library, spec.label, anchor, target, None, policy, spec=spec, call=call,
                 keywords=keywords_of(call))


def _given(spec, call: cst.Call | None, scope: Scope, keyword: str | None) -> dict:
    """The tool's own budget, as the layer's attempts option (None given: the agent's)."""
    arg = keywords_of(call).get(keyword) if keyword else None
    if arg is None or scope.model.literal(arg.value, scope) is None:
        return {}
    return {spec.attempts.param: (arg.value, scope)}


def _agent(expr, place: Function | None) -> tuple[cst.Call, Scope] | None:
    return constructor_of(expr, place) if place is not None else None


def _agent_default(spec, agent: tuple[cst.Call, Scope] | None) -> dict:
    """The tools' budget the agent's constructor gives: ``retries=2``, or ``retries={"tools": 2}``."""
    tools = spec.tools
    if agent is None or agent[1].model.qualify(agent[0].func, agent[1]) not in tools.agents:
        return {}
    call, where = agent
    kw = keywords_of(call)
    arg = kw.get(tools.tool_keyword) if tools.tool_keyword else None
    if arg is not None and where.model.literal(arg.value, where) is not None:
        return {spec.attempts.param: (arg.value, where)}
    arg = kw.get(tools.default_keyword)
    if arg is None:
        return {}
    value = arg.value
    if isinstance(value, cst.Dict):
        entry = next((e.value for e in value.elements if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)
                      and e.key.evaluated_value == tools.default_key), None)
        return {spec.attempts.param: (entry, where)} if entry is not None else {}
    return {spec.attempts.param: (value, where)}


def _listing_agent(function: Function, tool: cst.Call, spec) -> tuple[cst.Call, Scope] | None:
    """The agent constructor in ``function`` whose tools list holds ``tool`` as written."""
    model = function.scope.model
    for site in function.calls:
        listed = keywords_of(site.node).get(spec.tools.list_keyword)
        if listed is not None and isinstance(listed.value, (cst.List, cst.Tuple)) \
                and any(element.value is tool for element in listed.value.elements) \
                and model.qualify(site.node.func, function.scope) in spec.tools.agents:
            return site.node, function.scope
    return None


def _place(model, scope: Scope) -> Function | None:
    """The function whose scope ``scope`` is (a decorator is read in the scope around it)."""
    if scope is model.scope:
        return model.module_function
    return next((f for f in model.functions if f.scope is scope), None)


def run_budget(spec, call: cst.Call, function: Function, agent: tuple[cst.Call, Scope], options: dict) -> int | None:
    """The largest budget a run of the agent built by ``agent`` may spend (``options``: the run's
    own over the constructor's): the agent's, each tool's (decorated in the agent's module or the
    run's, or listed in its constructor) and each output object's (unless the run gives its own)."""
    tools, (constructor, where) = spec.tools, agent
    budgets = [_count(options.get(spec.attempts.param), spec.attempts.default, every_key=True)]
    if budgets[0] is None:
        return None  # the agent's own budget is not known: neither is the largest
    kw = keywords_of(constructor)
    budgets += [_count(_option(constructor, keyword, where), None) for keyword in tools.budget_keywords]
    listed = kw.get(tools.list_keyword)
    for element in listed.value.elements if listed is not None and isinstance(listed.value, (cst.List, cst.Tuple)) else ():
        if isinstance(element.value, cst.Call) and where.model.qualify(element.value.func, where) in tools.objects:
            budgets.append(_count(_option(element.value, tools.object_keyword, where), None))
    outputs = kw.get(tools.output_keyword)
    if outputs is not None and spec.attempts.param not in keywords_of(call):
        values = [e.value for e in outputs.value.elements] if isinstance(outputs.value, (cst.List, cst.Tuple)) else [outputs.value]
        budgets += [_count(_option(value, tools.object_keyword, where), None) for value in values
                    if isinstance(value, cst.Call) and where.model.qualify(value.func, where) in tools.outputs]
    for model in _registering_modules(where.model, function.scope.model):
        budgets += [_count(found, None) for found in _decorated_budgets(spec, model, constructor)]
    known = [budget for budget in budgets if budget is not None]
    return max(known) if known else None


def _registering_modules(*models) -> list:
    """The modules that may register the agent's tools: the agent's, the run's, and the project
    modules either imports (``import tools`` beside the agent, to register them)."""
    found = {id(model): model for model in models}
    for model in models:
        project = model.project
        for name in sorted(model.imported_modules) if project is not None else ():
            imported = project.module(name, model.root)
            if imported is not None:
                found.setdefault(id(imported), imported)
    return list(found.values())


def _decorated_budgets(spec, model, constructor: cst.Call) -> list[tuple]:
    """The budgets given by the tool decorators of the agent ``constructor`` builds, in ``model``,
    and by calls of them (``agent.tool_plain(f, retries=3)``, ``self.agent.tool(retries=3)(f)``)."""
    tools, found = spec.tools, []
    for function in model.functions:
        registrations = [(site.node, function) for site in function.calls]
        if isinstance(function.node, cst.FunctionDef):
            place = _place(model, function.scope.parent or model.scope)
            registrations += [(d.decorator, place) for d in function.node.decorators if place is not None]
        for expr, place in registrations:
            func = expr.func if isinstance(expr, cst.Call) else expr
            if not (isinstance(func, cst.Attribute) and func.attr.value in tools.decorators and isinstance(expr, cst.Call)):
                continue
            agent = _agent(func.value, place)
            if agent is not None and agent[0] is constructor:
                found.append(_option(expr, tools.decorator_keyword, place.scope))
    return found


def _option(call: cst.Call, keyword: str | None, scope: Scope):
    arg = keywords_of(call).get(keyword) if keyword else None
    return (arg.value, scope) if arg is not None else None


def _count(option, default: int | None, every_key: bool = False) -> int | None:
    """An int budget an option holds (the largest of a dict's, ``every_key``), else ``default``."""
    if option is None:
        return default
    expr, scope = option
    if every_key and isinstance(expr, cst.Dict):
        values = [_count((e.value, scope), None) for e in expr.elements if isinstance(e, cst.DictElement)]
        return max([v for v in values if v is not None], default=default)
    value = scope.model.literal(expr, scope)
    if value is None:
        return default
    return value if isinstance(value, int) and not isinstance(value, bool) and value is not NO_LITERAL else None


class AgentToolReader(FormReader):
    form = "tool"
    prefilter_shapes = (DECORATOR, IMPORTED_CALL)
    at_decorator = staticmethod(read_tool_decorator)
    at_call = staticmethod(read_tool_call)
    at_applied_call = staticmethod(read_applied_tool)
