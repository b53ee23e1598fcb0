"""What every rule module provides: identity, documentation, its own VALID/INVALID cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterable

if TYPE_CHECKING:
    from retrylint.analysis.context import RuleContext
    from retrylint.diagnostics import Diagnostic


@dataclass(frozen=True)
class Valid:
    """Source that the rule must leave silent."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Source the rule must flag at ``line`` with a message containing ``message``.

    ``fixed`` is the whole file after ``--fix`` (``--unsafe-fixes`` when ``unsafe``);
    None means the rule offers no fix for it.
    """

    code: str
    line: int
    message: str
    fixed: str | None = None
    unsafe: bool = False


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.getdoc(inspect.getmodule(cls)) or ""

    def check(self, ctx: "RuleContext") -> Iterable["Diagnostic"]:
        raise NotImplementedError
