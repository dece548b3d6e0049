"""Primary/backup gateway failover timeline (seed 001) on a fake `now`."""

import heapq
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routershell.engine.failover import (
    Activated,
    ClearSas,
    FailoverController,
    FailoverError,
    FailoverPolicy,
    GaveUp,
    Negotiate,
    PeerDeclaredDead,
    Reverted,
    Role,
    SendDpdHello,
    TunnelState,
)
from routershell.engine.retransmit import fixed

P, B = "10.0.0.2", "10.0.0.3"


def up_at(t, policy=None, backup=B):
    ctl = FailoverController(policy or FailoverPolicy(), P, backup)
    assert ctl.start(t) == [Negotiate(P)]
    assert ctl.status().tunnels[0].state is TunnelState.NEGOTIATING
    ctl.tunnel_up(t, P)
    return ctl


def test_flagged_at_first_poll_then_hellos_then_dead_then_failover(run_timers):
    ctl = up_at(0.0)
    log = run_timers(ctl, 30)
    assert log[:6] == [
        (10, SendDpdHello(P, 1)),
        (12, SendDpdHello(P, 2)),
        (14, SendDpdHello(P, 3)),
        (16, PeerDeclaredDead(P)),
        (16, ClearSas(P)),
        (16, Activated(B, Role.BACKUP)),
    ]
    assert log[6] == (16, Negotiate(B))
    assert len(log) == 7  # nothing more: backup is negotiating, not polled
    st_ = ctl.status()
    assert (st_.active, st_.active_role, st_.failovers) == (B, Role.BACKUP, 1)
    assert {t.gateway: t.state for t in st_.tunnels} == {
        P: TunnelState.STANDBY,
        B: TunnelState.NEGOTIATING,
    }


def test_poll_phase_decides_10_or_20_seconds(run_timers):
    # traffic at 0.5: the 10 s poll sees 9.5 s of silence, the 20 s poll flags it
    ctl = up_at(0.0)
    ctl.traffic_received(0.5)
    log = run_timers(ctl, 26)
    assert [(t, a) for t, a in log if isinstance(a, SendDpdHello)] == [
        (20, SendDpdHello(P, 1)),
        (22, SendDpdHello(P, 2)),
        (24, SendDpdHello(P, 3)),
    ]
    assert (26, PeerDeclaredDead(P)) in log
    # polls at 5, 15, 25: last packet at 0 is flagged at 15
    ctl = up_at(0.0, FailoverPolicy(poll_phase=5.0))
    assert run_timers(ctl, 15)[0] == (15, SendDpdHello(P, 1))


@given(st.floats(0, 9.999), st.floats(0, 1000))
def test_detection_is_10_to_20_s_after_last_packet(run_timers, phase, last):
    ctl = up_at(0.0, FailoverPolicy(poll_phase=phase))
    ctl.traffic_received(last)
    t, first = run_timers(ctl, last + 40)[0]
    assert first == SendDpdHello(P, 1)
    assert 10 <= t - last < 20 + 1e-6
    assert (t - phase) / 10 == pytest.approx(round((t - phase) / 10))


def test_ack_ends_probe_but_is_not_traffic_seed_001(run_timers):
    ctl = up_at(0.0)
    assert not ctl.policy.ack_is_traffic
    assert run_timers(ctl, 12) == [(10, SendDpdHello(P, 1)), (12, SendDpdHello(P, 2))]
    ctl.dpd_ack(13, P)
    assert not ctl.probing and ctl.status().hellos_sent == 0
    assert ctl.status().last_received == 0.0  # the inactivity clock still runs from 0
    # next poll (20) finds 20 s without traffic: a new hello at once, not at 30
    assert run_timers(ctl, 20) == [(20, SendDpdHello(P, 1))]
    ctl.dpd_ack(21, B)  # an ACK from the standby gateway does not end the probe
    assert ctl.probing


def test_ack_or_traffic_during_probe_cancels_it(run_timers):
    ctl = up_at(0.0, FailoverPolicy(ack_is_traffic=True))
    assert run_timers(ctl, 12) == [(10, SendDpdHello(P, 1)), (12, SendDpdHello(P, 2))]
    ctl.dpd_ack(13)
    assert not ctl.probing and ctl.status().hellos_sent == 0
    # silence again from 13: poll at 20 sees 7 s, poll at 30 flags
    assert run_timers(ctl, 30) == [(30, SendDpdHello(P, 1))]
    ctl.traffic_received(31, P)
    assert run_timers(ctl, 40.5) == []
    assert ctl.status().active == P


def test_backup_timeout_switches_back_and_six_failovers_then_revert(run_timers):
    ctl = up_at(0.0)
    run_timers(ctl, 16)
    now = 16.0
    for n in range(1, 7):
        assert ctl.status().failovers == n and ctl.active == B
        now += 30
        out = ctl.negotiation_timeout(now, B)
        if n < 6:
            assert out == [Activated(P, Role.PRIMARY), Negotiate(P)]
            now += 30
            assert ctl.negotiation_timeout(now, P) == [Activated(B, Role.BACKUP), Negotiate(B)]
        else:
            assert out == [GaveUp(6), Reverted(P, B)]
    s = ctl.status()
    assert s.halted and s.active == P and s.active_role is Role.PRIMARY
    assert {t.gateway: t.state for t in s.tunnels} == {P: TunnelState.DOWN, B: TunnelState.STANDBY}
    assert s.total_failovers == 6 and s.switchbacks == 5
    # stopped: a further primary timeout does not fail over
    assert ctl.negotiation_timeout(now + 30, P) == []
    assert ctl.active == P and ctl.get_timer() is None
    # the primary comes back: counters reset, monitoring resumes, failover re-armed
    ctl.tunnel_up(now + 60, P)
    s = ctl.status()
    assert not s.halted and s.failovers == 0 and s.tunnels[0].state is TunnelState.ACTIVE
    assert ctl.get_timer() is not None


def test_phase1_timeout_of_primary_fails_over_without_clear():
    ctl = FailoverController(FailoverPolicy(), P, B)
    ctl.start(0)
    assert ctl.negotiation_timeout(30, P) == [Activated(B, Role.BACKUP), Negotiate(B)]
    assert ctl.negotiation_timeout(30, P) == []  # primary is standby now: ignored


def test_backup_up_then_dead_switches_back_to_primary(run_timers):
    ctl = up_at(0.0)
    run_timers(ctl, 16)
    ctl.tunnel_up(20, B)
    assert ctl.status().failovers == 0
    log = run_timers(ctl, 36)
    assert [a for _, a in log] == [
        SendDpdHello(B, 1),
        SendDpdHello(B, 2),
        SendDpdHello(B, 3),
        PeerDeclaredDead(B),
        ClearSas(B),
        Activated(P, Role.PRIMARY),
        Negotiate(P),
    ]
    assert [t for t, _ in log][0] == 30 and log[-1][0] == 36


def test_external_detection_mode_has_no_timers(run_timers):
    ctl = up_at(0.0, FailoverPolicy(detect=False))
    assert ctl.get_timer() is None
    assert run_timers(ctl, 1000) == []
    assert ctl.peer_dead(500, B) == []  # standby peer: nothing to do
    assert ctl.peer_dead(500, P) == [
        PeerDeclaredDead(P),
        ClearSas(P),
        Activated(B, Role.BACKUP),
        Negotiate(B),
    ]


def test_external_poll_call():
    ctl = up_at(0.0, FailoverPolicy(detect=False))
    assert ctl.poll(9.9) == []
    assert ctl.poll(10) == [SendDpdHello(P, 1)]
    assert ctl.get_timer() == 12


def test_dpd_without_backup_only_clears_sas(run_timers):
    ctl = up_at(0.0, backup=None)
    log = run_timers(ctl, 100)
    assert log == [
        (10, SendDpdHello(P, 1)),
        (12, SendDpdHello(P, 2)),
        (14, SendDpdHello(P, 3)),
        (16, PeerDeclaredDead(P)),
        (16, ClearSas(P)),
    ]
    s = ctl.status()
    assert s.active == P and s.failovers == 0 and s.tunnels[0].state is TunnelState.DOWN
    assert ctl.negotiation_timeout(200, P) == []
    with pytest.raises(FailoverError):
        ctl.manual_switch(200)


def test_manual_switch_both_ways():
    ctl = up_at(0.0)
    assert ctl.manual_switch(5) == [ClearSas(P), Activated(B, Role.BACKUP, manual=True), Negotiate(B)]
    assert ctl.status().failovers == 0 and ctl.get_timer() is None
    ctl.tunnel_up(6, B)
    assert ctl.manual_switch(7) == [
        ClearSas(B),
        Activated(P, Role.PRIMARY, manual=True),
        Negotiate(P),
    ]


def test_custom_probe_schedule_from_retransmit(run_timers):
    ctl = up_at(0.0, FailoverPolicy(probe=fixed(5, 3)))
    log = run_timers(ctl, 100)
    assert [t for t, a in log if isinstance(a, SendDpdHello)] == [10, 15, 20, 25]
    assert (30, PeerDeclaredDead(P)) in log


def test_bad_configuration():
    with pytest.raises(FailoverError):
        FailoverController(FailoverPolicy(), P, P)
    with pytest.raises(FailoverError):
        FailoverPolicy(poll_interval=0)
    with pytest.raises(FailoverError):
        up_at(0).tunnel_up(1, "192.0.2.1")


def test_late_timer_does_not_drift():
    ctl = up_at(0.0)
    out = ctl.handle_timer(10.7)  # the runtime woke late for the 10 s poll
    assert out == [SendDpdHello(P, 1)]
    assert ctl.get_timer() == pytest.approx(12.7)
    ctl.handle_timer(13.5)
    assert ctl.get_timer() == pytest.approx(14.7)


def test_many_controllers_on_one_heap_fail_over_on_time():
    rng = random.Random(7)
    ctls, expect = [], []
    for _ in range(500):
        phase = rng.choice([0.0, 2.5, 7.0])
        c = up_at(0.0, FailoverPolicy(poll_phase=phase))
        last = rng.uniform(0, 30)
        c.traffic_received(last)
        # first poll at phase + 10k that is >= last + 10, then hello + 6 s
        k = 0
        while phase + 10 * k < last + 10:
            k += 1
        ctls.append(c)
        expect.append(phase + 10 * k + 6)
    heap = [(c.get_timer(), i) for i, c in enumerate(ctls)]
    heapq.heapify(heap)
    got = {}
    while heap:
        t, i = heapq.heappop(heap)
        c = ctls[i]
        if c.get_timer() != t:
            continue
        for a in c.handle_timer(t):
            if isinstance(a, Activated):
                got[i] = t
        if (nxt := c.get_timer()) is not None:
            heapq.heappush(heap, (nxt, i))
    assert [got[i] for i in range(len(ctls))] == pytest.approx(expect)
