"""Worker processes of a run: they start with Ctrl-C held back by the run and ignore it
themselves (it is the run's to handle), and die with the run that started them."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

PR_SET_PDEATHSIG = 1  # linux/prctl.h
EXIT_ORPHANED = 3  # a worker whose run is gone; nobody reads it


@contextmanager
def holding_ctrl_c() -> Iterator[None]:
    """SIGINT held back for the duration, in the main thread: blocked where the platform can
    (workers started now inherit it blocked, ignore it, then unblock it; a Ctrl-C pressed
    meanwhile is delivered once it is over, not lost), else ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_PARENT: int | None = None  # in a worker: the process id of the run that started it


def start_worker(parent: int) -> None:
    """Make a worker die with its parent: Ctrl-C is the parent's to handle; on Linux the kernel
    kills the worker when the parent dies (even by SIGKILL); elsewhere ``parent_gone`` is
    asked before each write."""
    global _PARENT
    _PARENT = parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while it forked
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent_gone():  # it died before the request above took effect
        os._exit(EXIT_ORPHANED)


def parent_gone() -> bool:
    return _PARENT is not None and os.getppid() != _PARENT
