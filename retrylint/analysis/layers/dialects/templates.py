"""What a fix writes on a layer, as the catalog says it for each dialect."""

from __future__ import annotations

from dataclasses import dataclass

# What the fixes are for: an attempt cap (RTL001), a non-retryable list (RTL002), a backoff (RTL006).
CAP, NEVER_RETRY, BACKOFF = "cap", "never_retry", "backoff"


@dataclass(frozen=True)
class FixTemplate:
    """``keyword=value`` on the call that declares the layer. ``value`` may hold ``{n}`` (the
    attempts), ``{errors}`` (the non-retryable classes, as a tuple) and ``{module.name}`` (that
    name, imported in the file's style). ``join`` (with ``{existing}`` and ``{new}``) combines it
    with a value already given, unless that value names one of ``replaces``. ``message`` (with
    ``{n}``, always the total attempts) says what the fix does; without one the fix says
    ``Pass keyword=value``. ``counts`` is what ``{n}`` counts in ``value``: ``"retries"`` writes
    one less than the attempts (catalog_specs.in_unit)."""

    keyword: str
    value: str
    join: str | None = None
    replaces: tuple[str, ...] = ()
    message: str | None = None
    counts: str = "attempts"
