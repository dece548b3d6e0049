"""The world end to end: real ISAKMP datagrams between devices and remote peers over the
simulated network, faults, traffic, modules, capture, determinism."""

from __future__ import annotations

import dataclasses

from routershell.engine.dpd import DpdPolicy
from routershell.engine.events import (
    AUTHENTICATION_FAILED,
    NegotiationFailed,
    Phase2Up,
)
from routershell.engine.pcap import from_pcap
from routershell.engine.peer import PeerConfig
from routershell.runtime.device import Module

from .helpers import BACKUP, LAN1, LAN2, PRIMARY, PSK, R1, device, make_world, peer_spec, spec

R2 = "203.0.113.9"


def record(dev, world):
    log = []
    dev.tunnels.subscribe(lambda name, ev: log.append((round(world.now(), 6), name, ev)))
    return log


async def test_device_and_peer_negotiate_with_real_datagrams(mock_clock, world):
    dev = device(world)
    peer = world.add_peer(peer_spec())
    dev.tunnels.apply([spec()], world.now())
    assert not world.settled()
    assert await world.wait_settled(10)
    st = dev.tunnels.tunnels()[0]
    assert (st.index, st.state, st.active_gateway, st.role) == (1, "up", PRIMARY, "primary")
    assert st.ike_sa is not None and st.ike_sa.state == "established"
    mine = st.ipsec_sas[0]
    theirs = peer.current_sa()
    assert (mine.inbound_spi, mine.outbound_spi) == (theirs.outbound_spi, theirs.inbound_spi)
    # main mode (6) + quick mode (3), every one carried by the network
    assert world.network.stats.delivered == 9
    # 2 ms one-way: MM1..MM6 and QM1..QM3 = 9 hops
    assert 0.017 < world.now() < 0.019
    assert dev.tunnels.endpoint(R1) is not None and dev.tunnels.endpoint("10.9.9.9") is None


async def test_two_emulated_routers_are_peers_of_each_other(mock_clock, world):
    r1 = device(world, "r1", (R1,))
    r2 = device(world, "r2", (R2,))
    r1.tunnels.apply([spec("to-r2", R1, R2)], world.now())
    r2.tunnels.apply([spec("to-r1", R2, R1, lan=(LAN2, LAN1), establish="on-traffic")], world.now())
    assert await world.wait_settled(10)
    assert r1.tunnels.tunnels()[0].state == "up"
    s2 = r2.tunnels.tunnels()[0]
    assert (s2.state, s2.active_gateway) == ("up", R1)  # the responder's own spec matched
    world.traffic_start("ping", "10.2.0.5", "10.1.0.5", rate_pps=5)
    await world.clock.advance(3)
    a = r1.tunnels.tunnels()[0].ipsec_sas[0]
    b = r2.tunnels.tunnels()[0].ipsec_sas[0]
    assert a.packets_in == b.packets_out == 20 and a.packets_out == b.packets_in == 20


async def test_latency_and_loss_from_seeded_streams_give_one_timeline(mock_clock):
    async def timeline(seed):
        import trio

        w = make_world(mock_clock, seed)
        async with trio.open_nursery() as n:
            await n.start(w.scheduler.run)
            dev = device(w)
            w.add_peer(peer_spec(latency=0.05, jitter=0.02, loss=30.0))
            log = record(dev, w)
            dev.tunnels.apply([spec()], w.now())
            await w.clock.advance(120)
            n.cancel_scope.cancel()
        return [(t, type(e).__name__) for t, _, e in log], w.network.stats

    a, sa = await timeline(7)
    b, sb = await timeline(7)
    c, _ = await timeline(8)
    assert a == b and sa == sb
    assert sa.lost > 0  # 30 % loss did drop datagrams
    assert a != c  # another seed, another timeline
    ups = [t for t, k in a if k == "Phase2Up"]
    assert ups and ups[0] > 0.3  # 9 hops of >= 52 ms (2 ms + 50 ms) each


async def test_partition_then_heal(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    log = record(dev, world)
    world.partition([R1], [PRIMARY])
    dev.tunnels.apply([spec()], world.now())
    await world.clock.advance(31)
    assert dev.tunnels.tunnels()[0].state == "down"
    assert [e.reason for _, _, e in log if isinstance(e, NegotiationFailed)] == ["timeout"]
    assert world.network.stats.delivered == 0
    world.heal()
    await world.clock.advance(60)  # "immediately" without failover retries after 60 s
    assert dev.tunnels.tunnels()[0].state == "up"


async def test_wrong_psk_is_an_authentication_failure(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    world.peer_config(PRIMARY, psk="not-the-key")
    log = record(dev, world)
    dev.tunnels.apply([spec()], world.now())
    await world.wait_settled(10)
    fails = [e for _, _, e in log if isinstance(e, NegotiationFailed)]
    assert fails and fails[0].phase == 1 and fails[0].reason == AUTHENTICATION_FAILED
    st = dev.tunnels.tunnels()[0]
    assert st.state == "down" and st.last_failure == AUTHENTICATION_FAILED
    # fixing the peer: the next attempt works
    world.peer_config(PRIMARY, psk=PSK)
    dev.tunnels.clear_ipsec("t1", world.now())
    await world.wait_settled(10)
    assert dev.tunnels.tunnels()[0].state == "up"


async def test_on_traffic_establishment_and_counters_keep_dpd_quiet(mock_clock, world):
    from routershell.engine import failover as fo

    dev = device(world)
    peer = world.add_peer(peer_spec())
    log = record(dev, world)
    dev.tunnels.apply([spec(establish="on-traffic", backup=BACKUP)], world.now())
    await world.clock.advance(30)
    assert dev.tunnels.tunnels()[0].state == "down"
    assert world.network.stats.sent == 0  # no traffic, no negotiation
    # traffic no rule covers goes in the clear and triggers nothing
    world.traffic_start("web", "172.16.0.1", "172.16.0.2")
    await world.clock.advance(2)
    assert world.network.stats.sent == 0
    world.traffic_stop("web")
    flow = world.traffic_start("ping", "10.1.0.10", "10.2.0.20", rate_pps=10)
    await world.clock.advance(0.5)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up"
    assert flow.dropped == 20  # the first tick's packets (both ways) found no SA
    await world.clock.advance(60)
    sa = dev.tunnels.tunnels()[0].ipsec_sas[0]
    assert sa.packets_out == sa.packets_in == 600  # 60 ticks of 10 pps, reply for each
    assert sa.bytes_out == 60000
    psa = peer.current_sa()
    assert psa.packets_in == 600 and psa.packets_out == 600
    assert not [a for _, _, a in log if isinstance(a, fo.SendDpdHello)]  # traffic = liveness
    world.traffic_stop("ping")
    await world.clock.advance(20)
    assert [a for _, _, a in log if isinstance(a, fo.SendDpdHello)]  # idle now: hellos


async def test_module_fail_and_restore(mock_clock, world):
    dev = device(world, modules=[Module("1/2/0", "sp-1/2/0", "services-pic", 1000)])
    peer = world.add_peer(peer_spec())
    dev.tunnels.apply([spec(module="sp-1/2/0")], world.now())
    await world.wait_settled(10)
    assert dev.tunnels.tunnels()[0].state == "up"
    sent = world.network.stats.sent
    log = record(dev, world)
    world.module_fail("r1", "1/2/0")
    st = dev.tunnels.tunnels()[0]
    assert st.state == "not-present" and st.ipsec_sas == []
    assert world.network.stats.sent == sent  # the SAs vanished with the module: no Delete
    assert peer.established()
    world.module_restore("r1", "sp-1/2/0")
    await world.wait_settled(10)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up" and st.ipsec_sas
    kinds = [type(e).__name__ for _, _, e in log]
    assert kinds == ["ModuleDown", "Phase2Down", "ModuleUp", "Phase2Up"]


async def test_capture_writes_a_pcap_engine_pcap_reads_back(mock_clock, world, tmp_path):
    dev = device(world)
    world.add_peer(peer_spec())
    path = tmp_path / "ike.pcap"
    world.capture_start(path)
    dev.tunnels.apply([spec()], world.now())
    await world.wait_settled(10)
    n = world.capture_stop()
    assert n == 9
    _, records = from_pcap(path.read_bytes())
    assert len(records) == 9
    assert (records[0].src, records[0].dst, records[0].sport, records[0].dport) == (R1, PRIMARY, 500, 500)
    assert records[0].payload[18] == 2  # ISAKMP exchange type: identity protection (main)
    assert records[0].timestamp == world.clock.epoch.timestamp()


async def test_responder_template_accepts_dynamic_peers(mock_clock, world):
    from routershell.engine.peer import ChildConfig

    dev = device(world)
    asked = []

    def template(src):
        asked.append(src)
        if src.startswith("198.18."):
            return PeerConfig("0.0.0.0", psk=PSK,
                              children=(ChildConfig("dyn", local_ts=LAN1, remote_ts=LAN2),))
        return None

    dev.tunnels.responder_template = template
    dev.tunnels.apply([spec("dyn", R1, "0.0.0.0", establish="responder", psk=b"other")], world.now())
    world.add_peer(peer_spec("mobile", "198.18.0.7", initiates=True, target=R1))
    await world.wait_settled(10)
    assert asked == ["198.18.0.7"]
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway) == ("up", "198.18.0.7")  # the hook's PSK was used
    assert world.network.stats.sent == 9
    # the hook declines: the responder spec is the template, whose PSK does not match
    world.add_peer(peer_spec("stranger", "192.0.2.77", initiates=True, target=R1))
    await world.wait_settled(10)
    assert asked[-1] == "192.0.2.77"
    assert any(isinstance(e, NegotiationFailed) and e.peer[0] == "192.0.2.77"
               for _, _, e in dev.tunnels.events)


async def test_responder_spec_is_the_default_template(mock_clock, world):
    dev = device(world)
    dev.tunnels.apply([spec("dyn", R1, "0.0.0.0", establish="responder")], world.now())
    world.add_peer(peer_spec("mobile", "198.18.0.7", initiates=True, target=R1))
    await world.wait_settled(10)
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway) == ("up", "198.18.0.7")
    assert [e.role for _, _, e in dev.tunnels.events if isinstance(e, Phase2Up)] == ["responder"]


async def test_apply_reconciles_removed_and_changed_specs(mock_clock, world):
    dev = device(world)
    peer = world.add_peer(peer_spec())
    s = spec()
    dev.tunnels.apply([s], world.now())
    await world.wait_settled(10)
    first = dev.tunnels.tunnels()[0].ipsec_sas[0].inbound_spi
    dev.tunnels.apply([s], world.now())  # unchanged: left alone
    assert dev.tunnels.tunnels()[0].ipsec_sas[0].inbound_spi == first
    changed = dataclasses.replace(s, peer=dataclasses.replace(s.peer, soft_fraction=0.8))
    dev.tunnels.apply([changed], world.now())
    await world.wait_settled(10)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up" and st.ipsec_sas[0].inbound_spi != first
    dev.tunnels.apply([], world.now())
    await world.clock.advance(1)
    assert dev.tunnels.tunnels() == [] and peer.endpoint.sadb.ipsec == {}  # Delete reached it


async def test_same_seed_same_world_twice(mock_clock):
    """Cookies, SPIs, DPD sequence numbers and every event time repeat with the seed."""
    import trio

    async def scenario():
        w = make_world(mock_clock, 42)
        async with trio.open_nursery() as n:
            await n.start(w.scheduler.run)
            dev = device(w)
            w.add_peer(peer_spec(loss=5.0, jitter=0.01))
            w.add_peer(peer_spec("p2", BACKUP))
            log = record(dev, w)
            dev.tunnels.apply([spec(backup=BACKUP)], w.now())
            w.traffic_start("f", "10.1.0.1", "10.2.0.1", rate_pps=3)
            await w.clock.advance(30)
            w.traffic_stop("f")
            w.peer_down(PRIMARY)
            await w.clock.advance(60)
            n.cancel_scope.cancel()
        return [(t, name, repr(e)) for t, name, e in log]

    a = await scenario()
    b = await scenario()
    assert a == b and len(a) > 10


async def test_link_down_is_silent_and_link_up_recovers(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    dev.tunnels.apply([spec()], world.now())
    await world.wait_settled(10)
    flow = world.traffic_start("f", "10.1.0.1", "10.2.0.1", rate_pps=1)
    await world.clock.advance(2.5)
    assert flow.delivered == 6 and flow.dropped == 0
    world.link_down("r1")
    await world.clock.advance(2)
    assert flow.delivered == 6 and flow.dropped == 4  # SA still up locally, nothing arrives
    assert dev.tunnels.tunnels()[0].state == "up"  # no DPD here: nobody notices
    world.link_up("r1")
    await world.clock.advance(1)
    assert flow.delivered == 8
    summary = world.summary()
    assert summary["links"] == [("r1", True, [R1])]
    assert summary["flows"][0][:4] == ("f", "10.1.0.1", "10.2.0.1", 1.0)


async def test_bad_requests_raise_world_error(mock_clock, world):
    import pytest

    from routershell.runtime.world import WorldError

    device(world)
    world.add_peer(peer_spec())
    for call in (lambda: world.module_fail("r1", "9/9/9"), lambda: world.link_down("nope"),
                 lambda: world.set_loss(150), lambda: world.traffic_stop("none"),
                 lambda: world.traffic_start("x", "a", "b"), lambda: world.capture_stop(),
                 lambda: world.peer_config("1.1.1.1", psk="x"),
                 lambda: world.peer_config(PRIMARY, mode="sideways"),
                 lambda: world.add_peer(peer_spec("dup", PRIMARY))):
        with pytest.raises(WorldError):
            call()


async def test_traffic_for_a_tunnel_whose_batch_has_not_started_is_dropped_quietly(mock_clock):
    """A commit of many tunnels starts them in batches at the same instant; a packet for one
    still waiting its turn (with a controller) used to raise out of the scheduler."""
    from routershell.engine.peer import ChildConfig, PeerConfig
    from routershell.engine.proposals import IkeProposal
    from routershell.runtime.clock import LabClock
    from routershell.runtime.device import Device
    from routershell.runtime.ipsec import TunnelSpec
    from routershell.runtime.rng import Streams
    from routershell.runtime.scheduler import Scheduler
    from routershell.runtime.world import World

    lab = LabClock("virtual", trio_clock=mock_clock)
    world = World(lab, Scheduler(lab), Streams(1))
    dev = Device("r1", "test", clock=lab)
    world.add_device(dev, ["192.0.2.1"])
    ike = (IkeProposal(),)
    n = dev.tunnels.START_NOW + 10
    specs = [TunnelSpec(f"t{i}", "192.0.2.1", PeerConfig(f"100.64.{i // 250}.{i % 250 + 1}", ike_proposals=ike, psk=b"k"),
                        ChildConfig("c", local_ts=f"10.{i // 250}.{i % 250}.0/24", remote_ts="172.16.0.0/24"),
                        selectors=((f"10.{i // 250}.{i % 250}.0/24", "172.16.0.0/24"),), dpd_initiate=True)
             for i in range(n)]
    dev.tunnels.apply(specs, 0.0)
    late = specs[-1].name
    assert dev.tunnels.traffic(late, 100, 1, 0.0, inbound=False) is None  # not started: no raise


async def test_one_peer_config_per_gateway_with_every_spec_child_in_index_order(mock_clock, world):
    # specs of two local addresses share gateways: each address's endpoint gets one config per
    # gateway, its children the specs naming that gateway (primary or backup) in index order,
    # each once, the rest of the config from the first of them
    r2 = "192.0.2.2"
    dev = device(world, addresses=(R1, r2))
    dev.tunnels.apply([spec("t1", backup=BACKUP), spec("t2"), spec("t3", local=r2),
                       spec("t4", peer=BACKUP)], world.now())
    ep1, ep2 = dev.tunnels.endpoint(R1), dev.tunnels.endpoint(r2)
    assert list(ep1.peers) == [PRIMARY, BACKUP] and list(ep2.peers) == [PRIMARY]
    assert [c.name for c in ep1.peers[PRIMARY].children] == ["t1", "t2"]
    assert [c.name for c in ep1.peers[BACKUP].children] == ["t1", "t4"]
    assert [c.name for c in ep2.peers[PRIMARY].children] == ["t3"]
    assert ep1.peers[BACKUP].address == BACKUP and ep1.peers[BACKUP].psk == PSK


async def test_tunnel_event_log_keeps_the_most_recent_events_trimmed_in_batches(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    log = record(dev, world)
    dev.tunnels.max_events = 1
    dev.tunnels.apply([spec()], world.now())
    assert await world.wait_settled(10)
    assert len(log) == 3
    # the newest events, at least max_events and at most half as many again (here: 1)
    assert [(round(t, 6), n, e) for t, n, e in dev.tunnels.events] == log[-1:]


async def test_peer_event_log_keeps_the_most_recent_events_trimmed_in_batches(mock_clock, world):
    # a peer answering DPD all day logs an event per probe: the log keeps the newest ones, at
    # least max_events and at most half as many again, trimmed in batches (not once per event)
    dev = device(world)
    peer = world.add_peer(peer_spec())
    seen: list[tuple[float, object]] = []
    peer.subscribe(lambda name, ev: seen.append((world.now(), ev)))
    s = spec()
    s = dataclasses.replace(s, peer=dataclasses.replace(s.peer, dpd=DpdPolicy(10, 2, 3)))
    dev.tunnels.apply([s], world.now())
    sizes = []
    for _ in range(200):
        await world.clock.advance(10)
        sizes.append(len(peer.events))
    assert len(seen) > 200
    assert min(sizes[-100:]) >= peer.max_events and max(sizes) <= peer.max_events * 3 // 2
    assert len(set(sizes[-100:])) > 10  # batches: the size moves between the two bounds
    assert peer.events == seen[-len(peer.events):]


def test_a_device_keeps_the_newest_log_lines_in_order():
    from routershell.runtime.device import LOG_LINES, Device

    dev = Device("r1", "test")
    dev.now = lambda: 0.0  # type: ignore[method-assign]
    heard: list[str] = []
    dev.listeners.append(heard.append)
    for i in range(LOG_LINES + 25):
        dev.syslog(f"line {i}")
    assert len(dev.log) == LOG_LINES
    assert [ln.text for ln in dev.log][:2] == ["line 25", "line 26"]
    assert dev.log[-1].text == f"line {LOG_LINES + 24}"
    assert len(heard) == LOG_LINES + 25  # listeners hear every line, kept or not
