"""Wall time of a lab-clock mode switch (what tests/runtime/test_lab_clock.py no longer asserts):
a command waiting 100 lab seconds in virtual mode switched to x1000 at lab 50 s (the last 50 lab
seconds should take ~50 ms), and the lateness past its deadline when it ends.

    PYTHONPATH=. python scripts/bench_clock_switch.py
"""

from __future__ import annotations

import time

import trio
import trio.testing

from routershell.runtime.clock import LabClock
from routershell.runtime.scheduler import Scheduler


async def switch_during_command(clock: trio.testing.MockClock) -> tuple[float, float]:
    lab = LabClock("virtual", trio_clock=clock)
    sched = Scheduler(lab)
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(50, lambda: lab.set_mode("x1000"))
        t0 = time.perf_counter()
        await lab.run_command(trio.sleep, 100)
        wall = time.perf_counter() - t0
        late = lab.now() - 100
        n.cancel_scope.cancel()
    return wall, late


def main() -> None:
    walls, lates = [], []
    for _ in range(5):
        clock = trio.testing.MockClock()
        wall, late = trio.run(switch_during_command, clock, clock=clock)
        walls.append(wall)
        lates.append(late)
    print(f"switch_to_x1000_last_50_lab_s_wall: {min(walls) * 1000:.1f} ms (best of 5)")
    print(f"switch_to_x1000_lateness: {max(lates):.2f} lab s (worst of 5)")


if __name__ == "__main__":
    main()
