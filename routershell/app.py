# PLACEHOLDER — replaced by the lead's module on merge
"""Minimal stand-in for the lead's App so the front-ends can run before it lands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio
import trio.testing

from routershell.cli.session import CliSession


class _Clock:
    """Stand-in for runtime.clock.LabClock: one MockClock, autojump only inside a command."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.trio_clock = trio.testing.MockClock(rate=0.0 if mode in ("virtual", "frozen") else
                                                 float(mode[1:]) if mode.startswith("x") else 1.0)

    async def run_command(self, afn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        if self.mode != "virtual":
            return await afn(*args)
        self.trio_clock.autojump_threshold = 0
        try:
            return await afn(*args)
        finally:
            self.trio_clock.autojump_threshold = float("inf")


class App:
    def __init__(self, clock_mode: str | None, seed: int, state_dir: Path | None,
                 lab: Path | None, device: str | None) -> None:
        self.clock = _Clock(clock_mode or "virtual")
        self.seed, self.state_dir, self.lab, self.device = seed, state_dir, lab, device

    async def start(self, nursery: trio.Nursery) -> None:
        await trio.sleep(0)

    def new_session(self, user: str = "user") -> CliSession:
        return CliSession(user=user)

    async def aclose(self) -> None:
        await trio.sleep(0)
