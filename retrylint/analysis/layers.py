"""Retry layers: find every place that runs code again after it fails, and read its policy
(attempt cap, deadline, what it retries on, what stops it, whether it waits)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

import libcst as cst

from retrylint.catalog import EntryPointSpec, LayerSpec
from retrylint.analysis.model import EXCEPT, NO_LITERAL, WITH, CallSite, ClassInfo, Function, ModuleModel, Scope, descendants


@dataclass
class ExceptionRef:
    """One exception class named in a retry set or a non-retryable list."""

    name: str | None  # canonical qualified name; None when it cannot be resolved
    node: cst.BaseExpression
    # The tuple/list literal it was written in, inside the layer's own call (for removal).
    container: cst.CSTNode | None = None


@dataclass
class Policy:
    attempts: int | None = None  # worst-case total runs, when known
    capped: bool = True  # False: no attempt cap and no deadline
    deadline: bool = False
    retry_all: bool = False  # every exception triggers a retry
    retry_on: list[ExceptionRef] = field(default_factory=list)
    predicate: bool = False  # a custom predicate decides
    retries_exceptions: bool = True  # False: retries only on results or by hand
    never_retry: list[ExceptionRef] = field(default_factory=list)
    classifier: bool = False  # a giveup=/predicate/except clause that stops it at once
    waits: bool = True

    @property
    def retries(self) -> bool:
        """Whether this layer can run the code more than once."""
        return not self.capped or self.attempts is None or self.attempts > 1

    def attempts_text(self) -> str:
        if not self.capped:
            return "unbounded attempts"
        if self.attempts is not None:
            return f"up to {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        return "a time-capped number of attempts" if self.deadline else "an unknown number of attempts"

    def factor(self) -> int | None:
        """Attempts as a multiplication factor; None when unbounded or unknown."""
        return self.attempts if self.capped else None


@dataclass
class Layer:
    kind: str  # decorator | call | block | task | task-class | loop
    library: str
    label: str
    anchor: cst.CSTNode  # where diagnostics point
    function: Function  # holds the retried unit
    unit_root: cst.CSTNode | None  # None: the whole function is retried; else this block
    policy: Policy
    spec: LayerSpec | None = None
    call: cst.Call | None = None  # the call whose arguments declare the policy
    bare: cst.BaseExpression | None = None  # a bare decorator (``@retry``)
    site: cst.Call | None = None  # a call-site layer: the call that hands the function over
    keywords: dict[str, cst.Arg] = field(default_factory=dict)
    task_class: ClassInfo | None = None  # Celery: the Task subclass that declares the options
    bound_self: str | None = None  # Celery bound task: the name of ``self``
    retry_calls: list[cst.Call] = field(default_factory=list)  # ``self.retry(...)`` sites
    deterministic_handlers: list[tuple[ExceptionRef, cst.CSTNode]] = field(default_factory=list)
    # A loop shaped like a retry with no sign of meaning it (no wait, no attempt counter):
    # kept only when it reaches a billable call.
    speculative: bool = False

    @property
    def name(self) -> str:
        return f"{self.label} on '{self.function.name}'" if self.unit_root is None else self.label

    @property
    def described(self) -> str:
        """The layer with its worst case: ``Celery task on 'build' (up to 4 attempts)``."""
        return f"{self.name} ({self.policy.attempts_text()})"


def short_name(qualname: str | None) -> str:
    """How messages name an exception: builtins bare, others qualified."""
    if qualname is None:
        return "?"
    return qualname[len("builtins."):] if qualname.startswith("builtins.") else qualname


def keywords_of(call: cst.Call | None) -> dict[str, cst.Arg]:
    if call is None:
        return {}
    return {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}


def positional(call: cst.Call | None, index: int) -> cst.Arg | None:
    if call is None:
        return None
    args = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return args[index] if index < len(args) else None


class LayerFinder:
    def __init__(self, model: ModuleModel):
        self.model = model
        self.catalog = model.catalog
        self.layers: list[Layer] = []
        self.claimed_loops: set[int] = set()
        self._withs: dict[int, dict[int, cst.With]] = {}

    def find(self) -> list[Layer]:
        markers = [
            spec for spec in self.catalog.entrypoints
            if any(marker in self.model.source.lower() for marker in spec.markers)
        ]
        for function in self.model.functions:
            if function is not self.model.module_function:
                self._decorators(function)
                self._entry_point(function, markers)
            self._calls(function)
        for cls in self.model.classes:
            self._task_class(cls)
        for function in self.model.functions:
            for loop in function.loops:
                if id(loop) not in self.claimed_loops:
                    self._hand_loop(function, loop)
        if len(self.layers) > 1:  # positions cost a render: none for a lone layer that may be dropped
            self.layers.sort(key=lambda layer: self.model.line(layer.anchor))
        return self.layers

    # ----- resolving exceptions ---------------------------------------------------------
    def exception_refs(self, expr: cst.BaseExpression | None, scope: Scope, owner: cst.CSTNode | None = None) -> list[ExceptionRef]:
        refs = []
        for element, element_scope in self.model.elements(expr, scope):
            name = self.model.qualify(element, element_scope)
            container = expr if owner is not None and isinstance(expr, (cst.Tuple, cst.List)) and element_scope is scope else None
            refs.append(ExceptionRef(self.catalog.canonical_exception(name) if name else None, element, container))
        return refs

    def _is_callable_predicate(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        if isinstance(expr, cst.Lambda):
            return True
        name = self.model.qualify(expr, scope)
        return name is not None and self.model.resolve_function(name) is not None

    # ----- decorators -----------------------------------------------------------------
    def _spec_for(self, expr: cst.BaseExpression, scope: Scope) -> tuple[LayerSpec | None, cst.Call | None]:
        call = expr if isinstance(expr, cst.Call) else None
        target_expr = call.func if call is not None else expr
        if not self._may_name_layer(target_expr, scope):
            return None, call
        target = self.model.qualify(target_expr, scope)
        spec = self.catalog.layer_by_name.get(target) if target else None
        if spec is None and isinstance(target_expr, cst.Attribute):
            inferred = self.catalog.layers_by_receiver_method.get(target_expr.attr.value)
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
        if isinstance(expr, cst.Attribute):
            return expr.attr.value in leaves
        if not isinstance(expr, cst.Name):
            return True
        if expr.value in leaves:
            return True
        binding = scope.lookup(expr.value)
        if binding is None:
            return False
        if binding.imported:
            return binding.qualname is not None and binding.qualname.rpartition(".")[2] in leaves
        return binding.value is not None

    def _decorators(self, function: Function) -> None:
        node = function.node
        assert isinstance(node, cst.FunctionDef)
        outer = function.scope.parent or self.model.scope
        for decorator in node.decorators:
            spec, call = self._spec_for(decorator.decorator, outer)
            if spec is None or spec.form not in ("decorator", "task"):
                continue
            if self._switched_off(spec, call, outer):
                continue
            if spec.dialect == "tenacity" and function.is_async and function.is_generator:
                continue  # tenacity cannot retry an async generator: not a layer
            bare = None if call is not None else decorator.decorator
            if spec.form == "task":
                layer = self._task(function, spec, decorator, call, outer)
            else:
                layer = self._make(spec, "decorator", decorator, function, None, call, outer, bare)
            if layer is not None:
                self.layers.append(layer)

    def _switched_off(self, spec: LayerSpec, call: cst.Call | None, scope: Scope) -> bool:
        """Retries that only happen when a flag is passed as True (taskiq's retry_on_error)."""
        if not spec.enabled_by:
            return False
        arg = keywords_of(call).get(spec.enabled_by)
        return arg is None or self.model.literal(arg.value, scope) is not True

    def _make(self, spec, kind, anchor, function, unit_root, call, scope, bare=None) -> Layer:
        if spec.dialect == "tenacity":
            policy = self.tenacity_policy(call, scope)
        else:
            options = self._with_defaults(spec, call, scope, self._enclosing_function(function)) if kind == "decorator" else None
            policy = self.kwargs_policy(spec, call, scope, options)
        return Layer(kind, spec.library, spec.label, anchor, function, unit_root, policy,
                     spec=spec, call=call, bare=bare, keywords=keywords_of(call))

    # ----- externally retried entry points ------------------------------------------
    def _entry_point(self, function: Function, marked: list[EntryPointSpec]) -> None:
        specs = [s for s in self.catalog.entrypoints if any(fnmatch.fnmatchcase(function.qualname, n) for n in s.names)]
        if marked:
            body = self.model.code(function.node.body).lower()
            specs += [s for s in marked if any(marker in body for marker in s.markers)]
        if not specs:
            return
        spec = specs[0]
        policy = Policy(capped=spec.attempts != "unbounded", attempts=spec.attempts if isinstance(spec.attempts, int) else None)
        policy.retry_all = not spec.retry_on
        policy.retry_on = [ExceptionRef(self.catalog.canonical_exception(n), function.node.name) for n in spec.retry_on]
        self.layers.append(Layer("entrypoint", "external", spec.label, function.node.name, function, None, policy))

    # ----- call and block forms -----------------------------------------------------
    def _calls(self, function: Function) -> None:
        model = self.model
        for site in function.calls:
            call = site.node
            spec, _ = self._spec_for(call, function.scope)
            if spec is not None and spec.form == "call-site":
                self._call_site(function, site, spec)
                continue
            if spec is not None and spec.form == "raise":
                self._raised_retry(function, site, spec)
                continue
            if spec is not None and spec.form == "policy":
                # A retry policy object (google-api-core Retry, Runnable.with_retry): checked for
                # its own bounds; what it wraps is decided at run time.
                self.layers.append(self._make(spec, "policy", call, function, call, call, function.scope))
                continue
            # retry(...)(fn) / Retrying(...)(fn, *args) / r = Retrying(...); r(fn, *args)
            declared = self._bound_call(call.func, function.scope)
            if declared is not None:
                spec, inner = self._spec_for(declared, function.scope)
                if spec is not None and spec.form in ("decorator", "retrying") and call.args:
                    target = model.resolve_function(model.qualify(call.args[0].value, function.scope))
                    if target is not None:
                        self.layers.append(self._make(spec, "call", declared, target, None, inner, function.scope))
        for site in function.raised_names:  # ``raise RetryTask`` without a call
            spec, _ = self._spec_for(site.node, function.scope)
            if spec is not None and spec.form == "raise":
                self._raised_retry(function, site, spec)
        for loop in function.loops:
            if not isinstance(loop, cst.For):
                continue
            iterable = self._bound_call(loop.iter, function.scope)
            if iterable is None:
                continue
            spec, call = self._spec_for(iterable, function.scope)
            if spec is not None and spec.form in ("retrying", "context"):
                self.claimed_loops.add(id(loop))
                self.layers.append(self._make(spec, "block", loop, function, loop, call, function.scope))

    def _call_site(self, function: Function, site: CallSite, spec: LayerSpec) -> None:
        """``queue.enqueue(f, retry=Retry(max=3))``, ``workflow.execute_activity(f, ...)``,
        ``PythonOperator(python_callable=f, retries=2)``: a layer around ``f``."""
        model, scope, call = self.model, function.scope, site.node
        kw = keywords_of(call)
        handed = kw.get(spec.target_keyword) if spec.target_keyword else None
        if handed is None and spec.target_position is not None:
            handed = positional(call, spec.target_position)
        target = model.resolve_function(model.qualify(handed.value, scope)) if handed is not None else None
        if target is None:
            return
        policy_call: cst.Call | None = call
        options = self._with_defaults(spec, call, scope, function, site.path)
        if spec.policy_param:
            policy_call = self._bound_call(kw[spec.policy_param].value, scope) if spec.policy_param in kw else None
            if policy_call is not None and model.qualify(policy_call.func, scope) not in spec.policy_objects:
                return  # a policy built elsewhere: cannot be read
            if policy_call is None and spec.absent_policy != "default":
                return  # no policy, no retries
            options = {name: (arg.value, scope) for name, arg in keywords_of(policy_call).items()}
            options.update({p: (kw[p].value, scope) for p in spec.deadline_params if p in kw})
        policy = self.kwargs_policy(spec, policy_call, scope, options)
        if self._raises_to_stop(target, spec):
            policy.classifier = True
        layer = Layer("call", spec.library, spec.label, call, target, None, policy, spec=spec,
                      call=policy_call, keywords=keywords_of(policy_call), site=call)
        self.layers.append(layer)

    # ----- options from the surroundings (Airflow's DAG default_args) -------------------------
    def _with_defaults(self, spec: LayerSpec, call: cst.Call | None, scope: Scope, function: Function | None,
                       path: tuple = ()) -> dict | None:
        """The call's keywords over the options its surroundings supply: ``spec.defaults_keyword``
        of a ``spec.defaults_from`` call decorating ``function``, holding the call in a ``with``
        (``path`` leads to it), or named by the call's ``spec.defaults_object_param`` (``dag=``).
        None for a spec without them."""
        if not spec.defaults_keyword:
            return None
        sources = []
        if function is not None and isinstance(function.node, cst.FunctionDef):
            sources += [d.decorator for d in function.node.decorators]
        if function is not None and path:
            withs = self._with_statements(function)
            sources += [item.item for i, kind, _ in path if kind == WITH and i in withs for item in withs[i].items]
        named = keywords_of(call).get(spec.defaults_object_param)
        sources += [named.value] if named is not None else []
        options: dict = {}
        for source in sources:
            bound = self._bound_call(source, scope)
            if bound is not None and self.model.qualify(bound.func, scope) in spec.defaults_from:
                given = keywords_of(bound).get(spec.defaults_keyword)
                if given is not None:
                    options.update(self._dict_options(given.value, scope))
        options.update({name: (arg.value, scope) for name, arg in keywords_of(call).items()})
        return options

    def _dict_options(self, expr: cst.BaseExpression, scope: Scope) -> dict:
        """``{"retries": 3}`` or ``dict(retries=3)``, or a name bound to one, as options."""
        if isinstance(expr, cst.Name):
            binding = scope.lookup(expr.value)
            if binding is not None and binding.value is not None and binding.scope is not None:
                return self._dict_options(binding.value, binding.scope)
        if isinstance(expr, cst.Dict):
            return {
                element.key.evaluated_value: (element.value, scope) for element in expr.elements
                if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
            }
        if isinstance(expr, cst.Call) and self.model.qualify(expr.func, scope) == "builtins.dict":
            return {name: (arg.value, scope) for name, arg in keywords_of(expr).items()}
        return {}

    def _with_statements(self, function: Function) -> dict[int, cst.With]:
        found = self._withs.get(id(function))
        if found is None:
            found = {id(node): node for node in descendants(function.node) if isinstance(node, cst.With)}
            self._withs[id(function)] = found
        return found

    def _enclosing_function(self, function: Function) -> Function | None:
        """The function whose body defines ``function`` (an Airflow ``@dag`` around its tasks)."""
        parent = function.scope.parent
        return next((f for f in self.model.functions if f.scope is parent and f is not function), None)

    @staticmethod
    def _raises_to_stop(function: Function, spec: LayerSpec) -> bool:
        """The retried function raises an error that tells the layer to stop at once."""
        model = function.scope.model
        for entry in spec.stop_raises:
            name, _, keyword = entry.partition(":")
            for site in function.calls:
                if model.qualify(site.node.func, function.scope) == name:
                    arg = keywords_of(site.node).get(keyword)
                    if arg is not None and model.literal(arg.value, function.scope) is True:
                        return True
        return False

    def _raised_retry(self, function: Function, site, spec: LayerSpec) -> None:
        """``raise Retry(defer=5)`` (arq), ``raise RetryTask()`` (Huey): the function is run
        again; the ``except`` it is raised from names what it retries on."""
        policy = self.kwargs_policy(spec, None, function.scope)
        handlers = {id(h.node): h.node for h in function.handlers}
        handler = next((handlers[i] for i, kind, _ in reversed(site.path) if kind == EXCEPT and i in handlers), None)
        if handler is None:
            policy.retry_all, policy.predicate = False, True  # raised on a condition: a poll
        elif handler.type is not None:
            policy.retry_all = False
            policy.retry_on = self.exception_refs(handler.type, function.scope)
        self.layers.append(Layer("raise", spec.library, spec.label, site.node, function, None, policy, spec=spec))

    @staticmethod
    def _bound_call(expr: cst.BaseExpression, scope: Scope) -> cst.Call | None:
        """``expr`` itself when it is a call, or the call a plain name was bound to."""
        if isinstance(expr, cst.Name):
            binding = scope.lookup(expr.value)
            if binding is not None and isinstance(binding.value, cst.Call):
                return binding.value
        return expr if isinstance(expr, cst.Call) else None

    # ----- tenacity -----------------------------------------------------------------
    def tenacity_policy(self, call: cst.Call | None, scope: Scope) -> Policy:
        kw = keywords_of(call)
        policy = Policy(capped=False)
        if "stop" in kw:
            policy.attempts, policy.capped, policy.deadline = self._stop(kw["stop"].value, scope)
        policy.retry_all = True
        if "retry" in kw:
            self._retry(kw["retry"].value, scope, policy, call)
        policy.waits = "wait" in kw and self._waits(kw["wait"].value, scope)
        return policy

    def _names(self, key: str) -> tuple[str, ...]:
        return self.catalog.tenacity_names(key)

    def _stop(self, expr, scope) -> tuple[int | None, bool, bool]:
        """(attempts, capped, deadline) of a tenacity stop expression."""
        model = self.model
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitOr, cst.BitAnd)):
            parts = [self._stop(expr.left, scope), self._stop(expr.right, scope)]
            return self._combine_stops(parts, any_=isinstance(expr.operator, cst.BitOr))
        target = model.qualify(expr.func if isinstance(expr, cst.Call) else expr, scope)
        if isinstance(expr, cst.Call) and target in self._names("stop_any") + self._names("stop_all"):
            parts = [self._stop(arg.value, scope) for arg in expr.args]
            return self._combine_stops(parts, any_=target in self._names("stop_any"))
        if target in self._names("stop_never"):
            return None, False, False
        if isinstance(expr, cst.Call) and target in self._names("stop_after_attempts"):
            value = model.literal(expr.args[0].value, scope) if expr.args else NO_LITERAL
            return (value if isinstance(value, int) and not isinstance(value, bool) else None), True, False
        if isinstance(expr, cst.Call) and target in self._names("stop_after_time"):
            return None, True, True
        return None, True, False  # stop_when_event_set or a custom stop: assume it stops

    @staticmethod
    def _combine_stops(parts, any_: bool):
        if any_:  # stops at the earliest
            capped = [p for p in parts if p[1]]
            if not capped:
                return None, False, False
            counts = [p[0] for p in capped if p[0] is not None]
            return (min(counts) if counts else None), True, any(p[2] for p in capped)
        if not all(p[1] for p in parts):  # stops only when every part would
            return None, False, False
        counts = [p[0] for p in parts]
        attempts = max(counts) if all(c is not None for c in counts) else None
        return attempts, True, any(p[2] for p in parts)

    def _retry(self, expr, scope, policy: Policy, owner: cst.Call | None) -> None:
        """Read a tenacity retry= expression into ``policy``."""
        model = self.model
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitOr, cst.BitAnd)):
            self._combine_retries([expr.left, expr.right], scope, policy, owner, any_=isinstance(expr.operator, cst.BitOr))
            return
        target = model.qualify(expr.func if isinstance(expr, cst.Call) else expr, scope)
        if isinstance(expr, cst.Call) and target in self._names("retry_any") + self._names("retry_all"):
            self._combine_retries([a.value for a in expr.args], scope, policy, owner, any_=target in self._names("retry_any"))
            return
        if target in self._names("retry_types"):
            arg = expr.args[0].value if isinstance(expr, cst.Call) and expr.args else None
            if arg is None:
                policy.retry_all = True
            else:
                policy.retry_all = False
                policy.retry_on = self.exception_refs(arg, scope, owner)
        elif target in self._names("retry_not_types"):
            arg = expr.args[0].value if isinstance(expr, cst.Call) and expr.args else None
            policy.retry_all = True
            policy.never_retry = self.exception_refs(arg, scope, owner) if arg is not None else []
        elif target in self._names("retry_results") or target in self._names("retry_never"):
            policy.retry_all = False
            policy.retries_exceptions = False
        elif target in self._names("retry_always"):
            policy.retry_all = True
        else:  # retry_if_exception(pred), message matchers, custom callables
            policy.retry_all = False
            policy.predicate = True
            policy.classifier = True

    def _combine_retries(self, exprs, scope, policy: Policy, owner, any_: bool) -> None:
        parts = []
        for expr in exprs:
            part = Policy()
            self._retry(expr, scope, part, owner)
            parts.append(part)
        exceptions = [p for p in parts if p.retries_exceptions]
        if not exceptions:
            policy.retry_all, policy.retries_exceptions = False, False
            return
        if any_:
            policy.retry_all = any(p.retry_all for p in exceptions)
            policy.never_retry = [r for p in exceptions for r in p.never_retry] if all(p.never_retry for p in exceptions) else []
        else:
            policy.retry_all = all(p.retry_all for p in exceptions)
            policy.never_retry = [r for p in exceptions for r in p.never_retry]
        policy.retry_on = [r for p in exceptions for r in p.retry_on]
        policy.predicate = any(p.predicate for p in exceptions)
        policy.classifier = any(p.classifier for p in exceptions) or bool(policy.never_retry)

    def _waits(self, expr, scope) -> bool:
        model = self.model
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._waits(expr.left, scope) or self._waits(expr.right, scope)
        target = model.qualify(expr.func if isinstance(expr, cst.Call) else expr, scope)
        if target in self._names("wait_none"):
            return False
        if isinstance(expr, cst.Call) and target in self._names("wait_fixed") and expr.args:
            return model.literal(expr.args[0].value, scope) not in (0, 0.0)
        return True

    # ----- keyword dialect (backoff, stamina, task queues, user catalog) -------------
    def kwargs_policy(self, spec: LayerSpec, call: cst.Call | None, scope: Scope, options: dict | None = None) -> Policy:
        """``options`` maps a parameter to its expression and scope (decorator keywords, or
        a Task class's attributes); built from ``call`` when not given."""
        model = self.model
        if options is None:
            options = {name: (arg.value, scope) for name, arg in keywords_of(call).items()}
            if spec.retry_on_param and spec.retry_on_position is not None and spec.retry_on_param not in options:
                arg = positional(call, spec.retry_on_position)
                if arg is not None:
                    options[spec.retry_on_param] = (arg.value, scope)
        policy = Policy()
        attempts = spec.attempts
        capped, count = attempts.default is not None, attempts.default
        if attempts.default is not None:
            count = attempts.total(attempts.default)
        if attempts.param in options:
            expr, where = options[attempts.param]
            value = model.literal(expr, where)
            if value is True and attempts.true == "unbounded":
                capped, count = False, None
            elif value is False:
                capped, count = True, 1
            elif value is None:
                if attempts.none == "unbounded":
                    capped, count = False, None
            elif isinstance(value, int) and not isinstance(value, bool):
                if value <= 0 and attempts.nonpositive == "unbounded":
                    capped, count = False, None
                else:
                    capped, count = True, attempts.total(value)
            else:
                capped, count = True, None
        if not capped and any(
            p in options and model.literal(*options[p]) is not None for p in attempts.other_caps
        ):
            capped, count = True, None
        deadline = spec.deadline_default is not None
        for param in spec.deadline_params:
            if param in options:
                value = model.literal(*options[param])
                if value is None:
                    deadline = False
                elif isinstance(value, (int, float)) and value <= 0 and spec.deadline_nonpositive == "unbounded":
                    deadline = False
                else:
                    deadline = True
        policy.attempts, policy.deadline = count, deadline
        policy.capped = capped or deadline
        if spec.retries_nothing:
            policy.retry_all, policy.retries_exceptions = False, spec.retry_on_param is not None
            if spec.retry_on_param in options:
                self._retry_set(policy, *options[spec.retry_on_param], call)
            elif spec.retry_on_param is not None:
                policy.retries_exceptions = False
        elif spec.retry_on_param in options:
            self._retry_set(policy, *options[spec.retry_on_param], call)
        else:
            policy.retry_all = True
        for param in spec.never_retry:
            if param in options:
                expr, where = options[param]
                if self._is_callable_predicate(expr, where):
                    policy.classifier = True
                else:
                    policy.never_retry = self.exception_refs(expr, where, call)
                    policy.classifier = bool(policy.never_retry)
        for param in spec.predicate_params:
            if param in options:
                policy.retry_all, policy.predicate, policy.classifier = False, True, True
                if spec.predicate_replaces_attempts:
                    policy.capped, policy.attempts = True, None
        policy.waits = spec.waits
        delays = [model.literal(*options[p]) for p in spec.delay_params if p in options]
        if delays:
            growth = any(model.literal(*options[g]) not in (False, None, 0, NO_LITERAL) for g in spec.growth_params if g in options)
            policy.waits = growth or any(d not in (0, 0.0, None) for d in delays)
        if any(param in options for param in spec.wait_params):
            policy.waits = True
        return policy

    def _retry_set(self, policy: Policy, expr, scope, owner) -> None:
        if self._is_callable_predicate(expr, scope):
            policy.retry_all, policy.predicate, policy.classifier = False, True, True
            return
        policy.retry_all = False
        policy.retries_exceptions = True
        policy.retry_on = self.exception_refs(expr, scope, owner)

    # ----- task queues ----------------------------------------------------------------
    def _task_options(self, spec: LayerSpec, call: cst.Call | None, scope: Scope) -> tuple[dict, ClassInfo | None]:
        options = {}
        task_class = None
        kw = keywords_of(call)
        if spec.base_param and spec.base_param in kw:
            base = self.model.qualify(kw[spec.base_param].value, scope)
            task_class = self.model.class_by_qualname.get(base) if base else None
            if task_class is not None:
                options.update(self._class_options(task_class))
        options.update({name: (arg.value, scope) for name, arg in kw.items()})
        return options, task_class

    def _class_options(self, cls: ClassInfo) -> dict:
        options = {}
        for info in reversed(list(self.model.class_mro(cls))):
            for name, binding in info.body_attrs.items():
                if binding.value is not None and binding.scope is not None:
                    options[name] = (binding.value, binding.scope)
        return options

    def _task(self, function: Function, spec: LayerSpec, anchor, call, scope, options=None, task_class=None) -> Layer | None:
        if options is None:
            options, task_class = self._task_options(spec, call, scope)
        autoretry = spec.retry_on_param in options and any(True for _ in self.model.elements(*options[spec.retry_on_param]))
        bound = spec.bind_param in options and self.model.literal(*options[spec.bind_param]) is True
        self_name = function.params[0].name.value if function.params and (bound or task_class is not None or function.cls) else None
        retry_calls = self._bound_retry_calls(function, spec, self_name) if self_name else []
        if not autoretry and not retry_calls:
            return None
        if spec.retry_kwargs_param in options:
            self._unpack_retry_kwargs(spec, options)
        policy = self.kwargs_policy(spec, call, scope, options)
        layer = Layer("task", spec.library, spec.label, anchor, function, None, policy, spec=spec, call=call,
                      keywords=keywords_of(call), task_class=task_class, bound_self=self_name if bound else None,
                      retry_calls=[site for site, _ in retry_calls])
        if retry_calls:
            self._merge_bound_retries(layer, retry_calls, autoretry)
        return layer

    def _unpack_retry_kwargs(self, spec: LayerSpec, options: dict) -> None:
        """Celery's ``retry_kwargs={"max_retries": 5, "countdown": 0}`` reach every autoretry
        (there, as in ``self.retry``, ``max_retries=None`` means the task's own value)."""
        expr, scope = options[spec.retry_kwargs_param]
        if not isinstance(expr, cst.Dict):
            return
        renames = {spec.bound_retry_attempts: spec.attempts.param}
        renames.update({spec.bound_retry_delay: param for param in spec.delay_params})
        for element in expr.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                key = element.key.evaluated_value
                if key == spec.bound_retry_attempts and self.model.literal(element.value, scope) is None:
                    continue
                if key in renames and renames[key]:
                    options[renames[key]] = (element.value, scope)

    def _bound_retry_calls(self, function: Function, spec: LayerSpec, self_name: str):
        """``self.retry(...)`` calls, each with the except handler it sits in (or None)."""
        found = []
        handlers = {id(site.node): site for site in function.handlers}
        for site in function.calls:
            func = site.node.func
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value == self_name
                and func.attr.value == spec.bound_retry
            ):
                handler = next((handlers[i] for i, kind, _ in reversed(site.path) if kind == EXCEPT and i in handlers), None)
                found.append((site.node, handler))
        return found

    def _merge_bound_retries(self, layer: Layer, retry_calls, autoretry: bool) -> None:
        policy, spec, scope = layer.policy, layer.spec, layer.function.scope
        policy.retries_exceptions = True
        if not autoretry:
            policy.retry_all, policy.retry_on = False, []
        for call, handler in retry_calls:
            kw = keywords_of(call)
            if spec.bound_retry_attempts in kw:
                value = self.model.literal(kw[spec.bound_retry_attempts].value, scope)
                if isinstance(value, int) and not isinstance(value, bool):
                    policy.attempts, policy.capped = spec.attempts.total(value), True
                elif value is NO_LITERAL:
                    policy.attempts = None
            if spec.bound_retry_delay in kw and self.model.literal(kw[spec.bound_retry_delay].value, scope) in (0, 0.0):
                policy.waits = False
            if handler is None:
                policy.predicate = True
                continue
            for sibling in self._reraising_siblings(layer.function, handler, spec.bound_retry):
                if sibling.type is not None:
                    policy.never_retry.extend(self.exception_refs(sibling.type, scope))
                    policy.classifier = True
            if handler.node.type is None:
                policy.retry_all = True
            else:
                refs = self.exception_refs(handler.node.type, scope)
                policy.retry_on.extend(refs)
                for ref in refs:
                    layer.deterministic_handlers.append((ref, handler.node))

    @staticmethod
    def _reraising_siblings(function: Function, handler, retry_method: str) -> list[cst.ExceptHandler]:
        """Earlier ``except`` clauses of the same ``try`` that re-raise (not into another
        retry): the task's non-retryable list."""
        found = []
        for site in function.handlers:
            if site is handler:
                break
            last = _last_small(site.node.body)
            if site.path[:-1] != handler.path[:-1] or not isinstance(last, cst.Raise):
                continue
            retries = (
                isinstance(last.exc, cst.Call)
                and isinstance(last.exc.func, cst.Attribute)
                and last.exc.func.attr.value == retry_method
            )
            if not retries:
                found.append(site.node)
        return found

    def _task_class(self, cls: ClassInfo) -> None:
        """A Task subclass with retry options and its own ``run``."""
        spec = next((self.catalog.task_bases[b] for b in cls.bases if b in self.catalog.task_bases), None)
        if spec is None or "run" not in cls.methods:
            return
        options = self._class_options(cls)
        layer = self._task(cls.methods["run"], spec, cls.node, None, self.model.scope, options, cls)
        if layer is not None:
            layer.kind = "task-class"
            layer.label = f"{spec.label} class"
            self.layers.append(layer)

    # ----- hand-written loops ---------------------------------------------------------
    def _hand_loop(self, function: Function, loop: cst.For | cst.While) -> None:
        loop_info = _LoopShape(self.model, function, loop)
        if not loop_info.is_retry():
            return
        policy = Policy(capped=loop_info.capped(), attempts=loop_info.attempts())
        policy.deadline = False
        retrying = loop_info.retrying_handlers
        policy.retry_all = any(h.type is None for h in retrying)
        for handler in retrying:
            if handler.type is not None:
                policy.retry_on.extend(self.exception_refs(handler.type, function.scope))
        for handler in loop_info.stopping_handlers:
            if handler.type is not None:
                policy.never_retry.extend(self.exception_refs(handler.type, function.scope))
        policy.classifier = bool(policy.never_retry) or loop_info.classifies()
        policy.waits = loop_info.sleeps()
        self.layers.append(Layer("loop", "hand-written", "hand-written retry loop", loop, function, loop, policy,
                                 speculative=not loop_info.shows_retry_intent()))


_EXITS = (cst.Raise, cst.Return, cst.Break)


def _last_small(body) -> cst.CSTNode | None:
    statements = body.body
    if not statements:
        return None
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return last.body[-1]
    return last


# What a ``for`` loop must iterate over to be a retry loop (the prefilter looks for their names).
COUNTING_ITERATORS = ("builtins.range",)
ENDLESS_ITERATORS = ("itertools.count", "itertools.repeat", "itertools.cycle")


class _LoopShape:
    """Reads a ``for``/``while`` loop: is it a retry loop, is it bounded, does it wait."""

    def __init__(self, model: ModuleModel, function: Function, loop):
        self.model = model
        self.function = function
        self.loop = loop
        self.tries = [n for n in loop.body.body if isinstance(n, (cst.Try, cst.TryStar))]
        self.retrying_handlers: list[cst.ExceptHandler] = []
        self.stopping_handlers: list[cst.ExceptHandler] = []
        for try_ in self.tries:
            for handler in try_.handlers:
                last = _last_small(handler.body)
                if isinstance(last, _EXITS):
                    self.stopping_handlers.append(handler)
                else:
                    self.retrying_handlers.append(handler)
        self.exception_names = {
            h.name.name.value for h in self.retrying_handlers if h.name is not None and isinstance(h.name.name, cst.Name)
        }

    def _mentions_exception(self, test: cst.CSTNode) -> bool:
        nodes = [test, *descendants(test, stop_at_loops=True)]
        return any(isinstance(n, cst.Name) and n.value in self.exception_names for n in nodes)

    def iterator(self) -> str | None:
        if isinstance(self.loop, cst.For) and isinstance(self.loop.iter, cst.Call):
            return self.model.qualify(self.loop.iter.func, self.function.scope)
        return None

    def is_retry(self) -> bool:
        if not self.retrying_handlers:
            return False  # no exception drives it: a polling or work loop
        if isinstance(self.loop, cst.For):
            if self.iterator() not in COUNTING_ITERATORS + ENDLESS_ITERATORS:
                return False  # iterating over items: a fallback or batch loop, not a retry
        return self._exits_on_success()

    def _exits_on_success(self) -> bool:
        """A retry loop leaves once the work succeeds: an unconditional break/return at the
        end of the try (or its else), or in the loop body after it. A loop that goes on
        after a success is a worker or polling loop."""
        for try_ in self.tries:
            if any(isinstance(n, cst.Continue) for n in descendants(try_.body, stop_at_loops=True)):
                return False  # it goes on after work that succeeded: a periodic loop
        for try_ in self.tries:
            for block in (try_.body, try_.orelse.body if try_.orelse else None):
                if block is not None and isinstance(_last_small(block), (cst.Break, cst.Return)):
                    return True
        after = False
        for statement in self.loop.body.body:
            if isinstance(statement, (cst.Try, cst.TryStar)):
                after = True
            elif after and isinstance(statement, cst.SimpleStatementLine):
                if any(isinstance(small, (cst.Break, cst.Return)) for small in statement.body):
                    return True
        return False

    RETRY_WORDS = ("attempt", "retr", "tries", "tried")

    def shows_retry_intent(self) -> bool:
        """It waits between tries, or counts attempts: the loop is meant as a retry."""
        if self.sleeps():
            return True
        names = []
        if isinstance(self.loop, cst.For):
            names.append(self.model.code(self.loop.target))
        for node in descendants(self.loop.body, stop_at_loops=True):
            if isinstance(node, cst.AugAssign):
                names.append(self.model.code(node.target))
        if isinstance(self.loop, cst.While):
            names.append(self.model.code(self.loop.test))
        return any(word in name.lower() for name in names for word in self.RETRY_WORDS) or "_" in names

    def _exit_tests(self) -> list[cst.If]:
        """``if <test>: raise|break|return`` anywhere at this loop level."""
        found = []
        for node in descendants(self.loop.body, stop_at_loops=True):
            if not isinstance(node, cst.If):
                continue
            orelse = node.orelse
            if isinstance(_last_small(node.body), _EXITS) or (
                isinstance(orelse, cst.Else) and isinstance(_last_small(orelse.body), _EXITS)
            ):
                found.append(node)
        return found

    def has_deadline(self) -> bool:
        """The loop runs inside a timeout context (``with anyio.fail_after(30):``)."""
        patterns = self.model.catalog.loop_deadline_contexts
        for context in self.function.loop_contexts.get(id(self.loop), ()):
            if isinstance(context, cst.Call):
                name = self.model.qualify(context.func, self.function.scope) or self.model.code(context.func)
                if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                    return True
        return False

    def capped(self) -> bool:
        if self.has_deadline():
            return True
        if isinstance(self.loop, cst.For):
            return self.iterator() in COUNTING_ITERATORS or self._has_counter_exit()
        test = self.loop.test
        endless = (isinstance(test, cst.Name) and test.value == "True") or (
            isinstance(test, cst.Integer) and test.value != "0"
        ) or (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not))
        return not endless or self._has_counter_exit()

    def _has_counter_exit(self) -> bool:
        for node in self._exit_tests():
            if self._mentions_exception(node.test):
                continue  # ``if e.status < 500: raise`` classifies, it does not count
            if any(isinstance(n, cst.Comparison) for n in [node.test, *descendants(node.test, stop_at_loops=True)]):
                return True
        return False

    def attempts(self) -> int | None:
        if isinstance(self.loop, cst.For) and self.iterator() in COUNTING_ITERATORS:
            args = [a for a in self.loop.iter.args if a.keyword is None]
            values = [self.model.literal(a.value, self.function.scope) for a in args[:2]]
            if all(isinstance(v, int) for v in values) and values:
                return values[0] if len(values) == 1 else max(values[1] - values[0], 0)
        if isinstance(self.loop, cst.While) and isinstance(self.loop.test, cst.Comparison):
            comparison = self.loop.test.comparisons[0]
            value = self.model.literal(comparison.comparator, self.function.scope)
            if isinstance(comparison.operator, (cst.LessThan, cst.LessThanEqual)) and isinstance(value, int):
                return value + (1 if isinstance(comparison.operator, cst.LessThanEqual) else 0)
        return None

    def classifies(self) -> bool:
        """A handler that re-raises some failures at once (``if not transient(e): raise``)."""
        for handler in self.retrying_handlers:
            for node in descendants(handler.body, stop_at_loops=True):
                if isinstance(node, cst.If) and isinstance(_last_small(node.body), cst.Raise):
                    if self._mentions_exception(node.test):
                        return True
        return False

    def sleeps(self) -> bool:
        for node in descendants(self.loop.body, stop_at_loops=True):
            if isinstance(node, cst.Call):
                func = node.func
                name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
                if name in ("sleep", "wait"):
                    return True
        return False
