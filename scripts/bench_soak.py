"""Soak: 1,000 tunnels through the simulated world for 96 lab hours (rekeys every lab hour,
DPD hellos on every tenth tunnel, LAN traffic), printing the process's RSS after each lab hour. Memory should be flat after
the first hour (issue 18): nothing may grow per rekey, probe, event or datagram.

Usage: python scripts/bench_soak.py [TUNNELS] [HOURS]   (default: 1000 96)
Prints `rss_hour_N: X MB` per hour, then the growth from hour 1 to the end.
"""

from __future__ import annotations

import resource
import sys
import time

import trio
import trio.testing

from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.runtime.clock import LabClock
from routershell.runtime.device import Device
from routershell.runtime.ipsec import TunnelSpec
from routershell.runtime.peers import PeerSpec
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

sys.path.insert(0, "scripts")
from bench_world import LOCAL, PSK, lans, peer_addr  # noqa: E402

IKE = (IkeProposal(dh_group=2, lifetime_s=7200),)
IPSEC = (IpsecProposal(lifetime_s=3600),)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def soak(n: int, hours: int, clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=clock)
    world = World(lab, Scheduler(lab), Streams(7))
    dev = Device("r1", "bench", clock=lab)
    world.add_device(dev, [LOCAL])
    specs = []
    for i in range(n):
        addr = peer_addr(i)
        lo, re = lans(i)
        world.add_peer(PeerSpec(f"p{i}", addr, PSK, IKE, ipsec_proposals=IPSEC, local_ts=re, remote_ts=lo))
        specs.append(TunnelSpec(f"t{i}", LOCAL, PeerConfig(addr, ike_proposals=IKE, psk=PSK),
                                ChildConfig("c", proposals=IPSEC, local_ts=lo, remote_ts=re),
                                selectors=((lo, re),), dpd_initiate=(i % 10 == 0)))
    async with trio.open_nursery() as nursery:
        await nursery.start(world.scheduler.run)
        dev.tunnels.apply(specs, world.now())
        for i in range(0, n, 50):  # some LAN traffic keeps tunnels busy
            lo, re = lans(i)
            world.traffic_start(f"f{i}", lo.split("/")[0][:-1] + "10", re.split("/")[0][:-1] + "5", 1)
        first = None
        t0 = time.perf_counter()
        for h in range(1, hours + 1):
            await lab.advance(3600)
            mb = rss_mb()
            first = first if first is not None else mb
            print(f"rss_hour_{h}: {mb:.1f} MB", flush=True)
        print(f"rss_growth_after_hour_1: {mb - first:.1f} MB")
        print(f"wall_per_lab_hour: {(time.perf_counter() - t0) / hours:.2f} s")
        nursery.cancel_scope.cancel()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    hours = int(sys.argv[2]) if len(sys.argv) > 2 else 96
    clock = trio.testing.MockClock(autojump_threshold=0)
    trio.run(soak, n, hours, clock, clock=clock)


if __name__ == "__main__":
    main()
