"""Drive a sans-IO controller's timer on a fake clock, recording (time, action) pairs."""

from __future__ import annotations

from typing import Any


def run_timers(ctl: Any, until: float, log: list[tuple[float, Any]] | None = None) -> list:
    """Fire every deadline <= `until` in order; returns the (time, action) pairs produced."""
    out: list[tuple[float, Any]] = [] if log is None else log
    for _ in range(100_000):
        t = ctl.get_timer()
        if t is None or t > until:
            return out
        out.extend((t, a) for a in ctl.handle_timer(t))
    raise AssertionError("timer did not settle")
