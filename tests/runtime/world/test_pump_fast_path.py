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


def _one_at_a_time_pump(self: TunnelManager, drv, now: float, reschedule: bool = True) -> None:
    """The pump as it was: the queue's first endpoint taken one at a time."""
    if reschedule:
        self._dirty[drv] = None
        if not self._flush_pending:
            self._flush_pending = True
            self.scheduler.post(now, self._flush, (), self._flush_name)
    queue = self._pump_queue
    if queue is not None:
        queue[drv] = None
        return
    queue = self._pump_queue = {drv: None}
    try:
        for _ in range(self.MAX_PUMP_PASSES):
            if not queue:
                break
            d = next(iter(queue))
            del queue[d]
            ep = d.ep
            if (ep._out or ep._events) and self._pump_one(d, now):
                queue[d] = None
    finally:
        self._pump_queue = None


async def test_pump_takes_its_queue_in_order(mock_clock, world, nursery):
    # the pump drains its queue a snapshot at a time: the same endpoints in the same order as
    # taking the first one at a time (every action inside a pump queues all six endpoints)
    fast = await _scenario(world)
    from .helpers import make_world

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(TunnelManager, "_pump", _one_at_a_time_pump)
        w2 = make_world(mock_clock)
        await nursery.start(w2.scheduler.run)
        plain = await _scenario(w2)
    assert fast == plain


class _Ep:
    def __init__(self) -> None:
        self._out: list = []
        self._events: list = []


class _Drv:
    def __init__(self, i: int) -> None:
        self.i, self.ep, self.local = i, _Ep(), f"203.0.113.{i}"

    def __repr__(self) -> str:
        return f"d{self.i}"


def _drain_order(world, pump, seed: int) -> list[tuple]:
    """Pump orders of scripted endpoints: pumping one gives output to others and pumps them
    (or all of them), sometimes leaves work for a second pass."""
    import random

    rng = random.Random(seed)
    mgr = TunnelManager("x", world.network, world.scheduler, lambda p: random.Random(p))
    drivers = [_Drv(i) for i in range(12)]
    mgr._everyone = dict.fromkeys(drivers)
    order: list[tuple] = []

    def pump_one(d, now) -> bool:
        order.append(("pump", d.i))
        d.ep._out.clear()
        for _ in range(rng.randrange(3)):
            other = rng.choice(drivers)
            other.ep._out.append(1)
            if rng.random() < 0.3:
                mgr._pump_all(now)
            elif rng.random() < 0.7:
                pump(mgr, other, now)
        if rng.random() < 0.1 and len(order) < 300:
            d.ep._out.append(1)
            return True  # work left: queued again
        return False

    mgr._pump_one = pump_one  # type: ignore[method-assign]
    for _ in range(20):
        start = rng.choice(drivers)
        start.ep._out.append(1)
        pump(mgr, start, 0.0)
        order.append(("end", tuple(d.i for d in mgr._dirty)))
    return order


async def test_pump_queue_order_matches_one_at_a_time(mock_clock, world):
    for seed in range(30):
        new = _drain_order(world, TunnelManager._pump, seed)
        old = _drain_order(world, _one_at_a_time_pump, seed)
        assert len(new) > 40 and new == old, seed


def _peer_pump_always_rescheduling(self, now: float, reschedule: bool = True) -> None:
    """RemotePeer._pump as it was: Scheduler.reschedule after every datagram."""
    ep = self.endpoint
    while ep._out or ep._events:
        if ep._out:
            for data, dst in ep.datagrams_to_send():
                self.network.send(ep.local, dst, data)
        while ep._events:
            ev = ep.next_event()
            self.events.append((now, ev))
            for cb in list(self._subscribers):
                cb(self.name, ev)
        if len(self.events) > self.max_events * 3 // 2:
            del self.events[: len(self.events) - self.max_events]
    if reschedule:
        self.scheduler.reschedule(self)


async def test_peer_reschedules_only_a_moved_deadline_and_the_lab_is_the_same(
        mock_clock, world, nursery):
    """A lab peer compares its deadline with the one its heap slot holds and calls
    reschedule() only when it moved or is gone: the same lab as rescheduling after every
    datagram, and every peer's slot holds its engine's deadline at the end."""
    from routershell.runtime.peers import RemotePeer

    fast = await _scenario(world)
    for p in world.peers.values():
        assert world.scheduler.slot_of(p).deadline == p.get_timer()
    assert any(p.get_timer() is not None for p in world.peers.values())
    from .helpers import make_world

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RemotePeer, "_pump", _peer_pump_always_rescheduling)
        w2 = make_world(mock_clock)
        await nursery.start(w2.scheduler.run)
        plain = await _scenario(w2)
    assert fast == plain


def _pump_one_through_the_engine_api(self: TunnelManager, drv, now: float) -> bool:
    """TunnelManager._pump_one with the engine's datagrams_to_send() and next_event()."""
    ep = drv.ep
    for _ in range(64):
        if not ep.has_output():
            return False
        for data, dst in ep.datagrams_to_send():
            self.network.send(ep.local, dst, data)
        while ep._events:
            ev = ep.next_event()
            self._on_event(drv, ev, now)
    return True


async def test_pump_drains_the_engine_queues_as_its_api_does(mock_clock, world, nursery):
    """_pump_one (asking the engine's queues before draining them, dispatching by type) and
    RemotePeer._pump (rescheduling only a deadline that moved): the same lab as the plain loop
    over the engine's API with the general handler."""
    fast = await _scenario(world)
    from routershell.runtime.peers import RemotePeer

    from .helpers import make_world

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(TunnelManager, "_pump_one", _pump_one_through_the_engine_api)
        mp.setattr(RemotePeer, "_pump", _peer_pump_always_rescheduling)
        w2 = make_world(mock_clock)
        await nursery.start(w2.scheduler.run)
        plain = await _scenario(w2)
    assert fast == plain
