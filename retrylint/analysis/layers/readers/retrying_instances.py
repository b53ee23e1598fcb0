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
from retrylint.analysis.layers.readers import wrapping_decorators
from retrylint.analysis.layers.readers.base import handed_function
from retrylint.analysis.layers.readers.built_elsewhere import NAME_HINT
from retrylint.analysis.model import Function, identifier

# What the prefilter looks for: a name saying retry called with a dotted name first
# (``self.retryer(self.client.completion,``), when the file assigns that name.
PREFILTER_HANDED = re.compile(r"((?:\w+\.)?(\w*(?i:retr)\w*))[ \t]*\([ \t\r\n]*[\w.]+[ \t\r\n]*[,)]")


def assigns(text: str, name: str) -> bool:
    """Whether ``text`` assigns ``name`` (``retryer = ...``, ``self.retryer = ...``)."""
    return re.search(rf"\b{re.escape(name)}[ \t]*(?::[^=\n]*)?=[^=]", text) is not None


def at_call(finder, function: Function, site) -> Layer | None:
    """``retryer(fn, ...)`` / ``self.retryer(client.create, ...)`` with a retrying instance."""
    call = site.node
    func, first = call.func, call.args[0]
    leaf = identifier(func.attr.value) if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if leaf is None or NAME_HINT not in leaf.lower() or first.keyword is not None or first.star:
        return None
    model, scope = finder.model, function.scope
    target = model.qualify(func, scope)
    cls = model.resolve_class(target) if target is not None else None
    if cls is None or not model.calls_instance(func, scope, target):
        return None
    method = next((info.methods["__call__"] for info in cls.owner.class_mro(cls) if "__call__" in info.methods), None)
    found = wrapping_decorators.wrapped_layer(finder, method) if method is not None else None
    if found is None or found[0].kind != "loop" or found[0].speculative:
        return None
    inner = found[0]
    label = f"{inner.label} in {cls.name}.__call__"
    retried = handed_function(model, first.value, scope)
    if retried is not None:
        return Layer("call", inner.library, label, call, retried, None, inner.policy, inner=inner)
    return Layer("call", inner.library, label, call, function, first.value, inner.policy, inner=inner, handed=first.value)
