"""receive() never raises: random bytes and mutated real messages become events, not exceptions."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routershell.engine.events import Malformed
from routershell.engine.ike import IkeEndpoint
from routershell.engine.proposals import IpsecProposal

from .helpers import A, B, make_pair, peer, up


def _capture():
    """Every datagram of a full negotiation plus DPD and a delete, with the endpoints' seeds."""
    child = (IpsecProposal(pfs_group=2),)
    pair = up(make_pair(dict(child=child), dict(child=child), seed=21))
    pair.advance(25)  # DPD exchanges
    pair.a.delete_child(B, "vpn", 26.0)
    pair.pump()
    return [(src, data) for _, src, _, data in pair.log]


CAPTURE = _capture()


def _fresh_b() -> IkeEndpoint:
    return IkeEndpoint(B, random.Random(7), [peer(A[0], "b")])


def _established_pair():
    return up(make_pair(seed=21))


def _check(ep: IkeEndpoint):
    while (ev := ep.next_event()) is not None:
        if isinstance(ev, Malformed):
            assert not ev.reason.startswith("internal error"), ev.reason
    ep.datagrams_to_send()
    t = ep.get_timer()
    if t is not None:
        ep.handle_timer(t)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes(data):
    ep = _fresh_b()
    ep.receive(data, A, 0.0)
    _check(ep)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(CAPTURE))), st.data())
def test_mutated_real_messages_into_established_endpoints(index, data):
    src, raw = CAPTURE[index]
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(buf) - 1))
        buf[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        buf = buf[: data.draw(st.integers(0, len(buf)))]
    pair = _established_pair()
    target = pair.b if src == A else pair.a
    sender = A if src == A else B
    target.receive(bytes(buf), sender, 1.0)
    _check(target)
    _check(_fresh_b()) if src == A else None


def test_replayed_capture_into_fresh_endpoint_is_harmless():
    ep = _fresh_b()
    for src, raw in CAPTURE:
        if src == A:
            ep.receive(raw, A, 0.0)
    _check(ep)


def test_non_bytes_and_wrong_source():
    ep = _fresh_b()
    ep.receive(None, A, 0.0)  # type: ignore[arg-type]
    ev = ep.next_event()
    assert isinstance(ev, Malformed)
    src, raw = CAPTURE[2]
    ep.receive(raw, ("203.0.113.50", 500), 0.0)
    assert isinstance(ep.next_event(), Malformed)
