"""The value a setting takes where literals reach it, and whether that is a default the program
may change when it runs (a count read through ``self.max_retries``: "3 by default"). Never by
running anything: a literal or module constant; a parameter's default (or, for a factory, what
its call site passes: ``site``); ``kwargs.pop("num_retries", 3)`` on the function's own
``**kwargs``; an attribute of an instance whose class is known (``self.x``, ``config.x``,
``llm.x`` with ``llm: Cohere``) that every ``self.x = ...`` of the class sets to one such value,
or that only the class body declares (``max_retries: int = 10``, ``Field(default=3)``, a
dataclass ``field(default=3)``). A value read from the environment, a CLI argument or anything
else not written in the source stays unknown."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from retrylint.analysis.model.tree import keywords_of, positional
from retrylint.analysis.model import NO_LITERAL, ClassInfo, Scope, identifier
from retrylint.analysis.model.typeflow import self_class

# What declares a field's default in a class body: pydantic's Field(default) and dataclasses'
# field(default=...); a default_factory is not a literal and is not followed.
_READS = frozenset({"get", "pop"})  # ``kwargs.get("n", 3)``: the caller's keyword or 3
MAX_DEPTH = 6


@dataclass(frozen=True)
class Known:
    value: object
    default: bool = False  # a default the code may set otherwise when it runs
    origin: str = ""  # where the default is declared (``Configuration.model's default``), when not here
    # An instance attribute set from a parameter's default (``self.max_attempts = max_attempts``),
    # read where the call making the instance is not known: it may pass any other value.
    parameter: bool = False


def counted(found: Known | None, least: int = 1) -> Known | None:
    """``found`` when it is written where it is read, or is a default count of at least ``least``:
    a default of None or 0 that would mean "no limit" is no evidence the program runs without one,
    and an instance attribute's default of 1 from its constructor's parameter (smolagents'
    ``Retrying(max_attempts=1)``, built with 3) is one the instances are made with higher."""
    if found is None or not found.default:
        return found
    value = found.value
    least = max(least, 2) if found.parameter else least
    return found if isinstance(value, int) and not isinstance(value, bool) and value >= least else None


def known(expr: cst.BaseExpression | None, where: Scope, site=None, depth: int = 0) -> Known | None:
    """The value ``expr`` (read in ``where``) holds, or None when the source does not say.
    ``site``: a factory's parameters bound to what its call passes (``SiteArguments``)."""
    if expr is None or depth > MAX_DEPTH:
        return None
    value = where.model.literal(expr, where)
    if value is not NO_LITERAL:
        return Known(value)
    if isinstance(expr, cst.Name):
        return _name(expr, where, site, depth)
    if isinstance(expr, cst.IfExp):  # ``RETRY_MAX_ATTEMPTS if retry else 1``: the larger number
        found = [known(branch, where, site, depth + 1) for branch in (expr.body, expr.orelse)]
        if None in found or not all(isinstance(f.value, int) and not isinstance(f.value, bool) for f in found):
            return None
        return max(found, key=lambda f: f.value)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        return field_default(expr, where, depth, site)
    return None


def _name(expr: cst.Name, where: Scope, site, depth: int) -> Known | None:
    bound = site.value(expr, where) if site is not None else None
    if bound is not None:
        found = known(*bound, depth=depth + 1)
        written = site.values[identifier(expr.value)][2]
        if found is None or written:
            return found
        return Known(found.value, True, found.origin)
    binding = where.lookup(expr.value)
    if binding is None:
        return None
    if binding.param is not None:
        if binding.param.default is None or binding.parameter_of is None:
            return None
        defaults = binding.parameter_of.scope.parent or where
        found = known(binding.param.default, defaults, depth=depth + 1)
        return Known(found.value, True, found.origin) if found is not None else None
    call = binding.value
    if binding.scope is None or not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    return _keyword_read(call, binding.scope, depth)


def _keyword_read(call: cst.Call, where: Scope, depth: int) -> Known | None:
    """``kwargs.pop("num_retries", 3)`` on the function's own ``**kwargs``: 3 unless a caller passes it."""
    func = call.func
    if identifier(func.attr.value) not in _READS or not isinstance(func.value, cst.Name) or len(call.args) != 2 \
            or any(arg.keyword is not None or arg.star for arg in call.args):
        return None
    function = next((f for f in where.model.functions if f.scope is where), None)
    star = function.node.params.star_kwarg if function is not None and isinstance(function.node, cst.FunctionDef) else None
    if not isinstance(star, cst.Param) or star.name.value != func.value.value:
        return None
    found = known(call.args[1].value, where, depth=depth + 1)
    return Known(found.value, True, found.origin) if found is not None else None


def field_default(expr: cst.Attribute, where: Scope, depth: int = 0, site=None) -> Known | None:
    """``self.x``, ``config.x``: the one value every ``self.x = ...`` of the class gives it (a
    parameter's default counts), or the default its class body declares when no method sets it;
    for an instance built here (``config = Settings(x=...)``), what the constructor is given.
    ``site``: the instance's constructor call bound to ``__init__``'s parameters, when known."""
    model = where.model
    head = expr.value
    if where.cls is not None and head.value == where.self_name:
        cls: ClassInfo | None = self_class(where.cls)
    else:
        # (read with the attribute after it: an instance of ``class Cohere(LLM)`` is the project class
        # for an attribute the class declares, the catalog's LLM for the others)
        owner = model._qualify(head, where, 0, follow=True, rest=(identifier(expr.attr.value),))
        cls = model.resolve_class(owner) if owner is not None else None
    if cls is None:
        return None
    attr = identifier(expr.attr.value)
    given = _constructor_argument(head, where, cls, attr, depth)
    if given is not False:
        return given
    classes = list(cls.owner.class_mro(cls))
    assigned = [b for info in classes for b in (*info.self_assignments.get(attr, ()), *info.field_values.get(attr, ()))]
    if assigned:
        found = [known(b.value, b.scope, site, depth + 1) if b.scope is not None else None for b in assigned]
        if any(f is None for f in found) or len({repr(f.value) for f in found}) != 1:
            return None
        default = any(f.default for f in found)
        return Known(found[0].value, default, found[0].origin, parameter=default and site is None)
    declared = next((info for info in classes if attr in info.body_attrs), None)
    binding = declared.body_attrs[attr] if declared is not None else None
    if binding is None or binding.scope is None:
        return None
    value = _declared_default(binding.value, binding.scope) if binding.value is not binding.annotation else NO_LITERAL
    if value is NO_LITERAL:
        return None
    return Known(value, binding.annotation is not None, f"{declared.name}.{attr}'s default")


def _constructor_argument(head: cst.Name, where: Scope, cls: ClassInfo, attr: str, depth: int):
    """For ``config.x`` with ``config = Settings(...)`` bound here: what the call gives ``x`` (None
    when it may give it through ``**options``), or False when the call is not the class's own."""
    binding = where.lookup(head.value)
    call = binding.value if binding is not None and binding.scope is not None else None
    if not isinstance(call, cst.Call) or where.model.resolve_class(where.model.qualify(call.func, binding.scope)) is not cls:
        return False
    arg = keywords_of(call).get(attr)
    if arg is not None:
        return known(arg.value, binding.scope, depth=depth + 1)
    return None if any(a.star for a in call.args) else False


def _declared_default(value: cst.BaseExpression | None, scope: Scope):
    """The literal a class-body declaration gives as its default: the value itself, or the
    ``default`` of a field declaration."""
    model = scope.model
    by_position = model.catalog.field_declarations.get(model.qualify(value.func, scope)) \
        if isinstance(value, cst.Call) else None
    if by_position is not None:
        arg = keywords_of(value).get("default") or (positional(value, 0) if by_position else None)
        return model.literal(arg.value, scope) if arg is not None else NO_LITERAL
    return model.literal(value, scope)
