"""Starting phase 1 again and again with the same peer (a rekey back-off against an unreachable
peer, issue 11's benchmark) costs no re-encoding of what does not change, and sends the same
bytes as encoding the message from scratch."""

from __future__ import annotations

import random

import pytest

from routershell.engine import natt, phase1
from routershell.engine.constants import Exchange
from routershell.engine.ike import IkeEndpoint
from routershell.engine.isakmp import Message, SaPayload, VendorIdPayload, decode
from routershell.engine.proposals import IkeProposal, ike_sa_payload
from routershell.engine.retransmit import fixed

from .helpers import A, B, peer


@pytest.mark.parametrize("nat_traversal", ["on", "off"])
def test_main_mode_first_message_is_the_full_encoding(nat_traversal):
    ike = (IkeProposal(dh_group=2), IkeProposal(cipher="3des", hash="md5", dh_group=14))
    cfg = peer(B[0], "a", ike=ike, nat_traversal=nat_traversal)
    a = IkeEndpoint(A, random.Random(7), [cfg])
    a.initiate(B, 0.0, "vpn")
    ((data, dst),) = a.datagrams_to_send()
    assert dst == B
    (sa,) = a.sadb.ike.values()
    vids = [] if nat_traversal == "off" else [VendorIdPayload(v) for v in natt.ALL_VIDS]
    offer = ike_sa_payload(ike)
    expected = Message(sa.icookie, b"\0" * 8, Exchange.MAIN, 0, (offer, *vids)).encode()
    assert data == expected
    assert sa.p1.sai_b == offer.body()  # HASH_I/HASH_R input
    msg = decode(data)
    assert isinstance(msg.payloads[0], SaPayload) and len(msg.payloads) == 1 + len(vids)


def test_retried_initiations_encode_the_offer_once(monkeypatch):
    calls = []
    real = phase1.ike_sa_payload
    monkeypatch.setattr(phase1, "ike_sa_payload", lambda props: calls.append(props) or real(props))
    phase1._main_mode_offer.cache_clear()
    a = IkeEndpoint(A, random.Random(3), [peer(B[0], "a")])
    sent = []
    for attempt in range(5):
        now = 100.0 * attempt
        a.initiate(B, now, "vpn")
        ((data, _),) = a.datagrams_to_send()
        sent.append(data)
        assert a.abort(B, now + 30)
    assert len(calls) == 1
    # each attempt a new initiator cookie, the rest of the message the same
    assert len({d[:8] for d in sent}) == 5 and len({d[8:] for d in sent}) == 1


def test_an_attempt_reads_the_sa_deadlines_once_per_step(monkeypatch):
    """initiate (the SA is both touched and its peer host marked), each retransmission, and
    the abort: one read of the new SA's deadlines each, not one per way it was marked."""
    a = IkeEndpoint(A, random.Random(3), [peer(B[0], "a", schedule=fixed(10, 2, "bench"))])
    reads = []
    real = a._ike_deadline
    monkeypatch.setattr(a, "_ike_deadline", lambda sa: reads.append(sa) or real(sa))
    a.initiate(B, 0.0, "vpn")
    assert len(reads) == 1
    sent = len(a.datagrams_to_send())
    while (at := a.get_timer()) is not None and at < 30:
        a.handle_timer(at)
        sent += len(a.datagrams_to_send())
    retransmissions = sent - 1
    assert retransmissions == 2 and len(reads) == 1 + retransmissions
    assert a.abort(B, 30.0) and len(reads) == 1 + retransmissions

