"""What the engine reports: diagnostics, their fixes and their call chains."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Applicability(str, Enum):
    """Whether a fix only changes failure paths (safe) or also a successful call (unsafe)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions with ``content``."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_json(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "content": self.content,
        }


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {
            "applicability": self.applicability.value,
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }


@dataclass(frozen=True)
class ChainLink:
    """One hop from a retry layer towards a billable call."""

    path: str
    line: int
    name: str
    via: str = ""  # how the call was resolved: import, annotation, factory return, attribute, caller argument ("" for the layer)

    def to_json(self) -> dict:
        return {"path": self.path, "line": self.line, "name": self.name, "via": self.via}


@dataclass
class Diagnostic:
    code: str
    name: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str = "error"
    fix: Fix | None = None
    chain: list[ChainLink] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)

    @classmethod
    def from_json(cls, data: dict) -> "Diagnostic":
        """The inverse of ``to_json`` (for the cache)."""
        fix = data["fix"]
        return cls(
            **{key: data[key] for key in ("code", "name", "message", "path", "line", "column", "end_line",
                                            "end_column", "severity")},
            fix=None if fix is None else Fix(
                Applicability(fix["applicability"]), fix["message"], tuple(Edit(**edit) for edit in fix["edits"])
            ),
            chain=[ChainLink(**link) for link in data["chain"]],
        )

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity,
            "fix": self.fix.to_json() if self.fix else None,
            "chain": [link.to_json() for link in self.chain],
        }


UNREADABLE_CODE = "RTL999"
UNREADABLE_NAME = "unreadable-file"


def unreadable_file(path: str, reason: str, line: int = 1, column: int = 1) -> Diagnostic:
    """The single diagnostic for a file that cannot be decoded or parsed."""
    return Diagnostic(
        code=UNREADABLE_CODE,
        name=UNREADABLE_NAME,
        message=f"cannot check this file: {reason}",
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
    )


COUNT_LIMIT = 10**18  # counts from this up are not printed in digits (Python refuses 4,300 of them)
SHOWN_LITERAL = 24  # a larger number's literal longer than this is shown abbreviated


def count_text(count: int) -> str:
    """``count`` in digits; ``10^18 or more`` for a count from a huge literal or a tall stack."""
    if abs(count) < COUNT_LIMIT:
        return str(count)
    return "10^18 or more" if count > 0 else "-10^18 or less"


def number_text(value: int) -> str:
    """A number a message quotes as the code gave it: a large literal as written, abbreviated;
    any other as ``count_text``."""
    return value.literal if isinstance(value, LargeLiteral) else count_text(value)


class LargeLiteral(int):
    """An integer literal of 10^18 or more (``0x`` and thousands of hex digits compile): it
    counts as its value, and prints as its literal, abbreviated, where a message shows it
    (Python refuses to print an int of over 4,300 digits). Arithmetic on it gives a plain int,
    which messages print with ``count_text``."""

    literal: str

    def __new__(cls, value: int, literal: str, shown: str | None = None) -> "LargeLiteral":
        number = super().__new__(cls, value)
        number.literal = shown if shown is not None else literal if len(literal) <= SHOWN_LITERAL else (
            f"{literal[:12]}...{literal[-4:]} ({len(literal):,} characters)")
        return number

    def __neg__(self) -> "LargeLiteral":
        return LargeLiteral(-int(self), "", shown="-" + self.literal)

    def __str__(self) -> str:
        return self.literal

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        try:
            return format(self.literal, spec)
        except ValueError:  # a number's format (``,d``): the literal as it is
            return self.literal


def literal_number(text: str) -> int | float:
    """The number an integer or float literal's text stands for: the one place a literal becomes
    a number. An integer of 10^18 or more becomes a LargeLiteral, which messages can print."""
    digits = text.replace("_", "")
    try:
        value = int(digits, 0)
    except ValueError:
        if not digits.isdigit():
            return float(digits)  # 1.5, 1e3, .5
        value = 10 ** (len(digits) - 1)  # over Python's 4,300 digits: its size is what counts
    return LargeLiteral(value, text) if abs(value) >= COUNT_LIMIT else value
