# PLACEHOLDER — replaced by the lead's module on merge
"""Minimal stand-in for the lead's App so the front-ends run before it lands.

It builds one Junos device "r1" around the real JunosSession, with a clock stand-in that
has the LabClock surface the front-ends use (trio_clock, run_command, mode, now, epoch).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trio
from trio._core._mock_clock import MockClock  # trio.testing imports pytest when installed (+70 ms)

from routershell.cli.session import CliSession


class _Clock:
    """Stand-in for runtime.clock.LabClock: one MockClock, autojump only inside a command."""

    epoch = datetime(2024, 1, 1, tzinfo=UTC)

    def __init__(self, mode: str) -> None:
        self.mode = mode
        rate = 0.0 if mode in ("virtual", "frozen") else float(mode[1:]) if mode[0] == "x" else 1.0
        self.trio_clock = MockClock(rate=rate)

    def now(self) -> float:
        return self.trio_clock.current_time()

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
        from routershell.config.store import ConfigStore
        from routershell.runtime.device import Device, Port

        self.clock = _Clock(clock_mode or "virtual")
        self.seed = seed
        self.device = Device(name=device or "r1", platform="junos", model="mx240",
                             store=ConfigStore(), clock=self.clock,
                             ports=[Port(f"ge-0/0/{i}") for i in range(4)],
                             facts={"version": "21.4R3"})
        self.device.rng = lambda purpose: random.Random(f"{seed}:{purpose}")  # type: ignore[attr-defined]

    async def start(self, nursery: trio.Nursery) -> None:
        await trio.lowlevel.checkpoint()

    def new_session(self, user: str = "user") -> CliSession:
        from routershell.platforms.junos.session import JunosSession

        return JunosSession(self.device, user=user)

    async def aclose(self) -> None:
        await trio.lowlevel.checkpoint()
