"""Seed 003 on the virtual clock: both tunnels of a group up and kept alive with DPD, traffic on
the primary until DPD declares it unreachable or it fails to rekey, auto revert vs do-not-revert,
renegotiation every DPD interval, unsuccessful fail-over, notifications cause before result.

Timeline of the rig (helpers.py): DPD interval 10 s, timeout 10 s, num-retry 3; the tunnels come
up at ~0.02 s and DPD probes each IKE SA every ~10 s of silence. A peer that stops answering at
t=120 misses the probe sent just after 120; retries follow at +10, +20, +30 and the peer is dead
10 s after the last one: t=160 (the seconds below are whole seconds of lab time)."""

from __future__ import annotations

from routershell.engine import failover as fo
from routershell.engine.cryptogroup import DownReason, GroupRole
from routershell.engine.events import DpdSent, NegotiationFailed

from .helpers import PEERS, config, make_rig, peer, start

SRC, DST = "10.1.0.5", "10.2.0.5"
PRI_DOWN, SEC_DOWN = "CryptoGroupPriTunnelDown", "CryptoGroupSecTunnelDown"
PRI_UP, SEC_UP = "CryptoGroupPriTunnelUp", "CryptoGroupSecTunnelUp"
OK, FAIL = "CryptoGroupFailoverSuccess", "CryptoGroupFailoverFailure"


def record(rig):
    log = []
    rig.device.tunnels.subscribe(lambda name, ev: log.append((rig.now(), name, ev)))
    return log


async def test_both_tunnels_come_up_at_once_without_notifications_and_stay_up_with_dpd(mock_clock, nursery):
    rig = make_rig(mock_clock)
    log = record(rig)
    await start(rig, nursery)
    await rig.world.clock.advance(1)
    assert {m: rig.state(m) for m in ("pri1", "sec1", "pri2", "sec2")} == dict.fromkeys(("pri1", "sec1", "pri2", "sec2"), "up")
    assert rig.notes == []  # the initial bring-up raises none
    await rig.world.clock.advance(299)
    assert all(rig.state(m) == "up" for m in ("pri1", "sec1", "pri2", "sec2"))
    probes = [int(t) for t, n, ev in log if isinstance(ev, DpdSent) and n == "ipsec/cmap-pri1"]
    # an idle IKE SA is probed every interval (10 s), first attempt each time: the peer answers
    assert probes[:3] == [10, 20, 30] and len(probes) >= 29
    assert {ev.attempt for t, n, ev in log if isinstance(ev, DpdSent)} == {1}
    assert rig.notes == []
    st = rig.status("cg1")
    assert st.active_role is GroupRole.PRIMARY and st.switchovers == 0


async def test_primary_unreachable_dpd_then_traffic_on_the_secondary_at_160s(mock_clock, nursery):
    rig = make_rig(mock_clock)
    log = record(rig)
    await start(rig, nursery)
    await rig.world.clock.advance(5)
    assert rig.device.tunnels.route(SRC, DST) == "ipsec/cmap-pri1"  # traffic uses the primary
    await rig.world.clock.advance(115)
    rig.world.peer_down(PEERS["pri1"])
    await rig.world.clock.advance(60)
    # defaults table: probe after `interval` of silence, retry every `timeout`, `num-retry` times,
    # dead `timeout` after the last retry
    probes = [(int(t), ev.attempt) for t, n, ev in log
              if isinstance(ev, DpdSent) and n == "ipsec/cmap-pri1" and t >= 120]
    assert probes[:4] == [(120, 1), (130, 2), (140, 3), (150, 4)]
    # cause before result, both at the second DPD declared the peer dead
    assert [x for x in rig.seen() if x[2].endswith("1")] == [(160, PRI_DOWN, "cmap-pri1"), (160, OK, "cmap-sec1")]
    st = rig.status("cg1")
    assert st.active_role is GroupRole.SECONDARY and st.switchovers == 1
    assert st.maps[0].last_down is DownReason.PEER_UNREACHABLE
    assert rig.device.tunnels.route(SRC, DST) == "ipsec/cmap-sec1"
    assert rig.groups.group("ipsec", "cg1").last_switch.when // 1 == 160


async def test_switchover_auto_reverts_at_the_second_the_primary_is_up_again(mock_clock, nursery):
    rig = make_rig(mock_clock)
    await start(rig, nursery)
    await rig.world.clock.advance(120)
    rig.world.peer_down(PEERS["pri1"])
    await rig.world.clock.advance(480)  # t=600
    rig.world.peer_up(PEERS["pri1"])
    await rig.world.clock.advance(100)
    # renegotiated every 40 s (30-s phase-1 timeout + 10-s interval) from 160: 600 is an attempt
    assert [x for x in rig.seen() if x[2].endswith("1")] == [
        (160, PRI_DOWN, "cmap-pri1"), (160, OK, "cmap-sec1"), (600, PRI_UP, "cmap-pri1"), (600, OK, "cmap-pri1")]
    st = rig.status("cg1")
    assert st.active_role is GroupRole.PRIMARY and st.switchovers == 2
    assert rig.device.tunnels.route(SRC, DST) == "ipsec/cmap-pri1"
    assert not rig.groups.group("ipsec", "cg1").last_switch.manual


async def test_do_not_revert_stays_on_the_secondary_until_a_manual_switchover(mock_clock, nursery):
    rig = make_rig(mock_clock)
    await start(rig, nursery)
    await rig.world.clock.advance(120)
    rig.world.peer_down(PEERS["pri2"])
    await rig.world.clock.advance(480)
    rig.world.peer_up(PEERS["pri2"])
    await rig.world.clock.advance(300)  # t=900
    assert [x for x in rig.seen() if x[2].endswith("2")] == [
        (160, PRI_DOWN, "cmap-pri2"), (160, OK, "cmap-sec2"), (600, PRI_UP, "cmap-pri2")]
    assert rig.status("cg2").active_role is GroupRole.SECONDARY
    assert rig.state("pri2") == "up"  # the primary is up again, but carries nothing
    grp = rig.groups.group("ipsec", "cg2")
    sent = rig.groups.switchover(grp, rig.now())
    assert [(int(n.when), n.name, n.map, n.from_map) for n in sent] == [(900, OK, "cmap-pri2", "cmap-sec2")]
    assert rig.status("cg2").active_role is GroupRole.PRIMARY
    assert grp.last_switch.manual and int(grp.last_switch.when) == 900


async def test_a_down_tunnel_is_renegotiated_every_dpd_interval_after_each_failed_attempt(mock_clock, nursery):
    rig = make_rig(mock_clock)
    log = record(rig)
    await start(rig, nursery)
    await rig.world.clock.advance(120)
    rig.world.peer_down(PEERS["sec1"])  # the secondary: kept up too, though it carries nothing
    await rig.world.clock.advance(200)  # t=320
    starts = [int(t) for t, n, ev in log if n == "ipsec/cmap-sec1" and isinstance(ev, fo.Negotiate) and t > 100]
    fails = [int(t) for t, n, ev in log if n == "ipsec/cmap-sec1" and isinstance(ev, NegotiationFailed)]
    assert starts == [160, 200, 240, 280]  # at once, then `interval` (10 s) after each failure
    assert fails == [190, 230, 270, 310]  # each attempt gives up after the 30-s phase-1 timeout
    assert rig.seen() == [(160, SEC_DOWN, "cmap-sec1")]  # not carrying: no fail-over
    assert rig.status("cg1").active_role is GroupRole.PRIMARY


async def test_primary_that_fails_to_rekey_hands_traffic_to_the_secondary(mock_clock, nursery):
    # without DPD nothing notices the primary gateway going silent at 100 s until its IPsec SA
    # must be rekeyed: soft lifetime at 540 s (90 % of 600), the rekeys fail, the SA expires at
    # 600 s and traffic moves on
    rig = make_rig(mock_clock, config(dpd=None, lifetime=600))
    await start(rig, nursery)
    await rig.world.clock.advance(100)
    rig.world.peer_down(PEERS["pri1"])
    await rig.world.clock.advance(499)  # t=599: still "up" as far as anyone knows
    assert rig.notes == [] and rig.state("pri1") == "up"
    await rig.world.clock.advance(21)  # t=620
    assert [x for x in rig.seen() if x[2].endswith("1")] == [(600, PRI_DOWN, "cmap-pri1"), (600, OK, "cmap-sec1")]
    st = rig.status("cg1")
    assert st.active_role is GroupRole.SECONDARY and st.maps[0].last_down is DownReason.REKEY_FAILED
    assert rig.state("sec1") == "up"  # the secondary rekeyed normally
    assert rig.device.tunnels.route(SRC, DST) == "ipsec/cmap-sec1"


async def test_failing_over_to_a_tunnel_that_is_down_is_an_unsuccessful_fail_over(mock_clock, nursery):
    rig = make_rig(mock_clock)
    await start(rig, nursery)
    await rig.world.clock.advance(50)
    rig.world.peer_down(PEERS["sec1"])
    await rig.world.clock.advance(70)  # t=120
    rig.world.peer_down(PEERS["pri1"])
    await rig.world.clock.advance(180)  # t=300
    rig.world.peer_up(PEERS["sec1"])
    await rig.world.clock.advance(60)
    seen = [x for x in rig.seen() if x[2].endswith("1")]
    # secondary dead at 90 (probe 50, retries 60..80, dead 90), primary at 160; the secondary
    # is renegotiated at 90+40k; the attempt started at 290 is still retransmitting its first
    # message when the gateway answers again (phase-1 retransmissions 4 s, then 7.2 s later:
    # 301.2 s): up at 301, and the waiting traffic moves there at once
    assert seen == [(90, SEC_DOWN, "cmap-sec1"), (160, PRI_DOWN, "cmap-pri1"), (160, FAIL, "cmap-sec1"),
                    (301, SEC_UP, "cmap-sec1"), (301, OK, "cmap-sec1")]
    st = rig.status("cg1")
    assert st.failed_switchovers == 1 and st.switchovers == 1 and st.active_role is GroupRole.SECONDARY


async def test_dpd_configured_while_tunnels_are_up_waits_for_them_all_to_be_cleared(mock_clock, nursery):
    rig = make_rig(mock_clock, config(dpd=None))
    await start(rig, nursery)
    await rig.world.clock.advance(10)
    rig.configure("config\n  context ipsec\n    ikev1 keepalive dpd interval 10 timeout 10 num-retry 3\nend\n")
    assert rig.groups.pending["ipsec"] == {f"ipsec/cmap-{m}" for m in ("pri1", "sec1", "pri2", "sec2")}
    rig.world.peer_down(PEERS["pri1"])
    await rig.world.clock.advance(190)  # t=200: nobody probes the dead primary
    assert rig.notes == [] and rig.state("pri1") == "up"
    ep = rig.device.tunnels.endpoint("192.0.2.1")
    assert all(sa.dpd is None for sa in ep.sadb.ike.values())
    # clearing one map is not enough ("until all of the tunnels are cleared")
    assert rig.groups.clear("ipsec", rig.cfg, rig.now(), map_name="cmap-sec2") == 1
    await rig.world.clock.advance(1)
    assert "ipsec" in rig.groups.pending
    assert all(sa.dpd is None for sa in ep.sadb.ike.values())
    rig.world.peer_up(PEERS["pri1"])
    rig.groups.clear("ipsec", rig.cfg, rig.now())  # the rest: now DPD applies
    assert "ipsec" not in rig.groups.pending
    await rig.world.clock.advance(5)
    sas = [sa for sa in ep.sadb.ike.values() if sa.state == "established"]
    assert len(sas) == 4 and all(sa.dpd is not None and sa.dpd.policy.interval == 10 for sa in sas)


async def test_dpd_configured_while_no_tunnel_is_up_applies_at_once(mock_clock, nursery):
    rig = make_rig(mock_clock, config(dpd=None))
    rig.configure("config\n  context ipsec\n    ikev1 keepalive dpd interval 20 timeout 10 num-retry 2\nend\n")
    await start(rig, nursery)
    assert "ipsec" not in rig.groups.pending
    await rig.world.clock.advance(5)
    ep = rig.device.tunnels.endpoint("192.0.2.1")
    assert all(sa.dpd is not None and sa.dpd.policy.interval == 20 for sa in ep.sadb.ike.values())


async def test_a_peer_without_dpd_still_comes_up(mock_clock, nursery):
    peers = [peer(n, answers_dpd=(n != "sec1")) for n in PEERS]
    rig = make_rig(mock_clock, peers=peers)
    await start(rig, nursery)
    await rig.world.clock.advance(60)
    assert rig.state("sec1") == "up" and rig.notes == []
    ep = rig.device.tunnels.endpoint("192.0.2.1")
    dpd = {sa.peer[0]: sa.dpd is not None for sa in ep.sadb.ike.values()}
    assert dpd == {PEERS["pri1"]: True, PEERS["sec1"]: False, PEERS["pri2"]: True, PEERS["sec2"]: True}



async def test_changing_a_carrying_map_takes_its_tunnel_down_and_up_again(mock_clock, nursery):
    rig = make_rig(mock_clock)
    await start(rig, nursery)
    await rig.world.clock.advance(10)
    rig.configure("config\n  context ipsec\n    crypto map cmap-pri1 ipsec-isakmp\n"
                  "      set phase2-lifetime 7200\nend\n")
    assert rig.seen() == [(10, PRI_DOWN, "cmap-pri1"), (10, OK, "cmap-sec1")]
    await rig.world.clock.advance(1)
    assert rig.state("pri1") == "up"
    assert rig.seen()[2:] == [(10, PRI_UP, "cmap-pri1"), (10, OK, "cmap-pri1")]  # auto: back at once
    ep = rig.device.tunnels.endpoint("192.0.2.1")
    sas = [sa for sa in ep.sadb.ipsec.values() if sa.child == "ipsec/cmap-pri1"]
    assert sas and all(sa.created_at >= 10 for sa in sas)  # renegotiated with the new map


async def test_a_primary_that_never_comes_up_hands_traffic_to_the_secondary(mock_clock, nursery):
    peers = [peer(n, reachable=(n != "pri1")) for n in PEERS]
    rig = make_rig(mock_clock, peers=peers)
    await start(rig, nursery)
    await rig.world.clock.advance(29)
    assert rig.status("cg1").active_role is GroupRole.PRIMARY and rig.notes == []
    await rig.world.clock.advance(6)  # t=35: the first attempt gave up at the 30-s phase-1 timeout
    assert rig.seen() == [(30, OK, "cmap-sec1")]
    grp = rig.groups.group("ipsec", "cg1")
    assert rig.status("cg1").active_role is GroupRole.SECONDARY and not grp.last_switch.manual
    assert rig.device.tunnels.route(SRC, DST) == "ipsec/cmap-sec1"
    rig.world.peer_up(PEERS["pri1"])  # t=35: the attempt of 40 (30 + interval 10) gets through
    await rig.world.clock.advance(25)
    # its first bring-up raises no "up"; the move back (switchover auto) is notified
    assert rig.seen() == [(30, OK, "cmap-sec1"), (40, OK, "cmap-pri1")]
    assert rig.status("cg1").active_role is GroupRole.PRIMARY
