"""RFC 3706 Dead Peer Detection: policy and the per-IKE-SA probe state machine.

Public API
----------
- `DpdPolicy(interval=10, retry_interval=2, retries=5, initiate=True, respond=True)`:
  probe after `interval` s without anything received; resend every `retry_interval` s;
  after `retries` unanswered resends (and one more retry interval) the peer is dead.
- `DpdState(policy, rng, now)`: `heard(now)` (any proof of liveness), `deadline()`,
  `on_timer(now) -> ("send", seq, attempt) | ("dead", probes) | None`,
  `on_ack(seq, now) -> bool` (only an echo of an outstanding seq counts),
  `on_request(seq, now) -> bool` (whether to answer an R-U-THERE).
- `DPD_VENDOR_ID`: the 16-byte vendor ID both sides must send for DPD to be used.

Like strongSwan and libreswan each resend carries a new sequence number; the own counter starts
random with the top bit clear. The timeline for interval 10, retries 2, retry_interval 2 after the
last packet at t=0: probes at 10, 12, 14, dead at 16.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .constants import DPD_VENDOR_ID

__all__ = ["DPD_VENDOR_ID", "DpdPolicy", "DpdState"]


@dataclass(frozen=True)
class DpdPolicy:
    interval: float = 10.0
    retry_interval: float = 2.0
    retries: int = 5
    initiate: bool = True
    respond: bool = True


# R-U-THERE numbers awaiting an ACK that are remembered (the newest ones; older ACKs are stale)
OUTSTANDING_KEPT = 16


@dataclass
class DpdState:
    policy: DpdPolicy
    rng: random.Random
    now: float
    seq: int = 0
    last_received: float = 0.0
    outstanding: set[int] = field(default_factory=set)
    attempts: int = 0  # probes sent in the current round (0 = idle, no probe out)
    next_at: float | None = None
    last_peer_seq: int | None = None
    duplicates: int = 0

    def __post_init__(self) -> None:
        self.seq = self.rng.getrandbits(31) or 1  # top bit clear: room to grow
        self.last_received = self.now
        self._schedule_idle()

    def _schedule_idle(self) -> None:
        self.attempts = 0
        self.outstanding.clear()
        self.next_at = self.last_received + self.policy.interval if self.policy.initiate else None

    def sent(self, seq: int) -> None:
        """An R-U-THERE numbered `seq` went out (on the timer or on demand, `IkeEndpoint.probe`).
        Only the last few are remembered: a peer that never answers must not make the set
        grow with every probe of a long run."""
        self.outstanding.add(seq)
        if len(self.outstanding) > OUTSTANDING_KEPT:
            # the oldest: furthest behind `seq` in 32-bit sequence space (numbers wrap)
            self.outstanding.discard(max(self.outstanding, key=lambda s: (seq - s) & 0xFFFFFFFF))

    def heard(self, now: float) -> None:
        if now > self.last_received:
            self.last_received = now
        # _schedule_idle, inline: every DPD message and every inbound ESP packet lands here
        self.attempts = 0
        if self.outstanding:
            self.outstanding.clear()
        p = self.policy
        self.next_at = self.last_received + p.interval if p.initiate else None

    def deadline(self) -> float | None:
        return self.next_at

    def on_timer(self, now: float) -> tuple | None:
        if self.next_at is None or now < self.next_at:
            return None
        if self.attempts > self.policy.retries:
            self.next_at = None
            return ("dead", self.attempts)
        seq = self.seq = (self.seq + 1) & 0xFFFFFFFF
        out = self.outstanding
        out.add(seq)
        if len(out) > OUTSTANDING_KEPT:
            self.sent(seq)  # drops the oldest
        self.attempts += 1
        self.next_at = now + self.policy.retry_interval
        return ("send", self.seq, self.attempts)

    def on_ack(self, seq: int, now: float) -> bool:
        if seq not in self.outstanding:
            return False  # stale or forged: the sender drops it (strongSwan, isakmpd)
        self.heard(now)
        return True

    def on_request(self, seq: int, now: float) -> bool:
        """R-U-THERE received: liveness, and answer unless answering is disabled.

        Like libreswan, repeated old numbers are answered a few times and then ignored."""
        if not self.policy.respond:
            return False
        if self.last_peer_seq is not None and seq <= self.last_peer_seq:
            self.duplicates += 1
            if self.duplicates > 3:
                return False
        else:
            self.duplicates = 0
            self.last_peer_seq = seq
        self.heard(now)
        return True
