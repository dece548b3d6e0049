"""Seed 001 failover through real IKE datagrams: DPD hellos on the global poll, failover to the
backup, switch back, six failovers then revert, manual switch, initiate-dead-peer-detection."""

from __future__ import annotations

from routershell.engine import failover as fo
from routershell.engine.events import Phase2Up

from .helpers import BACKUP, PRIMARY, device, peer_spec, spec


def record(dev, world):
    log = []
    dev.tunnels.subscribe(lambda name, ev: log.append((round(world.now(), 3), name, ev)))
    return log


def actions(log, kind):
    return [(t, a) for t, _, a in log if isinstance(a, kind)]


async def test_idle_tunnel_gets_a_hello_at_every_poll_and_an_ack_is_not_traffic(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    world.add_peer(peer_spec("p2", BACKUP))
    log = record(dev, world)
    dev.tunnels.apply([spec(backup=BACKUP)], world.now())
    await world.wait_settled(5)
    assert dev.tunnels.tunnels()[0].state == "up"
    await world.clock.advance(45)
    hellos = [t for t, a in actions(log, fo.SendDpdHello)]
    # up at ~0.02: the poll at 10 s finds < 10 s of silence; 20, 30, 40 find the tunnel idle
    # (the ACK of the previous hello does not count as traffic)
    assert hellos == [20.0, 30.0, 40.0]
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up" and st.active_gateway == PRIMARY and st.role == "primary"
    assert not actions(log, fo.PeerDeclaredDead)


async def test_peer_down_dpd_declares_dead_and_fails_over_at_seed_001_seconds(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    backup = world.add_peer(peer_spec("p2", BACKUP))
    log = record(dev, world)
    dev.tunnels.apply([spec(backup=BACKUP)], world.now())
    await world.clock.advance(25)
    world.peer_down(PRIMARY)  # silent: no Delete
    await world.clock.advance(15)  # to t=40
    hellos = [(t, a.attempt) for t, a in actions(log, fo.SendDpdHello) if t > 25]
    assert hellos == [(30.0, 1), (32.0, 2), (34.0, 3)]  # hello + 2 retries at 2 s
    assert [t for t, _ in actions(log, fo.PeerDeclaredDead)] == [36.0]  # hello + 6 s
    act = actions(log, fo.Activated)
    assert [(t, a.gateway, a.role) for t, a in act] == [(36.0, BACKUP, fo.Role.BACKUP)]
    ups = [(t, e.peer[0]) for t, _, e in log if isinstance(e, Phase2Up)]
    assert ups[-1][1] == BACKUP and 36.0 < ups[-1][0] < 36.1
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway, st.role) == ("up", BACKUP, "backup")
    assert st.failover.total_failovers == 1
    assert backup.established()
    # fail-back is never automatic: the primary returns, we stay on the backup
    world.peer_up(PRIMARY)
    await world.clock.advance(120)
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway) == ("up", BACKUP)
    # manual switch only
    assert dev.tunnels.switch("192.0.2.1", BACKUP, world.now())
    await world.wait_settled(10)
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway, st.role) == ("up", PRIMARY, "primary")


async def test_backup_timeout_switches_back_to_primary(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    world.add_peer(peer_spec("p2", BACKUP, reachable=False))
    log = record(dev, world)
    dev.tunnels.apply([spec(backup=BACKUP)], world.now())
    await world.clock.advance(25)
    world.peer_down(PRIMARY)
    await world.clock.advance(40)  # dead at 36; backup negotiation times out at 66
    world.peer_up(PRIMARY)
    await world.clock.advance(10)
    act = [(t, a.gateway) for t, a in actions(log, fo.Activated)]
    assert act == [(36.0, BACKUP), (66.0, PRIMARY)]
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway) == ("up", PRIMARY)


async def test_both_down_six_failovers_then_revert(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec(reachable=False))
    world.add_peer(peer_spec("p2", BACKUP, reachable=False))
    log = record(dev, world)
    dev.tunnels.apply([spec(backup=BACKUP)], world.now())
    await world.clock.advance(600)
    act = [(t, a.gateway) for t, a in actions(log, fo.Activated)]
    # phase 1 times out every 30 s: P->B (1), B->P, P->B (2), ... P->B (6) at 330
    to_backup = [t for t, g in act if g == BACKUP]
    assert to_backup == [30.0, 90.0, 150.0, 210.0, 270.0, 330.0]
    assert len(act) == 11  # 6 failovers + 5 switch-backs, no 7th failover
    gave = actions(log, fo.GaveUp)
    assert [(t, a.failovers) for t, a in gave] == [(360.0, 6)]
    assert [(t, a.primary, a.backup) for t, a in actions(log, fo.Reverted)] == [(360.0, PRIMARY, BACKUP)]
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway, st.role) == ("down", PRIMARY, "primary")
    assert st.ipsec_sas == [] and st.failover.halted
    assert world.settled()
    # a tunnel coming up resets the count
    world.peer_up(PRIMARY)
    dev.tunnels.clear_ipsec(None, world.now())  # immediately: renegotiates now
    await world.wait_settled(10)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up" and st.failover.failovers == 0 and not st.failover.halted


async def test_initiate_dead_peer_detection_without_backup_clears_sas(mock_clock, world):
    dev = device(world)
    peer = world.add_peer(peer_spec())
    log = record(dev, world)
    dev.tunnels.apply([spec(dpd_initiate=True)], world.now())
    await world.clock.advance(25)
    world.peer_down(PRIMARY)
    await world.clock.advance(15)
    assert [t for t, _ in actions(log, fo.PeerDeclaredDead)] == [36.0]
    assert not actions(log, fo.Activated)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "down" and st.ike_sa is None and st.ipsec_sas == []
    assert dev.tunnels.endpoint("192.0.2.1").sadb.ipsec == {}
    assert peer.established()  # the peer never heard: it still holds its SAs


async def test_j_series_peer_never_sends_dpd(mock_clock, world):
    dev = device(world)
    peer = world.add_peer(peer_spec())
    dev.tunnels.apply([spec(backup=BACKUP)], world.now())
    await world.clock.advance(61)
    from routershell.engine.events import DpdAnswered, DpdSent

    assert not [e for _, e in peer.events if isinstance(e, DpdSent)]
    assert len([e for _, e in peer.events if isinstance(e, DpdAnswered)]) == 5  # 20..60
