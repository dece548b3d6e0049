"""What happens after a whole negotiation fails: retry it, when, and when to stop.

Two policies live here, both plain data with the source of their defaults:

* `RetryPolicy` + `RetryController`: a bounded (or continuous) number of re-attempts after a
  failed phase 1 or phase 2 negotiation, triggered only by the listed failure kinds. Modelled on
  AlliedWare 2.8.1 `retryikeattempts` (seed 004): 0..16 or continuous, default 0; triggers are
  proposal rejection, authentication failure, phase 1/2 timeout, and a peer Delete of the most
  recent SA.
* `Backoff` + `BackoffTimer`: a progressive wait that grows after each failure, holds at its
  last step forever and restarts after a success. Modelled on the JunosE ISM rekey retry
  (seed 000): "starting at 1 minute and reaching a maximum interval of 60 minutes".

Both controllers are sans-IO: inputs are method calls carrying `now`, outputs are action lists,
and `get_timer()` / `handle_timer(now)` expose the one pending deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .backoff import Gaps


class RetryError(ValueError):
    """A retry or back-off policy was configured with values it cannot use."""


class Trigger(Enum):
    """Why a negotiation failed (the failure kinds a retry policy may react to)."""

    PROPOSAL_REJECTED = "proposal-rejected"
    AUTHENTICATION_FAILED = "authentication-failed"
    TIMEOUT = "timeout"
    PEER_DELETE = "peer-delete"


ALL_TRIGGERS: frozenset[Trigger] = frozenset(Trigger)

#: `RetryPolicy.attempts` value meaning "retry for ever".
CONTINUOUS: None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a failed negotiation is attempted again, and how soon.

    attempts: re-attempts after the first failure (0 = never retry), or CONTINUOUS (None).
    delay: seconds from the failure to the re-attempt; 0 means immediately, in the same call.
    max_attempts: the largest finite value a platform accepts (16 in seed 004).
    """

    attempts: int | None = 0
    delay: float = 0.0
    triggers: frozenset[Trigger] = ALL_TRIGGERS
    max_attempts: int = 16
    source: str = ""

    def __post_init__(self) -> None:
        if self.attempts is not None and not 0 <= self.attempts <= self.max_attempts:
            raise RetryError(f"retry attempts must be 0..{self.max_attempts} or continuous")
        if self.delay < 0:
            raise RetryError("retry delay must not be negative")

    @property
    def continuous(self) -> bool:
        return self.attempts is None


def negotiation_retry(attempts: int | None = 0, delay: float = 0.0) -> RetryPolicy:
    """Seed 004 (AlliedWare 2.8.1 `retryikeattempts={0..16|continuous}`): default 0, every
    trigger listed there, at most 16 finite re-attempts.

    The release note does not say how long the router waits before re-attempting; the delay is
    ours to choose and defaults to an immediate retry.
    """
    return RetryPolicy(attempts, delay, ALL_TRIGGERS, 16, "seed 004: negotiation retry 0..16 or continuous")


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retry:
    """Start the negotiation of `phase` again now (this is re-attempt number `attempt`)."""

    phase: int
    attempt: int
    trigger: Trigger


@dataclass(frozen=True)
class RetryScheduled:
    """A re-attempt will be returned by handle_timer at `at`."""

    phase: int
    attempt: int
    at: float


@dataclass(frozen=True)
class GiveUp:
    """No further re-attempt: the limit is spent (`exhausted`) or the failure is not a trigger."""

    phase: int
    attempts: int
    trigger: Trigger
    exhausted: bool


RetryAction = Retry | RetryScheduled | GiveUp


@dataclass
class RetryCounters:
    """Statistics for show commands (per-phase retry counters, as in seed 004's platform)."""

    retries_phase1: int = 0
    retries_phase2: int = 0
    give_ups: int = 0


class RetryController:
    """Counts re-attempts of one peer's negotiation and decides the next step.

    `attempts_used` counts re-attempts since the last success; `succeeded` resets it. A new
    failure while a delayed re-attempt is pending replaces that pending re-attempt.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.attempts_used = 0
        self.counters = RetryCounters()
        self._pending: tuple[float, Retry] | None = None

    # inputs ---------------------------------------------------------------------------------

    def failed(self, now: float, trigger: Trigger, phase: int = 1) -> list[RetryAction]:
        """A negotiation of `phase` (1 or 2) failed for `trigger`."""
        if phase not in (1, 2):
            raise RetryError("phase must be 1 or 2")
        self._pending = None
        if trigger not in self.policy.triggers:
            return [GiveUp(phase, self.attempts_used, trigger, exhausted=False)]
        limit = self.policy.attempts
        if limit is not None and self.attempts_used >= limit:
            self.counters.give_ups += 1
            return [GiveUp(phase, self.attempts_used, trigger, exhausted=True)]
        self.attempts_used += 1
        if phase == 1:
            self.counters.retries_phase1 += 1
        else:
            self.counters.retries_phase2 += 1
        retry = Retry(phase, self.attempts_used, trigger)
        if self.policy.delay == 0:
            return [retry]
        at = now + self.policy.delay
        self._pending = (at, retry)
        return [RetryScheduled(phase, self.attempts_used, at)]

    def peer_deleted(self, now: float, phase: int, most_recent: bool) -> list[RetryAction]:
        """The peer sent a Delete; only a Delete of the most recent SA is a retry trigger."""
        if not most_recent:
            return []
        return self.failed(now, Trigger.PEER_DELETE, phase)

    def succeeded(self, now: float) -> list[RetryAction]:
        """The negotiation completed: the count starts again and any pending retry is dropped."""
        self.attempts_used = 0
        self._pending = None
        return []

    def cancel(self) -> None:
        """Drop a pending re-attempt (the policy or peer was removed)."""
        self._pending = None

    # timer ----------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        return self._pending[0] if self._pending else None

    def handle_timer(self, now: float) -> list[RetryAction]:
        if self._pending is None or now < self._pending[0]:
            return []
        retry = self._pending[1]
        self._pending = None
        return [retry]

    @property
    def remaining(self) -> int | None:
        """Re-attempts left before giving up (None = continuous)."""
        if self.policy.attempts is None:
            return None
        return self.policy.attempts - self.attempts_used


# --- progressive back-off ---------------------------------------------------------------------


@dataclass(frozen=True, init=False)
class Backoff(Gaps):
    """Waits in seconds after the 1st, 2nd, ... consecutive failure; the last step repeats
    (a `Gaps` with hold=True, the same arithmetic as a retransmission `Schedule`)."""

    def __init__(self, steps: tuple[float, ...] | list[float], source: str = "") -> None:
        super().__init__(tuple(steps), source, True)
        self.__post_init__()

    def __post_init__(self) -> None:
        if not self.gaps or any(s < 0 for s in self.gaps):
            raise RetryError("a back-off needs at least one non-negative step")

    @property
    def steps(self) -> tuple[float, ...]:
        return self.gaps

    def delay(self, failures: int) -> float:
        """Wait after `failures` consecutive failures (1 = the first failure)."""
        if failures < 1:
            raise RetryError("failures counts from 1")
        d = self.gap(failures)
        assert d is not None  # hold=True: never past the end
        return d

    def sequence(self, n: int) -> list[float]:  # type: ignore[override]
        return [self.delay(k) for k in range(1, n + 1)]


def doubling(first: float, cap: float, source: str = "") -> Backoff:
    """first, 2*first, 4*first, ... while below cap, then cap for ever."""
    if first <= 0 or cap < first:
        raise RetryError("doubling back-off needs 0 < first <= cap")
    steps: list[float] = []
    s = float(first)
    while s < cap:
        steps.append(s)
        s *= 2
    steps.append(float(cap))
    return Backoff(tuple(steps), source)


def rekey_backoff() -> Backoff:
    """1, 2, 4, 8, 16, 32, 60, 60, ... minutes: the default wait between failed rekeys.

    JunosE ISM overview (seed 000) gives only the ends: starts at 1 minute, grows after each
    failed rekey, holds at 60 minutes indefinitely, restarts after a success. The doubling in
    between is our documented model (RFC 2408/2409 and strongSwan's documented retransmission defaults, the JunosE IPSec Service Module documentation, marked [U]).
    """
    return doubling(60, 3600, "seed 000: 1 min growing to 60 min; intermediate steps are our model")


@dataclass(frozen=True)
class BackoffRetry:
    """Try again now (after `failures` consecutive failures)."""

    failures: int


class BackoffTimer:
    """One progressive back-off: failure -> wait grows; success -> pattern restarts. The only
    failure counter over a `Backoff`: the distribution and crypto-group policies keep one per
    tunnel instead of counting themselves."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff
        self.failures = 0
        self.next_attempt: float | None = None

    def failed(self, now: float) -> float:
        """Record a failure; returns the absolute time of the next attempt."""
        self.failures += 1
        self.next_attempt = now + self.backoff.delay(self.failures)
        return self.next_attempt

    def succeeded(self, now: float) -> None:
        self.failures = 0
        self.next_attempt = None

    def get_timer(self) -> float | None:
        return self.next_attempt

    def handle_timer(self, now: float) -> list[BackoffRetry]:
        if self.next_attempt is None or now < self.next_attempt:
            return []
        self.next_attempt = None
        return [BackoffRetry(self.failures)]


__all__ = [
    "ALL_TRIGGERS",
    "CONTINUOUS",
    "Backoff",
    "BackoffRetry",
    "BackoffTimer",
    "GiveUp",
    "Retry",
    "RetryAction",
    "RetryController",
    "RetryCounters",
    "RetryError",
    "RetryPolicy",
    "RetryScheduled",
    "Trigger",
    "doubling",
    "negotiation_retry",
    "rekey_backoff",
]
