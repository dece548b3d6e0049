"""NAT traversal (RFC 3947) and UDP-encapsulated ESP framing (RFC 3948)."""

from __future__ import annotations

import hashlib
import random
import struct

from routershell.engine import natt
from routershell.engine.events import (
    EspReceived,
    Malformed,
    NatDetected,
    Phase1Up,
    Phase2Up,
    SaRekeyed,
)
from routershell.engine.ike import IkeEndpoint
from routershell.engine.isakmp import NatDPayload, VendorIdPayload, decode
from routershell.engine.pair import EndpointPair
from routershell.engine.proposals import IpsecProposal

from .helpers import A, B, make_pair, peer, up


class NatPair(EndpointPair):
    """Delivers every datagram as a real runtime would: from the endpoint's `source_port`,
    to the local port it is addressed to, optionally rewriting a's address like a NAT."""

    def __init__(self, a, b, nat_a: tuple[str, int] | None = None) -> None:
        super().__init__(a, b)
        self.nat_a = nat_a
        self.wire: list[tuple[tuple, tuple, bytes]] = []

    def pump(self, limit: int = 10_000) -> int:
        delivered = 0
        moved = True
        while moved and delivered < limit:
            moved = False
            for src_ep, dst_ep in ((self.a, self.b), (self.b, self.a)):
                for data, dst in src_ep.datagrams_to_send():
                    moved = True
                    sport = src_ep.source_port(data)
                    src = (src_ep.local[0], sport)
                    if src_ep is self.a and self.nat_a is not None:
                        src = (self.nat_a[0], self.nat_a[1] + (sport != 500))
                    self.wire.append((src, dst, data))
                    dst_ep.receive(data, src, self.now, local_port=dst[1])
                    delivered += 1
        self._drain_events()
        return delivered


def nat_pair(a_kw=None, b_kw=None, nat_a=None, a_local=A) -> NatPair:
    a = IkeEndpoint(a_local, random.Random(1), [peer(B[0], "a", **(a_kw or {}))])
    b_peer_addr = nat_a[0] if nat_a else a_local[0]
    b = IkeEndpoint(B, random.Random(2), [peer(b_peer_addr, "b", **(b_kw or {}))])
    return NatPair(a, b, nat_a)


def test_vendor_ids_and_hash_match_the_rfc() -> None:
    assert natt.RFC3947_VID == hashlib.md5(b"RFC 3947").digest()
    assert natt.DRAFT_VIDS[2] == hashlib.md5(b"draft-ietf-ipsec-nat-t-ike-03").digest()
    assert natt.DRAFT_VIDS[0] == hashlib.md5(b"draft-ietf-ipsec-nat-t-ike-02").digest()
    assert natt.DRAFT_VIDS[1] == hashlib.md5(b"draft-ietf-ipsec-nat-t-ike-02\n").digest()
    h = natt.nat_d_hash("sha1", b"I" * 8, b"R" * 8, "192.0.2.1", 4500)
    assert h == hashlib.sha1(b"I" * 8 + b"R" * 8 + bytes([192, 0, 2, 1]) + b"\x11\x94").digest()
    assert natt.nat_t_version([natt.DRAFT_VIDS[1], natt.RFC3947_VID]) == "rfc3947"
    assert natt.nat_t_version([natt.DRAFT_VIDS[1]]) == "draft"
    assert natt.nat_t_version([b"x" * 16]) is None


def test_framing_helpers() -> None:
    assert natt.classify_4500(b"\xff") == ("keepalive", b"")
    assert natt.classify_4500(b"\0\0\0\0abc") == ("ike", b"abc")
    esp = struct.pack("!II", 0x1234, 7) + b"x" * 40
    assert natt.classify_4500(esp) == ("esp", esp)
    assert natt.esp_header(esp) == (0x1234, 7)
    assert natt.classify_4500(b"\x01\x02") == ("bad", b"")
    assert natt.frame_ike(b"msg") == b"\0\0\0\0msg"
    for encap in ("tunnel", "transport"):
        for udp in ("", "rfc3947", "draft"):
            assert natt.parse_encap(natt.encap_attr(encap, udp)) == (encap, udp)


def test_no_nat_means_no_float_but_nat_d_exchanged() -> None:
    p = nat_pair()
    p.a.initiate(B, p.now, "vpn")
    p.pump()
    nat = p.all_events("a", NatDetected)
    assert nat == [NatDetected(B, False, False, False)]
    assert p.all_events("b", NatDetected) == [NatDetected(A, False, False, False)]
    assert all(dst[1] == 500 and src[1] == 500 for src, dst, _ in p.wire)
    mm1 = decode(p.wire[0][2])
    assert natt.RFC3947_VID in [v.data for v in mm1.find(VendorIdPayload)]
    mm3 = decode(p.wire[2][2])
    assert len(mm3.find(NatDPayload)) == 2
    assert len(p.all_events("a", Phase2Up)) == 1
    (qm,) = p.all_events("a", Phase2Up)
    assert p.a.sadb.ipsec[qm.inbound_spi].proposal.udp == ""


def test_nat_detected_floats_to_4500_with_marker_and_udp_tunnel_mode() -> None:
    p = nat_pair(nat_a=("203.0.113.9", 31000), a_local=("10.0.0.5", 500))
    p.a.initiate(B, p.now, "vpn")
    p.pump()
    a_nat = p.all_events("a", NatDetected)[0]
    b_nat = p.all_events("b", NatDetected)[0]
    assert (a_nat.local, a_nat.floated) == (True, True)
    assert (b_nat.remote, b_nat.floated) == (True, False)  # responder floats on MM5's arrival
    # MM1..MM4 on 500 without marker, MM5 onwards on 4500 with the non-ESP marker
    assert [d[1] for _, d, _ in p.wire[:4]] == [500, 31000, 500, 31000]
    assert all(data[:4] != natt.NON_ESP_MARKER for _, _, data in p.wire[:4])
    assert all(d == (B[0], 4500) if d[0] == B[0] else s == (B[0], 4500)
               for s, d, _ in p.wire[4:])
    assert all(data[:4] == natt.NON_ESP_MARKER for _, _, data in p.wire[4:])
    # the responder answers the NAT's mapped 4500 port, not 4500
    assert any(d == ("203.0.113.9", 31001) for _, d, _ in p.wire[4:])
    assert p.all_events("a", Phase1Up) and p.all_events("b", Phase1Up)
    (up_a,) = p.all_events("a", Phase2Up)
    (up_b,) = p.all_events("b", Phase2Up)
    assert (up_a.inbound_spi, up_a.outbound_spi) == (up_b.outbound_spi, up_b.inbound_spi)
    assert p.a.sadb.ipsec[up_a.inbound_spi].proposal.udp == "rfc3947"
    assert p.b.sadb.ipsec[up_b.inbound_spi].proposal.udp == "rfc3947"


def test_forced_encapsulation_floats_without_a_nat() -> None:
    p = nat_pair(a_kw={"nat_traversal": "force"})
    up(p)
    assert p.all_events("a", NatDetected)[0].floated
    assert p.all_events("b", NatDetected)[0].remote  # the fake hash looks like a NAT
    assert p.wire[-1][1][1] == 4500
    (up_a,) = p.all_events("a", Phase2Up)
    assert p.a.sadb.ipsec[up_a.inbound_spi].proposal.udp == "rfc3947"


def test_nat_t_off_sends_no_vids_and_does_not_float() -> None:
    p = nat_pair(a_kw={"nat_traversal": "off"}, nat_a=("203.0.113.9", 31000),
                 a_local=("10.0.0.5", 500))
    up(p)
    assert not p.all_events("a", NatDetected)
    mm1 = decode(p.wire[0][2])
    assert not mm1.find(VendorIdPayload)
    assert all(d[1] == 500 for _, d, _ in p.wire if d[0] == B[0])
    assert all(data[:4] != natt.NON_ESP_MARKER for _, _, data in p.wire)
    assert p.all_events("a", Phase2Up)


def test_draft_only_peer_gets_draft_payload_numbers_and_encap_61443() -> None:
    p = nat_pair(a_kw={"nat_traversal": "force"})
    # strip the RFC VID from a's MM1 so b answers in the draft dialect
    a_send = p.a.datagrams_to_send

    def draft_only():
        out = []
        for data, dst in a_send():
            if natt.RFC3947_VID in data:
                data = data.replace(natt.RFC3947_VID, natt.DRAFT_VIDS[2])
            out.append((data, dst))
        return out

    p.a.datagrams_to_send = draft_only  # type: ignore[method-assign]
    up(p)
    (up_b,) = p.all_events("b", Phase2Up)
    assert p.b.sadb.ipsec[up_b.inbound_spi].proposal.udp == "draft"
    assert any(len(d) > 30 and d[:4] == natt.NON_ESP_MARKER for _, _, d in p.wire)


def test_dpd_and_delete_travel_floated() -> None:
    p = nat_pair(a_kw={"nat_traversal": "force"})
    up(p)
    n = len(p.wire)
    p.advance(p.now + 120)  # idle: DPD probes both ways
    assert len(p.wire) > n
    assert all(data[:4] == natt.NON_ESP_MARKER for _, _, data in p.wire[n:])
    assert p.a.sadb.ike_for(B) is not None and p.b.sadb.ike_for(A) is not None


def test_keepalive_ignored_and_esp_counted_not_parsed() -> None:
    p = nat_pair(a_kw={"nat_traversal": "force"})
    up(p)
    (up_b,) = p.all_events("b", Phase2Up)
    p.b.receive(b"\xff", (A[0], 4500), p.now, local_port=4500)
    p.b.receive(b"\xff", (A[0], 4500), p.now)
    assert p.b.keepalives == 2
    esp = struct.pack("!II", up_b.inbound_spi, 1) + bytes(60)
    p.b.receive(esp, (A[0], 4500), p.now, local_port=4500)
    stray = struct.pack("!II", 0xDEAD, 1) + bytes(60)
    p.b.receive(stray, (A[0], 4500), p.now, local_port=4500)
    evs = []
    while (ev := p.b.next_event()) is not None:
        evs.append(ev)
    assert [e for e in evs if isinstance(e, EspReceived)] == [
        EspReceived((A[0], 4500), up_b.inbound_spi, 68, True),
        EspReceived((A[0], 4500), 0xDEAD, 68, False)]
    assert not [e for e in evs if isinstance(e, Malformed)]
    assert p.b.esp_packets == 2
    assert p.b.sadb.ipsec[up_b.inbound_spi].packets_in == 1


def test_source_port() -> None:
    ep = IkeEndpoint(("127.0.0.1", 500), random.Random(1), nat_port=4500)
    assert ep.source_port(b"\0\0\0\0" + b"x" * 28) == 4500
    assert ep.source_port(b"\x01" * 28) == 500


def test_udp_proposals_still_match_plain_tunnel_config() -> None:
    offered = IpsecProposal(pfs_group=2, udp="rfc3947")
    assert offered.same_algorithms(IpsecProposal(pfs_group=2))
    t = offered.transform(1)
    back = IpsecProposal.from_transform(3, t)
    assert back is not None and back.udp == "rfc3947" and back.encap == "tunnel"


def test_pair_without_local_port_still_works_when_forced() -> None:
    p = make_pair({"nat_traversal": "force"})
    up(p)
    assert p.all_events("a", Phase2Up) and p.all_events("b", Phase2Up)


def test_a_floated_rekey_reuses_the_udp_proposals_and_their_encoding(monkeypatch) -> None:
    """Quick modes over a floated IKE SA offer UDP-encapsulated ESP: the same proposals tuple
    every time, so the SA payload's body is built once (not once per rekey)."""
    from routershell.engine import proposals as props_mod

    p = nat_pair(a_kw={"nat_traversal": "force"})
    up(p)
    built = []
    real = props_mod.Proposal.body
    monkeypatch.setattr(props_mod.Proposal, "body", lambda self: built.append(1) or real(self))
    sa = p.a.sadb.ike_for(B)
    for _ in range(3):
        for ipsec in list(p.a.sadb.ipsec.values()):
            if ipsec.role == "initiator" and not ipsec.superseded:
                p.a._quick_start(sa, ipsec.child, p.now, ipsec.inbound_spi)
        p.pump()
    rekeyed = p.all_events("a", SaRekeyed)
    assert len(rekeyed) == 3
    assert all(s.proposal.udp == "rfc3947" for s in p.a.sadb.ipsec.values())
    assert built == []  # the first quick mode's encoding served the three rekeys
