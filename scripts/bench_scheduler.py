"""DPD soak on the lab scheduler: peers with DPD on one heap, in batch trio, virtual time.

Each peer: R-U-THERE every 10 s when idle, 2 retries 2 s apart, dead 2 s after the last
retry, 1 % of attempts lost (round trip). 1 % of the peers flap per hour: a flapping peer stops
answering for 30-300 s (DPD declares it dead), then answers again and its tunnel is rebuilt 5 s
later. Healthy exchanges are computed by `PeriodicExchange` (one scheduler event per lost
attempt); the `traced` scenario simulates every packet, for comparison.

Prints one `name: value unit` per line. Run by hand:
    python scripts/bench_scheduler.py                 # every scenario, each in a fresh process
    python scripts/bench_scheduler.py 10k_24h         # one scenario

Figures: `hellos` are R-U-THERE messages simulated (retransmissions included), `events` are
hellos + ACKs + deaths + flap transitions (what a packet-by-packet simulation would have to
process), `sched_events` are the callbacks the scheduler actually ran. `bytes_per_peer` is the
traced Python heap of the peers and scheduler after setup; `rss_per_peer` the growth of the
resident set over the run, per peer.
"""

from __future__ import annotations

import gc
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import trio

from routershell.runtime.clock import LabClock
from routershell.runtime.periodic import ExchangeProfile, PeriodicExchange, State
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler

SCENARIOS: dict[str, tuple[int, float, bool]] = {
    # name: (peers, lab hours, traced packet by packet)
    "1k_24h": (1_000, 24.0, False),
    "10k_24h": (10_000, 24.0, False),
    "100k_1h": (100_000, 1.0, False),
    "1k_1h_traced": (1_000, 1.0, True),
}

PROFILE = ExchangeProfile(period=10.0, retry_gap=2.0, retries=2, loss=0.01)
FLAPS_PER_PEER_HOUR = 0.01
REBUILD_DELAY = 5.0


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def run(name: str, seed: int = 1) -> dict[str, float]:
    n, hours, traced = SCENARIOS[name]
    lab = LabClock("virtual")
    streams = Streams(seed)
    gc.collect()
    rss0 = _rss_kib()
    tracemalloc.start()
    sched = Scheduler(lab)
    peers: list[PeriodicExchange] = []
    counts = {"flaps": 0, "rebuilds": 0}

    def on_dead(ex: PeriodicExchange, t: float) -> None:
        if ex.reachable:  # a random triple loss: rebuild at once
            sched.call_at(t + REBUILD_DELAY, lambda: rebuild(ex))

    def rebuild(ex: PeriodicExchange) -> None:
        if ex.state is State.DEAD and ex.reachable:
            counts["rebuilds"] += 1
            ex.restart(lab.now())
            sched.reschedule(ex)

    place = streams.light("bench", "phase")
    for i in range(n):
        ex = PeriodicExchange(
            PROFILE,
            streams.light("peer", i, "dpd"),
            start=place.uniform(0.0, PROFILE.period),
            on_dead=on_dead,
            traced=traced,
        )
        peers.append(ex)
        sched.add_engine(ex)

    flap_rng = streams.light("bench", "flap")
    rate = n * FLAPS_PER_PEER_HOUR / 3600.0

    def flap() -> None:
        now = lab.now()
        ex = peers[flap_rng.randrange(n)]
        if ex.reachable:
            counts["flaps"] += 1
            ex.set_reachable(False, now)
            sched.reschedule(ex)
            sched.call_at(now + flap_rng.uniform(30.0, 300.0), lambda: back(ex))
        sched.call_at(now + flap_rng.expovariate(rate), flap)

    def back(ex: PeriodicExchange) -> None:
        ex.set_reachable(True, lab.now())
        sched.reschedule(ex)
        if ex.state is State.DEAD:
            sched.call_later(REBUILD_DELAY, lambda: rebuild(ex))

    sched.call_at(flap_rng.expovariate(rate), flap)
    traced_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    end = hours * 3600.0

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(sched.run)
            await lab.advance(end)
            nursery.cancel_scope.cancel()

    t0 = time.perf_counter()
    trio.run(main, clock=lab.trio_clock)
    wall = time.perf_counter() - t0

    hellos = acks = deaths = 0
    for ex in peers:
        c = ex.counters(end)
        hellos += c.sent
        acks += c.acked
        deaths += c.deaths
    events = hellos + acks + deaths + 2 * counts["flaps"]
    rss1 = _rss_kib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "peers": n,
        "lab_hours": hours,
        "wall": wall,
        "hellos": hellos,
        "events": events,
        "sched_events": sched.fired,
        "events_per_s": events / wall,
        "us_per_event": wall / events * 1e6,
        "us_per_hello": wall / hellos * 1e6,
        "us_per_sched_event": wall / max(1, sched.fired) * 1e6,
        "deaths": deaths,
        "flaps": counts["flaps"],
        "rebuilds": counts["rebuilds"],
        "peak_rss": peak / 1024,
        "bytes_per_peer": traced_bytes / n,
        "rss_per_peer": max(0, rss1 - rss0) * 1024 / n,
    }


UNITS = {
    "peers": "",
    "lab_hours": "h",
    "wall": "s",
    "hellos": "",
    "events": "",
    "sched_events": "",
    "events_per_s": "/s",
    "us_per_event": "us",
    "us_per_hello": "us",
    "us_per_sched_event": "us",
    "deaths": "",
    "flaps": "",
    "rebuilds": "",
    "peak_rss": "MiB",
    "bytes_per_peer": "B",
    "rss_per_peer": "B",
}


def report(name: str, res: dict[str, float]) -> None:
    for key, value in res.items():
        text = f"{value:.0f}" if float(value).is_integer() or value >= 1000 else f"{value:.3g}"
        print(f"{name}.{key}: {text} {UNITS[key]}".rstrip(), flush=True)


def main(argv: list[str]) -> int:
    names = argv or list(SCENARIOS)
    unknown = [a for a in names if a not in SCENARIOS]
    if unknown:
        print(
            f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIOS)}", file=sys.stderr
        )
        return 2
    if len(names) == 1:
        report(names[0], run(names[0]))
        return 0
    for name in names:  # a fresh process each, so peak RSS is the scenario's own
        rc = subprocess.call([sys.executable, __file__, name])
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
