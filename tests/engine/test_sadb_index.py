"""The SA database's cheap look-ups agree with the plain walks they replace: the responder's
current SA of a child (`current_ipsec`), the outbound-SPI index when SAs share an outbound SPI
(a twin takes over only when there is one), and the exchange table keyed by plain strings."""

from __future__ import annotations

import random

import pytest

from routershell.engine import machine
from routershell.engine.machine import OPENING, TRANSITIONS, Kind, Role, State
from routershell.engine.proposals import IpsecProposal
from routershell.engine.sa import IpsecSa, SaDatabase

P, Q = ("192.0.2.1", 500), ("192.0.2.1", 4500)


def _sa(peer, child, inbound, outbound, superseded=False) -> IpsecSa:
    sa = IpsecSa(peer, child, "responder", IpsecProposal(), inbound, outbound, 0.0)
    sa.superseded = superseded
    return sa


def test_current_ipsec_is_the_first_of_the_walk():
    db = SaDatabase(random.Random(1))
    rows = [_sa(P, "x", 300, 900, True), _sa(Q, "x", 301, 901), _sa(P, "y", 302, 902),
            _sa(P, "x", 303, 903), _sa(P, "x", 304, 904)]
    for sa in rows:
        db.add_ipsec(sa)
    for peer in (P, Q):
        for child in ("x", "y", "z"):
            walk = next((o for o in db.ipsec_for(peer) if o.child == child and not o.superseded),
                        None)
            assert db.current_ipsec(peer, child) is walk
    assert db.current_ipsec(P, "x") is rows[3]


def test_an_outbound_twin_takes_over_and_nothing_is_left_behind():
    db = SaDatabase(random.Random(1))
    a, b, c = _sa(P, "x", 300, 777), _sa(P, "x", 301, 777), _sa(Q, "x", 302, 777)
    for sa in (a, b, c):
        db.add_ipsec(sa)
    assert db.by_outbound(P, 777) is a and db.by_outbound(Q, 777) is c
    db.ipsec.pop(a.inbound_spi)
    assert db.by_outbound(P, 777) is b  # the twin
    db.ipsec.pop(b.inbound_spi)
    assert db.by_outbound(P, 777) is None
    db.ipsec.pop(c.inbound_spi)
    assert db._outbound == {} and db._outbound_n == {}
    d = _sa(P, "x", 303, 778)
    db.add_ipsec(d)
    db.ipsec[d.inbound_spi] = e = _sa(P, "x", 303, 779)  # replaced under the same key
    assert db.by_outbound(P, 778) is None and db.by_outbound(P, 779) is e
    assert db._outbound_n == {(P, 779): 1}


def test_the_string_keyed_table_is_the_enum_table():
    for (kind, role, state), move in TRANSITIONS.items():
        assert machine.move_for(str(kind), str(role), str(state)) is move
        assert machine.move_for(kind, role, state) is move
    for (kind, role), state in OPENING.items():
        assert machine.opening(str(kind), str(role)) is state
    assert machine.move_for("quick", "initiator", "MM1_SENT") is None
    assert machine.move_for("quick", "initiator", "nonsense") is None
    assert machine.move_for(Kind.QUICK, Role.RESPONDER, State.DONE) is None
    with pytest.raises(ValueError, match="not a valid Kind"):
        machine.opening("nonsense", "initiator")


@pytest.mark.parametrize("role", ["initiator", "responder"])
@pytest.mark.parametrize(("life", "kb"), [(3600, 0), (0, 4096), (86400, 1000)])
def test_an_ipsec_sas_life_is_fixed_at_creation_as_the_proposal_says(role, life, kb):
    prop = IpsecProposal(lifetime_s=life, lifetime_kb=kb)
    sa = IpsecSa(P, "x", role, prop, 300, 900, 12.5, soft_fraction=0.8)
    assert (sa.protocol, sa.lifetime_s, sa.lifetime_kb) == ("esp", life, kb)
    assert sa.hard_at == (12.5 + life if life else None)
    assert sa.soft_at == (12.5 + life * 0.8 if life and role == "initiator" else None)
    assert "hard_at" not in repr(sa)
    assert sa == IpsecSa(P, "x", role, prop, 300, 900, 12.5, soft_fraction=0.8)


def test_proposal_sizes_are_the_ciphers():
    import dataclasses

    from routershell.engine.crypto import CIPHERS
    from routershell.engine.proposals import AUTH_KEY_LEN, IkeProposal

    for cipher in ("des", "3des", "aes128", "aes192", "aes256"):
        ike = IkeProposal(cipher=cipher)
        assert (ike.block, ike.key_len) == (CIPHERS[cipher].block, CIPHERS[cipher].key_len)
        esp = dataclasses.replace(IpsecProposal(), cipher=cipher, auth="hmac-md5")
        assert (esp.proto_id, esp.enc_key_len, esp.auth_key_len) == \
            (3, CIPHERS[cipher].key_len, AUTH_KEY_LEN["hmac-md5"])
    ah = IpsecProposal("ah", None, "hmac-sha256")
    assert (ah.proto_id, ah.enc_key_len, ah.auth_key_len) == (2, 0, 32)
    assert hash(IkeProposal()) == hash(IkeProposal()) and IkeProposal() == IkeProposal()


def test_a_childs_ids_are_its_selectors():
    from routershell.engine.peer import ChildConfig, subnet_id

    c = ChildConfig("c", local_ts="10.1.0.0/16", remote_ts="10.2.0.0/16")
    assert c.ids() == (subnet_id("10.1.0.0/16"), subnet_id("10.2.0.0/16"))
    assert ChildConfig("d").ids() is None


def test_the_child_of_a_quick_mode_without_ids():
    from routershell.engine.peer import ChildConfig, PeerConfig

    a = ChildConfig("a", local_ts="10.1.0.0/16", remote_ts="10.2.0.0/16")
    b, c = ChildConfig("b"), ChildConfig("c")
    assert PeerConfig("192.0.2.9", psk=b"k", children=(a, b, c)).child_without_ids is b
    assert PeerConfig("192.0.2.9", psk=b"k", children=(a,)).child_without_ids is a
    assert PeerConfig("192.0.2.9", psk=b"k").child_without_ids is None
