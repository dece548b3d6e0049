"""Bring N tunnels up through the simulated world (one device, N remote peers, real IKE).

Usage: python scripts/bench_world.py [--gc-freeze] [N ...]   (default: 1000 10000)
--gc-freeze runs the scheduler with gc_freeze=True (no full-heap GC pauses).

Per N prints: wall time of the commit (apply) step, wall time until every tunnel is up, tunnels
per second, and the longest single trio task step while it ran (the time the prompt would wait
for the event loop), plus lab seconds used and datagrams carried.
"""

from __future__ import annotations

import ipaddress
import sys
import time

import trio
from trio.testing import MockClock

from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal
from routershell.runtime.clock import LabClock
from routershell.runtime.device import Device
from routershell.runtime.ipsec import TunnelSpec
from routershell.runtime.peers import PeerSpec
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

LOCAL = "192.0.2.1"
PSK = b"bench"
IKE = (IkeProposal(dh_group=2),)


class StepTimer(trio.abc.Instrument):
    """Longest wall time of one task step: how long the loop was unavailable."""

    def __init__(self) -> None:
        self.max_step = 0.0
        self.steps = 0
        self._t0: float | None = None

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._t0 = time.perf_counter()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        if self._t0 is not None:  # the step that added us started before we knew
            self.max_step = max(self.max_step, time.perf_counter() - self._t0)
            self.steps += 1
        self._t0 = None


def peer_addr(i: int) -> str:
    return str(ipaddress.ip_address("100.64.0.0") + i + 1)


def lans(i: int) -> tuple[str, str]:
    local = str(ipaddress.ip_network("10.0.0.0/8").network_address + (i << 8)) + "/24"
    remote = str(ipaddress.ip_network("172.16.0.0/12").network_address + (i << 4)) + "/28"
    return local, remote


async def bench(n: int, clock: MockClock, gc_freeze: bool = False) -> dict[str, float]:
    lab = LabClock("virtual", trio_clock=clock)
    world = World(lab, Scheduler(lab, gc_freeze=gc_freeze), Streams(1))
    dev = Device("r1", "bench", clock=lab)
    world.add_device(dev, [LOCAL])
    specs = []
    for i in range(n):
        addr = peer_addr(i)
        lo, re = lans(i)
        world.add_peer(PeerSpec(f"p{i}", addr, PSK, IKE, local_ts=re, remote_ts=lo))
        specs.append(TunnelSpec(f"t{i}", LOCAL, PeerConfig(addr, ike_proposals=IKE, psk=PSK),
                                ChildConfig("c", local_ts=lo, remote_ts=re), selectors=((lo, re),)))
    timer = StepTimer()
    async with trio.open_nursery() as nursery:
        await nursery.start(world.scheduler.run)
        trio.lowlevel.add_instrument(timer)
        t0 = time.perf_counter()
        dev.tunnels.apply(specs, world.now())
        t_apply = time.perf_counter() - t0
        ok = await world.wait_settled(3600)
        wall = time.perf_counter() - t0
        trio.lowlevel.remove_instrument(timer)
        up = sum(1 for t in dev.tunnels.tunnels() if t.state == "up")
        lab_s = world.now()
        nursery.cancel_scope.cancel()
    return {
        "apply": t_apply, "wall": wall, "up": up, "settled": float(ok), "lab": lab_s,
        "max_step": timer.max_step, "steps": timer.steps, "datagrams": world.network.stats.delivered,
    }


def main(argv: list[str]) -> None:
    freeze = "--gc-freeze" in argv
    sizes = [int(a) for a in argv if a != "--gc-freeze"] or [1000, 10000]
    for n in sizes:
        clock = MockClock()
        r = trio.run(bench, n, clock, freeze, clock=clock)
        print(f"world_{n}_tunnels_up: {int(r['up'])} tunnels")
        print(f"world_{n}_apply_wall: {r['apply']:.3f} s")
        print(f"world_{n}_bringup_wall: {r['wall']:.3f} s")
        print(f"world_{n}_tunnels_per_s: {r['up'] / r['wall']:.0f} tunnels/s")
        print(f"world_{n}_max_loop_step: {r['max_step'] * 1000:.1f} ms")
        print(f"world_{n}_loop_steps: {int(r['steps'])} steps")
        print(f"world_{n}_lab_time: {r['lab']:.3f} s")
        print(f"world_{n}_datagrams: {int(r['datagrams'])} datagrams")


if __name__ == "__main__":
    main(sys.argv[1:])
