"""The catalog's sections (tables that are not arrays: ``[tenacity]``, ``[infallible]``, ``[loops]``, ``[http]``),
the fix templates of the tenacity dialect and the small ``[[exception_set]]`` table, declared as typed
specs like those in catalog_specs.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrylint.catalog_schema import key

Counts = Literal["attempts", "retries"]


@dataclass(frozen=True)
class FixTemplate:
    """One keyword a fix writes: its value ({n}: the attempts; {errors}: the non-retryable classes as a
    tuple; {module.name}: that name imported in the file's style), how it joins a value already given
    ({existing}, {new}; unless that value is in the builder group ``replaces``), and the fix's message."""

    keyword: str | None = key()
    value: str | None = key()
    counts: Counts = key("attempts", doc="what {n} counts in value: 'retries' writes the attempts - 1")
    join: str | None = key()
    replaces: str | None = key()
    message: str | None = key()


@dataclass(frozen=True)
class TenacityFixes:
    """The fix templates of the tenacity dialect."""

    cap: FixTemplate | None = key()
    never_retry: FixTemplate | None = key()
    backoff: FixTemplate | None = key()


@dataclass(frozen=True)
class TenacitySection:
    """How tenacity's stop=/retry=/wait= builders read; qualified names."""

    stop_after_attempts: tuple[str, ...] = key(())
    stop_after_time: tuple[str, ...] = key(())
    stop_never: tuple[str, ...] = key(())
    stop_any: tuple[str, ...] = key(())
    stop_all: tuple[str, ...] = key(())
    state_attempts: tuple[str, ...] = key((), doc="attributes of the retry state a stop function compares with an attempt count")
    state_elapsed: tuple[str, ...] = key((), doc="attributes of the retry state a stop function compares with a time budget")
    clocks: tuple[str, ...] = key((), doc="clocks a stop function compares with a deadline")
    retry_types: tuple[str, ...] = key(())
    retry_not_types: tuple[str, ...] = key(())
    retry_results: tuple[str, ...] = key(())
    retry_any: tuple[str, ...] = key(())
    retry_all: tuple[str, ...] = key(())
    retry_always: tuple[str, ...] = key(())
    retry_never: tuple[str, ...] = key(())
    retry_predicate: tuple[str, ...] = key((), doc="builders taking a predicate on the exception (its isinstance checks bound it)")
    wait_none: tuple[str, ...] = key(())
    wait_fixed: tuple[str, ...] = key(())
    fix: TenacityFixes | None = key(doc="what the fixes write on a tenacity layer")


@dataclass(frozen=True)
class InfallibleSection:
    """Calls that cannot fail in a way a retry layer retries."""

    names: tuple[str, ...] = key(())
    methods: tuple[str, ...] = key(())
    receivers: tuple[str, ...] = key(())
    interrupts: tuple[str, ...] = key((), doc="exceptions that interrupt, never a failure")


@dataclass(frozen=True)
class LoopsSection:
    """Hand-written retry loops."""

    deadline_contexts: tuple[str, ...] = key((), doc="context managers that give a loop a deadline")
    wait_calls: tuple[str, ...] = key((), doc="calls (the last part of their name) that wait between tries")
    retry_words: tuple[str, ...] = key((), doc="parts of a name that tell a loop is meant as a retry")
    counting_iterators: tuple[str, ...] = key((), doc="what a `for` loop that counts its tries iterates over: it is bounded")
    endless_iterators: tuple[str, ...] = key((), doc="what a `for` loop that tries forever iterates over")
    transient_texts: tuple[str, ...] = key((), doc="words (lower case) in an error's message that name a failure a retry "
                                           "can heal: a loop going round only when the message holds one retries only those")


@dataclass(frozen=True)
class ExceptionSetSpec:
    """A tuple of exception classes a library exports under one name (dspy's ``dsp.ERRORS``)."""
    name: str = key("", doc="the qualified name of the tuple")
    classes: tuple[str, ...] = key((), doc="the qualified names of the classes it holds")

    def __post_init__(self) -> None:
        if not self.name or not self.classes:
            raise ValueError("needs 'name' and 'classes'")


@dataclass(frozen=True)
class FieldsSection:
    """Class-body field declarations whose default a count or a string is read from."""

    declarations: tuple[str, ...] = key((), doc="'<qualified name>(default)': its first positional argument or its "
                                        "'default' keyword is the default; '(*, default)': the keyword only")


@dataclass(frozen=True)
class HttpSection:
    """HTTP clients: the calls that send a request, which is billable when its URL is a paid endpoint."""

    senders: tuple[str, ...] = key((), doc="'<qualified name>(<parameter>, ...)': the parameter 'url' takes the URL (by position "
                                   "or keyword); one named 'method' makes a request other than a POST free")
    base_urls: tuple[str, ...] = key((), doc="'<qualified class>(<keyword>)': a client built with a base URL in that keyword, which a "
                                     "relative URL its senders are given is joined to (its path, then the relative one)")
