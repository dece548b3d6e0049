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
    DecodeError,
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
    sa_view,
    sa_view_of,
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


@pytest.mark.parametrize(("offer", "accepted"), list(itertools.product(SETS, SETS)))
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
            fast = _outcome(choose_ipsec_offer, sa_view_of(got), accepted, 0x0A0B0C0D)
            if general[0] == "refused":
                assert fast == general
            else:
                assert fast == (general[0], general[1], general[2].body())


@pytest.mark.parametrize(("offer", "reply_from"), list(itertools.product(SETS, SETS)))
def test_the_initiators_check_is_ipsec_from_replys(offer, reply_from):
    for spi in (b"\x00\x00\x01\x00", b"\x00\x00\x00\x05", b"\x01\x02\x03", b"\xaa\xbb\xcc\xdd"):
        for _ in range(2):
            one = reply_from[0].transform(1)
            for transforms in ((one,), (one, reply_from[-1].transform(2))):
                reply = _received(SaPayload((Proposal(1, reply_from[0].proto_id, spi,
                                                      transforms),)))
                assert _outcome(ipsec_from_reply_offer, sa_view_of(reply), offer) == \
                    _outcome(ipsec_from_reply, reply, offer)
    two = _received(ipsec_sa_payload(reply_from, 0x1000))
    assert _outcome(ipsec_from_reply_offer, sa_view_of(two), offer) == \
        _outcome(ipsec_from_reply, two, offer)


def test_payloads_made_here_are_viewed_as_sent():
    offer = ipsec_sa_payload(SETS[2], 0x4000)  # no raw bytes
    agreed, spi, reply = choose_ipsec(offer, SETS[2], 0x5000)
    assert choose_ipsec_offer(sa_view_of(offer), SETS[2], 0x5000) == (agreed, spi, reply.body())
    assert ipsec_from_reply_offer(sa_view_of(reply), SETS[2]) == ipsec_from_reply(reply, SETS[2])


@pytest.mark.parametrize("proposals", SETS)
def test_a_known_shape_is_viewed_without_decoding(proposals):
    first, raw = encode_payloads([ipsec_sa_payload(proposals, 0x0BADCAFE)])
    seen = sa_view_of(decode_payloads(first, raw)[0])
    first, raw = encode_payloads([ipsec_sa_payload(proposals, 0x0C0FFEE0)])
    view = sa_view(raw)
    assert view is not None and view.key == seen.key
    assert view.spis == (b"\x0c\x0f\xfe\xe0",) * len(proposals)
    # every shorter or damaged copy: no view unless the decoder takes it with the same SPIs
    for cut in range(len(raw)):
        for damaged in (raw[:cut], raw[:cut] + bytes([raw[cut] ^ 0x5A]) + raw[cut + 1:]):
            view = sa_view(damaged)
            if view is None:
                continue
            try:  # alone: whatever type it names as next is not the SA payload's business
                (decoded,) = decode_payloads(Payload.SA, b"\0" + damaged[1:])
            except DecodeError:
                pytest.fail(f"viewed a payload the decoder refuses: {damaged.hex()}")
            assert view.spis == tuple(p.spi for p in decoded.proposals)


def _general(first: int, pt: bytes, block: int):
    """What quick mode's general path makes of a decrypted message."""
    try:
        payloads = decode_payloads(first, pt)
    except DecodeError:
        return None
    if len(pt) - sum(len(p.raw) for p in payloads) > block:
        return None
    if not payloads or not isinstance(payloads[0], HashPayload):
        return None
    return quick._Qm.of(payloads)


def _fields(qm):
    ids = [(p.id_type, p.data, p.protocol, p.port, p.raw) for p in qm.ids]
    sa = None if qm.sa is None else (qm.sa.key, qm.sa.spis)
    return qm.hash, qm.rest, sa, qm.nonce, qm.ke, ids


def test_quick_mode_reader_agrees_with_the_decoder():
    """`_read_qm` gives what the decoder gives, or leaves the message to it; never reads a
    message the decoder refuses."""
    import random
    rnd = random.Random(5)
    sa = ipsec_sa_payload(SETS[1], 0x11223344)
    sa_view_of(_received(sa))  # its shape is known
    shapes = [  # (payloads, read without the decoder)
        ([HashPayload(b"h" * 20), sa, NoncePayload(b"n" * 16)], True),
        ([HashPayload(b"h" * 20), sa, NoncePayload(b"n" * 16), KePayload(b"k" * 64),
          IdPayload(4, b"\x0a\0\0\0\xff\xff\0\0"), IdPayload(4, b"\x0a\1\0\0\xff\xff\0\0", 6, 80)],
         True),
        ([HashPayload(b"h" * 20)], True),
        ([HashPayload(b"h" * 20), NoncePayload(b"a"), NoncePayload(b"b")], False),
        ([NoncePayload(b"n" * 16), HashPayload(b"h" * 20)], False),
        # two SA payloads of a known shape: the first is the message's (as _Qm.of takes it)
        ([HashPayload(b"h" * 20), sa, ipsec_sa_payload(SETS[1], 0x55667788),
          NoncePayload(b"n" * 16)], False),
    ]
    read = 0
    for payloads, plain in shapes:
        first, chain = encode_payloads(payloads)
        for pad in (0, 7, 16, 17):
            pt = chain + bytes(pad)
            fast = quick._read_qm(first, pt, 16)
            general = _general(first, pt, 16)
            if fast is not None:
                read += 1
                assert general is not None and _fields(fast) == _fields(general)
            elif plain and pad <= 16:
                pytest.fail("a plain quick mode message was left to the decoder")
            for _ in range(150):
                k = rnd.randrange(len(pt))
                bad = pt[:k] + bytes([rnd.randrange(256)]) + pt[k + 1:]
                bad = bad[:rnd.choice((len(bad), rnd.randrange(len(bad) + 1)))]
                fast = quick._read_qm(first, bad, 16)
                if fast is not None:
                    general = _general(first, bad, 16)
                    assert general is not None and _fields(fast) == _fields(general)
    assert read == 9


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


def test_quick_modes_with_known_proposals_are_not_decoded_encoded_or_chosen_again(monkeypatch):
    pair = make_pair(a_kw={"ts": None}, b_kw={"ts": None})
    pair.a.initiate(pair.b.local, 0.0, "vpn")
    pair.pump()
    calls = []
    for name in ("choose_ipsec", "ipsec_from_reply", "ipsec_sa_payload"):
        real = getattr(props_mod, name)

        def spy(*a, _n=name, _r=real):
            calls.append(_n)
            return _r(*a)
        monkeypatch.setattr(props_mod, name, spy)
        monkeypatch.setattr(quick, name, spy, raising=False)  # wherever quick mode takes it from
    real_of = quick._Qm.of
    monkeypatch.setattr(quick._Qm, "of", classmethod(
        lambda cls, payloads: calls.append("decoded") or real_of(payloads)))
    sa = pair.a.sadb.ike_for(pair.b.local)
    for ipsec in list(pair.a.sadb.ipsec.values()):  # a rekey: the same proposals again
        pair.a._quick_start(sa, ipsec.child, 1.0, ipsec.inbound_spi)
    pair.pump()
    assert len(pair.a.sadb.ipsec) == 1 and len(pair.b.sadb.ipsec) == 1
    assert calls == []


def test_a_rekeys_delete_is_the_general_informational_delete():
    from routershell.engine import crypto
    from routershell.engine.constants import Exchange, Proto
    from routershell.engine.isakmp import DeletePayload, decode

    pair = make_pair(a_kw={"ts": None}, b_kw={"ts": None})
    pair.a.initiate(pair.b.local, 0.0, "vpn")
    pair.pump()
    (old,) = pair.a.sadb.ipsec.values()
    sa = pair.a.sadb.ike_for(pair.b.local)
    pair.a._quick_start(sa, old.child, 1.0, old.inbound_spi)
    pair.pump()
    infos = [d for _, src, _, d in pair.log if src == pair.a.local
             and decode(d).exchange == Exchange.INFORMATIONAL]
    (data,) = infos
    msg = decode(data)
    iv = crypto.phase2_iv(sa.proposal.hash, sa.p1_last_block, msg.message_id, sa.proposal.block)
    pt = crypto.decrypt(sa.proposal.cipher, sa.enc_key, iv, msg.body)
    delete = DeletePayload(Proto.ESP, (old.inbound_spi.to_bytes(4, "big"),))
    _, d_chain = encode_payloads([delete])
    h = crypto.keyed_prf(sa.proposal.hash, sa.skeyid_a, msg.message_id.to_bytes(4, "big") + d_chain)
    first, chain = encode_payloads([HashPayload(h), delete])
    assert msg.next_payload == first and pt == crypto.pad(chain, sa.proposal.block)
    assert old.outbound_spi not in pair.b.sadb.ipsec  # the peer took it: its old SA is gone
    assert len(pair.b.sadb.ipsec) == 1


def test_equal_proposal_sets_that_are_other_objects_get_the_same_answers():
    a, b = SETS[2], tuple(list(SETS[2]))
    assert a == b and a is not b
    assert ipsec_sa_body(a, 0x4242) == ipsec_sa_body(b, 0x4242) == \
        ipsec_sa_payload(a, 0x4242).body()
    offer = sa_view_of(_received(ipsec_sa_payload(a, 0x5000)))
    assert choose_ipsec_offer(offer, a, 0x6000) == choose_ipsec_offer(offer, b, 0x6000)
    reply = sa_view_of(_received(choose_ipsec(offer.shape, a, 0x6000)[2]))
    assert ipsec_from_reply_offer(reply, a) == ipsec_from_reply_offer(reply, b)


def test_phase_1_nat_d_hash_is_natts():
    from routershell.engine import natt, phase1

    for h in ("md5", "sha1", "sha256", "sha384", "sha512", "unknown"):
        for ip, port in (("192.0.2.1", 500), ("2001:db8::1", 4500), ("10.0.0.1", 65535)):
            assert phase1._nat_d_hash(h, b"i" * 8, b"r" * 8, ip, port) == \
                natt.nat_d_hash(h, b"i" * 8, b"r" * 8, ip, port)


def _crafted_qm1(pair, items, extra_pad: int = 0) -> bytes:
    """A quick mode message 1 from a to b with a genuine HASH(1) over any chain of (type,
    body) items: what a peer holding the keys could send."""
    from routershell.engine import crypto
    from routershell.engine.constants import Exchange, Flag
    from routershell.engine.isakmp import encode_message, hash_first

    sa = pair.a.sadb.ike_for(pair.b.local)
    p = sa.proposal
    msgid = 0x01020304
    first, chain = quick._chain(items) if items else (0, b"")
    h = crypto.keyed_prf(p.hash, sa.skeyid_a, msgid.to_bytes(4, "big") + chain)
    first, chain = hash_first(h, first, chain)
    iv = crypto.phase2_iv(p.hash, sa.p1_last_block, msgid, p.block)
    body = crypto.pad(chain, p.block) + bytes(p.block * extra_pad)
    ct = crypto.encrypt(p.cipher, sa.enc_key, iv, body)
    return encode_message(sa.icookie, sa.rcookie, Exchange.QUICK, first, ct, msgid,
                          Flag.ENCRYPTED)


def _responder_sees(monkeypatch, make, fast: bool, decoded: list | None = None):
    """b's events and datagrams for one crafted message 1, the reader on or off."""
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(quick, "_read_qm", lambda *a: None)
        pair = make_pair(a_kw=dict(child=(IpsecProposal(pfs_group=2),)),
                         b_kw=dict(child=(IpsecProposal(pfs_group=2),)))
        pair.a.initiate(pair.b.local, 0.0, "vpn")
        pair.pump()
        pair.b.datagrams_to_send()
        while pair.b.next_event() is not None:
            pass
        data = make(pair)
        if decoded is not None:
            decoded.clear()
        pair.b.receive(data, pair.a.local, 1.0)
        events = []
        while (ev := pair.b.next_event()) is not None:
            events.append(repr(ev))
        return events, pair.b.datagrams_to_send(), pair.b.stats


def test_the_responder_acts_alike_with_and_without_the_reader(monkeypatch):
    """Messages with a genuine HASH but any content (malformed, unusual, well-formed) make the
    responder do exactly the same, the quick-mode reader on or off."""
    import random

    from routershell.engine.constants import Payload
    from routershell.engine.crypto import GROUPS

    rnd = random.Random(11)
    sa_body = ipsec_sa_body((IpsecProposal(pfs_group=2),), 0x11223344)
    ke = GROUPS[2].public(GROUPS[2].private(random.Random(1)))
    ids = [(Payload.ID, quick._id_body(4, b"\x0a\x01\0\0\xff\xff\0\0")),  # IDci, IDcr
           (Payload.ID, quick._id_body(4, b"\x0a\x02\0\0\xff\xff\0\0"))]
    good = [(Payload.SA, sa_body), (Payload.NONCE, b"n" * 16), (Payload.KE, ke), *ids]
    cases = [
        lambda p: _crafted_qm1(p, good),
        lambda p: _crafted_qm1(p, good[:3]),  # no IDs: the child without selectors (none)
        lambda p: _crafted_qm1(p, good, extra_pad=2),
        lambda p: _crafted_qm1(p, [*good, (Payload.NONCE, b"again")]),
        lambda p: _crafted_qm1(p, [*good, (99, b"unknown")]),
        lambda p: _crafted_qm1(p, [*good[:3], (Payload.ID, b"\x04")]),
        lambda p: _crafted_qm1(p, good[1:]),
        lambda p: _crafted_qm1(p, []),
        lambda p: _crafted_qm1(p, [(Payload.SA, sa_body[:-3]), *good[1:]]),
        lambda p: _crafted_qm1(p, [(Payload.SA, sa_body.replace(b"\x11\x22\x33\x44", b"\0\0\0\1")),
                                   *good[1:]]),
    ]
    for _ in range(40):  # the SA payload's own bytes damaged at random
        k = rnd.randrange(len(sa_body))
        bad = sa_body[:k] + bytes([rnd.randrange(256)]) + sa_body[k + 1:]
        cases.append(lambda p, bad=bad: _crafted_qm1(p, [(Payload.SA, bad), *good[1:]]))
    decoded = []
    real_of = quick._Qm.of
    monkeypatch.setattr(quick._Qm, "of", classmethod(
        lambda cls, payloads: decoded.append(1) or real_of(payloads)))
    outcomes = set()
    for i, make in enumerate(cases):
        fast = _responder_sees(monkeypatch, make, True, decoded)
        if i == 0:  # the usual message: read without the decoder, answered
            assert not decoded and len(fast[1]) == 1 and not fast[0]
        general = _responder_sees(monkeypatch, make, False)
        assert fast[0] == general[0] and fast[1] == general[1]
        assert vars(fast[2]) == vars(general[2])
        outcomes.add((tuple(e.split("(")[0] for e in fast[0]), len(fast[1])))
    assert len(outcomes) >= 4  # answered, refused, dropped as malformed, ...
