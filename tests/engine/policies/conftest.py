"""Shared helper: drive a sans-IO controller's timer on a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _run_timers(ctl: Any, until: float, log: list[tuple[float, Any]] | None = None) -> list:
    """Fire every deadline <= `until` in order; returns the (time, action) pairs produced."""
    out: list[tuple[float, Any]] = [] if log is None else log
    for _ in range(100_000):
        t = ctl.get_timer()
        if t is None or t > until:
            return out
        out.extend((t, a) for a in ctl.handle_timer(t))
    raise AssertionError("timer did not settle")


@pytest.fixture(scope="session")
def run_timers() -> Callable[..., list]:
    return _run_timers
