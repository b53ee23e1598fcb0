"""Python's cyclic garbage collector paused while a module's tree and model are built.

Building them makes objects that all live on (a 60 KB module: some 30,000), so each of the
hundreds of young-generation collections their making sets off finds nothing to free, and the
survivors they push on to the old generations set off full collections of every model in memory
sooner (each some 0.4 s on the pinned corpus). Paused, the objects made are looked at once, by
the first collection after the build. Nothing is left unfreed: the collector runs again as soon
as the last build in progress ends."""

from __future__ import annotations

import gc

from retrylint.shared_setting import SharedSetting


def _pause() -> bool:
    enabled = gc.isenabled()
    gc.disable()
    return enabled


def _resume(was_enabled: bool) -> None:
    if was_enabled:
        gc.enable()


collector_paused = SharedSetting(_pause, _resume).held
