"""Benchmarks for the engine's policy controllers: many controllers on one timer heap.

Prints one `name: value unit` per line. Run by hand: `python scripts/bench_policies.py`.
"""

from __future__ import annotations

import heapq
import random
import time

from routershell.engine.distribution import Distribution, Rekey
from routershell.engine.failover import FailoverController, FailoverPolicy, Negotiate
from routershell.engine.pcap import Datagram, to_pcap


def bench_failover(n: int = 10_000) -> None:
    rng = random.Random(1)
    policy = FailoverPolicy()
    ctls = []
    for i in range(n):
        c = FailoverController(policy, f"10.0.{i // 250}.{i % 250}", f"10.1.{i // 250}.{i % 250}")
        c.start(0.0)
        c.tunnel_up(0.0, c.primary)
        c.traffic_received(rng.uniform(0, 10))
        ctls.append(c)
    heap = [(c.get_timer(), i) for i, c in enumerate(ctls)]
    heapq.heapify(heap)
    calls = failed_over = 0
    t0 = time.perf_counter()
    while heap:
        t, i = heapq.heappop(heap)
        c = ctls[i]
        if c.get_timer() != t:
            continue
        calls += 1
        for a in c.handle_timer(t):
            if isinstance(a, Negotiate):
                failed_over += 1
        nxt = c.get_timer()
        if nxt is not None:
            heapq.heappush(heap, (nxt, i))
    dt = time.perf_counter() - t0
    assert failed_over == n
    print(f"failover_{n}_controllers_to_failover: {dt * 1000:.1f} ms")
    print(f"failover_timer_calls_per_s: {calls / dt:.0f} calls/s")


def bench_distribution(modules: int = 20, cap: int = 1000, tunnels: int = 15_000) -> None:
    d = Distribution()
    for m in range(modules):
        d.add_module(0, f"m{m}", cap)
    specs = [(f"t{i}", f"10.0.{i // 250}.{i % 250 + 1}", "10.200.0.1" if i % 2 else "10.0.0.0")
             for i in range(tunnels)]
    t0 = time.perf_counter()
    out = d.add_tunnels(0, specs)
    for a in out:
        if isinstance(a, Rekey):
            d.rekey_result(0, a.tunnel, True, a.attempt)
    t1 = time.perf_counter()
    moved = d.module_load()["m0"]
    d.module_failed(10, "m0")
    t2 = time.perf_counter()
    fired = 0
    while (t := d.get_timer()) is not None:
        for a in d.handle_timer(t):
            fired += 1
            d.rekey_result(t, a.tunnel, False, a.attempt)
        if t > 10 + 6 * 3600:
            break
    t3 = time.perf_counter()
    print(f"distribution_place_{tunnels}_tunnels: {(t1 - t0) * 1000:.1f} ms")
    print(f"distribution_module_loss_{moved}_tunnels: {(t2 - t1) * 1000:.2f} ms")
    print(f"distribution_backoff_rekeys_per_s: {fired / (t3 - t2):.0f} rekeys/s")


def bench_pcap(n: int = 100_000) -> None:
    recs = [Datagram(i * 0.001, "192.0.2.1", 500, "192.0.2.2", 500, bytes(200)) for i in range(n)]
    t0 = time.perf_counter()
    data = to_pcap(recs)
    dt = time.perf_counter() - t0
    print(f"pcap_write_datagrams_per_s: {n / dt:.0f} datagrams/s")
    print(f"pcap_write_throughput: {len(data) / dt / 1e6:.1f} MB/s")


if __name__ == "__main__":
    bench_failover()
    bench_distribution()
    bench_pcap()
