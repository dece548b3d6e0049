"""The lab's use of Python's cyclic garbage collector around its boot.

Booting a lab builds what lives as long as the lab (tunnels, SAs, the engines' tables, the
controllers): nearly every object made then survives. CPython runs a full collection whenever
the objects that survived since the last one exceed a quarter of the older ones, so a heap that
only grows is walked again and again during boot (0.2 s of the StarOS bench's 1.6 s boot).
`booting()` pauses the collector for the boot and, at its end, freezes what exists
(`gc.freeze`): later full collections skip it.

The cost: cycles that became garbage during boot are frozen with the rest and never collected.
Measured on the shipped labs that is 0 to ~4,000 objects once per boot (0 for the 3,200-group
StarOS bench), while a full collection to free them first would cost a walk of the whole boot
heap (86 ms there). Objects frozen alive that later end up in a garbage cycle are never collected
either (plain reference-counted garbage still is): the trade the app made before by freezing
after boot."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def booting() -> Iterator[None]:
    """The collector paused inside; on the way out everything is frozen and the collector
    is back in the state it was in."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()
