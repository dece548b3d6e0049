"""Flood the IKE bridge of the default lab's r1 with random datagrams (issue 17 #7).

Usage: python scripts/bench_bridge_flood.py [MEGABYTES] [SOURCES]   (default: 10 100000)

Opens r1's bridge on a free loopback port (real clock), sends MEGABYTES of random datagrams
(64..1400 bytes) at it from another thread while a ticker task stands in for the shell, then
feeds the bridge datagrams from SOURCES distinct spoofed addresses. Prints:
  flood_sent              datagrams the flooding process sent (the kernel drops what the
                          socket buffer cannot hold)
  flood_taken             datagrams the bridge took off its sockets
  flood_entered_lab       of those, datagrams handed to the lab network
  quiet_longest_step_ms   longest single trio task step in a second without the flood
  longest_step_ms         longest single trio task step while the flood ran
  bridge_longest_step     most datagrams one reader step handled
  shell_max_lateness_ms   worst lateness of a 10 ms ticker (what a prompt would wait)
  garbage_dropped_per_s   random datagrams the bridge drops per second of CPU (synchronous)
  spoofed_rss_growth_mb   RSS growth after SOURCES spoofed sources sending phase-1 message 1
  spoofed_peer_table      bridge peers remembered afterwards
"""

from __future__ import annotations

import dataclasses
import os
import random
import resource
import socket
import struct
import subprocess
import sys
import time

import trio

from routershell.app import App
from routershell.labs.labfile import default_lab


class StepTimer(trio.abc.Instrument):
    def __init__(self) -> None:
        self.max_step = 0.0
        self._t0: float | None = None

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._t0 = time.perf_counter()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        if self._t0 is not None:
            self.max_step = max(self.max_step, time.perf_counter() - self._t0)
        self._t0 = None


def free_pair(host: str = "127.0.0.1") -> int:
    """A port P with P and P + 1 both free for UDP on `host`."""
    for _ in range(200):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind((host, 0))
        p = a.getsockname()[1]
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if p < 65535:
                b.bind((host, p + 1))
                return p
        except OSError:
            pass
        finally:
            a.close()
            b.close()
    raise RuntimeError("no two consecutive free UDP ports")


def mm1(i: int) -> bytes:
    """A plausible phase-1 message 1 (what a spoofed initiator sends first)."""
    body = bytes(40)
    return (b"\x01" + i.to_bytes(7, "big") + bytes(8)
            + struct.pack("!BBBBII", 1, 0x10, 2, 0, 0, 28 + len(body)) + body)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


FLOOD = """
import random, socket, sys
port, total = int(sys.argv[1]), float(sys.argv[2]) * 2**20
rng = random.Random(7)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.9", 0))
sent = n = 0
while sent < total:
    d = rng.randbytes(rng.randrange(64, 1400))
    try:
        s.sendto(d, ("127.0.0.1", port))
    except OSError:
        pass
    sent += len(d)
    n += 1
print(n)
"""


async def run(megabytes: float, sources: int) -> None:
    port = free_pair()
    spec = default_lab()
    r1 = dataclasses.replace(spec.devices[0], ike_bridge=("127.0.0.1", port))
    app = App("real", lab=dataclasses.replace(spec, devices=(r1, *spec.devices[1:])))
    timer = StepTimer()
    async with trio.open_nursery() as n:
        await app.start(n)
        br = app.bridges["r1"]
        quiet = StepTimer()  # the lab alone for a second, to compare with
        trio.lowlevel.add_instrument(quiet)
        await trio.sleep(1.0)
        trio.lowlevel.remove_instrument(quiet)
        print(f"quiet_longest_step_ms: {quiet.max_step * 1000:.1f} ms")
        trio.lowlevel.add_instrument(timer)
        lateness = 0.0
        # another process, so the sender never competes for this interpreter's lock
        sender = subprocess.Popen([sys.executable, "-c", FLOOD, str(port), str(megabytes)],
                                  stdout=subprocess.PIPE, text=True)
        while sender.poll() is None:
            want = time.perf_counter() + 0.01
            await trio.sleep(0.01)
            lateness = max(lateness, time.perf_counter() - want)
        await trio.sleep(0.2)  # drain what is still queued
        trio.lowlevel.remove_instrument(timer)
        sent = int(sender.communicate()[0])
        st = br.stats
        print(f"flood_sent: {sent} datagrams")
        print(f"flood_taken: {getattr(st, 'datagrams', st.received)} datagrams")
        print(f"flood_entered_lab: {st.received} datagrams")
        print(f"longest_step_ms: {timer.max_step * 1000:.1f} ms")
        print(f"bridge_longest_step: {getattr(st, 'longest_step', 1)} datagrams")
        print(f"shell_max_lateness_ms: {lateness * 1000:.1f} ms")
        rng = random.Random(3)
        junk = [rng.randbytes(rng.randrange(64, 1400)) for _ in range(20_000)]
        t = time.perf_counter()
        for d in junk:
            br.from_real(d, ("127.0.0.9", 4444), port)
        print(f"garbage_dropped_per_s: {len(junk) / (time.perf_counter() - t):.0f} datagrams/s")
        before = rss_mb()
        for i in range(sources):
            src = (f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", 500)
            br.from_real(mm1(i), src, port)
            if i % 500 == 499:  # as the reader would: the lab answers between batches
                await trio.sleep(0.005)
        await trio.sleep(0.5)
        print(f"spoofed_rss_growth_mb: {rss_mb() - before:.1f} MB")
        print(f"spoofed_peer_table: {len(br.peers)} peers")
        await app.aclose()
        n.cancel_scope.cancel()


def main(argv: list[str]) -> None:
    mb = float(argv[0]) if argv else 10.0
    sources = int(argv[1]) if len(argv) > 1 else 100_000
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))
    trio.run(run, mb, sources)


if __name__ == "__main__":
    main(sys.argv[1:])
