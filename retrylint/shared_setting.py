"""A process-wide setting held while any of several overlapping users needs it (the recursion
limit of deep analysis threads, the paused garbage collector): the first to enter applies it, the
last to leave puts back what was there before."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class SharedSetting(Generic[T]):
    def __init__(self, apply: Callable[[], T], restore: Callable[[T], None]):
        """``apply`` sets it and returns what was there before; ``restore`` puts that back."""
        self._apply, self._restore = apply, restore
        self._lock = threading.Lock()
        self._holders = 0
        self._before: T | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._before = self._apply()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._restore(self._before)
