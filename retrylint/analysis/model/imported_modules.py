"""Modules loaded by name at run time (``importlib.import_module(BACKEND)``, to defer a slow
import or to pick a backend): which catalogued SDK module the call can load, read from the
string literals its argument can hold, never by running anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from retrylint.analysis.model.strings import string_values

if TYPE_CHECKING:
    from retrylint.analysis.model.module import ModuleModel
    from retrylint.analysis.model.symbols import Scope

MODULE_IMPORTERS = {"importlib.import_module", "builtins.__import__"}
MODULE_TYPES = {"types.ModuleType"}  # a return annotation saying only "a module", not which


def imported_module(model: "ModuleModel", call: cst.Call, scope: "Scope") -> str | None:
    """The catalogued SDK module ``importlib.import_module(name)`` loads: of the names ``name``
    can hold (a literal, a constant, the literals a project function returns: swarms'
    ``BACKEND = select_backend()``, "routehub" or "litellm"), the one SDK module the catalog
    knows; None when none or several are."""
    first = call.args[0] if call.args else None
    if first is None or first.keyword is not None or first.star:
        return None
    names, _ = string_values(model, first.value, scope)  # a name not read (an environment variable) is not counted
    known = {name for name in names if name in model.catalog.client_by_name}
    return known.pop() if len(known) == 1 else None
