"""Wall-clock figures the scheduler tests used to assert (tests now count firings and trio steps).

- fast_forward: 6 lab hours of 20 timers every 10 s (43,200 firings) through the fast path;
- longest_step: the longest single trio task step while 2,000 tunnels come up with the default
  20 ms step budget (how long a prompt would wait), garbage collection paused.

Run: PYTHONPATH=. python scripts/bench_scheduler_steps.py
Prints one `name: value unit` per line.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import trio
from trio.testing import MockClock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routershell.runtime.clock import LabClock  # noqa: E402
from routershell.runtime.scheduler import Scheduler  # noqa: E402
from tests.runtime.test_scheduler_budget import _bring_up  # noqa: E402


def fast_forward_rate() -> float:
    lab = LabClock("virtual")
    count = [0]

    async def main() -> None:
        sched = Scheduler(lab)
        async with trio.open_nursery() as n:
            await n.start(sched.run)
            for i in range(20):
                sched.every(10, lambda: count.__setitem__(0, count[0] + 1), first=i * 0.37 + 0.1)
            await lab.advance(6 * 3600)
            n.cancel_scope.cancel()

    t0 = time.perf_counter()
    trio.run(main, clock=lab.trio_clock)
    return count[0] / (time.perf_counter() - t0)


class StepTimer(trio.abc.Instrument):
    def __init__(self) -> None:
        self.longest = 0.0
        self._t0: float | None = None

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._t0 = time.perf_counter()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        if self._t0 is not None:
            self.longest = max(self.longest, time.perf_counter() - self._t0)
        self._t0 = None


def longest_step(n: int = 2000) -> float:
    timer = StepTimer()

    async def main(clock: MockClock) -> None:
        trio.lowlevel.add_instrument(timer)
        try:
            await _bring_up(clock, n, 0.020)
        finally:
            trio.lowlevel.remove_instrument(timer)

    clock = MockClock()
    gc.collect()
    gc.disable()
    try:
        trio.run(main, clock, clock=clock)
    finally:
        gc.enable()
    return timer.longest


def main() -> None:
    print(f"fast_forward_firings: {fast_forward_rate():.0f} firings/s")
    print(f"longest_step_2000_tunnels: {longest_step() * 1000:.1f} ms")


if __name__ == "__main__":
    main()
