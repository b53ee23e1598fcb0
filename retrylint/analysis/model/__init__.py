"""The per-module model: symbols (symbols.py) filled by one walk over the tree (builder.py), with
name resolution through imports and the project (module.py)."""

from retrylint.analysis.model.module import NO_LITERAL, ModuleModel
from retrylint.analysis.model.symbols import (
    EXCEPT, IF, LOOP, TRY, WITH, Binding, CallSite, ClassInfo, ExceptHandlerSite, Function, GuardSite,
    ImportSite, RaiseSite, Scope, identifier,
)
from retrylint.analysis.model.tree import children, descendants, dotted_name

__all__ = [
    "EXCEPT", "IF", "LOOP", "NO_LITERAL", "TRY", "WITH", "Binding", "CallSite", "ClassInfo", "ExceptHandlerSite",
    "Function", "GuardSite", "ImportSite", "ModuleModel", "RaiseSite", "Scope", "children", "descendants",
    "dotted_name", "identifier",
]
