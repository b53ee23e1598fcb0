"""Reachability: which billable calls a retry layer can re-run, through which chain of
helper calls, and what else happens around each one (loops, later calls, guards)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace

import libcst as cst

from retrylint.catalog import BillableSpec, ClientSpec
from retrylint.diagnostics import ChainLink
from retrylint.analysis.layers import Layer, keywords_of
from retrylint.analysis.model import EXCEPT, IF, LOOP, CallSite, Function, ModuleModel, descendants


@dataclass
class ClientUse:
    """The SDK client a billable call goes through, and how often that client retries."""

    spec: ClientSpec
    retries: int
    constructor: cst.Call | None  # where ``max_retries=0`` can be passed
    model: ModuleModel  # the module the constructor is written in
    local: bool = False  # it talks to a server on this machine (``base_url="http://localhost..."``): nothing billed


@dataclass
class Reach:
    call: cst.Call
    function: Function  # the function the billable call sits in
    spec: BillableSpec
    name: str  # e.g. "chat.completions.create"
    chain: list[ChainLink]  # from the retried function down to the billable call
    in_loop: bool = False
    # Calls that can fail after it: how messages name each, and its qualified name when known.
    followers: list[tuple[str, str | None]] = field(default_factory=list)
    later_billable: list[str] = field(default_factory=list)
    guarded: bool = False
    keyed: bool = False
    inner_layers: list[Layer] = field(default_factory=list)
    client: ClientUse | None = None
    direct: bool = True  # the call sits in the retried unit itself, not in a helper
    path: tuple = ()  # where the call (or the helper call leading to it) sits in the retried unit


class Reachability:
    """Answers ``reaches(layer)`` for the layers of one module."""

    def __init__(self, model: ModuleModel, layers: list[Layer], guard_patterns: tuple[str, ...] = ()):
        self.model = model
        self.catalog = model.catalog
        self.guard_patterns = guard_patterns
        self.function_layers: dict[int, list[Layer]] = {}
        self._indexed_models: set[int] = set()
        self._index_layers(model, layers)
        self._memo: dict[int, list[Reach] | None] = {}
        self._layer_memo: dict[int, list[Reach]] = {}

    def _index_layers(self, model: ModuleModel, layers: list[Layer]) -> None:
        self._indexed_models.add(id(model))
        for layer in layers:
            if layer.unit_root is None:
                self.function_layers.setdefault(id(layer.function), []).append(layer)

    def _layers_on(self, function: Function) -> list[Layer]:
        """The layers that decorate ``function`` (in whichever module it is)."""
        model = function.scope.model
        if id(model) not in self._indexed_models and model.project is not None:
            self._index_layers(model, model.project.layers_of(model))
        return self.function_layers.get(id(function), [])

    def reaches(self, layer: Layer) -> list[Reach]:
        key = id(layer)
        if key not in self._layer_memo:
            if layer.unit_root is None:
                found = self._function(layer.function)
            else:
                found = self._unit(layer.function, layer.unit_root)
            self._layer_memo[key] = []
            if found:
                head = ChainLink(self.model.path, self.model.line(layer.anchor), layer.function.name)
                guarded_here = self._guarded_function(layer.function)
                self._layer_memo[key] = [
                    replace(r, chain=[head, *r.chain], guarded=r.guarded or guarded_here) for r in found
                ]
        return self._layer_memo[key]

    # ----- walking ----------------------------------------------------------------------
    def _function(self, function: Function) -> list[Reach]:
        key = id(function)
        if key in self._memo:
            return self._memo[key] or []  # None: in progress (a cycle)
        self._memo[key] = None
        found = self._unit(function, None)
        self._memo[key] = found
        return found

    def _unit(self, function: Function, root: cst.CSTNode | None) -> list[Reach]:
        model = function.scope.model
        sites = [s for s in function.calls if root is None or _inside(s.path, root)]
        found: list[Reach] = []
        for site in sites:
            target = model.qualify(site.node.func, function.scope)
            if target is None:
                continue
            spec = self.catalog.billable(target)
            if spec is not None:
                billed = self._billable(function, site, target, spec, root)
                if billed.client is not None and billed.client.local:
                    continue
                here = [billed]
            else:
                callee = model.resolve_function(target)
                if callee is None or callee is function:
                    continue
                inner_reaches = self._function(callee)
                if not inner_reaches:
                    continue
                callee_model = callee.scope.model  # its line only now: finding it renders code
                link = ChainLink(callee_model.path, callee_model.line(callee.node), callee.name)
                here = [
                    replace(
                        inner,
                        chain=[link, *inner.chain],
                        direct=False,
                        path=site.path,
                        in_loop=inner.in_loop or _in_loop(site.path, root),
                        guarded=inner.guarded
                        or self._guard_before(function, site, root)
                        or self._guarded_function(callee),
                        inner_layers=[*self._layers_on(callee), *inner.inner_layers],
                    )
                    for inner in inner_reaches
                ]
            later = self._later_calls(function, sites, site, root)
            for reach in here:
                reach.followers = [*reach.followers, *((name, target) for name, target, billable in later if not billable)]
                reach.later_billable = [*reach.later_billable, *(name for name, _, billable in later if billable)]
            found.extend(here)
        return found

    def _billable(self, function: Function, site: CallSite, target: str, spec: BillableSpec, root) -> Reach:
        call = site.node
        model = function.scope.model
        name = self._display(target, spec)
        return Reach(
            call=call,
            function=function,
            spec=spec,
            name=name,
            chain=[ChainLink(model.path, model.line(call), name)],
            path=site.path,
            in_loop=_in_loop(site.path, root),
            guarded=self._guard_before(function, site, root),
            keyed=self._keyed(call, spec),
            client=self._client(call, function, target),
        )

    @staticmethod
    def _display(target: str, spec: BillableSpec) -> str:
        for client in sorted(spec.clients, key=len, reverse=True):
            if target.startswith(client + "."):
                return target[len(client) + 1 :]
        return target

    # ----- what happens around a call ---------------------------------------------------
    def _later_calls(self, function: Function, sites: list[CallSite], site: CallSite, root) -> list[tuple[str, str | None, bool]]:
        """Calls that can run after ``site`` succeeded, in the same unit: (name, qualified
        name, billable). Calls in a handler of an interrupt (``except KeyboardInterrupt:
        sys.exit(1)``) run when the program is being stopped, not after a retried failure."""
        if site.in_return and not _in_loop(site.path, root):
            return []
        model = function.scope.model
        later = []
        for other in sites:
            if other.index <= site.index or exclusive(site.path, other.path) or self._on_interrupt(function, other):
                continue
            target = model.qualify(other.node.func, function.scope)
            if target is not None and self.catalog.billable(target) is not None:
                later.append((self._display(target, self.catalog.billable(target)), target, True))
            elif not self._infallible(model, other.node, target):
                later.append((_short(model.code(other.node.func)), target, False))
        return later

    def _on_interrupt(self, function: Function, site: CallSite) -> bool:
        """The call sits in an ``except`` clause that catches interrupts only."""
        handlers = [entry[0] for entry in site.path if entry[1] == EXCEPT]
        if not handlers:
            return False
        model = function.scope.model
        for handler in function.handlers:
            if id(handler.node) == handlers[-1] and handler.node.type is not None:
                names = [model.qualify(e, s) for e, s in model.elements(handler.node.type, function.scope)]
                return all(name in self.catalog.interrupt_exceptions for name in names)
        return False

    def _infallible(self, model: ModuleModel, call: cst.Call, target: str | None) -> bool:
        catalog = self.catalog
        if target is not None and target in catalog.infallible_names:
            return True
        func = call.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in catalog.infallible_methods:
                return True
            receiver = model.code(func.value)
            return receiver in catalog.infallible_receivers
        return False

    def _guard_before(self, function: Function, site: CallSite, root) -> bool:
        for guard in function.guards:
            if guard.index < site.index and site.path[: len(guard.path)] == guard.path:
                if root is None or _inside(guard.path, root):
                    return True
        if self.guard_patterns:
            for other in function.calls:
                if other.index < site.index and self._matches_guard(function.scope.model.qualify(other.node.func, function.scope)):
                    return True
        return False

    def _guarded_function(self, function: Function) -> bool:
        if not self.guard_patterns or not isinstance(function.node, cst.FunctionDef):
            return False
        model = function.scope.model
        outer = function.scope.parent or model.scope
        for decorator in function.node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            if self._matches_guard(model.qualify(expr, outer)):
                return True
        return False

    def _matches_guard(self, name: str | None) -> bool:
        return name is not None and any(fnmatch.fnmatchcase(name, p) for p in self.guard_patterns)

    def _keyed(self, call: cst.Call, spec: BillableSpec) -> bool:
        kw = keywords_of(call)
        if spec.idempotency_key and spec.idempotency_key in kw:
            return True
        if spec.idempotency_option:
            param, _, key = spec.idempotency_option.partition(".")
            if param in kw:
                value = kw[param].value
                if not isinstance(value, cst.Dict):
                    return True  # built elsewhere: give it the benefit of the doubt
                return any(
                    isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == key
                    or isinstance(e, cst.StarredDictElement)
                    for e in value.elements
                )
        return False

    # ----- SDK clients ------------------------------------------------------------------
    def _client(self, call: cst.Call, function: Function, target: str) -> ClientUse | None:
        model = function.scope.model
        owner = target
        spec = None
        while "." in owner:
            owner = owner.rpartition(".")[0]
            spec = self.catalog.client_by_name.get(owner)
            if spec is not None:
                break
        if spec is None:
            return None
        override = None
        expr = call.func
        found: tuple[cst.Call, ModuleModel] | None = None  # the constructor and its module
        while expr is not None:
            if isinstance(expr, cst.Call):
                kw = keywords_of(expr)
                if override is None and spec.retries_param in kw:
                    override = model.literal(kw[spec.retries_param].value, function.scope)
                if model.qualify(expr.func, function.scope) in spec.names:
                    found = (expr, model)
                    break
                expr = expr.func
            elif isinstance(expr, cst.Attribute):
                if model.qualify(expr, function.scope) == owner and not spec.module:
                    found = self._constructor_of(expr, function)
                    break
                expr = expr.value
            elif isinstance(expr, cst.Name):
                found = None if spec.module else self._constructor_of(expr, function)
                break
            else:
                break
        if spec.module:
            given = _argument(call, spec.retries_param, function.scope, function.node)
            if given is not None:
                override = model.literal(*given)
            elif override is None and spec.setting:
                override = self._module_setting(model, owner, spec.setting)
        retries = spec.default_retries
        if isinstance(override, int) and not isinstance(override, bool):
            retries = override
        elif override is None and found is not None and any(p in keywords_of(found[0]) for p in spec.opaque_params):
            retries = 0  # configured in a way this pass does not read: do not count it
        elif override is None and found is not None and spec.retries_param:
            constructor, where = found
            given = _argument(constructor, spec.retries_param, where.scope)
            if given is not None:
                value = where.literal(*given)
                retries = value if isinstance(value, int) and not isinstance(value, bool) else spec.default_retries
        constructor, where = found if found is not None else (None, model)
        return ClientUse(spec, retries, constructor, where, local=self._local(spec, constructor, where))

    @staticmethod
    def _local(spec: ClientSpec, constructor: cst.Call | None, where: ModuleModel) -> bool:
        """The client is built with a literal ``base_url`` on this machine (a local vLLM or Ollama)."""
        if constructor is None or not spec.base_url_param:
            return False
        given = _argument(constructor, spec.base_url_param, where.scope)
        url = where.literal(*given) if given is not None else None
        return isinstance(url, str) and any(fnmatch.fnmatchcase(url, pattern) for pattern in spec.local_base_urls)

    def _constructor_of(self, expr, function: Function) -> tuple[cst.Call, ModuleModel] | None:
        """Follow a name (or ``self.attr``) to the client constructor call it was bound to,
        through imports of project modules; with the module that call is written in."""
        scope = function.scope
        binding = None
        if isinstance(expr, cst.Name):
            binding = scope.lookup(expr.value)
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and scope.cls is not None and expr.value.value == scope.self_name:
            for info in scope.model.class_mro(scope.cls):
                binding = info.self_attrs.get(expr.attr.value) or info.body_attrs.get(expr.attr.value)
                if binding is not None:
                    break
        where = function.scope.model
        project = where.project
        for _ in range(8):
            if binding is not None and binding.imported and project is not None:
                exported = project.exported_binding(binding.qualname, where.root)
                binding, where = exported if exported is not None else (None, where)
                continue
            if binding is None or binding.value is None:
                return None
            value = binding.value
            if isinstance(value, cst.Call) and binding.scope is not None:
                return value, binding.scope.model
            if isinstance(value, cst.Name) and binding.scope is not None:
                binding = binding.scope.lookup(value.value)
                continue
            return None
        return None

    @staticmethod
    def _module_setting(model: ModuleModel, module: str, setting: str) -> int | None:
        for target, value, scope in model.assignments:
            if isinstance(target, cst.Attribute) and target.attr.value == setting:
                if model.qualify(target.value, scope) == module:
                    literal = model.literal(value, scope)
                    if isinstance(literal, int) and not isinstance(literal, bool):
                        return literal
        return None


def retry_stack(layer: Layer, reach: Reach) -> tuple[list[int | None], list[str]]:
    """Every layer that retries ``reach`` from ``layer`` down, SDK client included: the
    worst-case attempts of each (None: unbounded) and how messages name them."""
    layers = [layer, *(inner for inner in reach.inner_layers if inner.policy.retries)]
    factors = [item.policy.factor() for item in layers]
    parts = [f"{item.name} ({'unbounded' if f is None else f})" for item, f in zip(layers, factors)]
    client = reach.client
    if client is not None and client.retries > 0:
        factors.append(client.retries + 1)
        default = " by default" if client.retries == client.spec.default_retries else ""
        parts.append(f"{client.spec.label} ({client.retries + 1}: retries {client.retries}{default})")
    return factors, parts


def chain_text(reaches: list[Reach]) -> str:
    """``build_course -> run_batch (pipeline.py:4) -> messages.create`` for the first reach,
    with a count of the others."""
    chain = reaches[0].chain
    middle = [f"{link.name} ({link.path}:{link.line})" for link in chain[1:-1]]
    text = " -> ".join([chain[0].name, *middle, chain[-1].name])
    others = len({r.name for r in reaches}) - 1
    return text + (f" and {others} more billable call{'s' if others > 1 else ''}" if others > 0 else "")


def _argument(call: cst.Call, name: str | None, scope, body: cst.CSTNode | None = None):
    """The expression passed as keyword ``name`` (with the scope to read it in): written as a
    keyword, or inside a ``**options`` dict built as a literal, ``dict(...)``, or by
    ``options["name"] = ...`` in ``body``. None when it is not passed."""
    if name is None:
        return None
    given = None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            given = (arg.value, scope)
        elif arg.star == "**" and isinstance(arg.value, cst.Name):
            given = _dict_entry(arg.value.value, name, scope, body) or given
    return given


def _dict_entry(variable: str, key: str, scope, body: cst.CSTNode | None):
    binding = scope.lookup(variable)
    value = binding.value if binding is not None else None
    entry = None
    if isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString) and element.key.evaluated_value == key:
                entry = (element.value, binding.scope)
    elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict":
        entry = next(((arg.value, binding.scope) for arg in value.args if arg.keyword is not None and arg.keyword.value == key), None)
    if body is None or value is None:
        return entry
    for node in descendants(body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                subscript = target.target
                if (
                    isinstance(subscript, cst.Subscript)
                    and isinstance(subscript.value, cst.Name)
                    and subscript.value.value == variable
                    and len(subscript.slice) == 1
                    and isinstance(subscript.slice[0].slice, cst.Index)
                    and isinstance(subscript.slice[0].slice.value, cst.SimpleString)
                    and subscript.slice[0].slice.value.evaluated_value == key
                ):
                    entry = (node.value, scope)
    return entry


def _inside(path, root) -> bool:
    return any(entry[0] == id(root) and entry[2] == 0 for entry in path)


def _in_loop(path, root) -> bool:
    start = 0
    if root is not None:
        start = next((i + 1 for i, entry in enumerate(path) if entry[0] == id(root)), len(path))
    return any(kind == LOOP and branch == 0 for _, kind, branch in path[start:])


def exclusive(a, b) -> bool:
    """Two paths that lie in different branches of one ``if``: at most one of them runs."""
    branches = {entry[0]: entry[2] for entry in a if entry[1] == IF}
    return any(entry[1] == IF and entry[0] in branches and branches[entry[0]] != entry[2] for entry in b)


def _short(code: str, limit: int = 40) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 3] + "..."
