"""Periodic request/reply exchanges (DPD R-U-THERE/ACK, keepalives) computed, not simulated.

A healthy exchange every `period` seconds is predictable: between two losses, every attempt
succeeds and lands on a grid. So instead of one timer per hello, a `PeriodicExchange` draws how
many attempts succeed before the next lost one (geometric skip-ahead, one draw per loss), keeps
one scheduler deadline, at the next loss, and derives its counters at any time t from the
grid. With 1 % loss that is one event per ~100 hellos.

The random process is defined per attempt: attempt outcomes come from a sequence of draws G_i
= "successes before the next failure" (geometric with p = `loss`). `materialize()` switches an
exchange to one event per attempt (for tracing: `on_attempt` sees every packet) and walks the
very same sequence, so derived counters and packet-by-packet simulation agree exactly for the
same seed; `dematerialize()` switches back. Both modes share one state, so switching is free.

Rules of the model (times are lab seconds):
- Exchange n starts with attempt 0; a lost attempt j < `retries` is retried `retry_gap` later;
  after losing attempt `retries` the peer is declared dead `retry_gap` later (`on_dead`).
- A successful attempt at t (reply within the same instant) schedules the next exchange at
  t + period. The attempt at exactly t counts as done at t ("<= t").
- While the peer is unreachable (`set_reachable(False, now)`) every attempt fails without a
  draw. `restart(now)` (new tunnel after a death) starts over with a fresh draw.
- Grid times are computed as `base + k * period` in both modes (never by repeated addition),
  so both modes see bit-identical times.

`loss` is the probability that one attempt's round trip fails (for a one-way loss p use
`round_trip_loss(p)` = 1 - (1 - p)^2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "ExchangeCounters",
    "ExchangeProfile",
    "PeriodicExchange",
    "State",
    "round_trip_loss",
]


class _Uniform(Protocol):
    def random(self) -> float: ...


def round_trip_loss(one_way: float) -> float:
    """Probability that a request or its reply is lost, each independently with `one_way`."""
    return 1.0 - (1.0 - one_way) ** 2


@dataclass(frozen=True)
class ExchangeProfile:
    """Shared parameters of many exchanges (one object for 100k peers)."""

    period: float
    retry_gap: float
    retries: int
    loss: float
    _inv_log: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.period > 0 and self.retry_gap > 0 and self.retries >= 0):
            raise ValueError("period and retry_gap must be positive, retries >= 0")
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError("loss must be within [0, 1]")
        inv = 0.0 if self.loss in (0.0, 1.0) else 1.0 / math.log1p(-self.loss)
        object.__setattr__(self, "_inv_log", inv)

    def draw_successes(self, rng: _Uniform) -> float:
        """Successful attempts before the next lost one (inf when loss is 0)."""
        if self.loss <= 0.0:
            return math.inf
        if self.loss >= 1.0:
            return 0
        return math.floor(math.log(1.0 - rng.random()) * self._inv_log)


@dataclass(frozen=True)
class ExchangeCounters:
    sent: int = 0  # requests sent, retransmissions included
    acked: int = 0  # requests answered
    lost: int = 0  # attempts that got no answer
    retransmits: int = 0  # attempts after the first of an exchange
    exchanges: int = 0  # exchanges completed
    deaths: int = 0  # times the peer was declared dead


class State:
    UP = "up"
    TIMING_OUT = "timing-out"  # last retry lost; dead at `dead_at`
    DEAD = "dead"


class PeriodicExchange:
    """One peer's periodic exchange; a sans-IO engine (get_timer / handle_timer)."""

    __slots__ = (
        "profile",
        "rng",
        "base",
        "k",
        "ok_left",
        "attempt",
        "state",
        "dead_at",
        "reachable",
        "traced",
        "sent",
        "acked",
        "lost",
        "retransmits",
        "exchanges",
        "deaths",
        "on_dead",
        "on_attempt",
    )

    def __init__(
        self,
        profile: ExchangeProfile,
        rng: _Uniform,
        start: float,
        on_dead: Callable[[PeriodicExchange, float], object] | None = None,
        on_attempt: Callable[[PeriodicExchange, float, int, bool], object] | None = None,
        traced: bool = False,
    ) -> None:
        self.profile = profile
        self.rng = rng
        self.on_dead = on_dead
        self.on_attempt = on_attempt  # (exchange, time, attempt index, answered) when traced
        self.sent = self.acked = self.lost = self.retransmits = self.exchanges = 0
        self.deaths = 0
        self.reachable = True
        self.traced = traced  # packet by packet from the first attempt on
        self._begin(start)

    def _begin(self, first: float) -> None:
        self.base = first  # time of attempt k = 0 of the current run of successes
        self.k = 0
        self.attempt = 0
        self.state = State.UP
        self.dead_at = math.inf
        self.ok_left = self.profile.draw_successes(self.rng)

    # ----- time of the next thing that must be simulated -----------------------------

    def _cursor(self) -> float:
        return self.base + self.k * self.profile.period

    def get_timer(self) -> float | None:
        if self.state is State.DEAD:
            return None
        if self.state is State.TIMING_OUT:
            return self.dead_at
        if self.traced or not self.reachable or self.ok_left == 0:
            return self._cursor()
        if self.ok_left == math.inf:
            return None
        return self.base + (self.k + self.ok_left) * self.profile.period

    def handle_timer(self, now: float) -> None:
        """Simulate everything due at or before `now`."""
        while True:
            t = self.get_timer()
            if t is None or t > now:
                return
            if self.state is State.TIMING_OUT:
                self.state = State.DEAD
                self.deaths += 1
                if self.on_dead is not None:
                    self.on_dead(self, t)
                return
            if self.traced or not self.reachable or self.ok_left == 0:
                self._one_attempt(t)
            else:  # skip ahead over the successful run, then the lost attempt
                self._fold(int(self.ok_left))
                self._one_attempt(self._cursor())

    def _fold(self, n: int) -> None:
        if n <= 0:
            return
        self.sent += n
        self.acked += n
        self.exchanges += n
        if self.attempt:
            self.retransmits += 1
            self.attempt = 0
        self.k += n
        self.ok_left -= n

    def _one_attempt(self, t: float) -> None:
        retry = self.attempt > 0
        self.sent += 1
        if retry:
            self.retransmits += 1
        if self.reachable and self.ok_left > 0:
            self.acked += 1
            self.exchanges += 1
            self.ok_left -= 1
            self.k += 1
            answered, index = True, self.attempt
            self.attempt = 0
        else:
            self.lost += 1
            answered, index = False, self.attempt
            if self.reachable:
                self.ok_left = self.profile.draw_successes(self.rng)
            if self.attempt < self.profile.retries:
                self.attempt += 1
                self.base, self.k = t + self.profile.retry_gap, 0
            else:
                self.state = State.TIMING_OUT
                self.dead_at = t + self.profile.retry_gap
        if self.traced and self.on_attempt is not None:
            self.on_attempt(self, t, index, answered)

    def _successes_until(self, now: float) -> int:
        """Successful attempts of the pending run with time <= now (not yet counted)."""
        if self.state is not State.UP or not self.reachable or self.ok_left == 0:
            return 0
        base, period, k = self.base, self.profile.period, self.k
        if now < base + k * period:
            return 0
        j = math.floor((now - base) / period)
        while base + (j + 1) * period <= now:  # the same float formula as get_timer
            j += 1
        while j >= k and base + j * period > now:
            j -= 1
        n = j - k + 1
        return int(min(n, self.ok_left)) if n > 0 else 0

    # ----- reading ----------------------------------------------------------------------

    def counters(self, now: float) -> ExchangeCounters:
        """Counters at lab time `now` (derived; assumes events before `now` were handled)."""
        n = self._successes_until(now)
        return ExchangeCounters(
            sent=self.sent + n,
            acked=self.acked + n,
            lost=self.lost,
            retransmits=self.retransmits + (1 if n and self.attempt else 0),
            exchanges=self.exchanges + n,
            deaths=self.deaths,
        )

    # ----- control (call sync(now)-style methods at the current lab time) ---------------

    def sync(self, now: float) -> None:
        """Account for everything up to `now` (both modes end in the same state)."""
        self.handle_timer(now)
        self._fold(self._successes_until(now))

    def materialize(self, now: float) -> None:
        """Switch to packet-by-packet (every attempt is an event, `on_attempt` sees it).
        Reschedule the engine afterwards."""
        self.sync(now)
        self.traced = True

    def dematerialize(self, now: float) -> None:
        """Back to derived counters (one event per loss). Reschedule afterwards."""
        self.sync(now)
        self.traced = False

    def set_reachable(self, reachable: bool, now: float) -> None:
        """The peer stops (or resumes) answering from `now` on. Reschedule afterwards."""
        self.sync(now)
        self.reachable = reachable

    def restart(self, now: float, first: float | None = None) -> None:
        """New tunnel after a death: first request at `first` (default now + period)."""
        self.sync(now)
        self.reachable = True
        self._begin(now + self.profile.period if first is None else first)
