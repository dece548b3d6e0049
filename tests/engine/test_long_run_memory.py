"""Nothing in the engine grows with the number of rekeys (issue 18: RSS grew with every rekey
hour). Many rekeys on the virtual clock; every structure the endpoints keep stays the size it
had after the first few."""

from __future__ import annotations

from routershell.engine.dpd import OUTSTANDING_KEPT, DpdPolicy
from routershell.engine.events import SaRekeyed
from routershell.engine.proposals import IkeProposal, IpsecProposal

from .helpers import B, make_pair, up


def _sizes(ep) -> dict[str, int]:
    db = ep.sadb
    return {
        "ike": len(db.ike), "ipsec": len(db.ipsec), "timers": len(ep._timers),
        "resp_index": len(ep._resp_index), "cookies": len(db._cookies),
        "outbound": len(db._outbound), "outbound_n": len(db._outbound_n),
        "spis_reserved": len(db._spis_reserved),
        "hosts": len(db.ike.by_host) + len(db.ipsec.by_host),
        "exchanges": sum(len(sa.exchanges) for sa in db.ike.values()),
        "pending": sum(len(sa.pending_children) for sa in db.ike.values()),
        "dpd_outstanding": sum(len(sa.dpd.outstanding) for sa in db.ike.values() if sa.dpd),
        "events": len(ep._events), "touched": len(ep._touched), "dirty": len(ep._dirty),
    }


def test_hundreds_of_rekeys_leave_every_structure_bounded():
    ike = (IkeProposal(lifetime_s=600),)
    child = (IpsecProposal(lifetime_s=120, lifetime_kb=512),)
    pair = up(make_pair(dict(ike=ike, child=child), dict(ike=ike, child=child)))
    rekeys = 0
    peak: dict[str, dict[str, int]] = {"a": {}, "b": {}}
    for hour in range(1, 11):
        for minute in range(0, 60, 5):
            t = (hour - 1) * 3600 + minute * 60 + 30
            pair.advance(t)
            for ipsec in list(pair.a.sadb.ipsec.values()):  # traffic: kilobyte rekeys too
                pair.a.account(ipsec.inbound_spi, 200 * 1024, 150, t)
            pair.pump()
        rekeys += len(pair.all_events("a", SaRekeyed))
        for side, ep in (("a", pair.a), ("b", pair.b)):
            sizes = _sizes(ep)
            if hour == 2:
                peak[side] = sizes
            elif hour > 2:
                for k, v in sizes.items():
                    assert v <= max(peak[side][k], 2), (side, hour, k, v, peak[side][k])
        for v in pair.events.values():  # a runtime drains and forgets events
            v.clear()
        pair.log.clear()
    assert rekeys > 150


def test_asking_again_while_phase_1_is_pending_queues_one_child():
    pair = make_pair(drop=lambda *a: True)
    for k in range(100):
        pair.a.initiate(B, k * 0.01, "vpn")
    (sa,) = pair.a.sadb.ike.values()
    assert sa.pending_children == [("vpn", None)]


def test_probes_without_answers_keep_a_bounded_set():
    """Failover hellos (IkeEndpoint.probe) to a peer that never ACKs."""
    pair = up(make_pair({}, dict(dpd=DpdPolicy(respond=False, initiate=False))))
    for k in range(500):
        assert pair.a.probe(B, 1.0 + k)
        pair.pump()
    (sa,) = pair.a.sadb.ike.values()
    assert len(sa.dpd.outstanding) == OUTSTANDING_KEPT
    assert sa.dpd.seq in sa.dpd.outstanding  # the newest is the one an ACK may still match


def test_events_are_slotted():
    ev = SaRekeyed(("192.0.2.1", 500), "ipsec", "0000abcd", "0000abce", "vpn")
    assert not hasattr(ev, "__dict__")
