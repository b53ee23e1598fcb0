"""Python's cyclic garbage collector paused while a module's tree and model are built.

Building them makes objects that all live on (a 60 KB module: some 30,000), so each of the
hundreds of young-generation collections their making sets off finds nothing to free, and the
survivors they push on to the old generations set off full collections of every model in memory
sooner (each some 0.4 s on the pinned corpus). Paused, the objects made are looked at once, by
the first collection after the build. Nothing is left unfreed: the collector runs again as soon
as the last build in progress ends."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_builds = 0  # builds in progress that paused the collector
_was_enabled = False  # whether the collector ran before the first of them


@contextmanager
def collector_paused() -> Iterator[None]:
    global _builds, _was_enabled
    with _lock:
        if _builds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _builds += 1
    try:
        yield
    finally:
        with _lock:
            _builds -= 1
            if _builds == 0 and _was_enabled:
                gc.enable()
