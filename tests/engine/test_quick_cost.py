"""Quick mode's fast paths (proposals.ipsec_sa_body / choose_ipsec_offer /
ipsec_from_reply_offer, quick._chain) give exactly what the general functions give, and a
quick mode with proposals seen before neither encodes its SA payload from objects nor makes
the responder's choice again."""

from __future__ import annotations

import itertools

import pytest

from routershell.engine import proposals as props_mod
from routershell.engine import quick
from routershell.engine.constants import Payload
from routershell.engine.isakmp import (
    HashPayload,
    IdPayload,
    KePayload,
    NoncePayload,
    Proposal,
    SaPayload,
    decode_payloads,
    encode_payloads,
)
from routershell.engine.proposals import (
    IpsecProposal,
    NoProposalChosen,
    choose_ipsec,
    choose_ipsec_offer,
    ipsec_from_reply,
    ipsec_from_reply_offer,
    ipsec_sa_body,
    ipsec_sa_payload,
)

from .helpers import make_pair

SETS = [
    (IpsecProposal(),),
    (IpsecProposal("esp", "aes256", "hmac-sha256", 14, 3600, 4608000),),
    (IpsecProposal("ah", None, "hmac-md5", None, 600),
     IpsecProposal("esp", "3des", "hmac-sha1", None, 86400, 0, "transport"),
     IpsecProposal("esp", None, "hmac-sha1", 2, 0, 1000)),
    (IpsecProposal("esp", "aes128", None, None, 28800, 0, "tunnel", "rfc3947"),
     IpsecProposal("esp", "aes192", "hmac-md5", None, 28800, 0, "tunnel", "draft")),
]


def _received(payload: SaPayload) -> SaPayload:
    """The payload as a peer decodes it (with its raw bytes)."""
    first, chain = encode_payloads([payload])
    (decoded,) = decode_payloads(first, chain)
    return decoded


def _outcome(fn, *args):
    try:
        return fn(*args)
    except NoProposalChosen as e:
        return ("refused", str(e))


@pytest.mark.parametrize("proposals", SETS)
def test_sa_body_is_the_payload_encoding(proposals):
    for spi in (256, 0x12345678, 0xFFFFFFFF):
        assert ipsec_sa_body(proposals, spi) == ipsec_sa_payload(proposals, spi).body()
        assert ipsec_sa_body(list(proposals), spi) == ipsec_sa_payload(proposals, spi).body()


@pytest.mark.parametrize(("offer", "accepted"), itertools.product(SETS, SETS))
def test_the_responders_choice_is_choose_ipsecs(offer, accepted):
    spis = [b"\x00\x00\x01\x00", b"\x00\x00\x00\x05", b"\x01\x02\x03", b"\xaa\xbb\xcc\xdd"]
    for first_spi in spis:  # each twice: the first makes the choice, the second remembers it
        for _ in range(2):
            sent = ipsec_sa_payload(offer, 0x01020304)
            # the first proposal's SPI varies (too small, wrong size): the next one is taken
            sent = SaPayload((Proposal(1, sent.proposals[0].protocol, first_spi,
                                       sent.proposals[0].transforms), *sent.proposals[1:]))
            got = _received(sent)
            general = _outcome(choose_ipsec, got, accepted, 0x0A0B0C0D)
            fast = _outcome(choose_ipsec_offer, got, accepted, 0x0A0B0C0D)
            if general[0] == "refused":
                assert fast == general
            else:
                assert fast == (general[0], general[1], general[2].body())


@pytest.mark.parametrize(("offer", "reply_from"), itertools.product(SETS, SETS))
def test_the_initiators_check_is_ipsec_from_replys(offer, reply_from):
    for spi in (b"\x00\x00\x01\x00", b"\x00\x00\x00\x05", b"\x01\x02\x03", b"\xaa\xbb\xcc\xdd"):
        for _ in range(2):
            one = reply_from[0].transform(1)
            for transforms in ((one,), (one, reply_from[-1].transform(2))):
                reply = _received(SaPayload((Proposal(1, reply_from[0].proto_id, spi,
                                                      transforms),)))
                assert _outcome(ipsec_from_reply_offer, reply, offer) == \
                    _outcome(ipsec_from_reply, reply, offer)
    two = _received(ipsec_sa_payload(reply_from, 0x1000))
    assert _outcome(ipsec_from_reply_offer, two, offer) == _outcome(ipsec_from_reply, two, offer)


def test_payloads_made_here_take_the_general_path():
    offer = ipsec_sa_payload(SETS[2], 0x4000)  # no raw bytes
    agreed, spi, reply = choose_ipsec(offer, SETS[2], 0x5000)
    assert choose_ipsec_offer(offer, SETS[2], 0x5000) == (agreed, spi, reply.body())
    assert ipsec_from_reply_offer(reply, SETS[2]) == ipsec_from_reply(reply, SETS[2])


def test_chain_is_encode_payloads():
    objs = [SaPayload((Proposal(1, 3, b"\1\2\3\4", (IpsecProposal().transform(1),)),)),
            NoncePayload(b"n" * 20), KePayload(b"k" * 128), IdPayload(4, b"\x0a\0\0\0\xff\xff\0\0"),
            IdPayload(1, b"\xc0\0\2\1", 17, 500)]
    for n in range(1, len(objs) + 1):
        items = [(p.TYPE, p.body()) for p in objs[:n]]
        assert quick._chain(items) == encode_payloads(objs[:n])
    assert quick._id_body(1, b"\xc0\0\2\1", 17, 500) == objs[4].body()
    h3 = b"h" * 20
    assert (Payload.HASH, quick._GEN.pack(0, 0, len(h3) + 4) + h3) == \
        encode_payloads([HashPayload(h3)])


def test_quick_modes_with_known_proposals_are_not_encoded_or_chosen_again(monkeypatch):
    pair = make_pair(a_kw={"ts": None}, b_kw={"ts": None})
    pair.a.initiate(pair.b.local, 0.0, "vpn")
    pair.pump()
    calls = []
    for name in ("choose_ipsec", "ipsec_from_reply", "ipsec_sa_payload"):
        real = getattr(props_mod, name)
        spy = (lambda *a, _n=name, _r=real: calls.append(_n) or _r(*a))
        monkeypatch.setattr(props_mod, name, spy)
        monkeypatch.setattr(quick, name, spy, raising=False)  # wherever quick mode takes it from
    sa = pair.a.sadb.ike_for(pair.b.local)
    for ipsec in list(pair.a.sadb.ipsec.values()):  # a rekey: the same proposals again
        pair.a._quick_start(sa, ipsec.child, 1.0, ipsec.inbound_spi)
    pair.pump()
    assert len(pair.a.sadb.ipsec) == 1 and len(pair.b.sadb.ipsec) == 1
    assert calls == []
