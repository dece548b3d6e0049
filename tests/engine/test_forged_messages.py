"""A message that fails decryption or authentication is dropped and counted; the exchange goes on
with the genuine message or a retransmission (issue 18). Also: an undecryptable aggressive-mode
message 3 is an authentication failure, not a malformed message (issue 10)."""

from __future__ import annotations

import pytest

from routershell.engine.constants import Exchange, Flag
from routershell.engine.events import (
    AUTHENTICATION_FAILED,
    Malformed,
    MessageDropped,
    NegotiationFailed,
    Phase1Up,
    Phase2Up,
)
from routershell.engine.isakmp import HashPayload, Header, decode

from .helpers import A, B, make_pair, up

# delivery order of a whole negotiation (phase 1 + one quick mode) through `up()`
MAIN = ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
AGGRESSIVE = ["AM1", "AM2", "AM3", "QM1", "QM2", "QM3"]


def _corrupt(data: bytes) -> bytes:
    """Flip one byte the receiver authenticates: inside the ciphertext of an encrypted message,
    inside the HASH payload of a clear one."""
    buf = bytearray(data)
    msg = decode(data)
    if msg.flags & Flag.ENCRYPTED:
        buf[-1] ^= 0x5A  # last block: the tail of the plaintext (HASH or padding) changes
    else:
        h = msg.first(HashPayload)
        assert h is not None
        buf[data.index(h.data) + 3] ^= 0x5A
    return bytes(buf)


def _pair_with_forgery(mode: str, victim: str):
    """A pair where a corrupted copy of message `victim` reaches its receiver first."""
    names = MAIN if mode == "main" else AGGRESSIVE
    seen = []
    pair = None

    def hook(data, src, dst, now):
        seen.append(data)
        if len(seen) <= len(names) and names[len(seen) - 1] == victim:
            target = pair.b if dst[0] == B[0] else pair.a
            target.receive(_corrupt(data), src, now)
        return False

    pair = make_pair(dict(mode=mode), {}, drop=hook)
    return pair


@pytest.mark.parametrize("mode,victim", [
    ("main", "MM5"), ("main", "MM6"),
    ("aggressive", "AM2"), ("aggressive", "AM3"),
    ("main", "QM1"), ("main", "QM2"), ("main", "QM3"),
])
def test_corrupted_copy_before_the_genuine_message_does_not_cost_the_sa(mode, victim):
    pair = up(_pair_with_forgery(mode, victim))
    pair.advance(3)  # a retransmission, where the genuine message alone cannot finish it
    for side in "ab":
        assert len(pair.all_events(side, Phase1Up)) == 1, (side, pair.events[side])
        assert len(pair.all_events(side, Phase2Up)) == 1, (side, pair.events[side])
        assert not pair.all_events(side, NegotiationFailed)
    receiver = {"MM5": "b", "MM6": "a", "AM2": "a", "AM3": "b",
                "QM1": "b", "QM2": "a", "QM3": "b"}[victim]
    ep = pair.b if receiver == "b" else pair.a
    assert ep.stats.unauthenticated == 1
    (dropped,) = pair.all_events(receiver, MessageDropped)
    assert dropped.phase == (1 if victim[0] != "Q" else 2)
    assert dropped.reason == AUTHENTICATION_FAILED
    assert len(pair.a.sadb.ipsec) == len(pair.b.sadb.ipsec) == 1


def test_many_forgeries_of_different_bytes_still_do_not_end_the_exchange():
    """Only the same bytes refused twice (the peer's retransmission) end a phase 1."""
    seen = []
    pair = None

    def hook(data, src, dst, now):
        seen.append(data)
        if len(seen) == 5:  # MM5: five different damaged copies first
            for k in range(5):
                buf = bytearray(data)
                buf[-1 - k] ^= 0x33
                pair.b.receive(bytes(buf), src, now)
        return False

    pair = make_pair(drop=hook)
    up(pair)
    assert pair.b.stats.unauthenticated == 5
    assert len(pair.all_events("b", Phase1Up)) == 1


def _aggressive_responder_after_am2():
    """A responder that has sent aggressive-mode message 2 and waits for message 3."""
    pair = make_pair(dict(mode="aggressive"), {}, drop=lambda data, src, dst, now:
                     decode(data).exchange == Exchange.AGGRESSIVE and dst[0] == A[0])
    pair.a.initiate(B, 0.0, "vpn")
    pair.pump()
    (sa,) = pair.b.sadb.ike.values()
    assert sa.p1.state == "AM2_SENT"
    return pair, sa


def test_undecryptable_aggressive_message_3_is_an_authentication_failure():
    pair, sa = _aggressive_responder_after_am2()
    body = bytes(range(32))  # two cipher blocks the responder's keys cannot make sense of
    am3 = Header(sa.icookie, sa.rcookie, 8, Exchange.AGGRESSIVE, Flag.ENCRYPTED, 0,
                 28 + len(body)).encode() + body
    pair.b.receive(am3, A, 0.5)
    events = []
    while (ev := pair.b.next_event()) is not None:
        events.append(ev)
    assert [type(e) for e in events] == [Malformed, MessageDropped]
    assert events[1].reason == AUTHENTICATION_FAILED and not events[0].reason.startswith("crypto")
    # The initiator accepted our HASH_R, so the keys agree: the same undecryptable bytes again
    # are a forgery too (not a key mismatch) and cost nothing; the timeout would report it.
    pair.b.receive(am3, A, 1.0)
    assert [type(e) for e in iter(pair.b.next_event, None)] == [Malformed, MessageDropped]
    assert pair.b.stats.unauthenticated == 2 and pair.b.sadb.ike


def test_refused_message_then_timeout_reports_the_refusal_not_a_timeout():
    pair, sa = _aggressive_responder_after_am2()
    body = bytes(range(32))
    am3 = Header(sa.icookie, sa.rcookie, 8, Exchange.AGGRESSIVE, Flag.ENCRYPTED, 0,
                 28 + len(body)).encode() + body
    pair.b.receive(am3, A, 0.5)
    pair.b.datagrams_to_send()
    t = pair.b.get_timer()
    while t is not None:
        pair.b.handle_timer(t)
        pair.b.datagrams_to_send()
        t = pair.b.get_timer()
    fails = [e for e in iter(pair.b.next_event, None) if isinstance(e, NegotiationFailed)]
    assert [(f.phase, f.reason) for f in fails] == [(1, AUTHENTICATION_FAILED)]


def test_reply_with_a_zero_responder_cookie_does_not_start_a_responder_sa():
    pair = make_pair()
    pair.a.initiate(B, 0.0, "vpn")
    ((mm1, _),) = pair.a.datagrams_to_send()
    pair.b.receive(mm1, A, 0.0)
    ((mm2, _),) = pair.b.datagrams_to_send()
    pair.a.receive(mm2[:8] + bytes(8) + mm2[16:], B, 0.1)  # responder cookie zeroed
    (sa,) = pair.a.sadb.ike.values()
    assert sa.role == "initiator" and sa.p1.state == "MM1_SENT"
    assert not pair.a.datagrams_to_send()  # nothing answered as a responder
    assert [type(e) for e in iter(pair.a.next_event, None)] == [Malformed]
    pair.a.receive(mm2, B, 0.2)  # the genuine reply still works
    pair.pump()
    assert pair.all_events("a", Phase2Up) and pair.all_events("b", Phase2Up)


def test_initiator_refuses_a_reply_with_a_longer_kilobyte_lifetime():
    from routershell.engine.proposals import (
        IkeProposal,
        NoProposalChosen,
        ike_from_reply,
        ike_sa_payload,
    )
    mine = (IkeProposal(lifetime_kb=1000),)
    with pytest.raises(NoProposalChosen):
        ike_from_reply(ike_sa_payload((IkeProposal(lifetime_kb=5000),)), mine)
    with pytest.raises(NoProposalChosen):  # 0 = unlimited, longer than ours
        ike_from_reply(ike_sa_payload((IkeProposal(lifetime_kb=0),)), mine)
    assert ike_from_reply(ike_sa_payload((IkeProposal(lifetime_kb=800),)), mine).lifetime_kb == 800


@pytest.mark.parametrize("victim", ["MM5", "MM6"])
def test_junk_blocks_appended_to_an_encrypted_message_are_refused(victim):
    """The extended copy still decrypts and authenticates, but accepting it would move the CBC
    chain off the sender's (the next IV is the last block received): quick mode then fails."""
    seen = []
    pair = None

    def hook(data, src, dst, now):
        seen.append(data)
        if MAIN[len(seen) - 1] == victim if len(seen) <= len(MAIN) else False:
            longer = bytearray(data + bytes(range(32)))
            longer[24:28] = len(longer).to_bytes(4, "big")
            target = pair.b if dst[0] == B[0] else pair.a
            target.receive(bytes(longer), src, now)
        return False

    pair = make_pair(drop=hook)
    up(pair)
    pair.advance(3)
    assert pair.all_events("a", Phase2Up) and pair.all_events("b", Phase2Up)
    assert not pair.all_events("a", NegotiationFailed)
