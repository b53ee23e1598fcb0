"""``LayerFinder``: visits the places of a module where a retry layer can be written, in a
fixed order, and hands each place naming a catalog layer to the reader of that layer's form
(``registry.READERS``). Also the lookups every reader shares: which catalog layer an
expression names, the exception classes an expression lists, a policy read in the layer's dialect."""

from __future__ import annotations

import libcst as cst

from retrylint.catalog import LayerSpec
from retrylint.analysis.forwarders import forwarded
from retrylint.analysis.known_values import Known, known
from retrylint.analysis.layers.dialects import policy_reader
from retrylint.analysis.layers.layer import ExceptionRef, Layer, Policy, bound_call, keywords_of, never_retries
from retrylint.analysis.layers.readers import (built_elsewhere, class_actors, entry_points, hand_loops, recursion,
                                              retrying_instances, wrapping_decorators)
from retrylint.analysis.layers.readers.base import FormReader
from retrylint.analysis.layers.registry import reader_for
from retrylint.analysis.layers.surroundings import Surroundings
from retrylint.analysis.model import Function, ModuleModel, Scope, identifier


class LayerFinder:
    def __init__(self, model: ModuleModel):
        self.model = model
        self.catalog = model.catalog
        self.surroundings = Surroundings(model)
        self.layers: list[Layer] = []
        self.claimed_loops: set[int] = set()
        # A factory's parameters bound to what the call applying its policy passes, while that
        # policy is read (``_create_retry_decorator(llm.max_retries)``).
        self.site = None

    def find(self) -> list[Layer]:
        """Every layer of the module, in source order."""
        marked = entry_points.marked_specs(self.catalog, self.model.source)
        for function in self.model.functions:
            if function is not self.model.module_function:
                self._decorators(function)
                self._add(entry_points.read(self, function, marked))
                self._add(recursion.read(self, function))
            self._calls(function)
            self._raised_names(function)
            self._iterations(function)
        for cls in self.model.classes:
            spec = next((self.catalog.task_bases[b] for b in cls.bases if b in self.catalog.task_bases), None) \
                or class_actors.inherited_spec(self, cls)
            reader = self._reader(spec, "at_class")
            if reader is not None:
                self._add(reader.at_class(self, cls, spec))
        for function in self.model.functions:
            for loop in function.loops:
                if id(loop) not in self.claimed_loops:
                    self._add(hand_loops.read(self, function, loop))
        if len(self.layers) > 1:  # positions cost a render: none for a lone layer that may be dropped
            self.layers.sort(key=lambda layer: self.model.line(layer.anchor))
        return self.layers

    # ----- the places a layer is written ----------------------------------------------------
    def _decorators(self, function: Function) -> None:
        """``@retry(...)``, ``@app.task(...)`` on ``function``."""
        node = function.node
        assert isinstance(node, cst.FunctionDef)
        outer = function.scope.parent or self.model.scope
        for decorator in node.decorators:
            spec, call = self.spec_for(decorator.decorator, outer)
            if spec is None:
                self._add(built_elsewhere.at_decorator(self, function, decorator, outer)
                          or wrapping_decorators.at_decorator(self, function, decorator, outer))
                continue
            reader = self._reader(spec, "at_decorator")
            if reader is None or self._switched_off(spec, call, outer):
                continue
            if never_retries(spec, function):
                continue  # the decorator wraps it without ever retrying: not a layer
            self._add(reader.at_decorator(self, function, decorator, spec, call, outer))

    def _calls(self, function: Function) -> None:
        """Calls in ``function``: a layer's own call (``queue.enqueue(f, retry=...)``), or a call
        of one (``retry(...)(fn)``, ``r = Retrying(...); r(fn)``), or of a project object whose
        ``__call__`` retries what it is handed (``self.retryer(client.create, ...)``)."""
        for site in function.calls:
            before = len(self.layers)
            self._call(function, site)
            if len(self.layers) == before and site.node.args:
                self._add(retrying_instances.at_call(self, function, site))

    def _call(self, function: Function, site) -> None:
        spec, _ = self.spec_for(site.node, function.scope)
        reader = self._reader(spec, "at_call")
        if reader is not None:
            self._add(reader.at_call(self, function, site, spec))
            return
        declared = bound_call(site.node.func, function.scope)
        if declared is not None and site.node.args:
            spec, inner = self.spec_for(declared, function.scope)
            reader = self._reader(spec, "at_applied_call")
            if reader is not None:
                self._add(reader.at_applied_call(self, function, site, spec, declared, inner))
            elif spec is None:
                self._add(built_elsewhere.at_applied_call(self, function, site))
        elif isinstance(site.node.func, cst.Name) and site.node.args:
            self._add(built_elsewhere.at_applied_call(self, function, site))  # an imported ``LLM_RETRY(fn)``

    def _raised_names(self, function: Function) -> None:
        """``raise RetryTask`` without a call."""
        for site in function.raised_names:
            spec, _ = self.spec_for(site.node, function.scope)
            reader = self._reader(spec, "at_raised_name")
            if reader is not None:
                self._add(reader.at_raised_name(self, function, site, spec))

    def _iterations(self, function: Function) -> None:
        """``for attempt in Retrying(...):``: the loop body is the retried block."""
        for loop in function.loops:
            if not isinstance(loop, cst.For):
                continue
            iterable = bound_call(loop.iter, function.scope)
            if iterable is None:
                continue
            spec, call = self.spec_for(iterable, function.scope)
            reader = self._reader(spec, "at_loop")
            if reader is not None:
                self.claimed_loops.add(id(loop))
                self._add(reader.at_loop(self, function, loop, spec, call))
            elif spec is None:
                layer = built_elsewhere.at_loop(self, function, loop)  # ``for attempt in retry(...)``, a factory's
                if layer is not None:
                    self.claimed_loops.add(id(loop))
                    self._add(layer)

    def _reader(self, spec: LayerSpec | None, hook: str) -> FormReader | None:
        """The reader of ``spec``'s form when it reads this kind of place (has ``hook``)."""
        reader = reader_for(spec.form) if spec is not None else None
        return reader if reader is not None and getattr(reader, hook) is not None else None

    def _add(self, layer: Layer | list[Layer] | None) -> None:
        """A reader's layer, or its layers (a task and the queue's redelivery of it)."""
        for found in layer if isinstance(layer, list) else [layer]:
            if found is not None:
                self.layers.append(found)

    # ----- shared by the readers ------------------------------------------------------
    def make_layer(self, spec: LayerSpec, kind: str, anchor, function: Function, unit_root, call, scope,
                   bare=None) -> Layer:
        """A layer whose policy is read from ``call`` in ``spec``'s dialect (a decorator's
        options over those of its surroundings)."""
        options = None
        if kind == "decorator":
            options = self.surroundings.options(spec, call, scope, self.surroundings.enclosing_function(function))
        policy = policy_reader(spec.dialect)(self, spec, call, scope, options)
        return Layer(kind, spec.library, spec.label, anchor, function, unit_root, policy,
                     spec=spec, call=call, bare=bare, keywords=keywords_of(call))

    def known(self, expr: cst.BaseExpression | None, scope: Scope) -> Known | None:
        """The value ``expr`` holds where literals reach it (``known_values``), through the
        factory site being read."""
        return known(expr, scope, self.site)

    def keyword_policy(self, spec: LayerSpec, call: cst.Call | None, scope: Scope, options: dict | None = None) -> Policy:
        """A policy read from keyword options whatever the spec's dialect (task queues, call sites)."""
        return policy_reader("kwargs")(self, spec, call, scope, options)

    def spec_for(self, expr: cst.BaseExpression, scope: Scope) -> tuple[LayerSpec | None, cst.Call | None]:
        """The catalog layer ``expr`` (a name, or a call of one) declares, and the call."""
        call = expr if isinstance(expr, cst.Call) else None
        target_expr = call.func if call is not None else expr
        if not self._may_name_layer(target_expr, scope):
            return None, call
        target = self.model.qualify(target_expr, scope)
        spec = self.catalog.layer_by_name.get(target) if target else None
        if spec is None and call is not None and target and self.catalog.billable(target) is None:
            spec = self.catalog.layer_by_name.get(forwarded(self.model, target))  # ``completion(**params)``, passed on
        if spec is None and call is not None and target and f"{target}.__call__" in self.catalog.layer_by_name \
                and self.model.calls_instance(target_expr, scope, target):
            spec = self.catalog.layer_by_name[f"{target}.__call__"]  # ``guard(...)``: the instance's __call__
        if spec is None and isinstance(target_expr, cst.Attribute):
            inferred = self.catalog.layers_by_receiver_method.get(identifier(target_expr.attr.value))
            if inferred is not None and any(k in keywords_of(call) for k in inferred.infer_keywords):
                receiver = self.model.qualify(target_expr.value, scope)
                if receiver is None or self.model.resolve_function(receiver) is None:
                    spec = inferred
        return spec, call

    def _may_name_layer(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """Whether ``expr`` can name a catalog layer: it ends in a layer's name, or is a name
        imported under another one or bound to an expression. Resolving other names would
        parse the project modules they come from, for nothing."""
        leaves = self.catalog.layer_leaves
        if isinstance(expr, cst.Attribute):  # (``self.guard(...)``: an instance whose __call__ may be one)
            return identifier(expr.attr.value) in leaves or ("__call__" in leaves and isinstance(expr.value, cst.Name)
                                                              and scope.cls is not None and expr.value.value == scope.self_name)
        if not isinstance(expr, cst.Name):
            return True
        if identifier(expr.value) in leaves:
            return True
        binding = scope.lookup(expr.value)
        if binding is None:
            return False
        if binding.imported:
            return binding.qualname is not None and binding.qualname.rpartition(".")[2] in leaves
        return binding.value is not None

    def _switched_off(self, spec: LayerSpec, call: cst.Call | None, scope: Scope) -> bool:
        """Retries that only happen when a flag is passed as True (taskiq's retry_on_error)."""
        if not spec.enabled_by:
            return False
        arg = keywords_of(call).get(spec.enabled_by)
        return arg is None or self.model.literal(arg.value, scope) is not True

    def exception_refs(self, expr: cst.BaseExpression | None, scope: Scope, owner: cst.CSTNode | None = None) -> list[ExceptionRef]:
        """The exception classes ``expr`` names (a class, a tuple or list of them, a name bound to one)."""
        refs = []
        for element, element_scope in self.model.elements(expr, scope):
            name = self.model.qualify(element, element_scope)
            container = expr if owner is not None and isinstance(expr, (cst.Tuple, cst.List)) and element_scope is scope else None
            if name in self.catalog.exception_set_by_name:  # a library's own tuple (``dsp.ERRORS``)
                refs.extend(ExceptionRef(self.catalog.canonical_exception(c), element) for c in self.catalog.exception_set_by_name[name])
                continue
            refs.append(ExceptionRef(self.catalog.canonical_exception(name) if name else None, element, container))
        return refs

    def is_callable_predicate(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(expr, cst.Lambda):
            return True
        name = self.model.qualify(expr, scope)
        return name is not None and self.model.resolve_function(name) is not None
