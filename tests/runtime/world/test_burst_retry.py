"""Hundreds of tunnels of one endpoint time out in the same instant and their controllers
negotiate again at once: the TunnelManager handles the burst in order without nesting one
event pump per event (it overflowed the stack before)."""

from __future__ import annotations

import dataclasses

from routershell.engine import failover as fo
from routershell.engine.events import NegotiationFailed
from routershell.engine.retransmit import fixed
from routershell.runtime.tunnel_control import ControllerBase

from .helpers import device, spec


class AtOnce(ControllerBase):
    def negotiation_timeout(self, now, gateway):
        return [fo.Negotiate(gateway)]


async def test_a_burst_of_timeouts_retried_at_once(mock_clock, world):
    dev = device(world)
    dev.tunnels.controller_for = AtOnce
    n = 400
    specs = []
    for i in range(n):
        s = spec(f"t{i}", peer=f"198.51.{100 + i // 250}.{i % 250 + 1}")
        specs.append(dataclasses.replace(s, peer=dataclasses.replace(s.peer, retransmit=fixed(5, 1))))
    dev.tunnels.apply(specs, world.now())
    await world.clock.advance(25)
    fails = [round(t, 3) for t, _n, ev in dev.tunnels.events if isinstance(ev, NegotiationFailed)]
    assert fails == [10.0] * n + [20.0] * n  # every tunnel timed out and was started again
    assert all(t.state == "negotiating" for t in dev.tunnels.tunnels())
