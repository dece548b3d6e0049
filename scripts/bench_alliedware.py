"""Benchmarks for the AlliedWare platform: the KEYWORD=value parser, a boot script, and a day
of continuous ISAKMP retries to many silent peers on the virtual clock.

Prints one `name: value unit` per line. Run by hand from the checkout:
`PYTHONPATH=. python scripts/bench_alliedware.py`.
"""

from __future__ import annotations

import time

import trio
import trio.testing

from routershell.grammar.keyvalue import parse_kv_command
from routershell.platforms.alliedware.operations import Executor, tree
from routershell.platforms.alliedware.router import Router
from routershell.runtime.clock import LabClock
from routershell.runtime.device import Device, Port
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

LINE = ("create isakmp policy=vpn1 peer=203.0.113.2 key=1 encalg=3desouter hashalg=sha group=2 "
        "mode=main msgbackoff=incremental msgretrylimit=8 msgtimeout=4 retryikeattempts=continuous")


def bench_parse(n: int = 20_000) -> None:
    t = tree()
    parse_kv_command(t, LINE)
    t0 = time.perf_counter()
    for _ in range(n):
        parse_kv_command(t, LINE)
    dt = time.perf_counter() - t0
    print(f"kv_parse_create_isakmp_policy: {dt / n * 1e6:.1f} us")


def script(policies: int) -> str:
    lines = ["enable ip", "add ip interface=eth0 ipaddress=192.0.2.1 mask=255.255.255.0",
             "create enco key=1 type=general value=secret",
             "create ipsec saspecification=1 keymanagement=isakmp protocol=esp encalg=3desouter hashalg=sha",
             'create ipsec bundlespecification=1 keymanagement=isakmp string="1"']
    for i in range(policies):
        peer = f"198.51.{100 + i // 250}.{i % 250 + 1}"
        lines.append(f"create isakmp policy=p{i} peer={peer} key=1 encalg=3desouter group=2 "
                     "retryikeattempts=continuous")
        lines.append(f"create ipsec policy=p{i} interface=eth0 action=ipsec bundle=1 isakmp=p{i} "
                     f"peeraddress={peer} laddress=192.168.{i % 250}.0 lmask=255.255.255.0")
    lines += ["enable isakmp", "enable ipsec"]
    return "\n".join(lines) + "\n"


def bench_boot_script(policies: int = 500) -> None:
    text = script(policies)
    t0 = time.perf_counter()
    r = Router(Device("r1", "alliedware"))
    failed = Executor(r).run_script(text)
    dt = time.perf_counter() - t0
    assert not failed, failed[:1]
    print(f"boot_script_{policies}_policies: {dt * 1000:.0f} ms")


def bench_day_of_retries(policies: int = 200, hours: float = 24) -> None:
    async def main() -> tuple[float, int, int]:
        clock = trio.testing.MockClock(autojump_threshold=0)
        return await _run(clock)

    async def _run(clock) -> tuple[float, int, int]:
        lab = LabClock("virtual", trio_clock=trio.lowlevel.current_clock())
        world = World(lab, Scheduler(lab), Streams(1))
        async with trio.open_nursery() as n:
            await n.start(world.scheduler.run)
            dev = Device("r1", "alliedware", clock=lab, ports=[Port("eth0")])
            world.add_device(dev, ("192.0.2.1",))
            r = Router(dev)
            t0 = time.perf_counter()
            assert not Executor(r).run_script(script(policies))
            await lab.advance(hours * 3600)
            dt = time.perf_counter() - t0
            retries = r.counters.general["retryIkeAttemptsPh1"]
            sent = world.network.stats.sent
            n.cancel_scope.cancel()
        return dt, retries, sent

    dt, retries, sent = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    print(f"day_of_continuous_retries_{policies}_silent_peers: {dt:.2f} s")
    print(f"day_of_continuous_retries_phase1_retries: {retries} retries")
    print(f"day_of_continuous_retries_datagrams: {sent} datagrams")
    print(f"day_of_continuous_retries_rate: {sent / dt:.0f} datagrams/s")


if __name__ == "__main__":
    bench_parse()
    bench_boot_script()
    bench_day_of_retries()
