"""Where the SDK client under a billable call is made: the constructor call a name or ``self.attr``
was bound to, through imports of project modules, project factories and the branches of ``a or b``."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.model import Function, Scope, descendants, identifier
from retrylint.analysis.model.caller_args import passed
from retrylint.analysis.model.typeflow import receiving


def constructor_of(expr, function: Function, others: list | None = None) -> tuple[cst.Call, Scope] | None:
    """Follow a name (or ``self.attr``) to the client constructor call it was bound to,
    through imports of project modules and project factories; with the scope its arguments
    are read in. ``self`` is an instance of the class ``function`` is a method of, also where a
    base class binds the attribute (``self.client = client or self.create_client()``).
    ``others`` receives the other client constructors a factory may return instead."""
    with receiving(function.scope.cls):
        return _constructor_of(expr, function.scope, others)


def constructor_in(expr, scope: Scope) -> tuple[cst.Call, Scope] | None:
    """``constructor_of`` for an expression read in ``scope``: the call that made the object."""
    with receiving(scope.cls):
        return _constructor_of(expr, scope)


def _constructor_of(expr, scope: Scope, others: list | None = None) -> tuple[cst.Call, Scope] | None:
    if isinstance(expr, cst.Name):
        binding = scope.lookup(expr.value)
        made = _made_in_branches(binding.scope, expr.value, others) if binding is not None and binding.scope else None
        return made if made is not None else _follow(binding, scope.model, others)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and scope.cls is not None and expr.value.value == scope.self_name:
        return _attribute_constructor(scope, identifier(expr.attr.value), others)
    if isinstance(expr, cst.Call):  # ``self._client().embeddings``: what the factory returns
        return _through_factory(expr, scope, 0, others)
    return None


def _attribute_constructor(scope: Scope, attr: str, others: list | None) -> tuple[cst.Call, Scope] | None:
    """``self.attr``: the client constructor its first assignment (in the class or its bases)
    gives; when that gives none (``self._client = client``, a client handed in), the first of the
    other assignments that makes one (``self._client = Anthropic(...)``, made otherwise)."""
    model = scope.model
    classes = list(model.class_mro(scope.cls))
    first = next(filter(None, (info.self_attrs.get(attr) or info.body_attrs.get(attr) for info in classes)), None)
    found = _follow(first, model, others)
    if _is_client(model, found):
        return found
    for binding in (binding for info in classes for binding in info.attribute_bindings(attr)):
        made = _follow(binding, model, others) if binding is not first and binding.scope is not None else None
        if _is_client(model, made):
            return made
    return found


def _is_client(model, made: tuple[cst.Call, Scope] | None, http: bool = False) -> bool:
    """``made`` builds a catalogued SDK client (``http``: or an HTTP client with a base URL)."""
    name = made[1].model.qualify(made[0].func, made[1]) if made is not None else None
    return name in model.catalog.client_by_name or http and name in model.catalog.http_base_urls


def _follow(binding, where, others: list | None) -> tuple[cst.Call, Scope] | None:
    """The client constructor a binding leads to, through imports, names, factories and parameters."""
    project = where.project
    for _ in range(8):
        if binding is not None and binding.imported and project is not None:
            exported = project.exported_binding(binding.qualname, where.root)
            binding, where = exported if exported is not None else (None, where)
            continue
        if binding is not None and binding.param is not None and binding.parameter_of is not None:
            return _passed_constructor(binding)  # annotated or not: the client its callers pass
        if binding is None or binding.value is None:
            return None
        value = binding.value
        if isinstance(value, cst.Call) and binding.scope is not None:
            maker = _maker(value, binding.scope)
            if maker is not None:  # ``chat = client.chats.create(...)``: it sends through ``client``
                return _constructor_of(maker, binding.scope, others)
            return _through_factory(value, binding.scope, 0, others)
        if isinstance(value, (cst.BooleanOperation, cst.IfExp)) and binding.scope is not None:
            return _made_in_branch(value, binding.scope)  # ``client or self.create_client()``
        if isinstance(value, cst.Name) and binding.scope is not None:
            binding = binding.scope.lookup(value.value)
            continue
        return None
    return None


def _maker(call: cst.Call, scope: Scope) -> cst.BaseExpression | None:
    """The client a call on it makes an object of (catalog ``makes``: ``client`` of
    ``client.aio.chats.create(...)``); None for any other call."""
    model = scope.model
    if model.qualify(call.func, scope) not in model.catalog.made_by_call:
        return None
    receiver = call.func
    while isinstance(receiver, cst.Attribute):
        receiver = receiver.value
        if model.qualify(receiver, scope) in model.catalog.client_by_name:
            return receiver
    return None


def _passed_constructor(binding) -> tuple[cst.Call, Scope] | None:
    """A parameter: the client constructor every call of its function found passes it (the same
    one from each: several would each need the fix); None otherwise (its annotation names the
    client, whose retries are then the SDK's default)."""
    found = []
    for expr, scope, caller in passed(binding) or ():
        if isinstance(expr, cst.Call):
            made = _through_factory(expr, scope, 0)
        elif isinstance(expr, (cst.BooleanOperation, cst.IfExp)):
            made = _made_in_branch(expr, scope)
        else:
            made = constructor_of(expr, caller) if caller is not None else None
        if made is None:
            return None
        found.append(made)
    return found[0] if found and all(call is found[0][0] for call, _ in found) else None


def _made_in_branch(value: cst.BooleanOperation | cst.IfExp, scope: Scope) -> tuple[cst.Call, Scope] | None:
    """The first client constructor a branch of ``a or b`` / ``a if c else b`` makes (through a factory)."""
    branches = (value.left, value.right) if isinstance(value, cst.BooleanOperation) else (value.body, value.orelse)
    for branch in branches:
        if isinstance(branch, cst.Call):
            constructor = _through_factory(branch, scope, 0)
            if scope.model.qualify(constructor[0].func, constructor[1]) in scope.model.catalog.client_by_name:
                return constructor
    return None


def _made_in_branches(scope: Scope, name: str, others: list | None) -> tuple[cst.Call, Scope] | None:
    """``llm = ChatOpenAI(...)`` in one branch of an ``if`` chain, ``llm = ChatAnthropic(...)`` in
    another: the last client constructor (the class the name is typed as when they tie), the others
    to ``others`` (None there when a branch makes something else); None when it is not assigned so."""
    made, unknown = [], False
    for binding in scope.alternatives(name)[::-1]:
        constructor = _through_factory(binding.value, scope, 0) if isinstance(binding.value, cst.Call) else None
        if constructor is not None and scope.model.qualify(constructor[0].func, constructor[1]) in scope.model.catalog.client_by_name:
            made.append(constructor)
        else:
            unknown = True
    if not made:
        return None
    if others is not None:
        others.extend([*made[1:], *([None] if unknown else [])])
    return made[0]


def _through_factory(call: cst.Call, scope: Scope, depth: int, others: list | None = None) -> tuple[cst.Call, Scope]:
    """``client = make_client(...)``: the client constructor a project factory returns
    (``return AsyncOpenAI(**configs)``), the first in source order (the later ones go to
    ``others``, and None when it may return something else); the call itself otherwise."""
    model = scope.model
    factory = model.resolve_function(model.qualify(call.func, scope)) if depth < 4 else None
    if factory is None or not isinstance(factory.node, cst.FunctionDef):
        return call, scope
    where = factory.scope
    returned, opaque = [], False
    for node in descendants(factory.node):
        if isinstance(node, cst.Return):
            calls = _returned_calls(node.value, where) if node.value is not None else []
            returned.extend(calls)
            opaque = opaque or not calls
    made = []
    for value, at in sorted(returned, key=lambda found: found[1].model.line(found[0])):
        constructor = _through_factory(value, at, depth + 1)
        if _is_client(model, constructor, http=True):
            if others is None:
                return constructor
            made.append(constructor)
    if made:
        others.extend(made[1:])
        if opaque or len(made) < len(returned):
            others.append(None)  # it may return something else
        return made[0]
    return call, scope


def _returned_calls(expr: cst.BaseExpression, scope: Scope) -> list[tuple[cst.Call, Scope]]:
    """The calls a returned expression may be, each with the scope it is read in: itself, either
    branch of ``a if c else b``, the call a returned local name was bound to, or the calls
    ``self.attr`` is assigned (``self._client = OpenAI(...)`` before ``return self._client``)."""
    if isinstance(expr, cst.IfExp):
        return [*_returned_calls(expr.body, scope), *_returned_calls(expr.orelse, scope)]
    if isinstance(expr, cst.Name):
        binding = scope.names.get(identifier(expr.value))
        return [(binding.value, scope)] if binding is not None and isinstance(binding.value, cst.Call) else []
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and scope.cls is not None \
            and expr.value.value == scope.self_name:
        bindings = [b for info in scope.model.class_mro(scope.cls) for b in info.attribute_bindings(identifier(expr.attr.value))]
        return [(b.value, b.scope) for b in bindings if isinstance(b.value, cst.Call) and b.scope is not None]
    return [(expr, scope)] if isinstance(expr, cst.Call) else []
