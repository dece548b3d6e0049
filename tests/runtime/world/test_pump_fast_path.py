"""TunnelManager._pump_all skips idle endpoints and queues the others in bulk: the lab must
run exactly as when every endpoint is pumped one by one (same datagrams, same bytes, same
order, same events)."""

from __future__ import annotations

import pytest

from routershell.runtime.tunnels import TunnelManager

from .helpers import device, peer_spec, spec

LOCALS = tuple(f"192.0.2.{i}" for i in range(1, 7))


def _plain_pump_all(self: TunnelManager, now: float) -> None:
    for drv in list(self._drivers.values()):
        self._pump(drv, now)


async def _scenario(world) -> list[tuple]:
    wire: list[tuple] = []
    world.network.capture = lambda now, src, dst, data: wire.append((round(now, 6), src, dst, data))
    dev = device(world, addresses=LOCALS)
    dev.tunnels.subscribe(lambda name, ev: wire.append((round(world.now(), 6), name, repr(ev))))
    specs = []
    for i, local in enumerate(LOCALS):
        primary, backup = f"198.51.100.{i + 10}", f"198.51.101.{i + 10}"
        world.add_peer(peer_spec(f"p{i}", primary))
        world.add_peer(peer_spec(f"b{i}", backup))
        specs.append(spec(f"t{i}", local=local, peer=primary, backup=backup, dpd_initiate=True,
                          lan=(f"10.{i}.0.0/16", f"10.{100 + i}.0.0/16")))
    dev.tunnels.apply(specs, world.now())
    await world.clock.advance(30)
    world.peer_down("198.51.100.10")  # controllers act: failover, hellos, backups
    world.peer_down("198.51.100.13")
    await world.clock.advance(120)
    world.peer_up("198.51.100.10")
    dev.tunnels.clear_ipsec(None, world.now())
    await world.clock.advance(60)
    dev.tunnels.clear_ike(None, world.now())  # every endpoint has Deletes queued at once
    await world.clock.advance(120)
    wire.append(tuple((st.spec.name, st.state, st.active_gateway) for st in dev.tunnels.tunnels()))
    return wire


async def test_fast_pump_is_the_plain_pump(mock_clock, world, nursery):
    fast = await _scenario(world)
    assert len(fast) > 100 and any(isinstance(x[-1], bytes) for x in fast)

    # the same lab again, every endpoint pumped one by one
    from .helpers import make_world

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(TunnelManager, "_pump_all", _plain_pump_all)
        w2 = make_world(mock_clock)
        await nursery.start(w2.scheduler.run)
        plain = await _scenario(w2)
    assert fast == plain
