"""Retrying objects written by hand: an instance of a project class whose ``__call__(self, fn,
*args, **kwargs)`` runs ``fn`` again on failure in a hand-written loop (smolagents'
``utils.Retrying``, used as ``self.retryer(self.client.completion, **kwargs)``), in this module
or another one. The layer is at the call, with the policy written in the loop; what it retries is
the callable handed first: a project function (its whole body), or a method of a billable SDK
client (``Layer.handed``: its reach is that one call, ``analysis/handed_reach.py``).

Not a catalog form: the finder asks this reader about a call that made no other layer. Only a
callee whose name says retry (``retryer``, ``self._retrying``) is followed, as for decorators
built elsewhere: resolving every call's callee would parse much of the project for nothing."""

from __future__ import annotations

import re

import libcst as cst

from retrylint.analysis.layers.layer import Layer
from retrylint.analysis.layers.readers import site_arguments, wrapping_decorators
from retrylint.analysis.layers.readers.site_arguments import SiteArguments
from retrylint.analysis.layers.readers.base import handed_function
from retrylint.analysis.model import Function, identifier
from retrylint.analysis.model.typeflow import self_class

RETR = re.compile(r"(?i:retr)")
RETR_AHEAD = re.compile(r"(?=(?i:retr))")
# What follows a name in a call handing it a dotted name first (``self.retryer(self.client.completion,``).
HANDED_ARGUMENT = re.compile(r"[ \t]*\([ \t\r\n]*[\w.]+[ \t\r\n]*[,)]")


def _retry_at(text: str, at: int) -> bool:
    """Whether the ``retr`` at ``at`` starts a word part saying retry (``retryer``, ``_retrying``,
    ``makeRetrier``): not retrieve (``retriever``) nor ``retr`` inside a word (``from_pretrained``).
    Following those would parse their modules for nothing."""
    if text[at + 4: at + 7].lower() == "iev":
        return False
    before = text[at - 1] if at else " "
    return not before.isalnum() or (before.islower() or before.isdigit()) and text[at] == "R"


def says_retry(name: str) -> bool:
    return any(_retry_at(name, match.start()) for match in RETR.finditer(name))


def retr_positions(text: str) -> list[int]:
    """Where ``RETR`` matches in ``text``, overlapping matches too (``retretr``): in an ASCII
    text found in its lower-case copy, a literal search several times quicker than the pattern's."""
    if not text.isascii():
        return [match.start() for match in RETR_AHEAD.finditer(text)]
    lowered, found = text.lower(), []
    at = lowered.find("retr")
    while at >= 0:
        found.append(at)
        at = lowered.find("retr", at + 1)
    return found


def matches_from(pattern: re.Pattern, text: str, starts: list[int]):
    """What ``pattern.finditer(text)`` finds, for a pattern that matches only at ``starts``
    (in order) and never matches nothing."""
    end = 0
    for at in starts:
        if at >= end:
            match = pattern.match(text, at)
            if match is not None:
                yield match
                end = match.end()


def handed_calls(text: str, retr: list[int] | None = None):
    """(where, name) of each call of a name saying retry with a dotted name first (what the
    prefilter looks for, with an assignment of the name), found from each ``retr`` outwards
    (``retr``: retr_positions(text), when known)."""
    after = 0  # where the last match ended: RETR.finditer finds no match overlapping it
    for at in retr_positions(text) if retr is None else retr:
        if at < after:
            continue
        after = at + 4
        if not _retry_at(text, at):
            continue
        start, end = at, at + 4
        while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            start -= 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        if HANDED_ARGUMENT.match(text, end):
            yield start, text[start:end]


def assigns(text: str, name: str) -> bool:
    """Whether ``text`` assigns ``name`` (``retryer = ...``, ``self.retryer = ...``)."""
    return re.search(rf"\b{re.escape(name)}[ \t]*(?::[^=\n]*)?=[^=]", text) is not None


def at_call(finder, function: Function, site) -> Layer | None:
    """``retryer(fn, ...)`` / ``self.retryer(client.create, ...)`` with a retrying instance."""
    call = site.node
    func, first = call.func, call.args[0]
    leaf = identifier(func.attr.value) if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if leaf is None or not says_retry(leaf) or first.keyword is not None or first.star:
        return None
    model, scope = finder.model, function.scope
    target = model.qualify(func, scope)
    cls = model.resolve_class(target) if target is not None else None
    if cls is None or not model.calls_instance(func, scope, target):
        return None
    method = next((info.methods["__call__"] for info in cls.owner.class_mro(cls) if "__call__" in info.methods), None)
    found = wrapping_decorators.wrapped_layer(finder, method, _made_with(finder, func, scope, cls)) if method is not None else None
    if found is None or found[0].kind != "loop" or found[0].speculative:
        return None
    inner = found[0]
    label = f"{inner.label} in {cls.name}.__call__"
    retried = handed_function(model, first.value, scope)
    if retried is not None:
        return Layer("call", inner.library, label, call, retried, None, inner.policy, inner=inner)
    return Layer("call", inner.library, label, call, function, first.value, inner.policy, inner=inner, handed=first.value)


def _made_with(finder, func: cst.BaseExpression, scope, cls) -> SiteArguments | None:
    """The arguments of the one call that makes the instance (``self.retryer = Retrying(max_attempts=3)``
    or ``retrier = Retrier()``), bound to the parameters of the class's ``__init__``."""
    model = scope.model
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and scope.cls is not None \
            and func.value.value == scope.self_name:
        owner = self_class(scope.cls)
        bindings = [b for info in owner.owner.class_mro(owner) for b in info.self_assignments.get(identifier(func.attr.value), ())]
    else:
        binding = scope.lookup(func.value) if isinstance(func, cst.Name) else None
        bindings = [binding] if binding is not None else []
    init = next((info.methods["__init__"] for info in cls.owner.class_mro(cls) if "__init__" in info.methods), None)
    if len(bindings) != 1 or init is None or not isinstance(bindings[0].value, cst.Call) or bindings[0].scope is None:
        return None
    call, where = bindings[0].value, bindings[0].scope
    if model.resolve_class(where.model.qualify(call.func, where)) is not cls:
        return None
    return site_arguments.at_site(finder, init, call, where)
