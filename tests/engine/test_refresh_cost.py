"""The endpoint's per-datagram timer bookkeeping does not grow with the SAs of one peer (issue 18:
2,000 first messages from one peer took 3.8 s, 6,000 took 54.7 s)."""

from __future__ import annotations

import random

from routershell.engine.ike import IkeEndpoint

from .helpers import A, B, peer


def _first_message() -> bytes:
    a = IkeEndpoint(A, random.Random(1), [peer(B[0], "a")])
    a.initiate(B, 0.0, "vpn")
    ((data, _),) = a.datagrams_to_send()
    return data


MM1 = _first_message()


def _cookie(i: int) -> bytes:
    return (0xC0 << 56 | i).to_bytes(8, "big")  # never starts with the NAT-T non-ESP marker


def _deadline_reads_per_datagram(n: int, monkeypatch) -> float:
    """Half-open responder SAs from one peer: n first messages (distinct initiator cookies),
    then count how many SA deadlines the next 50 datagrams make the endpoint re-read."""
    b = IkeEndpoint(B, random.Random(2), [peer(A[0], "b")])
    for i in range(n):
        b.receive(_cookie(i) + MM1[8:], A, 0.0)
    assert len(b.sadb.ike) == n
    reads = 0
    real_ike, real_ipsec = b._ike_deadline, b._ipsec_deadline

    def ike(sa):
        nonlocal reads
        reads += 1
        return real_ike(sa)

    def ipsec(sa):
        nonlocal reads
        reads += 1
        return real_ipsec(sa)

    monkeypatch.setattr(b, "_ike_deadline", ike)
    monkeypatch.setattr(b, "_ipsec_deadline", ipsec)
    for i in range(n, n + 50):
        b.receive(_cookie(i) + MM1[8:], A, 1.0)
        b.datagrams_to_send()
    b.get_timer()
    assert len(b.sadb.ike) == n + 50
    return reads / 50


def test_first_messages_cost_the_same_with_many_sas_from_one_peer(monkeypatch):
    few = _deadline_reads_per_datagram(20, monkeypatch)
    many = _deadline_reads_per_datagram(2000, monkeypatch)
    assert few == many <= 2, (few, many)


def test_retransmitted_first_message_touches_only_its_sa(monkeypatch):
    b = IkeEndpoint(B, random.Random(2), [peer(A[0], "b")])
    for i in range(300):
        b.receive(_cookie(i) + MM1[8:], A, 0.0)
    b.datagrams_to_send()
    reads = []
    real = b._ike_deadline
    monkeypatch.setattr(b, "_ike_deadline", lambda sa: reads.append(sa) or real(sa))
    b.receive(_cookie(7) + MM1[8:], A, 0.5)  # a duplicate: MM2 is sent again
    assert len(b.datagrams_to_send()) == 1
    assert [sa.icookie for sa in reads] in ([], [_cookie(7)])


def _hub_with_children(n: int):
    """An established IKE SA carrying `n` IPsec SAs (one per child), finished exchanges purged."""
    from routershell.engine.pair import EndpointPair
    from routershell.engine.peer import ChildConfig, PeerConfig
    from routershell.engine.proposals import IkeProposal, IpsecProposal

    ike = (IkeProposal(dh_group=2),)
    kids = [ChildConfig(f"c{i}", (IpsecProposal(),), f"10.1.{i}.0/24", "10.2.0.0/16")
            for i in range(n + 1)]
    back = [ChildConfig(f"c{i}", (IpsecProposal(),), "10.2.0.0/16", f"10.1.{i}.0/24")
            for i in range(n + 1)]
    a = IkeEndpoint(A, random.Random(1), [PeerConfig(B[0], ike_proposals=ike, psk=b"k",
                                                     children=tuple(kids))])
    b = IkeEndpoint(B, random.Random(2), [PeerConfig(A[0], ike_proposals=ike, psk=b"k",
                                                     children=tuple(back))])
    pair = EndpointPair(a, b)
    for kid in kids[:n]:
        a.initiate(B, 0.0, kid.name)
    pair.pump()
    pair.advance(200.0)
    assert len(a.sadb.ipsec) == n
    return pair


def test_initiating_one_child_rereads_only_its_ike_sa(monkeypatch):
    """A quick mode started on a peer with 32 IPsec SAs (a failover wave starts 32) re-reads
    the deadline of the IKE SA that carries it, not of every SA of the peer host; its
    retransmission is scheduled all the same."""
    pair = _hub_with_children(32)
    a = pair.a
    reads = []
    real_ike, real_ipsec = a._ike_deadline, a._ipsec_deadline
    monkeypatch.setattr(a, "_ike_deadline", lambda sa: reads.append(sa) or real_ike(sa))
    monkeypatch.setattr(a, "_ipsec_deadline", lambda sa: reads.append(sa) or real_ipsec(sa))
    a.initiate(B, pair.now, "c32")
    (ike,) = a.sadb.ike.values()
    assert reads == [ike]
    (ex,) = ike.exchanges.values()
    assert a.get_timer() == ex.deadline > pair.now
