"""What a decoration site gives a hand-written retry decorator: its factory's parameters
(``@retry_on_specific_exceptions(on_exceptions=[anthropic.RateLimitError], max_retries=None)``),
or a bare decorator's own ones after the function, each bound to the expression the call passes
or to its default. The loop in the wrapper reads them as closure names, so they decide its bound
(``while max_retries is None or attempt < max_retries:`` never ends when ``max_retries`` is
``None``, and runs 3 times when it is 3) and what it catches (``except tuple(on_exceptions)``).
A parameter a ``*args``/``**kwargs`` argument may fill is unknown, read as the loop alone reads it."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from retrylint.analysis.model import NO_LITERAL, Function, Scope, identifier

# Calls that only copy a sequence of exception classes (``except tuple(on_exceptions)``).
_COPIES = frozenset({"tuple", "list"})


@dataclass
class SiteArguments:
    function: Function  # the factory (or bare decorator) whose parameters are bound
    values: dict[str, tuple[cst.BaseExpression, Scope, bool]]  # name -> (value, its scope, written at the site)
    finder: object = None  # the layer finder of the decoration site's module

    def value(self, expr: cst.BaseExpression, scope: Scope) -> tuple[cst.BaseExpression, Scope] | None:
        """The expression a parameter of the factory that ``expr`` (a name used in ``scope``)
        refers to is bound to, and the scope to read it in."""
        if not isinstance(expr, cst.Name):
            return None
        name = identifier(expr.value)
        bound = self.values.get(name)
        if bound is None or scope.lookup(name) is not self.function.scope.names.get(name):
            return None  # another name of the same spelling, nearer
        return bound[0], bound[1]

    def literal(self, expr: cst.BaseExpression, scope: Scope, used: list[str]):
        """The literal value of the parameter ``expr`` names, its name added to ``used``."""
        bound = self.value(expr, scope)
        value = bound[1].model.literal(*bound) if bound is not None else NO_LITERAL
        if value is not NO_LITERAL and expr.value not in used:
            used.append(expr.value)
        return value

    def exceptions(self, expr: cst.BaseExpression, scope: Scope) -> tuple[cst.BaseExpression, Scope] | None:
        """The classes an ``except`` names through a parameter: ``on_exceptions`` or
        ``tuple(on_exceptions)``."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in _COPIES \
                and len(expr.args) == 1 and not expr.args[0].star and expr.args[0].keyword is None:
            expr = expr.args[0].value
        return self.value(expr, scope)

    def described(self, used: list[str]) -> str:
        """``max_retries=None`` for the names ``used``, as given or by default."""
        parts = []
        for name in used:
            value, scope, written = self.values[name]
            parts.append(f"{name}={scope.model.code(value)} here" if written else f"the default {name}={scope.model.code(value)}")
        return ", ".join(parts)


def at_site(finder, factory: Function, call: cst.Call | None, scope: Scope, skip_first: bool = False) -> SiteArguments | None:
    """The parameters of ``factory`` bound by ``call`` (in ``scope``) and by their defaults;
    ``skip_first``: a bare decorator, whose first parameter takes the decorated function."""
    params = [p for p in factory.params if p.name.value != factory.scope.self_name]
    if skip_first:
        params = params[1:]
    if not isinstance(factory.node, cst.FunctionDef):
        return None
    positional = [p for p in (*factory.node.params.posonly_params, *factory.node.params.params)
                  if p.name.value != factory.scope.self_name]
    args = list(call.args) if call is not None else []
    starred = any(arg.star for arg in args)
    given: dict[str, cst.BaseExpression] = {}
    for index, arg in enumerate(args):
        if arg.keyword is not None or arg.star or index >= len(positional):
            break  # after ``*rest`` no position is known
        given[identifier(positional[index].name.value)] = arg.value
    for arg in args:
        if arg.keyword is not None:
            given[identifier(arg.keyword.value)] = arg.value
    defaults = factory.scope.parent or factory.scope
    values = {}
    for param in params:
        name = identifier(param.name.value)
        if name in given:
            values[name] = (given[name], scope, True)
        elif param.default is not None and not starred:
            values[name] = (param.default, defaults, False)
    return SiteArguments(factory, values, finder) if values else None


def truth(test: cst.BaseExpression, scope: Scope, site: SiteArguments, used: list[str]) -> bool | None:
    """Whether ``test`` holds, when the site's values decide it (``max_retries is None or ...``
    with ``max_retries=None``); None when they do not."""
    if isinstance(test, cst.BooleanOperation):
        left, right = truth(test.left, scope, site, used), truth(test.right, scope, site, used)
        known = {left, right}
        if isinstance(test.operator, cst.Or):
            return True if True in known else False if known == {False} else None
        return False if False in known else True if known == {True} else None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = truth(test.expression, scope, site, used)
        return None if inner is None else not inner
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
            and isinstance(test.comparisons[0].operator, (cst.Is, cst.IsNot)):
        part = test.comparisons[0]
        left, right = _value(test.left, scope, site, used), _value(part.comparator, scope, site, used)
        if left is NO_LITERAL or right is NO_LITERAL:
            return None
        return (left is right) == isinstance(part.operator, cst.Is)
    value = _value(test, scope, site, used)
    return None if value is NO_LITERAL else bool(value)


def _value(expr: cst.BaseExpression, scope: Scope, site: SiteArguments, used: list[str]):
    if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
        return {"None": None, "True": True, "False": False}[expr.value]
    return site.literal(expr, scope, used)


def reduced(test: cst.BaseExpression, scope: Scope, site: SiteArguments) -> cst.BaseExpression:
    """``test`` without the operands of ``or``/``and`` the site's values settle: ``attempt <
    max_retries`` for ``max_retries is None or attempt < max_retries`` when ``max_retries=3``."""
    if isinstance(test, cst.BooleanOperation):
        left = truth(test.left, scope, site, [])
        if left is (isinstance(test.operator, cst.And)):
            return reduced(test.right, scope, site)
    return test
