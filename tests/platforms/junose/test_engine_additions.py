"""The two engine additions JunosE needs, tested without the runtime: Distribution.peer_established
(the peer brought the tunnel up while the router waited) and IkeEndpoint.forget_ike (an IKE SA
lost with its module: no Delete leaves)."""

from __future__ import annotations

from routershell.engine.distribution import Distribution, Rekey, TunnelOpState


def test_peer_established_drops_the_scheduled_rekey_and_resets_the_backoff():
    d = Distribution()
    d.add_module(0, "2", 1)
    for a in d.add_tunnel(0, "t", "10.0.0.100", "10.0.0.10"):
        if isinstance(a, Rekey):
            d.rekey_result(1, "t", True, a.attempt)
    d.add_module(0, "3", 1)
    d.module_failed(100, "2")
    assert d.tunnel_status("t").next_attempt == 280  # local > remote: 3 minutes
    d.peer_established(120, "t")
    st = d.tunnel_status("t")
    assert (st.state, st.next_attempt, st.failures) == (TunnelOpState.UP, None, 0)
    assert d.get_timer() is None and d.handle_timer(280) == []


def test_peer_established_is_ignored_without_a_module():
    d = Distribution()
    d.add_tunnel(0, "t", "10.0.0.100", "10.0.0.10")
    assert d.peer_established(5, "t") == []
    assert d.tunnel_status("t").state is TunnelOpState.NOT_PRESENT


def test_forget_ike_drops_the_sa_and_sends_nothing():
    import random

    from routershell.engine.ike import IkeEndpoint
    from routershell.engine.peer import ChildConfig, PeerConfig

    a = IkeEndpoint(("10.0.0.1", 500), random.Random(1))
    b = IkeEndpoint(("10.0.0.2", 500), random.Random(2))
    a.add_peer(PeerConfig("10.0.0.2", psk=b"k", children=(ChildConfig("c"),)))
    b.add_peer(PeerConfig("10.0.0.1", psk=b"k", children=(ChildConfig("c"),)))
    a.initiate(("10.0.0.2", 500), 0.0, child="c")
    for _ in range(10):
        for data, _dst in a.datagrams_to_send():
            b.receive(data, ("10.0.0.1", 500), 0.0)
        for data, _dst in b.datagrams_to_send():
            a.receive(data, ("10.0.0.2", 500), 0.0)
    assert a.sadb.ike_for(("10.0.0.2", 500)) is not None
    while a.next_event() is not None:
        pass
    assert a.forget_ike(("10.0.0.2", 500), 1.0)
    assert a.datagrams_to_send() == []
    assert a.sadb.ike_for(("10.0.0.2", 500)) is None
    assert len(a.sadb.ipsec) == 1  # the IPsec SA stays
    assert not a.forget_ike(("10.0.0.2", 500), 1.0)
