"""StarOS crypto groups at scale: 32 crypto groups in each of 100 contexts (6400 crypto maps,
every group kept up with DPD), run for 24 virtual hours while 1 % of the primaries flap each hour.

Usage: python -m scripts.bench_staros [--contexts N] [--hours H] [--dpd-interval S] [--down S]

Topology (one ASR 5000): each context has its own local address and two security gateways, a
primary and a secondary, shared by its 32 groups (one IKE SA per gateway, one IPsec SA per map).
A flap silences one context's primary gateway (its 32 primaries = 1 % of 3200) at hh:05 and
brings it back `--down` seconds later (default 1800); DPD (interval `--dpd-interval`, default 300 s,
timeout 10 s, num-retry 3) finds it dead, the groups fail over to their secondaries and return
on their own (`switchover auto`). Prints one `name: value unit` per line: wall and CPU time of the
whole run (boot included), of boot alone and of the 24 hours after boot (the machine may be
shared: CPU time is the figure that does not depend on the neighbours), tunnels up, groups on
their primary at the end, switchovers, notifications and datagrams.

`--digest` also prints a SHA-256 over every datagram put on the wire (lab time, addresses,
bytes), every tunnel event and every notification, in order: two runs (other
PYTHONHASHSEED, other code that must not change behaviour) agree exactly when it is equal.
It costs time, so the timing figures of such a run are not the benchmark's.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import trio
from trio._core import MockClock

from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.platforms.staros.device import make_staros_device
from routershell.runtime.clock import LabClock
from routershell.runtime.gcpolicy import booting
from routershell.runtime.peers import PeerSpec
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

GROUPS = 32
IKE = (IkeProposal(auth="psk", hash="sha1", cipher="aes128", dh_group=2, lifetime_s=86400),)
ESP = (IpsecProposal("esp", "aes128", "hmac-sha1", None, 86400),)


def local(c: int) -> str:
    return f"100.64.{c}.1"


def gateway(c: int, role: int) -> str:
    return f"198.{18 + role}.{c}.10"


def config(contexts: int, dpd: str) -> str:
    out = ["config", "  system hostname bench"]
    for c in range(contexts):
        out += [f"  context c{c}", "    interface wan", f"      ip address {local(c)} 255.255.255.0"]
        out += [f"      crypto-map g{g}-{r}" for g in range(GROUPS) for r in ("p", "s")]
        out += ["    #exit", f"    ikev1 keepalive dpd {dpd}",
                "    ikev1 policy 1", "      encryption aes-cbc-128", "      hash sha1", "      group 2",
                "    #exit", "    ipsec transform-set ts", "      encryption aes-cbc-128", "      hmac sha1-96",
                "    #exit"]
        for g in range(GROUPS):
            out += [f"    crypto-group g{g}", "      switchover auto", "    #exit"]
            for r, role in ((0, "primary"), (1, "secondary")):
                out += [f"    crypto map g{g}-{'ps'[r]} ipsec-isakmp", f"      set peer {gateway(c, r)}",
                        "      set ike pre-shared-key bench", "      set transform-set ts",
                        "      set phase2-lifetime 86400", f"      match crypto-group g{g} {role}", "    #exit"]
        out.append("  #exit")
    out.append("end")
    return "\n".join(out) + "\n"


async def run(contexts: int, hours: int, dpd: str, down: float, clock: MockClock,
              digest: hashlib._Hash | None = None) -> dict[str, float]:
    lab = LabClock("virtual", trio_clock=clock)
    world = World(lab, Scheduler(lab), Streams(1))
    if digest is not None:
        def wire(now: float, src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> None:
            digest.update(f"{now!r} {src} {dst} {len(payload)} ".encode() + payload)
        world.network.capture = wire
    t0, c0 = time.perf_counter(), time.process_time()
    dev = make_staros_device("asr", config(contexts, dpd), model="ASR 5000", hostname="bench", ports=[],
                             clock=lab, streams=world.streams, home=None)  # type: ignore[arg-type]
    world.add_device(dev, dev.addresses())
    if digest is not None:
        dev.tunnels.subscribe(lambda name, ev: digest.update(f"{world.now()!r} {name} {ev!r}".encode()))
    for c in range(contexts):
        for r in (0, 1):
            world.add_peer(PeerSpec(f"c{c}-{r}", gateway(c, r), b"bench", IKE, ESP, answers_dpd=True))
    async with trio.open_nursery() as nursery:
        await nursery.start(world.scheduler.run)
        with booting():  # as App.start boots a lab
            dev.join(world)
            await world.wait_settled(600)
        t_boot, c_boot = time.perf_counter() - t0, time.process_time() - c0
        up_boot = sum(1 for t in dev.tunnels.tunnels() if t.state == "up")
        # the bench's own count of 6400 tunnels' states (~40 ms) is not the lab's work
        t0, c0 = time.perf_counter() - t_boot, time.process_time() - c_boot
        for h in range(hours):
            victim = gateway(h % contexts, 0)
            await lab.advance_to(h * 3600 + 300)
            world.peer_down(victim)
            await lab.advance_to(h * 3600 + 300 + down)
            world.peer_up(victim)
        if hours:
            await lab.advance_to(hours * 3600)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        up = sum(1 for t in dev.tunnels.tunnels() if t.state == "up")
        groups = dev.driver.groups
        carrying_primary = sum(1 for g in groups.groups.values() if g.ctl.carrying.value == "primary")
        switchovers = sum(g.ctl.switchovers for g in groups.groups.values())
        if digest is not None:
            digest.update(repr(list(dev.driver.trap_history)).encode())
        nursery.cancel_scope.cancel()
    return {"wall": wall, "cpu": cpu, "boot": t_boot, "boot_cpu": c_boot, "up_boot": up_boot, "up": up, "primary": carrying_primary,
            "switchovers": switchovers, "notifications": len(dev.driver.trap_history),
            "datagrams": world.network.stats.delivered, "lab": world.now()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--contexts", type=int, default=100)
    p.add_argument("--hours", type=int, default=24)
    p.add_argument("--dpd-interval", type=int, default=300)
    p.add_argument("--down", type=float, default=1800.0, help="seconds a flapping primary stays silent")
    p.add_argument("--digest", action="store_true", help="also print a digest of the wire, events and traps")
    a = p.parse_args()
    if a.down >= 3300:
        p.error("--down must end before the next hour's flap (< 3300 s)")
    clock = MockClock()
    dpd = f"interval {a.dpd_interval} timeout 10 num-retry 3"
    digest = hashlib.sha256() if a.digest else None
    r = trio.run(run, a.contexts, a.hours, dpd, a.down, clock, digest, clock=clock)
    n = a.contexts * GROUPS
    print(f"staros_{n}_groups_dpd_interval: {a.dpd_interval} s")
    print(f"staros_{n}_groups_{a.hours}h_wall: {r['wall']:.2f} s")
    print(f"staros_{n}_groups_{a.hours}h_cpu: {r['cpu']:.2f} s")
    print(f"staros_{n}_groups_boot_wall: {r['boot']:.2f} s")
    print(f"staros_{n}_groups_boot_cpu: {r['boot_cpu']:.2f} s")
    print(f"staros_{n}_groups_{a.hours}h_after_boot_wall: {r['wall'] - r['boot']:.2f} s")
    print(f"staros_{n}_groups_{a.hours}h_after_boot_cpu: {r['cpu'] - r['boot_cpu']:.2f} s")
    print(f"staros_{n}_groups_tunnels_up_after_boot: {int(r['up_boot'])} tunnels")
    print(f"staros_{n}_groups_tunnels_up_at_end: {int(r['up'])} tunnels")
    print(f"staros_{n}_groups_on_primary_at_end: {int(r['primary'])} groups")
    print(f"staros_{n}_groups_switchovers: {int(r['switchovers'])} switchovers")
    print(f"staros_{n}_groups_notifications: {int(r['notifications'])} notifications")
    print(f"staros_{n}_groups_datagrams: {int(r['datagrams'])} datagrams")
    print(f"staros_{n}_groups_lab_time: {r['lab']:.0f} s")
    if digest is not None:
        print(f"staros_{n}_groups_digest: {digest.hexdigest()} sha256")


if __name__ == "__main__":
    main()
