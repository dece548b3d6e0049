"""Two engine behaviours a real peer on the IKE bridge exposed (issue 17 #5): a phase 1 started
with the non-ESP marker is answered with it, and simultaneous initiation leaves one IKE SA on
both sides without a Delete war."""

from __future__ import annotations

import random

import pytest

from routershell.engine import natt
from routershell.engine.constants import Exchange
from routershell.engine.events import Phase1Down, Phase1Up, Phase2Up
from routershell.engine.ike import IkeEndpoint
from routershell.engine.isakmp import decode

from .helpers import A, B, make_pair, peer


def test_a_marked_main_mode_1_is_answered_marked() -> None:
    """Both ports other than 500: strongSwan sends MM1 with the marker from its NAT-T port;
    MM2 (and its retransmissions) must carry the marker too, else the peer reads it as ESP."""
    a = IkeEndpoint(A, random.Random(1), [peer(B[0], "a")])
    b = IkeEndpoint(B, random.Random(2), [peer(A[0], "b")])
    a.initiate(B, 0.0, "vpn")
    ((mm1, _),) = a.datagrams_to_send()
    src = (A[0], 6501)  # the peer's NAT-T port
    b.receive(natt.frame_ike(mm1), src, 0.0)
    ((mm2, dst),) = b.datagrams_to_send()
    assert dst == src and mm2[:4] == natt.NON_ESP_MARKER
    assert decode(mm2[4:]).exchange == Exchange.MAIN
    b.handle_timer(b.get_timer())  # retransmission of MM2
    ((again, dst2),) = b.datagrams_to_send()
    assert again == mm2 and dst2 == src
    # an unmarked MM1 is still answered unmarked
    b.receive(mm1[:8][::-1] + mm1[8:], A, 0.0)  # another initiator cookie
    ((plain, _),) = b.datagrams_to_send()
    assert plain[:4] != natt.NON_ESP_MARKER


def _collide(delay: int):
    p = make_pair(seed=delay, a_kw={"dpd": None}, b_kw={"dpd": None})
    deletes: list[str] = []
    for side in "ab":
        ep = getattr(p, side)
        send = ep._send_delete_ike
        ep._send_delete_ike = lambda sa, now, s=side, f=send: (deletes.append(s), f(sa, now))
    p.a.initiate(B, 0.0, "vpn")
    p.pump(limit=delay)
    p.b.initiate(A, 0.0, "vpn")
    return p, deletes


def _live(ep: IkeEndpoint) -> list:
    return [s for s in ep.sadb.ike.values() if s.state == "established" and not s.superseded]


@pytest.mark.parametrize("delay", range(0, 5))
def test_simultaneous_initiation_keeps_one_sa_on_both_sides(delay: int) -> None:
    """A and B initiate main mode to each other at once (B after `delay` datagrams). Before the
    fix each side treated the SA that came up second as a rekey and deleted the other: both
    SAs died, and a peer that re-initiates on a Delete never settled. Now both use the SA
    with the higher initiator cookie, keep the other idle, and nobody sends a Delete."""
    p, deletes = _collide(delay)
    p.advance(300.0)
    assert sum(1 for _, _, _, d in p.log if decode(d).exchange == Exchange.MAIN
               and decode(d).rcookie == bytes(8)) == 2  # exactly the two MM1s, no re-initiation
    live = {}
    for side in "ab":
        ep = getattr(p, side)
        (sa,) = _live(ep)
        live[side] = sa.key
        assert len(ep.sadb.ike) == 2  # the idle twin, answered on until it expires
        assert len(p.all_events(side, Phase1Up)) == 1
        assert p.all_events(side, Phase1Down) == []
        assert len(p.all_events(side, Phase2Up)) == 1
        assert [s for s in ep.sadb.ipsec.values() if not s.superseded]
    assert live["a"] == live["b"]  # the same SA is used on both sides
    assert deletes == []


def test_a_peer_that_deletes_the_sa_in_use_is_followed() -> None:
    """strongSwan keeps the newer SA it responded to and deletes the other 10 s later, which
    may be the one the cookie rule chose: the idle twin takes over without a Phase1Down."""
    p, _ = _collide(0)
    p.advance(5.0)
    (kept,) = _live(p.b)
    twin = next(s for s in p.b.sadb.ike.values() if s is not kept)
    p.b._send_delete_ike(kept, p.now)  # B deletes only the SA in use, as strongSwan does
    twin.superseded, kept.superseded = False, True
    p.b._remove_ike(kept, "deleted")
    p.advance(60.0)
    (now_a,) = _live(p.a)
    assert now_a.key == twin.key and p.all_events("a", Phase1Down) == []
    assert p.a.sadb.ike_for(B) is now_a
    p.a.delete_ike(B, p.now)  # a clear removes the SA in use and nothing idle is left behind
    assert p.a.sadb.ike == {}
