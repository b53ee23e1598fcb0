"""Room for deeply nested valid code. libcst renders, visits and replaces its trees by recursion,
so code Python compiles (2,990 ``elif`` branches, 1,496 chained calls) overran the default
recursion limit and lost its findings. The analysis therefore runs in a thread with a large stack
and a high recursion limit, while Python's compiler, which decides what libcst's native parser
may see, keeps measuring nesting against the default limit (see ``sources.python_rejects``)."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from retrylint.shared_setting import SharedSetting

STACK_BYTES = 512 * 1024 * 1024  # reserved, not used: pages are taken as the recursion goes
RECURSION_LIMIT = 50_000  # measured: 2,990 ``elif`` branches need about 12,000 frames
DEFAULT_RECURSION_LIMIT = sys.getrecursionlimit()

T = TypeVar("T")
_state = threading.local()  # ``deep``: this thread is one that on_deep_stack made


def on_deep_stack(function: Callable[..., T], *args) -> T:
    """``function(*args)`` in a thread with a large stack and recursion limit: its result, or
    its exception raised here. Runs it directly when already in such a thread, or where none
    can be made."""
    if getattr(_state, "deep", False):
        return function(*args)
    outcome: dict[str, object] = {}

    def target() -> None:
        _state.deep = True
        try:
            outcome["result"] = function(*args)
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    try:
        previous_size = threading.stack_size(STACK_BYTES)
    except (ValueError, RuntimeError):  # a platform without settable thread stacks
        return function(*args)
    try:
        thread = threading.Thread(target=target, name="retrylint-analysis", daemon=True)
        with _raised_recursion_limit():
            thread.start()
            thread.join()
    except RuntimeError:  # no memory for one more thread
        return function(*args)
    finally:
        threading.stack_size(previous_size)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _raise_recursion_limit() -> int:
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, RECURSION_LIMIT))
    return before


# RECURSION_LIMIT while any deep thread runs (the limit is one for all threads).
_raised_recursion_limit = SharedSetting(_raise_recursion_limit, sys.setrecursionlimit).held


@contextmanager
def default_recursion_limit() -> Iterator[None]:
    """Python's default recursion limit for the duration, as when it compiles a file itself."""
    raised = sys.getrecursionlimit()
    if raised <= DEFAULT_RECURSION_LIMIT:
        yield
        return
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(raised)
