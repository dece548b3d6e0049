"""A burst of engine events handled in one endpoint call: N tunnels to N silent gateways give
up phase 1 at the same instant and each fails over to its backup (issue 17: this chain used to
recurse once per event and die with a RecursionError in larger labs or after a stall).

Usage: python scripts/bench_burst.py [N ...]   (default: 2000 5000)
Prints the wall time of the burst and its Python stack depth at the deepest point.
"""

from __future__ import annotations

import sys
import time

import trio
from trio._core import MockClock

from routershell.engine import failover as fo
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.retransmit import fixed
from routershell.runtime.clock import LabClock
from routershell.runtime.device import Device
from routershell.runtime.ipsec import TunnelSpec
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

LOCAL = "192.0.2.1"
RETRANSMIT = fixed(10, 3, "bench: gives up 40 s after the first message")


def addr(base: int, i: int) -> str:
    return f"10.{base}.{i // 250}.{i % 250 + 1}"


async def bench(n: int) -> dict[str, float]:
    lab = LabClock("virtual", trio_clock=trio.lowlevel.current_clock())
    world = World(lab, Scheduler(lab), Streams(1))
    dev = Device("r1", "bench", clock=lab)
    world.add_device(dev, [LOCAL], phase1_timeout=10_000)  # the engine gives up, all at once
    specs = [TunnelSpec(f"t{i}", LOCAL, PeerConfig(addr(200, i), psk=b"x", retransmit=RETRANSMIT),
                        ChildConfig("c", local_ts=f"172.16.{i // 250}.{i % 250}/32", remote_ts="10.0.0.0/8"),
                        backup=addr(201, i))
             for i in range(n)]
    switched, depth = [], [0]

    def seen(name: str, ev: object) -> None:
        if isinstance(ev, fo.Activated):
            if not switched:
                switched.append(time.perf_counter())
            depth[0] = max(depth[0], _depth())

    dev.tunnels.subscribe(seen)
    async with trio.open_nursery() as nursery:
        await nursery.start(world.scheduler.run)
        dev.tunnels.apply(specs, world.now())
        await lab.advance(35)
        t0 = time.perf_counter()
        await lab.advance(10)  # the burst (phase 1 gives up at ~40 s)
        wall = time.perf_counter() - t0
        nursery.cancel_scope.cancel()
    n_switched = sum(1 for t in dev.tunnels.tunnels() if t.role == "backup")
    return {"wall": wall, "switched": n_switched, "depth": depth[0]}


def _depth() -> int:
    f, n = sys._getframe(1), 0
    while f is not None:
        f, n = f.f_back, n + 1
    return n


def main(argv: list[str]) -> None:
    for n in [int(a) for a in argv] or [2000, 5000]:
        clock = MockClock(autojump_threshold=0)
        r = trio.run(bench, n, clock=clock)
        print(f"burst_{n}_failed_over: {int(r['switched'])} tunnels")
        print(f"burst_{n}_wall: {r['wall']:.3f} s")
        print(f"burst_{n}_max_stack_depth: {int(r['depth'])} frames")


if __name__ == "__main__":
    main(sys.argv[1:])
