"""A client's retries as the release of its library the project pins had them, when that is older
than the catalog's ``older.below`` (botocore before 1.44: legacy mode; LangChain's ChatOpenAI before
0.0.332: its own retry counting every attempt); the newest semantics otherwise."""

from __future__ import annotations

from retrylint.analysis.model import ModuleModel
from retrylint.analysis.pins import older_than, pinned_or_implied
from retrylint.catalog import ClientSpec


def default_retries(spec: ClientSpec, where: ModuleModel) -> tuple[int, str]:
    """The SDK's retries when nothing sets them: those of the release the project pins when it
    is older than ``spec.older.below`` (botocore before 1.44: legacy mode's 4)."""
    older = spec.older
    shown = _pinned_older(spec, where) if older.default_retries is not None else None
    if shown is None:
        return spec.default_retries, ""
    return older.default_retries, f"{older.note}, pinned {shown}" if older.note else f"{older.package} {shown}"


def given_retries(spec: ClientSpec, value: int, where: ModuleModel) -> tuple[int, str]:
    """The retries a written keyword sets: one less when the release the project pins counted
    every attempt with it (LangChain's ChatOpenAI before 0.0.332: ``max_retries=3`` is 3 attempts)."""
    shown = _pinned_older(spec, where) if spec.older.counts == "attempts" else None
    if shown is None:
        return value, ""
    named = shown if spec.older.implied_by and shown.startswith(f"{spec.older.implied_by} ") else f"{spec.older.package} {shown}"
    return max(value - 1, 0), f"{spec.retries_param}={value} counts every attempt, pinned {named}"


def _pinned_older(spec: ClientSpec, where: ModuleModel) -> str | None:
    """How messages name the release the project pins, when it is older than ``spec.older.below``."""
    older = spec.older
    version, shown = pinned_or_implied(where.path, older) if older.package and older.below else (None, "")
    return shown if version is not None and older_than(version, older.below) else None
