"""Which catalogued paid call a call site is: the billable spec of its target, or of the
instance's ``__call__`` it calls (``self.llm(messages)``), unless the project defines that name
itself (a package ``agents`` with a ``Runner``; not when it only declares it abstract, as
llama-index-core declares the ``LLM`` its provider packages implement) or the call leaves out what makes it paid (catalog
billable ``requires``: Guardrails ``guard.parse(output)`` without ``llm_api`` asks no model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.layers.layer import keywords_of, positional
from retrylint.analysis.subclasses import is_abstract

if TYPE_CHECKING:
    from retrylint.analysis.model import ModuleModel, Scope
    from retrylint.catalog import BillableSpec, Catalog


def billable_at(catalog: "Catalog", model: "ModuleModel", call: cst.Call, scope: "Scope",
                target: str | None) -> tuple[str | None, "BillableSpec | None"]:
    """The target a call site bills through (``...__call__`` for an instance called) and its spec, or None."""
    spec = catalog.billable(target) if target is not None else None
    own = model.resolve_function(target) if spec is not None else None
    if own is not None and not is_abstract(own):
        spec = None  # the project's own module of the SDK's name (a package 'agents' with a Runner)
    if spec is None and target is not None and catalog.billable(f"{target}.__call__") is not None \
            and model.calls_instance(call.func, scope, target):
        target = f"{target}.__call__"  # ``self.llm(messages)``: the instance's __call__
        spec = catalog.billable(target)
    if spec is not None and spec.requires and not _passes_one(call, spec.requires):
        spec = None
    return target, spec


def _passes_one(call: cst.Call, required: tuple[str, ...]) -> bool:
    """The call passes one of ``required`` ('name' or 'name:N'), or a ``**options`` that may hold it."""
    kw = keywords_of(call)
    for item in required:
        name, _, position = item.partition(":")
        if name in kw or (position and positional(call, int(position)) is not None):
            return True
    return any(arg.star == "**" for arg in call.args)
