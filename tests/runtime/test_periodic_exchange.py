"""PeriodicExchange: derived counters equal packet-by-packet simulation with the same seed."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import trio
import trio.testing

from routershell.runtime.clock import LabClock
from routershell.runtime.periodic import (
    ExchangeCounters,
    ExchangeProfile,
    PeriodicExchange,
    State,
    round_trip_loss,
)
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler

DPD = ExchangeProfile(period=10, retry_gap=2, retries=2, loss=0.05)


class PacketLog:
    """Counts what a traced exchange reports packet by packet (read at increasing times)."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int, bool]] = []
        self._read = 0
        self._sent = self._acked = self._retrans = 0

    def __call__(self, ex: PeriodicExchange, t: float, attempt: int, answered: bool) -> None:
        self.events.append((t, attempt, answered))

    def counters(self, now: float, deaths: int) -> ExchangeCounters:
        while self._read < len(self.events) and self.events[self._read][0] <= now:
            _, attempt, answered = self.events[self._read]
            self._sent += 1
            self._acked += answered
            self._retrans += attempt > 0
            self._read += 1
        return ExchangeCounters(
            sent=self._sent,
            acked=self._acked,
            lost=self._sent - self._acked,
            retransmits=self._retrans,
            exchanges=self._acked,
            deaths=deaths,
        )


async def test_derived_equals_packet_by_packet(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    streams = Streams(2026)
    n_peers = 12
    deaths: dict[str, list[tuple[int, float]]] = {"derived": [], "traced": []}
    peers: dict[str, list[PeriodicExchange]] = {"derived": [], "traced": []}
    logs = [PacketLog() for _ in range(n_peers)]

    def on_dead(kind: str, i: int) -> object:
        def dead(ex: PeriodicExchange, t: float) -> None:
            deaths[kind].append((i, t))
            # the tunnel comes back 30 s later
            sched.call_at(t + 30, lambda: (ex.restart(lab.now()), sched.reschedule(ex)))

        return dead

    for kind in ("derived", "traced"):
        for i in range(n_peers):
            ex = PeriodicExchange(
                DPD,
                streams.light("peer", i, "dpd"),
                start=0.37 * i,
                on_dead=on_dead(kind, i),  # type: ignore[arg-type]
                on_attempt=logs[i] if kind == "traced" else None,
                traced=kind == "traced",
            )
            peers[kind].append(ex)
            sched.add_engine(ex)

    # The same flaps for both: peer i unreachable at 1000+700i for 5 s (survives) or 60 s (dies).
    for i in range(n_peers):
        down_at, length = 1000.0 + 700 * i, (5.0 if i % 2 else 60.0)
        for kind in ("derived", "traced"):
            ex = peers[kind][i]

            def flap(ex: PeriodicExchange = ex, up: bool = False) -> None:
                ex.set_reachable(up, lab.now())
                sched.reschedule(ex)

            sched.call_at(down_at, flap)
            sched.call_at(down_at + length, lambda flap=flap: flap(up=True))

    mismatches: list[tuple[float, int]] = []
    samples = [0]

    def sample() -> None:
        now = lab.now()
        samples[0] += 1
        for i in range(n_peers):
            d = peers["derived"][i].counters(now)
            t = peers["traced"][i].counters(now)
            p = logs[i].counters(now, peers["traced"][i].deaths)
            if not d == t == p:
                mismatches.append((now, i))

    sched.every(37.3, sample, first=0.05)
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.advance(6 * 3600)
        sample()
        n.cancel_scope.cancel()

    assert mismatches == [] and samples[0] > 500
    assert deaths["derived"] == deaths["traced"]
    assert len(deaths["derived"]) >= n_peers // 2  # the 60 s outages killed the tunnels
    total = sum(len(log.events) for log in logs)
    assert total > n_peers * 2000  # it really simulated every packet
    # and the derived side needed far fewer scheduler events than there were packets
    derived_lost = sum(ex.lost for ex in peers["derived"])
    assert derived_lost < total / 10


async def test_switching_modes_midway_changes_nothing(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    s = Streams(5)
    prof = ExchangeProfile(period=10, retry_gap=2, retries=2, loss=0.2)
    plain = PeriodicExchange(prof, s.light("a"), start=1.5)
    switched = PeriodicExchange(prof, s.light("a"), start=1.5)
    log = PacketLog()
    switched.on_attempt = log
    for ex in (plain, switched):
        sched.add_engine(ex)

    def toggle(on: bool) -> None:
        (switched.materialize if on else switched.dematerialize)(lab.now())
        sched.reschedule(switched)

    sched.call_at(333.3, lambda: toggle(True))
    sched.call_at(777.7, lambda: toggle(False))
    sched.call_at(1500.0, lambda: toggle(True))
    seen: list[bool] = []
    sched.every(3.1, lambda: seen.append(plain.counters(lab.now()) == switched.counters(lab.now())))
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.advance(3000)
        n.cancel_scope.cancel()
    assert seen and all(seen)
    # only the traced windows were reported packet by packet
    times = [t for t, _, _ in log.events]
    assert times and all(333.3 < t <= 777.7 or t > 1500 for t in times)
    assert plain.deaths == switched.deaths


def _run_alone(ex: PeriodicExchange, until: float) -> int:
    """Drive one exchange without trio; returns the number of timer events."""
    events = 0
    while (t := ex.get_timer()) is not None and t <= until:
        ex.handle_timer(t)
        events += 1
    return events


def test_loss_rate_and_skip_ahead_statistics() -> None:
    prof = ExchangeProfile(period=10, retry_gap=2, retries=2, loss=0.01)
    ex = PeriodicExchange(prof, Streams(1).light("stat"), start=0)
    events = _run_alone(ex, 3_000_000)  # ~300k attempts
    c = ex.counters(3_000_000)
    assert c.sent == c.acked + c.lost
    assert abs(c.lost / c.sent - 0.01) < 0.001
    assert events == c.lost + c.deaths  # one event per loss, none per success
    # geometric draws: the mean run of successes is (1 - p) / p = 99
    s = Streams(9).light("g")
    draws = [prof.draw_successes(s) for _ in range(50_000)]
    assert abs(sum(draws) / len(draws) - 99) < 2
    assert Counter(d == 0 for d in draws)[True] / len(draws) == pytest.approx(0.01, abs=0.002)


def test_no_loss_needs_no_events_and_counts_from_time() -> None:
    prof = ExchangeProfile(period=10, retry_gap=2, retries=2, loss=0.0)
    ex = PeriodicExchange(prof, Streams(1).light("x"), start=5)
    assert ex.get_timer() is None
    assert ex.counters(4.9).sent == 0
    assert ex.counters(5).sent == 1  # the attempt at exactly t counts at t
    assert ex.counters(86_405) == ExchangeCounters(8641, 8641, 0, 0, 8641, 0)


def test_total_loss_declares_dead_after_retries() -> None:
    prof = ExchangeProfile(period=10, retry_gap=2, retries=2, loss=1.0)
    dead: list[float] = []
    ex = PeriodicExchange(prof, Streams(1).light("x"), start=0, on_dead=lambda e, t: dead.append(t))
    _run_alone(ex, 100)
    assert dead == [6] and ex.state is State.DEAD and ex.get_timer() is None
    assert ex.counters(100) == ExchangeCounters(sent=3, acked=0, lost=3, retransmits=2, deaths=1)


def test_unreachable_peer_dies_and_restart_resumes() -> None:
    prof = ExchangeProfile(period=10, retry_gap=2, retries=2, loss=0.0)
    dead: list[float] = []
    ex = PeriodicExchange(prof, Streams(1).light("x"), start=0, on_dead=lambda e, t: dead.append(t))
    ex.set_reachable(False, 25)  # attempts at 0, 10, 20 answered; 30, 32, 34 lost
    assert ex.get_timer() == 30
    _run_alone(ex, 100)
    assert dead == [36]
    assert ex.counters(100) == ExchangeCounters(6, 3, 3, 2, 3, 1)
    ex.restart(100)
    assert ex.get_timer() is None and ex.counters(110).sent == 7
    # a short outage inside the retries: the first retry is answered again
    ex.set_reachable(False, 115)
    _run_alone(ex, 121)
    ex.set_reachable(True, 121)
    _run_alone(ex, 200)
    c = ex.counters(130)
    assert (c.lost, c.retransmits, c.deaths) == (4, 3, 1)  # lost at 120, answered at 122


def test_profile_validation() -> None:
    for kw in ({"period": 0}, {"retry_gap": -1}, {"retries": -1}, {"loss": 1.5}):
        args = {"period": 10, "retry_gap": 2, "retries": 2, "loss": 0.01} | kw
        with pytest.raises(ValueError):
            ExchangeProfile(**args)  # type: ignore[arg-type]
    assert round_trip_loss(0.01) == pytest.approx(0.0199)
    assert math.isinf(ExchangeProfile(10, 2, 2, 0.0).draw_successes(Streams(1).light("x")))
