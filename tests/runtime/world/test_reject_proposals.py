"""PeerSpec.reject_proposals: a remote peer refuses the first N phase-1 negotiations with
NO-PROPOSAL-CHOSEN (an offer none of the initiator's transforms matches), then accepts."""

from __future__ import annotations

from routershell.engine.events import NegotiationFailed, Phase2Up
from routershell.engine.proposals import IkeProposal

from .helpers import device, peer_spec, spec


def events(dev, kind, **attrs):
    return [round(t, 3) for t, _n, ev in dev.tunnels.events
            if isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in attrs.items())]


async def test_refuses_n_times_then_accepts(mock_clock, world):
    dev = device(world)
    p = world.add_peer(peer_spec(reject_proposals=2))
    dev.tunnels.retry_after = 5.0
    dev.tunnels.apply([spec()], world.now())
    await world.clock.advance(20)
    assert events(dev, NegotiationFailed, reason="no-proposal-chosen", phase=1) == [0.004, 5.008]
    assert len(events(dev, Phase2Up)) == 1 and 10 < events(dev, Phase2Up)[0] < 10.2
    assert p.rejects_left == 0


async def test_the_refusal_avoids_what_was_offered(mock_clock, world):
    # r1 offers des/md5/group 1, the first proposal of the peer's refusal set: the peer must
    # refuse with another one, and accept the offer once its refusals are spent
    import dataclasses

    offer = IkeProposal("psk", "md5", "des", 1)
    dev = device(world)
    world.add_peer(peer_spec(reject_proposals=1, ike_proposals=(offer,)))
    dev.tunnels.retry_after = 5.0
    s = spec()
    s = dataclasses.replace(s, peer=dataclasses.replace(s.peer, ike_proposals=(offer,)))
    dev.tunnels.apply([s], world.now())
    await world.clock.advance(10)
    assert events(dev, NegotiationFailed, reason="no-proposal-chosen") == [0.004]
    assert len(events(dev, Phase2Up)) == 1
