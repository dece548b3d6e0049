"""DpdState.on_ack and on_request mark the peer as heard inline (every DPD message lands there):
the same state, step by step, as calling `heard` as they did before, over random sequences of
timers, probes, acknowledgements (echoed, stale, forged), requests (new, repeated, older) and
other proof of liveness, at times that also go backwards."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routershell.engine.dpd import DpdPolicy, DpdState


class ReferenceDpd(DpdState):
    """on_ack / on_request as they were: through `heard`."""

    def on_ack(self, seq: int, now: float) -> bool:
        if seq not in self.outstanding:
            return False
        self.heard(now)
        return True

    def on_request(self, seq: int, now: float) -> bool:
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


def _state(d: DpdState) -> dict:
    out = {f.name: getattr(d, f.name) for f in dataclasses.fields(d) if f.name != "rng"}
    out["outstanding"] = set(out["outstanding"])
    return out


OPS = st.lists(st.tuples(st.sampled_from(["timer", "ack", "stale-ack", "request", "old-request",
                                          "heard", "sent"]),
                         st.integers(-3, 40)), min_size=1, max_size=60)
POLICIES = [DpdPolicy(10, 2, 2), DpdPolicy(10, 2, 2, initiate=False),
            DpdPolicy(7, 3, 1, respond=False), DpdPolicy(300, 10, 3)]


@settings(max_examples=150, deadline=None)
@given(OPS, st.sampled_from(POLICIES))
def test_inline_heard_matches_heard(ops, policy):
    fast, ref = DpdState(policy, random.Random(3), 0.0), ReferenceDpd(policy, random.Random(3), 0.0)
    now, peer = 0.0, 100
    for kind, x in ops:
        now += x / 4  # may go back a little: last_received must not
        results = []
        for d in (fast, ref):
            if kind == "timer":
                results.append(d.on_timer(now))
            elif kind == "ack":
                results.append(d.on_ack(max(d.outstanding, default=d.seq), now))
            elif kind == "stale-ack":
                results.append(d.on_ack(d.seq + 1000 + x, now))
            elif kind == "request":
                results.append(d.on_request(peer + x + 1, now))
            elif kind == "old-request":
                results.append(d.on_request(peer, now))
            elif kind == "heard":
                results.append(d.heard(now))
            else:
                results.append(d.sent((d.seq + x) & 0xFFFFFFFF))
        if kind == "request":
            peer += x + 1
        assert results[0] == results[1], (kind, results)
        assert _state(fast) == _state(ref), kind


@pytest.mark.parametrize("policy", POLICIES)
def test_answered_request_and_echoed_ack_move_the_probe(policy):
    d = DpdState(policy, random.Random(1), 0.0)
    assert d.on_request(5, 4.0) is policy.respond
    if policy.respond:
        assert d.last_received == 4.0
        assert d.next_at == (4.0 + policy.interval if policy.initiate else None)
    if policy.initiate:
        action = d.on_timer(d.next_at)
        assert action[0] == "send"
        t = d.next_at
        assert d.on_ack(action[1], t) and d.attempts == 0 and not d.outstanding
        assert d.next_at == t + policy.interval
