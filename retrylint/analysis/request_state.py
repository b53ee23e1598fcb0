"""State a request is built from, and the steps that move it: what a project function (read from
its body, across modules) writes that outlives the call, and what a retry loop's request reads.

A state is named by what holds it: ``("attr", "_accepted")`` for ``self._accepted[key] = ...``
(any object's attribute of that name), ``("name", "FIELDS")`` for a module global or a local of
the loop's function. A step moves one on along a ladder: an attribute, an item of one or of a
name, or a name declared ``global``, set to an increment (``self._accepted[key] = index + 1``), or
an entry taken out of a container or marked in a set (``pop``, ``remove``, ``add``, ...). A reset
(``self._websocket = None``: a reconnect goes round forever), a new value, a count (``n += 1``,
``n = n + 1``) or a growing list (``append``: a conversation re-asked) is no step. What a request reads
is every attribute and name in the loop body outside its ``except`` clauses, and in the project
functions it calls from there, a few calls deep: a parameter it calls (``return call()``) runs what
the callers in its module hand it (``handed_callables.handed_arguments``), a lambda's body too."""

from __future__ import annotations

import libcst as cst

from retrylint.analysis.handed_callables import handed_arguments
from retrylint.analysis.model import Function, ModuleModel, children

# Methods that take an entry out of a container, or mark one (a refused field) in a set.
MUTATORS = frozenset({"add", "pop", "popitem", "remove", "discard"})
READ_DEPTH = 5  # calls followed from the loop to where the request reads its state
WRITE_DEPTH = 2  # calls followed from a step to where it writes
MAX_FUNCTIONS = 60  # functions read for one loop's request


def walk(node: cst.CSTNode, skip: frozenset[int] = frozenset()):
    """The nodes under ``node``, lambdas entered, nested defs and classes and the nodes ``skip``
    names (by id) not."""
    stack = list(children(node))
    while stack:
        child = stack.pop()
        if id(child) in skip:
            continue
        yield child
        if not isinstance(child, (cst.FunctionDef, cst.ClassDef)):
            stack.extend(children(child))


def resolve_call(model: ModuleModel, func: cst.BaseExpression, scope) -> Function | None:
    """The project function a call runs; for ``reasoning.CONTROLS.rejected``, the method of the
    project class that a module's global (``CONTROLS = ThinkingOff()``) is an instance of."""
    target = model.qualify(func, scope)
    found = model.resolve_function(target)
    if found is not None or target is None or not isinstance(func, cst.Attribute) or model.project is None:
        return found
    owner, _, method = target.rpartition(".")
    exported = model.project.exported_binding(owner, model.root)
    if exported is None or not isinstance(exported[0].value, cst.Call) or exported[0].scope is None:
        return None
    binding, where = exported
    cls = where.resolve_class(where.qualify(binding.value.func, binding.scope))
    return where.method_of(cls, method) if cls is not None else None


def _holder(target: cst.BaseExpression, names: set[str] | None) -> tuple[str, str] | None:
    """The state an assignment target or a mutated value names: ``self.x[k]`` is ``("attr", "x")``,
    ``FIELDS[k]`` is ``("name", "FIELDS")`` when ``names`` holds it (None: every name counts)."""
    while isinstance(target, cst.Subscript):
        target = target.value
    if isinstance(target, cst.Attribute):
        return "attr", target.attr.value
    if isinstance(target, cst.Name) and (names is None or target.value in names):
        return "name", target.value
    return None


def _counts(target: cst.BaseExpression, value: cst.BaseExpression, model: ModuleModel) -> bool:
    """``n = n + 1``: a count, written from itself."""
    code = model.code(target)
    return any(model.code(node) == code for node in walk(value) if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)))


def _increment(value: cst.BaseExpression | None, moved: set[str]) -> bool:
    """``index + 1``, or a name ``moved`` holds (bound to one): one step on along a ladder."""
    if isinstance(value, cst.Name):
        return value.value in moved
    return isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add) \
        and any(isinstance(side, cst.Integer) for side in (value.left, value.right))


def statement_writes(small: cst.BaseSmallStatement, model: ModuleModel, names: set[str] | None,
                     moved: set[str] = frozenset()) -> set[tuple[str, str]]:
    """The states one small statement moves on; ``names``: the plain names that count as state
    (None: every name, in the loop's own function); ``moved``: the locals bound to an increment.
    A step sets an index one on (``self._accepted[key] = index + 1``), takes an entry out
    (``params.pop("max_tokens")``) or marks one refused (``rejected.add(field)``); a reset
    (``self._websocket = None``), a new value (a new client) or a count is none."""
    found: set[tuple[str, str]] = set()
    if isinstance(small, (cst.Assign, cst.AnnAssign)) and _increment(small.value, moved):
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        for target in targets:
            holder = None if _counts(target, small.value, model) else _holder(target, names)
            found |= {holder} if holder else set()
    value = small.value if isinstance(small, cst.Expr) else None
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in MUTATORS:
        holder = _holder(value.func.value, names)
        found |= {holder} if holder else set()
    return found


def function_writes(function: Function, depth: int = WRITE_DEPTH, seen: set[int] | None = None) -> set[tuple[str, str]]:
    """The states ``function`` writes that outlive it, and those of the project functions it calls."""
    seen = set() if seen is None else seen
    if id(function) in seen or not isinstance(function.node, cst.FunctionDef):
        return set()
    seen.add(id(function))
    model = function.scope.model
    nodes = list(walk(function.node.body))
    declared = {name.name.value for node in nodes if isinstance(node, cst.Global) for name in node.names}
    found: set[tuple[str, str]] = set()
    moved = {t.target.value for node in nodes if isinstance(node, cst.Assign) and _increment(node.value, set())
             for t in node.targets if isinstance(t.target, cst.Name)}
    for node in nodes:
        if isinstance(node, cst.BaseSmallStatement):
            found |= statement_writes(node, model, declared | _globals(function, node), moved)
        elif isinstance(node, cst.Call) and depth > 0:
            callee = resolve_call(model, node.func, function.scope)
            if callee is not None:
                found |= function_writes(callee, depth - 1, seen)
    return found


def _globals(function: Function, small: cst.BaseSmallStatement) -> set[str]:
    """The names of module globals an item assignment or a mutating call in ``small`` changes
    (``FIELDS[model] = i``, ``REJECTED.add(field)``): names ``function`` does not bind itself."""
    found = set()
    for node in walk(small):
        if isinstance(node, (cst.Subscript, cst.Attribute)) and isinstance(node.value, cst.Name):
            name = node.value.value
            if name not in function.scope.names and function.scope.lookup(name) is not None:
                found.add(name)
    return found


def call_writes(model: ModuleModel, call: cst.Call, scope) -> set[tuple[str, str]]:
    """The states a call of a project function writes (nothing for a call it cannot resolve)."""
    callee = resolve_call(model, call.func, scope)
    return function_writes(callee) if callee is not None else set()


def request_reads(function: Function, loop: cst.For | cst.While, skip: frozenset[int]) -> set[tuple[str, str]]:
    """Every attribute and name the loop's body reads outside the nodes ``skip`` names (its
    ``except`` clauses), and in the project functions it reaches from there."""
    found: set[tuple[str, str]] = set()
    work = [(list(walk(loop.body, skip)), function, 0)]
    done: set[int] = {id(function)}
    while work:
        nodes, owner, depth = work.pop()
        attrs = {id(node.attr) for node in nodes if isinstance(node, cst.Attribute)}  # ``.x`` is no name ``x``
        for node in nodes:
            if isinstance(node, cst.Attribute):
                found.add(("attr", node.attr.value))
            elif isinstance(node, cst.Name) and id(node) not in attrs:
                found.add(("name", node.value))
            elif isinstance(node, cst.Call) and depth < READ_DEPTH and len(done) < MAX_FUNCTIONS:
                work.extend(_reached(owner, node, depth + 1, done))
    return found


def _reached(owner: Function, call: cst.Call, depth: int, done: set[int]) -> list[tuple[list, Function, int]]:
    """What a call in ``owner`` runs, to be read in turn: the project function it names, or what
    the callers hand the parameter it calls (a function, or a lambda read in its caller)."""
    model = owner.scope.model
    callee = resolve_call(model, call.func, owner.scope)
    handed = [(callee, None, None)] if callee is not None else handed_arguments(owner, call.func)
    found = []
    for function, expr, caller in handed:
        if function is not None and id(function) not in done and isinstance(function.node, cst.FunctionDef):
            done.add(id(function))
            found.append((list(walk(function.node.body)), function, depth))
        elif isinstance(expr, cst.Lambda) and id(expr) not in done:
            done.add(id(expr))
            found.append(([expr.body, *walk(expr.body)], caller, depth))
    return found
