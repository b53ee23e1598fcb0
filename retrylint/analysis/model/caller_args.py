"""A parameter with no usable annotation (none, or ``Any``) typed from what the project passes it:
when every call of its function found in its module and the modules beside it passes an argument
of one known class (or leaves out one whose default is of it), the parameter holds that class, and
a chain's link says it was resolved ``via caller argument``. A caller passing something unknown,
or two callers passing different classes, leave it unknown: precision before recall.

Only a parameter used as a receiver (``client.converse(...)``, or ``self.llm.chat...`` where
``__init__`` stored it: the calls are then those that make an instance of the class) is typed so,
and only while a retry layer's reach is traced (typeflow.tracing): the calls are found without parsing the folder,
through a text index of the names each of its files calls; only the files that call the name are
parsed (at most MAX_CALLER_MODULES, in the checked file's allowance of other modules), and
callers typed from their own callers go MAX_CALLER_DEPTH levels deep."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from retrylint.analysis.model import typeflow
from retrylint.analysis.model.symbols import Binding, CallSite, ClassInfo, Function, Scope, identifier
from retrylint.analysis.word_index import WordIndex

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel
    from retrylint.analysis.project import Project

CALLER = "caller argument"
MAX_CALLER_MODULES = 8  # other modules of the folder that call the function: more, and it stays unknown
MAX_CALLER_SITES = 16  # calls of one function: more, and it stays unknown
MAX_CALLER_DEPTH = 2  # a caller's parameter typed from its own callers, so deep
CALLED_NAME = re.compile(rb"([A-Za-z_]\w*)\s*\(")

_resolving: list[tuple[int, str]] = []  # the parameters being typed, innermost last
_receivers = False  # inside ``receivers()``: a parameter read with no attribute after it is typed too
Argument = tuple[cst.BaseExpression, Scope, "Function | None"]  # the expression, where it is read, its function


class CallerIndex(WordIndex):
    """For each folder searched: the names each of its files calls; and what the parameters asked
    about while one file is checked were typed as (afresh for each file: what they read counts in
    that file's allowance of other modules, so findings do not depend on run order)."""

    def __init__(self, project: "Project"):
        super().__init__(project)
        self.typed: dict[tuple, tuple[str | None, list[str]]] = {}

    def start_file(self) -> None:
        self.typed = {}

    def words(self, text: bytes) -> frozenset[bytes]:
        return frozenset(CALLED_NAME.findall(text))


@contextmanager
def receivers() -> Iterator[None]:
    """Resolve names as a chain's links, typing parameters from their callers even where no
    attribute is read after them: the receivers of a billable call, walked to its client."""
    global _receivers
    outer, _receivers = _receivers, True
    try:
        with typeflow.tracing():
            yield
    finally:
        _receivers = outer


def caller_type(model: "ModuleModel", binding: Binding, depth: int, rest: tuple[str, ...]) -> str | None:
    """The one class every call found passes the parameter ``binding`` is (see the module's doc)."""
    function, param = binding.parameter_of, binding.param
    if function is None or param is None or not (rest or _receivers) or not typeflow.tracing_active() \
            or len(_resolving) >= MAX_CALLER_DEPTH or depth > 16:
        return None
    key = (id(function), param.name.value)
    if key in _resolving:
        return None
    project = model.project
    memo = project.callers.typed if project is not None else {}
    memo_key = (*key, rest, id(typeflow.receiver()))
    if memo_key not in memo:
        _resolving.append(key)
        try:
            with typeflow.tracing() as steps:
                found = _agreed_type(function, param, depth, rest)
            memo[memo_key] = (found, [*steps, CALLER] if found is not None else [])
        finally:
            _resolving.pop()
    found, steps = memo[memo_key]
    for kind in steps:
        typeflow.step(kind)
    return found


def untyped(binding: Binding) -> bool:
    """A parameter with no annotation, or one that names no class (``Any``)."""
    if binding.param is None or binding.parameter_of is None:
        return False
    if binding.annotation is None or binding.scope is None:
        return True
    return binding.scope.model.annotation_type(binding.annotation, binding.scope, 0) is None


def passed(binding: Binding) -> list[tuple[cst.BaseExpression, Scope, Function | None]] | None:
    """What the calls found pass as the parameter ``binding``: each argument with the scope it is
    read in and the function it is written in (None for the parameter's default); None when one
    cannot be told, or while that parameter is already being followed."""
    function, param = binding.parameter_of, binding.param
    key = (id(function), param.name.value)
    if function is None or key in _resolving or len(_resolving) >= MAX_CALLER_DEPTH:
        return None
    _resolving.append(key)
    try:
        return _arguments(function, param)
    finally:
        _resolving.pop()


def _agreed_type(function: Function, param: cst.Param, depth: int, rest: tuple[str, ...]) -> str | None:
    arguments = _arguments(function, param)
    if not arguments:
        return None
    kinds = set()
    for expr, scope, _ in arguments:
        with typeflow.receiving(scope.cls):
            found = scope.model._qualify(expr, scope, depth + 1, follow=True, rest=rest)
        if found is None:
            return None
        kinds.add(found)
    return kinds.pop() if len(kinds) == 1 else None


def _arguments(function: Function, param: cst.Param) -> list[Argument] | None:
    """What each call of ``function`` found passes as ``param`` (as ``passed``); None when one
    cannot be told (``*args``/``**options`` that may hold it) or there are too many calls or
    calling modules."""
    found: list[Argument] = []
    sites = 0
    for caller, site in _calls_of(function):
        sites += 1
        if caller is None or sites > MAX_CALLER_SITES:
            return None
        given = argument_for(site.node, function, param)
        if given is None:
            return None
        if given is not _NEUTRAL:
            found.append((given[0], given[1], None) if given[1] is not None else (given[0], caller.scope, caller))
    return found


def _calls_of(function: Function) -> Iterator[tuple[Function | None, CallSite | None]]:
    """Each call of ``function`` in its module and the modules beside it; (None, None) when there
    are more of those modules than MAX_CALLER_MODULES."""
    model = function.scope.model
    init = function.name == "__init__" and function.cls is not None
    name = function.cls.name if init else function.name
    for other in _modules_calling(model, name):
        if other is None:
            yield None, None
            return
        for caller in other.functions:
            for site in caller.calls:
                func = site.node.func
                called = func.value if isinstance(func, cst.Name) else func.attr.value \
                    if isinstance(func, cst.Attribute) else None
                if init and isinstance(func, cst.Name) and caller.scope.self_is_class and func.value == caller.scope.self_name:
                    called = name  # ``cls(...)`` in a classmethod makes an instance of its class
                if called is not None and identifier(called) == name and _runs(other, caller, site, function, init):
                    yield caller, site


def _modules_calling(model: "ModuleModel", name: str) -> Iterator["ModuleModel | None"]:
    yield model
    project = model.project
    if project is None or model.root is None:
        return
    own = project.absolute(model.path)
    paths = [path for path in project.callers.files_with(own.parent, False, name) if path != own]
    if len(paths) > MAX_CALLER_MODULES:
        yield None
        return
    for path in paths:
        module, _, root = project.module_name_for(path)
        other = project.module(module, root)
        if other is not None and other is not model:
            yield other


def makes_instance(model: "ModuleModel", caller: Function, site: CallSite, init: Function) -> bool:
    """``site`` (in ``caller``) makes an instance of the class whose ``__init__`` is ``init``."""
    return _runs(model, caller, site, init, True)


def _runs(model: "ModuleModel", caller: Function, site: CallSite, function: Function, init: bool) -> bool:
    """The call runs ``function`` (for ``__init__``: it makes an instance of its class)."""
    target = model.qualify(site.node.func, caller.scope)
    found = model.resolve_class(target) if init else model.resolve_function(target)
    own = function.cls if init else function
    return found is not None and found.qualname == own.qualname and _path(found) == _path(own)


def _path(definition: "Function | ClassInfo") -> str:
    return definition.scope.model.path if isinstance(definition, Function) else definition.owner.path


_NEUTRAL = object()  # the call leaves the parameter at its default ``None``


def argument_for(call: cst.Call, function: Function, param: cst.Param):
    """What ``call`` passes as ``param``: (expression, None) for an argument read in the caller,
    (expression, scope) for the default, _NEUTRAL for a default of None, None when unknown."""
    node = function.node
    positional = [*node.params.posonly_params, *node.params.params]
    if function.scope.self_name is not None and positional:
        positional = positional[1:]  # called on an instance (or the class, for ``__init__``)
    index = next((i for i, p in enumerate(positional) if p is param), None)
    place, spread = 0, False
    for arg in call.args:
        if arg.keyword is not None:
            if identifier(arg.keyword.value) == identifier(param.name.value):
                return arg.value, None
        elif arg.star == "*":
            spread = spread or (index is not None and place <= index)  # it may hold the argument
        elif arg.star == "**":
            spread = True
        else:
            if place == index:
                return arg.value, None
            place += 1
    if spread or param.default is None:
        return None
    if isinstance(param.default, cst.Name) and param.default.value == "None":
        return _NEUTRAL
    return param.default, function.scope.parent or function.scope.model.scope
