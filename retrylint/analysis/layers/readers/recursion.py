"""Recursion as retry: a function whose ``except`` clause returns a call of itself with the
same input (``except RateLimitError: return self.execute(prompt, attempt + 1)``). Not a
catalog form: every function is read here. It is bounded only when a counter is passed on
changed (``attempt + 1``) or kept on ``self`` (``self.retries += 1``) and an exit tests it
(``if attempt >= 3: raise``); a counter on ``self`` reset at the top of the function
(``self.retries = 0``) starts again on every attempt and bounds nothing. A call with other
input (``return self.execute(fallback_prompt)``) is a fallback, not a retry."""

from __future__ import annotations

import ast
import bisect
import re

import libcst as cst

from retrylint.analysis.layers.layer import Layer, Policy, last_statement
from retrylint.analysis.model import EXCEPT, CallSite, ExceptHandlerSite, Function, descendants
from retrylint.sources import python_tree

_EXITS = (cst.Raise, cst.Return)
# What the prefilter looks for: ``return f(`` (or ``return await self.f(``) inside ``def f``,
# after an ``except`` of that function.
RETURNED_CALL = re.compile(r"return[ \t]+(?:await[ \t]+)?(?:self\.|cls\.)?(\w+)[ \t]*\(")
DEFINED = re.compile(r"def[ \t]+(\w+)")


def may_be_written_in(text: str) -> bool:
    """``return f(`` in an ``except`` of ``def f`` in the text, then in Python's own tree of it (a
    refused file passes: its syntax error is reported)."""
    if "except" not in text or not _written_in_text(text):
        return False
    tree = python_tree(text)
    return tree is None or any(_may_recurse(node) for node in ast.walk(tree)
                               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _written_in_text(text: str) -> bool:
    definitions: list[tuple[int, str]] | None = None
    for match in RETURNED_CALL.finditer(text):
        if definitions is None:
            definitions = [(found.start(), found.group(1)) for found in DEFINED.finditer(text)]
            starts = [start for start, _ in definitions]
        index = bisect.bisect_right(starts, match.start()) - 1
        if index >= 0 and definitions[index][1] == match.group(1) and _in_except(text, match.start(), starts[index]):
            return True
    return False


def _may_recurse(function) -> bool:
    """What ``read`` takes for a retry, its names compared by their last part only: a call of
    the function itself returned in one of its ``except`` clauses, passing on names or
    ``name + n`` / ``name - n`` alone."""
    stack, handlers = list(function.body), []
    while stack:  # the function's own statements, not those of nested functions or classes
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.ExceptHandler):
            handlers.append(node)
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, field, ()))
    for handler in handlers:
        for node in ast.walk(handler):
            if isinstance(node, ast.Return) and node.value is not None:
                if any(_calls_itself(call, function.name) for call in ast.walk(node.value) if isinstance(call, ast.Call)):
                    return True
    return False


def _calls_itself(call: ast.Call, name: str) -> bool:
    func = call.func
    if (func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None) != name:
        return False
    values = [a.value if isinstance(a, ast.Starred) else a for a in call.args] + [k.value for k in call.keywords]
    return all(isinstance(v, ast.Name) or (isinstance(v, ast.BinOp) and isinstance(v.op, (ast.Add, ast.Sub))
                                           and isinstance(v.left, ast.Name)) for v in values)


def _in_except(text: str, position: int, stop: int) -> bool:
    """Whether the line at ``position`` sits in an ``except`` block (looking up to ``stop``)."""
    start = text.rfind("\n", 0, position) + 1
    line = text[start:position]
    indent = len(line) - len(line.lstrip(" \t"))
    end = start - 1
    while end > stop:
        start = text.rfind("\n", 0, end) + 1
        line, end = text[start:end], start - 1
        code = line.lstrip(" \t")
        width = len(line) - len(code)
        if not code or code.startswith("#") or width >= indent:
            continue
        if code.startswith("except"):
            return True
        indent = width
    return False


def read(finder, function: Function) -> Layer | None:
    """The ``return <itself>(...)`` calls in ``except`` clauses of ``function``, as one layer at
    the first: each clause that recurses retries what it catches (``except ValidationError:``
    then ``except Exception:``, both calling again, retry every Exception)."""
    if not isinstance(function.node, cst.FunctionDef):
        return None
    model = finder.model
    layers: dict[int, Layer] = {}
    for site in function.calls:
        handler = _handler(function, site) if site.in_return else None
        if handler is None or id(handler.node) in layers or model.qualify(site.node.func, function.scope) != function.qualname:
            continue
        counters = _passed_counters(function, site.node)
        if counters is None:
            continue  # other input: a fallback
        layers[id(handler.node)] = _layer(finder, function, site, handler, counters)
    if not layers:
        return None
    first, *others = layers.values()
    for other in others:
        _merge(first.policy, other.policy)
    return first


def _merge(policy: Policy, other: Policy) -> None:
    """``policy`` widened by another clause's: what either retries, what stops both."""
    policy.retry_all = policy.retry_all or other.retry_all
    policy.retry_on += other.retry_on
    policy.never_retry += [ref for ref in other.never_retry if ref.name not in {r.name for r in policy.retry_on}]
    policy.capped = policy.capped and other.capped
    policy.attempts = policy.attempts if policy.attempts == other.attempts else None
    policy.classifier = policy.classifier or other.classifier
    policy.waits = policy.waits and other.waits


def _handler(function: Function, site: CallSite) -> ExceptHandlerSite | None:
    handlers = [entry[0] for entry in site.path if entry[1] == EXCEPT]
    if not handlers:
        return None
    return next((h for h in function.handlers if id(h.node) == handlers[-1]), None)


def _params(function: Function) -> set[str]:
    node = function.node
    names = {p.name.value for p in function.params if p.name.value != function.scope.self_name}
    for star in (node.params.star_arg, node.params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


def _passed_counters(function: Function, call: cst.Call) -> set[str] | None:
    """The parameters the call passes on changed (``attempt + 1``); None when it passes
    anything but the function's own parameters (other input)."""
    params = _params(function)
    counters = set()
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.Name) and value.value in params:
            continue
        if (
            isinstance(value, cst.BinaryOperation)
            and isinstance(value.operator, (cst.Add, cst.Subtract))
            and isinstance(value.left, cst.Name)
            and value.left.value in params
        ):
            counters.add(value.left.value)
            continue
        return None
    return counters


def _layer(finder, function: Function, site: CallSite, handler: ExceptHandlerSite, counters: set[str]) -> Layer:
    scope = function.scope
    body = handler.node.body
    self_counters = {
        finder.model.code(node.target) for node in descendants(body)
        if isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Attribute)
    }
    self_counters -= _reset_on_entry(function)
    checks = [test for test in _exit_tests(function, handler) if _mentions(finder, test, counters, self_counters)]
    policy = Policy(capped=bool(checks), attempts=_attempts(finder, function, checks, counters))
    if handler.node.type is None:
        policy.retry_all = True
    else:
        policy.retry_on = finder.exception_refs(handler.node.type, scope)
    for sibling in function.handlers:
        if sibling is handler:
            break
        if sibling.path[:-1] == handler.path[:-1] and sibling.node.type is not None and isinstance(last_statement(sibling.node.body), _EXITS) \
                and not _recurses_in(function, sibling):  # one that calls again retries what it catches
            policy.never_retry.extend(finder.exception_refs(sibling.node.type, scope))
    caught = handler.node.name.name.value if handler.node.name is not None and isinstance(handler.node.name.name, cst.Name) else None
    policy.classifier = caught is not None and any(
        any(isinstance(n, cst.Name) and n.value == caught for n in descendants(test)) for test in _exit_tests(function, handler)
    )
    policy.waits = any(
        isinstance(node, cst.Call) and _called_name(node.func) in finder.catalog.loop_wait_calls for node in descendants(body)
    )
    return Layer("recursion", "hand-written", "recursive retry", site.node, function, None, policy,
                 speculative=not (policy.waits or counters or self_counters))


def _recurses_in(function: Function, handler: ExceptHandlerSite) -> bool:
    inside = {id(node) for node in descendants(handler.node.body)}
    return any(id(site.node) in inside and _called_name(site.node.func) == function.name for site in function.calls)


def _exit_tests(function: Function, handler: ExceptHandlerSite) -> list[cst.BaseExpression]:
    """``if <test>: raise|return`` in the handler, or in the function body before any ``try``."""
    tests = [
        node.test for node in descendants(handler.node.body)
        if isinstance(node, cst.If) and isinstance(last_statement(node.body), _EXITS)
    ]
    for statement in function.node.body.body:
        if isinstance(statement, (cst.Try, cst.TryStar)):
            break
        if isinstance(statement, cst.If) and isinstance(last_statement(statement.body), _EXITS):
            tests.append(statement.test)
    return tests


def _reset_on_entry(function: Function) -> set[str]:
    """``self.x = ...`` at the top of the function, before any ``try``: set again on every call."""
    reset = set()
    model = function.scope.model
    for statement in function.node.body.body:
        if isinstance(statement, (cst.Try, cst.TryStar)):
            break
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    reset.update(model.code(t.target) for t in small.targets if isinstance(t.target, cst.Attribute))
    return reset


def _mentions(finder, test: cst.BaseExpression, counters: set[str], self_counters: set[str]) -> bool:
    for node in [test, *descendants(test)]:
        if isinstance(node, cst.Name) and node.value in counters:
            return True
        if isinstance(node, cst.Attribute) and finder.model.code(node) in self_counters:
            return True
    return False


def _attempts(finder, function: Function, checks: list, counters: set[str]) -> int | None:
    """Total runs when one counter starts at a literal default and an exit compares it with a
    literal: ``attempt=0`` and ``if attempt >= 3: raise`` run 4 times."""
    if len(counters) != 1 or len(checks) != 1 or not isinstance(checks[0], cst.Comparison):
        return None
    (counter,) = counters
    test = checks[0]
    if not (isinstance(test.left, cst.Name) and test.left.value == counter and len(test.comparisons) == 1):
        return None
    default = next((p.default for p in function.params if p.name.value == counter), None)
    start = finder.model.literal(default, function.scope)
    limit = finder.model.literal(test.comparisons[0].comparator, function.scope)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, limit)):
        return None
    operator = test.comparisons[0].operator
    if isinstance(operator, cst.GreaterThanEqual):
        return max(limit - start + 1, 1)
    if isinstance(operator, cst.GreaterThan):
        return max(limit - start + 2, 1)
    return None


def _called_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None
