"""`IkeEndpoint._ipsec_deadline` (written without lists for the rekey waves) and the idle
established IKE SA's branch of `_ike_deadline` (every DPD message reads it) are the formulas
they replaced, spelled with the SA's own properties, for SAs in every state: lifetimes by time
and kilobytes or none, initiator or responder, rekeying, superseded, a retry not before a time,
DPD or none."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from routershell.engine.ike import IkeEndpoint
from routershell.engine.proposals import IpsecProposal
from routershell.engine.sa import IkeSa, IpsecSa


def _reference(ipsec: IpsecSa) -> float | None:
    ts = [ipsec.hard_at]
    if not ipsec.rekeying and not ipsec.superseded:
        soft = [ipsec.soft_at]
        kb = ipsec.lifetime_kb
        if kb and ipsec.role == "initiator" and ipsec.octets >= kb * 1024 * ipsec.soft_fraction:
            soft.append(ipsec.last_used if ipsec.last_used is not None else ipsec.created_at)
        due = min((t for t in soft if t is not None), default=None)
        if due is not None:
            ts.append(max(due, ipsec.rekey_not_before))
    return min((t for t in ts if t is not None), default=None)


@settings(max_examples=600, deadline=None)
@given(life=st.sampled_from([0, 60, 3600]), kb=st.sampled_from([0, 1, 64]),
       role=st.sampled_from(["initiator", "responder"]), created=st.floats(0, 1e5),
       octets=st.integers(0, 200_000), last_used=st.none() | st.floats(0, 2e5),
       rekeying=st.booleans(), superseded=st.booleans(), not_before=st.floats(0, 2e5),
       fraction=st.sampled_from([0.5, 0.9, 1.0]))
def test_ipsec_deadline_is_the_reference_formula(life, kb, role, created, octets, last_used,
                                                 rekeying, superseded, not_before, fraction):
    sa = IpsecSa(("192.0.2.1", 500), "c", role, IpsecProposal(lifetime_s=life, lifetime_kb=kb),
                 256, 257, created, soft_fraction=fraction, bytes_in=octets // 2,
                 bytes_out=octets - octets // 2, last_used=last_used, rekeying=rekeying,
                 superseded=superseded, rekey_not_before=not_before)
    got, want = IkeEndpoint._ipsec_deadline(sa), _reference(sa)
    assert got == want and type(got) is type(want)


def _ike_reference(sa: IkeSa) -> float | None:
    """The general candidates of an established SA without exchanges (before the branch)."""
    ts = []
    if sa.dpd is not None:
        ts.append(sa.dpd.next_at)
    if sa.hard_at() is not None:
        ts.append(sa.hard_at())
        if sa.soft_at() is not None and not sa.rekeying and not sa.superseded:
            ts.append(max(sa.soft_at(), sa.rekey_not_before))
    return min((t for t in ts if t is not None), default=None)


class _Dpd:
    def __init__(self, next_at: float | None) -> None:
        self.next_at = next_at


@settings(max_examples=600, deadline=None)
@given(life=st.sampled_from([0, 90, 86400]), role=st.sampled_from(["initiator", "responder"]),
       established=st.none() | st.floats(0, 1e5), dpd=st.none() | st.floats(0, 2e5).map(_Dpd)
       | st.just(_Dpd(None)), rekeying=st.booleans(), superseded=st.booleans(),
       not_before=st.floats(0, 2e5), fraction=st.sampled_from([0.5, 0.9]))
def test_idle_ike_deadline_is_the_general_one(life, role, established, dpd, rekeying, superseded,
                                              not_before, fraction):
    sa = IkeSa(b"i" * 8, b"r" * 8, ("192.0.2.1", 500), role, "main", 0.0, state="established",
               established_at=established, lifetime_s=life, dpd=dpd, rekeying=rekeying,
               superseded=superseded, rekey_not_before=not_before, soft_fraction=fraction)
    ep = IkeEndpoint(("198.51.100.2", 500), random.Random(1))
    got, want = ep._ike_deadline(sa), _ike_reference(sa)
    assert got == want and type(got) is type(want)
