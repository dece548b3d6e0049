"""One back-off implementation (issue 10): retransmission schedules and negotiation back-offs
are the same `Gaps` arithmetic, and the distribution and crypto-group policies count failures
with retry.BackoffTimer instead of re-implementing it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from routershell.engine import retry
from routershell.engine.backoff import Gaps
from routershell.engine.cryptogroup import CryptoGroup, CryptoGroupPolicy, Negotiate
from routershell.engine.distribution import Distribution, DistributionPolicy, Rekey
from routershell.engine.retransmit import Schedule, fixed, incremental
from routershell.engine.retry import Backoff, rekey_backoff


@given(st.lists(st.floats(0, 1e4), min_size=1, max_size=8), st.integers(1, 20))
def test_schedule_and_backoff_share_the_arithmetic(steps, n):
    s, b = Schedule(tuple(steps)), Backoff(tuple(steps))
    assert isinstance(s, Gaps) and isinstance(b, Gaps)
    if n <= len(steps):
        assert s.gap(n) == b.delay(n) == steps[n - 1]
    else:  # a retransmission schedule gives up, a back-off holds its last step
        assert s.gap(n) is None and b.delay(n) == steps[-1]


def test_named_schedules_are_gaps():
    assert isinstance(incremental(), Gaps) and isinstance(fixed(10, 2), Gaps)
    assert isinstance(rekey_backoff(), Gaps) and rekey_backoff().steps == rekey_backoff().gaps


class _Counting(retry.BackoffTimer):
    calls: list[tuple[str, float]] = []

    def failed(self, now: float) -> float:
        _Counting.calls.append(("failed", now))
        return super().failed(now)

    def succeeded(self, now: float) -> None:
        _Counting.calls.append(("succeeded", now))
        super().succeeded(now)


def test_distribution_and_cryptogroup_back_off_through_backoff_timer(monkeypatch):
    import routershell.engine.cryptogroup as cg
    import routershell.engine.distribution as dist
    monkeypatch.setattr(dist, "BackoffTimer", _Counting)
    monkeypatch.setattr(cg, "BackoffTimer", _Counting)
    _Counting.calls = []
    d = Distribution(DistributionPolicy(backoff=Backoff((5.0, 7.0))))
    d.add_module(0, "m1", 4)
    (rekey,) = [a for a in d.add_tunnel(0, "t", "10.0.0.1", "10.0.0.2") if isinstance(a, Rekey)]
    d.rekey_result(1, "t", False, rekey.attempt)
    assert d.get_timer() == 6.0
    (rekey,) = d.handle_timer(6.0)
    d.rekey_result(6, "t", False, rekey.attempt)
    assert d.get_timer() == 13.0 and d.tunnel_status("t").failures == 2
    g = CryptoGroup(CryptoGroupPolicy(reconnect=Backoff((30.0, 60.0))), "a", "b")
    g.negotiation_failed(2, "a")
    assert g.get_timer() == 32.0 and g.handle_timer(32.0) == [Negotiate("a")]
    g.tunnel_up(40, "a")
    assert _Counting.calls == [("failed", 1), ("failed", 6), ("failed", 2), ("succeeded", 40)]
