"""Service-module distribution, module loss, rekey timing and back-off (seed 000)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routershell.engine.distribution import (
    Assigned,
    Distribution,
    DistributionError,
    NotPresent,
    Rekey,
    RekeyScheduled,
    TunnelOpState,
    apportion,
)

MIN = 60.0
LOW, HIGH = "10.0.0.1", "10.0.0.9"


def bring_up(d, actions, now):
    for a in actions:
        if isinstance(a, Rekey):
            d.rekey_result(now, a.tunnel, True, a.attempt)


def test_initial_spread_is_proportional_to_free_capacity():
    d = Distribution()
    d.add_module(0, "m1", 100)
    d.add_module(0, "m2", 50)
    out = d.add_tunnels(0, [(f"t{i}", LOW, HIGH) for i in range(30)])
    assert d.module_load() == {"m1": 20, "m2": 10}
    assert sum(isinstance(a, Rekey) for a in out) == 30  # new tunnels negotiate at once
    bring_up(d, out, 1)
    assert all(t.state is TunnelOpState.UP for t in d.tunnels())


@pytest.mark.parametrize(
    "local,remote,expect_wait",
    [(LOW, HIGH, 0.0), (HIGH, LOW, 180.0), ("10.0.0.1", "2001:db8::1", 0.0)],
)
def test_module_loss_rekey_timing_by_address_order(local, remote, expect_wait, run_timers):
    d = Distribution()
    d.add_module(0, "m1", 1)
    bring_up(d, d.add_tunnel(0, "t", local, remote), 0)
    d.add_module(0, "m2", 1)
    out = d.module_failed(1000, "m1")
    assert out[:2] == [NotPresent("t", "m1"), Assigned("t", "m2")]
    if expect_wait == 0:
        assert out[2] == Rekey("t", "m2", 2)
        assert d.get_timer() is None
    else:
        assert out[2] == RekeyScheduled("t", 1180.0)
        st_ = d.tunnel_status("t")
        assert (st_.state, st_.module, st_.next_attempt) == (TunnelOpState.DOWN, "m2", 1180.0)
        assert run_timers(d, 1179.9) == []
        assert run_timers(d, 1180) == [(1180.0, Rekey("t", "m2", 2))]
    d.rekey_result(1200, "t", True, 2)
    assert d.tunnel_status("t").state is TunnelOpState.UP


def test_failed_rekeys_back_off_then_reset_on_success(run_timers):
    d = Distribution()
    d.add_module(0, "m1", 1)
    d.add_module(0, "m2", 1)
    bring_up(d, d.add_tunnel(0, "t", LOW, HIGH), 0)
    home = d.tunnel_status("t").module
    now = 100.0
    rekey = [a for a in d.module_failed(now, home) if isinstance(a, Rekey)][0]
    waits = []
    for _ in range(8):
        (sched,) = d.rekey_result(now, "t", False, rekey.attempt)
        waits.append((sched.at - now) / MIN)
        assert d.tunnel_status("t").next_attempt == sched.at
        ((t, rekey),) = run_timers(d, sched.at)
        assert t == sched.at
        now = t
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    d.rekey_result(now, "t", True, rekey.attempt)
    assert d.tunnel_status("t").failures == 0
    # the pattern starts again at 1 minute
    (rk,) = d.tunnel_down(now + 10, "t")
    (sched,) = d.rekey_result(now + 11, "t", False, rk.attempt)
    assert sched.at - (now + 11) == MIN


def test_no_free_module_stays_not_present_until_restored():
    d = Distribution()
    d.add_module(0, "m1", 2)
    d.add_module(0, "m2", 2)
    out = d.add_tunnels(0, [("a", LOW, HIGH), ("b", HIGH, LOW), ("c", LOW, HIGH), ("d", LOW, HIGH)])
    bring_up(d, out, 0)
    out = d.module_failed(10, "m1")
    lost = {a.tunnel for a in out if isinstance(a, NotPresent)}
    assert len(lost) == 2 and not any(isinstance(a, Assigned) for a in out)
    for tid in lost:
        s = d.tunnel_status(tid)
        assert s.state is TunnelOpState.NOT_PRESENT and s.module is None
    assert d.module_load() == {"m1": 0, "m2": 2}
    out = d.module_restored(50, "m1")
    assert {a.tunnel for a in out if isinstance(a, Assigned)} == lost
    assert d.module_load() == {"m1": 2, "m2": 2}
    for tid in lost:
        assert d.tunnel_status(tid).state is TunnelOpState.DOWN


def test_uneven_after_restore_and_removing_frees_room():
    d = Distribution()
    for m in ("m1", "m2", "m3"):
        d.add_module(0, m, 4)
    bring_up(d, d.add_tunnels(0, [(f"t{i}", LOW, HIGH) for i in range(6)]), 0)
    assert d.module_load() == {"m1": 2, "m2": 2, "m3": 2}
    d.module_failed(5, "m1")
    assert d.module_load() == {"m1": 0, "m2": 3, "m3": 3}
    d.module_restored(6, "m1")
    assert d.module_load() == {"m1": 0, "m2": 3, "m3": 3}  # nothing moves back


def test_stale_rekey_result_is_ignored():
    d = Distribution()
    d.add_module(0, "m1", 1)
    d.add_module(0, "m2", 1)
    (_, rk) = d.add_tunnel(0, "t", LOW, HIGH)
    d.module_failed(1, rk.module)
    assert d.rekey_result(2, "t", True, rk.attempt) == []
    assert d.tunnel_status("t").state is TunnelOpState.DOWN


def test_bad_input():
    d = Distribution()
    with pytest.raises(DistributionError):
        d.add_tunnel(0, "t", "not-an-ip", LOW)
    with pytest.raises(DistributionError):
        d.module_failed(0, "m9")
    d.add_module(0, "m1", 1)
    with pytest.raises(DistributionError):
        d.add_module(0, "m1", 1)
    d.add_tunnel(0, "t", LOW, HIGH)
    with pytest.raises(DistributionError):
        d.add_tunnel(0, "t", LOW, HIGH)


@given(st.integers(0, 500), st.lists(st.integers(0, 100), min_size=1, max_size=8))
def test_apportion_is_proportional_and_bounded(n, free):
    shares = apportion(n, free)
    total = sum(free)
    assert sum(shares) == min(n, total)
    for s, f in zip(shares, free, strict=True):
        assert 0 <= s <= f
        if total:
            exact = min(n, total) * f / total
            assert abs(s - exact) < 1


ops = st.lists(
    st.one_of(
        st.tuples(st.just("fail"), st.integers(0, 3)),
        st.tuples(st.just("restore"), st.integers(0, 3)),
        st.tuples(st.just("add"), st.integers(1, 6)),
        st.tuples(st.just("remove"), st.integers(0, 50)),
        st.tuples(st.just("result"), st.booleans()),
        st.tuples(st.just("tick"), st.floats(0, 7200)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=4, max_size=4), ops)
def test_invariants_under_random_events(run_timers, caps, events):
    d = Distribution()
    for i, c in enumerate(caps):
        d.add_module(0, f"m{i}", c)
    now, n = 0.0, 0
    pending: list[Rekey] = []
    for kind, arg in events:
        now += 1
        if kind == "fail":
            out = d.module_failed(now, f"m{arg}")
        elif kind == "restore":
            out = d.module_restored(now, f"m{arg}")
        elif kind == "add":
            specs = [(f"t{n + k}", LOW if k % 2 else HIGH, HIGH if k % 2 else LOW) for k in range(arg)]
            n += arg
            out = d.add_tunnels(now, specs)
        elif kind == "remove":
            ids = [t.tunnel for t in d.tunnels()]
            out = d.remove_tunnel(now, ids[arg % len(ids)]) if ids else []
        elif kind == "result":
            out = d.rekey_result(now, pending.pop(0).tunnel, arg) if pending else []
        else:
            now += arg
            out = run_timers(d, now)
            out = [a for _, a in out]
        pending += [a for a in out if isinstance(a, Rekey)]

        mods = {m.module: m for m in d.modules()}
        seen: dict[str, str] = {}
        for m in mods.values():
            assert m.load <= m.capacity
            if not m.present:
                assert m.load == 0
        for t in d.tunnels():
            assert (t.module is None) == (t.state is TunnelOpState.NOT_PRESENT)
            if t.module is not None:
                assert mods[t.module].present
                assert t.tunnel not in seen
                seen[t.tunnel] = t.module
            if t.next_attempt is not None:
                assert t.next_attempt >= now - 7200 and not t.rekeying
        assert sum(m.load for m in mods.values()) == len(seen)
        # nobody is left out while a present module still has room
        if any(m.free > 0 for m in mods.values()):
            assert all(t.state is not TunnelOpState.NOT_PRESENT for t in d.tunnels())
