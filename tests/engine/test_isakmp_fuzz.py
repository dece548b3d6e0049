"""The ISAKMP fuzzer in the suite: fixed seeds, a budget that fits CI (issue 18). At scale:
scripts/fuzz_isakmp.py."""

from __future__ import annotations

from .isakmp_fuzz import run


def test_mutated_datagrams_mid_negotiation_never_escape_and_protected_ones_never_derail():
    res = run(seed=18, rounds=80, protected_only=True)
    assert res.failures == []
    assert res.rounds == res.completed == 80
    assert res.mutated > 1000


def test_mutations_of_any_datagram_never_escape():
    res = run(seed=10, rounds=60)
    assert res.failures == []  # no exception, no internal error, no unexplained derailment
    assert res.rounds == 60 and res.mutated > 800
    assert res.completed + res.derailed == 60 and res.completed > 30
