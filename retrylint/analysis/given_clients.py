"""An SDK client the code hands a framework (catalog client ``given``): OpenAI Agents
``Agent(model=OpenAIChatCompletionsModel(model="gpt-4o", openai_client=AsyncOpenAI(max_retries=0)))``
or ``set_default_openai_client(AsyncOpenAI(max_retries=5))`` (openai-agents 0.24.0
run_internal/turn_preparation.py get_model: run_config.model, then the agent's model, else the
run's model provider, whose client is the one set as default when it was given none,
models/openai_provider.py _get_client). That client's retries are the ones under the run."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.client_constructors import constructor_of
from retrylint.analysis.layers.layer import bound_call, keywords_of, positional
from retrylint.analysis.model import Function

DEFAULT = object()  # nothing handed: the framework's own default client


def given_client(catalog, call: cst.Call, function: Function, spec):
    """The (constructor, scope) of the client handed to the framework for ``call``; None when a
    path reaches an object holding a client this pass cannot read (no client is counted);
    DEFAULT when none is handed."""
    for path in spec.given.paths:
        found = _walk(call, function, path.split("."), spec.given.objects)
        if found is not DEFAULT:
            return found
    return _set_default(function, spec.given.setters)


def _argument(call: cst.Call, segment: str):
    name, _, position = segment.partition(":")
    arg = keywords_of(call).get(name) or (positional(call, int(position)) if position else None)
    return arg.value if arg is not None else None


def _walk(call: cst.Call, function: Function, segments: list[str], holders: tuple[str, ...]):
    value = _argument(call, segments[0])
    made = None if value is None else (value, function.scope) if isinstance(value, cst.Call) else constructor_of(value, function)
    for index, segment in enumerate(segments[1:], start=1):
        if made is None:
            return DEFAULT
        node, where = made
        holder = where.model.qualify(node.func, where) in holders
        inner = _argument(node, segment)
        value = bound_call(inner, where) if inner is not None else None
        found = (value, where) if value is not None else \
            constructor_of(inner, Function("<given>", "", where.model.tree, where)) if inner is not None else None
        if found is None:
            last = index == len(segments) - 1
            return None if holder and last and inner is not None else DEFAULT  # ``openai_client=client``: unknown
        made = found
    if made is None or made[1].model.qualify(made[0].func, made[1]) not in made[1].model.catalog.client_by_name:
        return DEFAULT
    return made


def _set_default(function: Function, setters: tuple[str, ...]):
    """The client a setter call of the package makes the default (its module first, then the
    modules of its folder and package that call the setter by name)."""
    wanted = {name.rpartition(":")[0]: int(name.rpartition(":")[2]) for name in setters}
    if not wanted:
        return DEFAULT
    for model in modules_calling(function.scope.model, {name.rpartition(".")[2] for name in wanted}):
        for caller in [model.module_function, *model.functions]:
            for site in caller.calls:
                position = wanted.get(model.qualify(site.node.func, caller.scope) or "")
                if position is None:
                    continue
                arg = keywords_of(site.node).get("client") or positional(site.node, position)
                if arg is None:
                    return None
                value = arg.value
                made = (value, caller.scope) if isinstance(value, cst.Call) else constructor_of(value, caller)
                if made is None or made[1].model.qualify(made[0].func, made[1]) not in model.catalog.client_by_name:
                    return None  # a default client this pass cannot read: not counted
                return made
    return DEFAULT


MAX_SETTER_MODULES = 8


def modules_calling(model, names: set[str]):
    """The module, then the other modules of its package (or folder) that call one of ``names``."""
    yield model
    project = model.project
    if project is None or model.root is None:
        return
    top = model.module_name.split(".")[0]
    folder = model.root / top
    recursive = (folder / "__init__.py").is_file()
    own = project.absolute(model.path)
    paths = sorted({path for name in names
                    for path in project.callers.files_with(folder if recursive else own.parent, recursive, name)
                    if path != own})
    for path in paths[:MAX_SETTER_MODULES]:
        module, _, root = project.module_name_for(path)
        other = project.module(module, root)
        if other is not None and other is not model:
            yield other
