"""Reachability: which billable calls a retry layer can re-run, through which chain of
helper calls, and what else happens around each one (loops, later calls, guards).

Each function's reach is computed once and shared by every caller; the functions of a call
cycle are solved together (strongly connected components, to a fixed point), so the answer
does not depend on which function is asked first, and nothing recurses along call chains.
What a reach is, how two paths to one call merge, and how messages describe it: reach_record.py."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace

import libcst as cst

from retrylint.analysis.billable_sites import billable_at
from retrylint.analysis.call_order import Follower, LaterCalls, branches, distinct, hands_out_generator, in_loop, inside, kept_followers
from retrylint.analysis.client_retries import client_use
from retrylint.analysis.layers import Layer
from retrylint.analysis.model import EXCEPT, CallSite, Function, ModuleModel, dotted_name
from retrylint.analysis.handed_calls import Handed, handed_billable, handed_layers, sent_call
from retrylint.analysis.handed_callables import handed_callees
from retrylint.analysis.idempotency import hands_on_request, keyed, tests_configuration
from retrylint.analysis.quiet_calls import QuietFunctions, reads_arguments, sdk_constant
from retrylint.analysis.model.typeflow import tracing, via
from retrylint.analysis.endpoints import inferred_billable
from retrylint.analysis.subclasses import Implementations
from retrylint.analysis.reach_record import Reach, display_name, distinct_layers, merged_reach
from retrylint.analysis.handed_reach import handed_reaches  # ``self.retryer(client.create, ...)``: that one call
from retrylint.analysis.runnable_reach import runnable_reaches  # ``model.with_retry(...)``: the model, invoked later
from retrylint.catalog import BillableSpec
from retrylint.diagnostics import ChainLink

MAX_CYCLE_ROUNDS, MAX_RECEIVER_PARTS = 100, 8  # a pathological cycle's rounds; infallible receivers' parts (self.logger)


@dataclass
class _SiteInfo:
    """A call site resolved once: its target, billable spec, and how it is named as a follower."""

    target: str | None
    spec: BillableSpec | None
    follower: Follower | None  # None: it cannot fail (catalogued as infallible) or runs only on an interrupt
    via: str  # how the target was resolved
    callees: list[tuple[Function, str]] | None = None  # the functions it runs, how each was resolved
    handed: Handed | None = None  # the paid method (or a lambda's paid call) handed to the project function called


class Reachability:
    """Answers ``reaches(layer)`` for the layers of one module."""

    def __init__(self, model: ModuleModel, layers: list[Layer], guard_patterns: tuple[str, ...] = ()):
        self.model = model
        self.catalog = model.catalog
        self.guard_patterns = guard_patterns
        self.function_layers: dict[int, list[Layer]] = {}
        self.call_layers: dict[int, list[Layer]] = {}  # a paid call that retries itself (instructor)
        self.unit_layers: dict[int, list[Layer]] = {}  # the layers around a part of a function (a loop), by function
        self.layer_hosts: set[int] = set()  # functions holding a layer: their parameters' calls are followed
        self.ladders: set[int] = set()  # loops walking a ladder of spellings (``Layer.walks``): no item loops
        self._indexed_models: set[int] = set()
        self._index_layers(model, layers)
        self._memo: dict[int, list[Reach]] = {}  # settled functions
        self._layer_memo: dict[int, list[Reach]] = {}
        self._sites: dict[int, _SiteInfo] = {}
        self._first_guard_call: dict[int, int | None] = {}
        self._links: dict[tuple[int, str], ChainLink] = {}
        self._implementations, self._quiet = Implementations(model.project), QuietFunctions(self._infallible)

    def _index_layers(self, model: ModuleModel, layers: list[Layer]) -> None:
        self._indexed_models.add(id(model))
        for layer in layers:
            if layer.redelivers:
                continue  # a task called as a function runs once, with no queue around it
            self.layer_hosts.add(id(layer.function))
            if layer.walks:
                self.ladders.add(id(layer.anchor))
            if layer.unit_root is None:
                self.function_layers.setdefault(id(layer.function), []).append(layer)
            else:  # around a paid call that retries itself (instructor), or around a part of the function (a loop)
                on_call = layer.unit_root is layer.anchor and isinstance(layer.anchor, cst.Call)
                (self.call_layers if on_call else self.unit_layers).setdefault(id(layer.anchor if on_call else layer.function), []).append(layer)

    def _layers_on(self, function: Function, units: bool = False) -> list[Layer]:
        """The layers that decorate ``function`` (in whichever module it is); ``units``: those around a part of it."""
        self._index_module(function.scope.model)
        return (self.unit_layers if units else self.function_layers).get(id(function), [])

    def _index_module(self, model: ModuleModel) -> None:
        if id(model) not in self._indexed_models and model.project is not None:
            self._index_layers(model, model.project.layers_of(model))

    def reaches(self, layer: Layer) -> list[Reach]:
        key = id(layer)
        if key not in self._layer_memo:
            if layer.unit_root is None:
                found = self._summary(layer.function)
            elif layer.handed is not None or layer.spec is not None and layer.spec.runnable.through:
                found = (handed_reaches if layer.handed is not None else runnable_reaches)(self, layer)  # one call
            else:
                for callee in self._callees(layer.function, layer.unit_root):
                    self._summary(callee)
                found = self._compose(layer.function, layer.unit_root, frozenset())
            self._layer_memo[key] = []
            if found:
                head = ChainLink(self.model.path, self.model.line(layer.anchor), layer.function.name)
                guarded_here = self._guarded_function(layer.function)
                merged: dict[tuple, Reach] = {}
                for found_reach in found:  # recursion back into the layer is the same layer, not a stack
                    reach = replace(
                        found_reach,
                        chain=[head, *found_reach.chain],
                        guarded=found_reach.guarded or guarded_here,
                        inner_layers=[inner for inner in found_reach.inner_layers if inner is not layer],
                    )
                    merged[reach.merge_key()] = merged_reach(merged[reach.merge_key()], reach) if reach.merge_key() in merged else reach
                self._layer_memo[key] = list(merged.values())
        return self._layer_memo[key]

    # ----- solving the call graph -------------------------------------------------------
    def _summary(self, function: Function) -> list[Reach]:
        if id(function) not in self._memo:
            self._solve(function)
        return self._memo[id(function)]

    def _solve(self, start: Function) -> None:
        """Tarjan's strongly connected components, iteratively, from ``start``: each component
        is settled once every function it calls outside itself is."""
        order: dict[int, int] = {}
        low: dict[int, int] = {}
        stack: list[Function] = []
        on_stack: set[int] = set()
        work: list[tuple[Function, object]] = []

        def visit(function: Function) -> None:
            order[id(function)] = low[id(function)] = len(order)
            stack.append(function)
            on_stack.add(id(function))
            work.append((function, iter(self._callees(function, None))))

        visit(start)
        while work:
            function, callees = work[-1]
            for callee in callees:
                if id(callee) in self._memo:
                    continue
                if id(callee) not in order:
                    visit(callee)
                    break
                if id(callee) in on_stack:
                    low[id(function)] = min(low[id(function)], order[id(callee)])
            else:
                work.pop()
                if work:
                    caller = id(work[-1][0])
                    low[caller] = min(low[caller], low[id(function)])
                if low[id(function)] == order[id(function)]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(id(member))
                        component.append(member)
                        if member is function:
                            break
                    self._settle(component[::-1])

    def _settle(self, component: list[Function]) -> None:
        """The reach of each function of one component; a cycle is solved to its fixed point."""
        members = frozenset(id(f) for f in component)
        for function in component:
            self._memo[id(function)] = []
        cyclic = len(component) > 1
        for _ in range(MAX_CYCLE_ROUNDS if cyclic else 1):
            changed = False
            for function in component:
                found = self._compose(function, None, members)
                if [r.signature() for r in found] != [r.signature() for r in self._memo[id(function)]]:
                    self._memo[id(function)] = found
                    changed = True
            if not changed:
                break

    def _callees(self, function: Function, root: cst.CSTNode | None) -> list[Function]:
        """The project functions the unit calls (not itself), in call order, each once."""
        found: dict[int, Function] = {}
        for site in self._unit_sites(function, root):
            for callee, _ in self._site_callees(function, site):
                if callee is not function:
                    found.setdefault(id(callee), callee)
        return list(found.values())

    # ----- one unit -----------------------------------------------------------------------
    def _unit_sites(self, function: Function, root: cst.CSTNode | None) -> list[CallSite]:
        return [s for s in function.calls if root is None or s.node is root or inside(s.path, root)]

    def _info(self, function: Function, site: CallSite) -> _SiteInfo:
        key = id(site.node)
        if key not in self._sites:
            model = function.scope.model
            with tracing() as steps:
                target = model.qualify(site.node.func, function.scope)
            target, spec = billable_at(self.catalog, model, site.node, function.scope, target)
            handed = handed_billable(self.catalog, model, site.node, function, target) if spec is None else None
            if handed is not None:
                target, spec, steps = handed.target, handed.spec, handed.steps or steps  # ``self._call_client(create, ...)``
            inferred = inferred_billable(model, site.node, function.scope, target) if spec is None else None
            if inferred is not None:  # by its shape, or a raw request to a paid endpoint (endpoints.py)
                target, spec, steps = inferred
            follower = None  # an interrupt's handler, a loop retrying by hand, a call that cannot fail, a reading
            if not (self._on_interrupt(function, site) or self._retries_by_hand(function, site)):
                follower = (display_name(target, spec), target) if spec is not None else None if self._infallible(
                    model, site.node, target) or hands_out_generator(function, site, target) or reads_arguments(model, target) \
                    else (model.short_code(site.node.func), target)
            self._sites[key] = _SiteInfo(target, spec, follower, via(steps), handed=handed)
        return self._sites[key]

    def _site_callees(self, function: Function, site: CallSite) -> list[tuple[Function, str]]:
        """The project function a call runs; for a method abstract in its class, the subclasses'
        implementations; for a parameter of a function holding a layer, what its callers hand it."""
        info = self._info(function, site)
        if info.callees is None:
            info.callees = []
            callee = function.scope.model.resolve_function(info.target) if info.spec is None and info.target else None
            if callee is not None:
                found = self._implementations.of(callee)
                info.callees = [(impl, f"subclass {cls.name}") for impl, cls in found] or [(callee, info.via)]
            elif info.spec is None and id(function) in self.layer_hosts:
                info.callees = handed_callees(function, site)  # ``await attempt(spec, ...)``
        return info.callees

    def _compose(self, function: Function, root: cst.CSTNode | None, component: frozenset[int]) -> list[Reach]:
        """The billable calls the unit reaches, one reach per call and stack of layers, from the
        settled reach of its callees (and the current round's, for callees in ``component``)."""
        sites = self._unit_sites(function, root)
        infos = [self._info(function, site) for site in sites]
        later = LaterCalls(sites, [(info.follower, info.spec is not None) for info in infos], root)
        merged: dict[tuple[int, ...], Reach] = {}
        for position, (site, info) in enumerate(zip(sites, infos)):
            if info.spec is not None:
                billed = self._billable(function, site, info.target, info.spec, root)
                if billed.client is not None and billed.client.local:
                    continue  # a server on this machine bills nothing
                here = [billed]
            else:
                here = self._dispatched(function, site, info, root, component)
            billable, followers = later.after(position)
            for reach in here:
                reach.followers = kept_followers([*reach.followers, *followers])
                reach.later_billable = distinct([*reach.later_billable, *billable])
                key = reach.merge_key()
                merged[key] = reach if key not in merged else merged_reach(merged[key], reach)
        return list(merged.values())

    def _dispatched(self, function: Function, site: CallSite, info: _SiteInfo, root, component) -> list[Reach]:
        """The reaches of the functions a call runs (implementations are alternatives: a call they share counts once)."""
        merged: dict[tuple, Reach] = {}
        for callee, resolved in self._site_callees(function, site):
            if callee is function or not self._memo.get(id(callee)) or (root is None and isinstance(callee.node, cst.Lambda)):
                continue  # a lambda another caller hands runs in this function's own layers only, not for each caller
            if callee.is_generator and id(site.node) in function.returned_calls:
                continue  # ``return gen()`` hands out a generator not started: its calls run later
            for reach in self._through(function, site, callee, resolved, root, id(callee) in component):
                key = reach.merge_key()
                merged[key] = reach if key not in merged else \
                    replace(merged_reach(merged[key], reach), calls=max(merged[key].calls, reach.calls))
        return list(merged.values())

    def _through(self, function: Function, site: CallSite, callee: Function, resolved: str, root,
                 same_cycle: bool) -> list[Reach]:
        """The callee's reaches as seen from a call to it at ``site``."""
        link = self._link(callee, resolved)
        self._index_module(function.scope.model)  # its loops walking a ladder
        looped = in_loop(site.path, root, self.ladders)
        guarded = self._guard_before(function, site, root) or self._guarded_function(callee)
        layers = self._layers_on(callee)
        return [
            replace(
                inner,
                chain=[link, *inner.chain],
                direct=False,
                path=site.path,
                in_loop=inner.in_loop or looped,
                guarded=inner.guarded or guarded,
                inner_layers=distinct_layers([*layers, *inner.inner_layers]),
                calls=1 if same_cycle else inner.calls,  # a cycle's paths are not counted round by round
                trail=((id(site.node), branches(inner.path)), *inner.trail),
            )
            for inner in self._memo[id(callee)]
        ]

    def _link(self, callee: Function, resolved: str) -> ChainLink:
        """The chain's hop into ``callee`` (its line only now: finding it renders code)."""
        key = (id(callee), resolved)
        if key not in self._links:
            model = callee.scope.model
            self._links[key] = ChainLink(model.path, model.line(callee.node), callee.name, resolved)
        return self._links[key]

    def _billable(self, function: Function, site: CallSite, target: str, spec: BillableSpec, root) -> Reach:
        call, info, model = site.node, self._info(function, site), function.scope.model
        self._index_module(model)
        name = display_name(target, spec)
        return Reach(
            call=call,
            function=function,
            spec=spec,
            name=name,
            chain=[ChainLink(model.path, model.line(call), name, info.via)],
            path=site.path,
            in_loop=in_loop(site.path, root, self.ladders),
            guarded=self._guard_before(function, site, root),
            keyed=keyed(call, spec),
            inner_layers=[*self.call_layers.get(id(call), ()), *handed_layers(info.handed, lambda f: self._layers_on(f, True))],
            client=client_use(self.catalog, sent_call(call, info.handed), function, target),
        )

    # ----- what happens around a call ---------------------------------------------------
    def _retries_by_hand(self, function: Function, site: CallSite) -> bool:
        """The call is the retry layer's own retry (a bound task's ``self.retry(...)``, as the
        catalog's ``bound_retry`` names it): it hands the failure to the layer, it is not a
        further call that fails after the paid one."""
        return any(site.node is call for layer in self._layers_on(function) for call in layer.task.manual_retries)

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
        if target is not None and (target in catalog.infallible_names or sdk_constant(catalog, call, target)
                                   or ((cls := model.resolve_class(target)) is not None and cls.builds_plainly())
                                   or self._quiet.cannot_fail(model.resolve_function(target))):
            return True
        func = call.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in catalog.infallible_methods:
                return True
            return dotted_name(func.value, MAX_RECEIVER_PARTS) in catalog.infallible_receivers
        return False

    def _guard_before(self, function: Function, site: CallSite, root) -> bool:
        for guard in function.guards:
            if guard.index < site.index and site.path[: len(guard.path)] == guard.path:
                if (root is None or inside(guard.path, root)) and not self._skips_nothing(function, guard):
                    return True
        first = self._guard_call(function)
        return first is not None and first < site.index

    def _skips_nothing(self, function: Function, guard) -> bool:
        """``if streaming: return <paid call>``: a check whose skipping branch pays too, itself or through a
        project function (camel's ``if stream: return Wrapper(self._stream(...))``) or handing on ``*args``/
        ``**kwargs``, skips nothing; nor does one that tests the object's configuration (``if self.evaluator:``)."""
        if guard.path and guard.path[-1][0] == id(guard.node):
            return False  # it guards one of its own branches: the one that does the work
        if tests_configuration(function, guard.node) or hands_on_request(function, guard.node):
            return True
        return any(inside(other.path, guard.node) and self._pays(function, other) for other in function.calls)

    def _pays(self, function: Function, site: CallSite) -> bool:
        """The call is paid, or runs a project function whose reach (so far, in a cycle) is not
        empty; not ``return gen()``, a generator whose calls run after the unit (as ``_dispatched``)."""
        info = self._info(function, site)
        return info.spec is not None or any(
            self._memo.get(id(callee)) and not (callee.is_generator and id(site.node) in function.returned_calls)
            for callee, _ in self._site_callees(function, site))

    def _guard_call(self, function: Function) -> int | None:
        """The index of the first call in ``function`` to a configured idempotency guard."""
        key = id(function)
        if key not in self._first_guard_call:
            self._first_guard_call[key] = None
            if self.guard_patterns:
                model = function.scope.model
                for other in function.calls:
                    if self._matches_guard(model.qualify(other.node.func, function.scope)):
                        self._first_guard_call[key] = other.index
                        break
        return self._first_guard_call[key]

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
