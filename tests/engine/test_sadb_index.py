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
