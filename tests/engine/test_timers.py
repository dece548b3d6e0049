"""Fake-time behaviour: retransmission schedules, lost messages, DPD timeline, expiry and rekey,
deletes in both directions."""

import pytest

from routershell.engine.constants import Exchange
from routershell.engine.dpd import DpdPolicy, DpdState
from routershell.engine.events import (
    DpdAck,
    DpdSent,
    NegotiationFailed,
    PeerDead,
    Phase1Down,
    Phase1Up,
    Phase2Down,
    Phase2Up,
    SaExpired,
    SaRekeyed,
)
from routershell.engine.isakmp import decode_header
from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.engine.retransmit import exponential, fixed, incremental

from .helpers import A, B, make_pair, up


def _sent_times(pair, src, exchange=None):
    return [t for t, s, _, d in pair.log if s == src and
            (exchange is None or decode_header(d).exchange == exchange)]


@pytest.mark.parametrize("schedule", [fixed(5, 3), exponential(4, 1.8, 5),
                                      incremental(4, 8)])
def test_retransmission_follows_schedule_then_times_out(schedule):
    attempts = []

    def drop(data, src, dst, now):
        if src == A:
            attempts.append(now)
        return True  # the responder never hears anything

    pair = make_pair(dict(schedule=schedule), drop=drop)
    pair.a.initiate(B, 0.0, "vpn")
    pair.advance(schedule.timeout() - 0.001)
    assert attempts == pytest.approx(schedule.send_times())
    assert not pair.all_events("a", NegotiationFailed)
    pair.advance(schedule.timeout())
    (f,) = pair.all_events("a", NegotiationFailed)
    assert (f.phase, f.reason) == (1, "timeout")
    assert pair.now == pytest.approx(schedule.timeout())
    assert pair.a.get_timer() is None and not pair.a.sadb.ike


def test_lost_reply_gets_stored_reply_resent():
    replies = []

    def drop(data, src, dst, now):
        if src == B and decode_header(data).exchange == Exchange.MAIN:
            replies.append(data)
            if len(replies) == 1:  # lose MM2 once
                return True
        return False

    pair = make_pair(dict(schedule=fixed(3, 4)), drop=drop)
    pair.a.initiate(B, 0.0, "vpn")
    pair.pump()
    assert not pair.all_events("a", Phase1Up)
    pair.advance(3.0)  # initiator retransmits MM1; responder answers with its stored MM2
    assert replies[0] == replies[1]
    assert len(pair.b.sadb.ike) == 1  # the duplicate did not create a second SA
    assert pair.all_events("a", Phase2Up) and pair.all_events("b", Phase2Up)


@pytest.mark.parametrize("lost_index,exchange", [(2, Exchange.MAIN), (1, Exchange.QUICK)])
def test_lost_final_messages_recovered(lost_index, exchange):
    """Lose MM6 (responder's 3rd main-mode message) or QM3 (initiator's 2nd quick-mode one)."""
    counts = {}

    def drop(data, src, dst, now):
        h = decode_header(data)
        if h.exchange != exchange:
            return False
        key = (src, h.exchange)
        counts[key] = counts.get(key, 0) + 1
        who = B if exchange == Exchange.MAIN else A
        return src == who and counts[key] == lost_index + 1

    pair = make_pair(dict(schedule=fixed(2, 3)), dict(schedule=fixed(2, 3)), drop=drop)
    pair.a.initiate(B, 0.0, "vpn")
    pair.advance(10)
    assert pair.dropped == 1
    assert len(pair.all_events("a", Phase2Up)) == len(pair.all_events("b", Phase2Up)) == 1
    assert not pair.all_events("a", NegotiationFailed)
    assert not pair.all_events("b", NegotiationFailed)
    if exchange == Exchange.QUICK:
        # responder retransmitted QM2 at t=2 and got QM3 then
        assert pair.all_events("b", Phase2Up) and _sent_times(pair, B, Exchange.QUICK) == [0, 2]


def test_dpd_state_sequence_rules():
    import random
    st = DpdState(DpdPolicy(10, 2, 2), random.Random(5), 0.0)
    assert 0 < st.seq < 2**31
    assert st.on_timer(9.9) is None
    kind, seq, attempt = st.on_timer(10)
    assert (kind, attempt) == ("send", 1) and seq == st.seq
    assert not st.on_ack(seq + 7, 10.5)  # wrong echo ignored
    assert st.deadline() == 12
    assert st.on_ack(seq, 11)
    assert st.deadline() == 21
    st2 = DpdState(DpdPolicy(initiate=False), random.Random(5), 0.0)
    assert st2.deadline() is None


def test_dpd_timeline_dead_peer():
    dpd = DpdPolicy(interval=10, retry_interval=2, retries=2)
    silent = {"on": False}
    pair = make_pair(dict(dpd=dpd), dict(dpd=DpdPolicy(initiate=False)),
                     drop=lambda d, s, dst, now: silent["on"] and s == B)
    up(pair)
    assert pair.all_events("a", Phase1Up)[0].dpd
    silent["on"] = True
    pair.advance(15.999)
    sent = pair.all_events("a", DpdSent)
    assert [(pair_t) for pair_t in _sent_times(pair, A, Exchange.INFORMATIONAL)] == [10, 12, 14]
    assert [e.attempt for e in sent] == [1, 2, 3]
    assert len({e.seq for e in sent}) == 3 and sent[1].seq == sent[0].seq + 1
    assert not pair.all_events("a", PeerDead)
    pair.advance(16)
    (dead,) = pair.all_events("a", PeerDead)
    assert dead.probes == 3 and pair.now == 16
    assert [e.reason for e in pair.all_events("a", Phase2Down)] == ["peer-dead"]
    assert [e.reason for e in pair.all_events("a", Phase1Down)] == ["peer-dead"]
    assert not pair.a.sadb.ike and not pair.a.sadb.ipsec


def test_dpd_alive_peer_and_traffic_postpones_probe():
    dpd = DpdPolicy(interval=10, retry_interval=2, retries=2)
    pair = up(make_pair(dict(dpd=dpd), dict(dpd=DpdPolicy(initiate=False))))
    spi = pair.all_events("a", Phase2Up)[0].inbound_spi
    pair.advance(7)
    pair.a.account(spi, 1500, 1, 7.0)  # inbound traffic is proof of liveness
    pair.advance(16.9)
    assert not pair.all_events("a", DpdSent)
    pair.advance(100)
    acks = pair.all_events("a", DpdAck)
    sent = pair.all_events("a", DpdSent)
    assert [e.seq for e in acks] == [e.seq for e in sent] and len(sent) == 9  # 17, 27, ... 97
    assert _sent_times(pair, A, Exchange.INFORMATIONAL)[0] == 17
    assert not pair.all_events("a", PeerDead)
    assert not pair.all_events("b", DpdSent)  # b does not initiate


def test_peer_without_dpd_vendor_id_still_comes_up():
    pair = up(make_pair(dict(dpd=DpdPolicy()), dict(dpd=None)))
    assert pair.all_events("a", Phase2Up)
    assert not pair.all_events("a", Phase1Up)[0].dpd
    pair.advance(500)
    assert not pair.all_events("a", DpdSent) and not pair.all_events("a", PeerDead)


def test_ipsec_soft_expiry_rekeys_and_hard_expiry_expires():
    child = (IpsecProposal(lifetime_s=100),)
    pair = up(make_pair(dict(child=child), dict(child=child)))
    old_in = pair.all_events("a", Phase2Up)[0].inbound_spi
    assert pair.a.sadb.ipsec[old_in].remaining(40) == 60
    pair.advance(89.9)
    assert not pair.all_events("a", SaRekeyed)
    pair.advance(90)
    (ra,), (rb,) = pair.all_events("a", SaRekeyed), pair.all_events("b", SaRekeyed)
    assert ra.kind == rb.kind == "ipsec" and ra.old == f"{old_in:08x}"
    assert old_in not in pair.a.sadb.ipsec and len(pair.a.sadb.ipsec) == 1
    assert len(pair.b.sadb.ipsec) == 1  # initiator's delete removed the old one
    assert not pair.all_events("a", Phase2Down) and not pair.all_events("b", Phase2Down)
    # the new SA rekeys at 90 + 90 = 180
    pair.advance(180)
    assert len(pair.all_events("a", SaRekeyed)) == 2


def test_ipsec_hard_expiry_when_rekey_cannot_happen():
    child = (IpsecProposal(lifetime_s=100),)
    cut = {"on": False}
    pair = make_pair(dict(child=child, dpd=None), dict(child=child, dpd=None),
                     drop=lambda d, s, dst, now: cut["on"])
    up(pair)
    cut["on"] = True
    pair.advance(100)
    for side in "ab":
        assert [e.hard for e in pair.all_events(side, SaExpired)] == (
            [False, True] if side == "a" else [True])
        assert [e.reason for e in pair.all_events(side, Phase2Down)] == ["expired"]
    assert not pair.a.sadb.ipsec and not pair.b.sadb.ipsec


def test_kilobyte_lifetime_triggers_rekey():
    child = (IpsecProposal(lifetime_s=3600, lifetime_kb=100),)
    pair = up(make_pair(dict(child=child), dict(child=child)))
    spi = pair.all_events("a", Phase2Up)[0].inbound_spi
    pair.a.account(spi, 50 * 1024, 40, 1.0, inbound=False)
    pair.pump()
    assert not pair.all_events("a", SaRekeyed)
    sa = pair.a.sadb.ipsec[spi]
    assert (sa.bytes_out, sa.packets_out, sa.last_used) == (50 * 1024, 40, 1.0)
    pair.a.account(spi, 45 * 1024, 30, 2.0, inbound=False)  # 95 KB >= 90% of 100 KB
    pair.pump()
    assert len(pair.all_events("a", SaRekeyed)) == 1 and spi not in pair.a.sadb.ipsec


def test_ike_sa_rekey_keeps_ipsec_sas():
    ike = (IkeProposal(lifetime_s=200),)
    pair = up(make_pair(dict(ike=ike, dpd=None), dict(ike=ike, dpd=None)))
    old = pair.all_events("a", Phase1Up)[0]
    ipsec_before = set(pair.a.sadb.ipsec)
    pair.advance(180)
    (ra,), (rb,) = pair.all_events("a", SaRekeyed), pair.all_events("b", SaRekeyed)
    assert rb.old == ra.old and rb.new == ra.new
    assert ra.kind == "ike" and ra.old == f"{old.icookie.hex()}:{old.rcookie.hex()}"
    assert len(pair.a.sadb.ike) == len(pair.b.sadb.ike) == 1
    assert set(pair.a.sadb.ipsec) == ipsec_before
    assert not pair.all_events("a", Phase1Down) and not pair.all_events("b", Phase1Down)
    # the new IKE SA still carries quick modes
    pair.a.initiate(B, 181, "vpn")
    pair.pump()
    assert len(pair.all_events("a", Phase2Up)) == 2
    assert len(pair.a.sadb.ipsec) == 2


def test_ike_hard_expiry_on_responder():
    ike = (IkeProposal(lifetime_s=200),)
    pair = make_pair(dict(ike=ike, dpd=None), dict(ike=ike, dpd=None),
                     drop=lambda d, s, dst, now: now > 1)
    up(pair)
    pair.advance(200)
    (eb,) = pair.all_events("b", SaExpired)
    assert (eb.kind, eb.hard) == ("ike", True)
    assert [e.reason for e in pair.all_events("b", Phase1Down)] == ["expired"]
    assert pair.b.sadb.ipsec  # IPsec SAs outlive their IKE SA


def test_delete_child_both_ways():
    pair = up(make_pair())
    assert pair.a.delete_child(B, "vpn", 1.0)
    pair.pump()
    assert [e.reason for e in pair.all_events("a", Phase2Down)] == ["deleted"]
    assert [e.reason for e in pair.all_events("b", Phase2Down)] == ["peer-delete"]
    assert not pair.a.sadb.ipsec and not pair.b.sadb.ipsec
    pair.a.initiate(B, 2.0, "vpn")
    pair.pump()
    assert pair.b.delete_child(A, "vpn", 3.0)
    pair.pump()
    assert [e.reason for e in pair.all_events("a", Phase2Down)] == ["deleted", "peer-delete"]
    assert not pair.b.delete_child(A, "vpn", 3.0)


def test_delete_ike_both_ways():
    pair = up(make_pair())
    assert pair.b.delete_ike(A, 1.0)
    pair.pump()
    assert [e.reason for e in pair.all_events("b", Phase1Down)] == ["deleted"]
    assert [e.reason for e in pair.all_events("a", Phase1Down)] == ["peer-delete"]
    assert not pair.a.sadb.ike and not pair.b.sadb.ike
    assert pair.a.sadb.ipsec  # phase-2 SAs survive a phase-1 delete in IKEv1
    pair.a.initiate(B, 2.0)
    pair.pump()
    assert pair.a.delete_ike(B, 3.0)
    pair.pump()
    assert [e.reason for e in pair.all_events("b", Phase1Down)] == ["deleted", "peer-delete"]
    assert not pair.a.delete_ike(B, 4.0)


def test_ike_counters_move():
    pair = up(make_pair())
    sa = pair.a.sadb.ike_for(B)
    # out: MM1, MM3, MM5, QM1, QM3; in: MM2, MM4, MM6, QM2
    assert (sa.packets_out, sa.packets_in) == (5, 4)
    assert sa.bytes_out == sum(len(d) for _, s, _, d in pair.log if s == A)
    assert sa.bytes_in == sum(len(d) for _, s, _, d in pair.log if s == B)
