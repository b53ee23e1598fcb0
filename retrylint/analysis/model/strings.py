"""The texts an expression can make, read from the literals that reach it (never by running
anything): written there (a string, implicit concatenation), through names bound to one, ``a if c
else b``, an f-string or ``a + b`` of such values, a parameter's default (when the reader asks for
it), ``self.x`` when every ``self.x = ...`` of the class is one of these, and the returns of a
project function called without arguments (swarms' ``select_backend()``, which returns "routehub"
or "litellm", or a method choosing a dict key: "max_tokens" or "max_completion_tokens").

One reader for every question about literal text: a module named by a string, a dict's computed
key, a client's ``base_url``, a model string. Each text it gives is one value the expression may
hold; ``HOLE`` stands for a part no literal reaches (an environment variable, a parameter without
a usable default), and a text that is only ``HOLE`` means nothing of it is known."""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.model.symbols import identifier
from retrylint.analysis.model.tree import descendants

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel
    from retrylint.analysis.model.symbols import Binding, Function, Scope

HOLE = "\x00"  # a part of a text that no literal reaches
UNKNOWN = frozenset({HOLE})
# How far a reading goes: the literals only; a parameter holds its default too; and a parameter
# of ``__init__`` holds what the project's subclasses pass it (``super().__init__(base_url=...)``).
PLAIN, DEFAULTS, PASSED = 0, 1, 2
MAX_DEPTH = 6
MAX_TEXTS = 16  # alternatives followed for one expression; more: nothing is known


def texts(expr: cst.BaseExpression | None, scope: "Scope", reading: int = PLAIN, depth: int = 0) -> frozenset[str]:
    """Each text ``expr`` can make (``HOLE`` for unread parts), read as far as ``reading`` says."""
    if expr is None or depth > MAX_DEPTH:
        return UNKNOWN
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return frozenset({value}) if isinstance(value, str) else UNKNOWN
    if isinstance(expr, cst.ConcatenatedString):
        return _joined([expr.left, expr.right], scope, reading, depth)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _joined([expr.left, expr.right], scope, reading, depth)
    if isinstance(expr, cst.FormattedString):
        return _joined(expr.parts, scope, reading, depth)
    if isinstance(expr, cst.IfExp):
        return _bounded(texts(expr.body, scope, reading, depth + 1) | texts(expr.orelse, scope, reading, depth + 1))
    if isinstance(expr, cst.Name):
        return _named(scope.lookup(expr.value), reading, depth)
    if isinstance(expr, cst.Attribute):
        return _self_attribute(expr, scope, reading, depth)
    if isinstance(expr, cst.Call) and not expr.args:
        return _returned(scope.model, expr, scope, reading, depth)
    return UNKNOWN


def string_values(model: "ModuleModel", expr: cst.BaseExpression, scope: "Scope", depth: int = 0) -> tuple[set[str], bool]:
    """The whole strings ``expr`` can hold, and whether those are all it can hold (False when a
    part of it is not read: a parameter, an environment variable)."""
    found = texts(expr, scope, depth=depth)
    whole = {text for text in found if HOLE not in text}
    return whole, len(whole) == len(found)


def _joined(parts, scope: "Scope", reading: int, depth: int) -> frozenset[str]:
    """The texts of parts written one after the other (an f-string's, ``a + b``'s)."""
    pieces = []
    for part in parts:
        if isinstance(part, cst.FormattedStringText):
            pieces.append(frozenset({part.value}))
        elif isinstance(part, cst.FormattedStringExpression):
            plain = part.conversion is None and part.format_spec is None
            pieces.append(texts(part.expression, scope, reading, depth + 1) if plain else UNKNOWN)
        else:
            pieces.append(texts(part, scope, reading, depth + 1))
    count = 1
    for piece in pieces:
        count *= len(piece)
    if count > MAX_TEXTS:
        return UNKNOWN
    return frozenset("".join(chosen).replace(HOLE + HOLE, HOLE) for chosen in product(*pieces))


def _bounded(found: frozenset[str]) -> frozenset[str]:
    return found if len(found) <= MAX_TEXTS else UNKNOWN


def _named(binding: "Binding | None", reading: int, depth: int) -> frozenset[str]:
    if binding is None or binding.imported:
        return UNKNOWN
    if binding.param is not None:
        function = binding.parameter_of
        if reading == PLAIN or function is None:
            return UNKNOWN
        default = texts(binding.param.default, function.scope.parent or function.scope.model.scope, reading, depth + 1)
        return _bounded(default | _passed_down(function, binding.param, depth)) if reading == PASSED else default
    if binding.value is None or binding.scope is None:
        return UNKNOWN
    return texts(binding.value, binding.scope, reading, depth + 1)


def _self_attribute(expr: cst.Attribute, where: "Scope", reading: int, depth: int) -> frozenset[str]:
    """``self.x`` read in a method: what every ``self.x = ...`` of the class (and its bases) assigns."""
    from retrylint.analysis.model.typeflow import self_class

    if not (isinstance(expr.value, cst.Name) and where.cls is not None and expr.value.value == where.self_name):
        return UNKNOWN
    cls = self_class(where.cls)
    attr = identifier(expr.attr.value)
    bindings = [b for info in cls.owner.class_mro(cls) for b in info.self_assignments.get(attr, [])]
    if not bindings or any(b.value is None or b.scope is None for b in bindings):
        return UNKNOWN
    return _bounded(frozenset().union(*(texts(b.value, b.scope, reading, depth + 1) for b in bindings)))


def _returned(model: "ModuleModel", call: cst.Call, scope: "Scope", reading: int, depth: int) -> frozenset[str]:
    function = model.resolve_function(model.qualify(call.func, scope))
    if function is None or not isinstance(function.node, cst.FunctionDef):
        return UNKNOWN
    found: set[str] = set()
    for node in descendants(function.node):
        if isinstance(node, cst.Return):
            if node.value is None:
                return frozenset(found | UNKNOWN)
            found |= texts(node.value, function.scope, reading, depth + 1)
    return _bounded(frozenset(found)) if found else UNKNOWN


def _passed_down(function: "Function", param: cst.Param, depth: int) -> frozenset[str]:
    """What the ``__init__`` of the project's subclasses of its class (a few levels down, in the
    modules naming it: analysis/subclasses.py) pass for ``param`` of ``__init__`` to
    ``super().__init__(...)`` (lm-eval's ``OpenAICompletionsAPI(base_url="https://api.openai.com/...")``)."""
    from retrylint.analysis.model.caller_args import argument_for
    from retrylint.analysis.subclasses import MAX_SUBCLASS_LEVELS, Implementations

    if function.cls is None or function.name != "__init__" or depth >= MAX_DEPTH:
        return frozenset()
    finder, found = Implementations(function.scope.model.project), set()
    level = [function.cls]
    for _ in range(MAX_SUBCLASS_LEVELS):
        inheriting = []  # subclasses without an __init__ of their own: theirs call this one
        for sub in (sub for cls in level for sub in finder.direct(cls)):
            init = sub.methods.get("__init__")
            if init is None:
                inheriting.append(sub)
                continue
            for site in init.calls:
                passed = argument_for(site.node, function, param) if _super_init(site.node) else None
                if isinstance(passed, tuple) and passed[1] is None:
                    found |= texts(passed[0], init.scope, PASSED, depth + 1)
        level = inheriting
    return frozenset(found)


def _super_init(call: cst.Call) -> bool:
    func = call.func
    return isinstance(func, cst.Attribute) and func.attr.value == "__init__" and isinstance(func.value, cst.Call) \
        and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"
