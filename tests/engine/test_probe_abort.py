"""Public on-demand DPD probe and phase-1 abort, and the endpoint's timer index at scale."""

from __future__ import annotations

import random

from routershell.engine.dpd import DpdPolicy
from routershell.engine.events import DpdAck, DpdAnswered, NegotiationFailed, Phase2Up
from routershell.engine.ike import IkeEndpoint
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal

from .helpers import B, make_pair, up

NO_INITIATE = DpdPolicy(initiate=False)


def test_probe_sends_r_u_there_and_ack_is_reported():
    pair = up(make_pair(dict(dpd=NO_INITIATE), dict(dpd=NO_INITIATE)))
    assert pair.all_events("a", Phase2Up)
    assert pair.a.get_timer() is not None  # lifetimes only: DPD does not initiate
    assert pair.a.probe(B, 5.0)
    pair.now = 5.0
    pair.pump()
    (answered,) = pair.all_events("b", DpdAnswered)
    (ack,) = pair.all_events("a", DpdAck)
    assert ack.seq == answered.seq and ack.peer == B
    # the next probe carries the next sequence number
    assert pair.a.probe(B, 6.0)
    pair.pump()
    assert [e.seq for e in pair.all_events("a", DpdAck)] == [ack.seq, ack.seq + 1]


def test_probe_without_sa_or_dpd_is_refused():
    pair = make_pair(dict(dpd=NO_INITIATE), dict(dpd=NO_INITIATE))
    assert not pair.a.probe(B, 0.0)  # no IKE SA yet
    assert pair.a.datagrams_to_send() == []
    plain = up(make_pair(dict(dpd=None), dict(dpd=None)))
    assert not plain.a.probe(B, 1.0)  # DPD not negotiated
    assert plain.a.datagrams_to_send() == []


def test_abort_forgets_phase1_silently_and_stops_retransmitting():
    pair = make_pair(drop=lambda d, s, dst, now: True)  # B never hears us
    pair.a.initiate(B, 0.0, "vpn")
    pair.pump()
    assert pair.a.get_timer() == 1.0  # first retransmission
    assert pair.a.sadb.negotiating_for(B) is not None
    assert pair.a.abort(B, 0.5)
    assert pair.a.sadb.negotiating_for(B) is None and not pair.a.sadb.ike
    assert pair.a.get_timer() is None
    pair.advance(100)
    assert pair.events["a"] == [] and pair.dropped == 1  # no event, no resend
    assert not pair.a.abort(B, 101)
    # a fresh initiate afterwards starts a new phase 1
    pair.drop = None
    pair.a.initiate(B, 101.0, "vpn")
    pair.pump()
    assert pair.all_events("a", Phase2Up)
    assert not pair.all_events("a", NegotiationFailed)


def test_one_endpoint_with_many_peers_keeps_exact_timers():
    """Hub with 300 spokes: timers come from the index, each spoke's retransmission fires at
    its own deadline, and removing SAs leaves no stale deadline behind."""
    hub_addr = "192.0.2.1"
    ike = (IkeProposal(dh_group=2),)
    spokes = [f"10.9.{i // 200}.{i % 200 + 1}" for i in range(300)]
    hub = IkeEndpoint((hub_addr, 500), random.Random(3), [
        PeerConfig(s, ike_proposals=ike, psk=b"k", children=(ChildConfig("c"),)) for s in spokes])
    for i, s in enumerate(spokes):
        hub.initiate((s, 500), i * 0.01, "c")
    out = hub.datagrams_to_send()
    assert len(out) == 300
    assert len(hub.sadb._cookies) == 301  # 300 initiator cookies + the zero responder cookie
    first = hub.get_timer()
    assert first is not None
    gap = first  # spoke 0 started at 0
    hub.handle_timer(first)
    assert [dst for _, dst in hub.datagrams_to_send()] == [(spokes[0], 500)]
    assert hub.get_timer() == gap + 0.01
    for s in spokes[1:200]:
        assert hub.abort((s, 500), 1.0)
    assert hub.get_timer() == gap + 200 * 0.01  # spoke 200's first retransmission
    assert all(hub.sadb.negotiating_for((s, 500)) for s in spokes[200:])
    assert hub.sadb.ike_with(spokes[250])[0].peer == (spokes[250], 500)
    assert not hub.sadb.ike_with(spokes[5])
