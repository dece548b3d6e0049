"""TunnelManager dispatches engine events by type: DpdSent-like events (only logged under the
first tunnel on their gateway) and DpdAck take short paths. The lab must run exactly as when
every event goes through the general handler (same datagrams, same events, same order), and the
short paths must be the ones taken."""

from __future__ import annotations

import dataclasses

import pytest
import trio
import trio.testing

from routershell.engine.dpd import DpdPolicy
from routershell.engine.events import DpdAck, DpdSent, Phase2Up
from routershell.runtime.tunnels import TunnelManager

from .helpers import device, make_world, peer_spec, spec


async def _scenario(world) -> tuple[list[tuple], TunnelManager]:
    wire: list[tuple] = []
    world.network.capture = lambda now, src, dst, data: wire.append((now, src, dst, data))
    dev = device(world, addresses=("192.0.2.1", "192.0.2.2"))
    dev.tunnels.subscribe(lambda name, ev: wire.append((world.now(), name, repr(ev))))
    world.add_peer(peer_spec("p", "198.51.100.10"))
    world.add_peer(peer_spec("b", "198.51.101.10"))
    world.add_peer(peer_spec("q", "198.51.100.20"))
    # failover with its own hellos (a controller that hears ACKs) ...
    hello = spec("hello", local="192.0.2.1", peer="198.51.100.10", backup="198.51.101.10",
                 dpd_initiate=True, lan=("10.1.0.0/16", "10.2.0.0/16"))
    # ... and two plain tunnels sharing one IKE SA that the engine's own DPD probes (no
    # controller: ACKs only logged, under the first tunnel's name)
    plain = [spec(f"plain{i}", local="192.0.2.2", peer="198.51.100.20",
                  lan=(f"10.{3 + i}.0.0/16", "10.9.0.0/16")) for i in range(2)]
    plain = [dataclasses.replace(s, peer=dataclasses.replace(s.peer, dpd=DpdPolicy(10, 2, 3)))
             for s in plain]
    dev.tunnels.apply([hello, *plain], world.now())
    await world.clock.advance(60)
    world.peer_down("198.51.100.10")  # hellos unanswered, failover to the backup
    world.peer_down("198.51.100.20")  # the engine's DPD declares the peer dead
    await world.clock.advance(90)
    world.peer_up("198.51.100.10")
    world.peer_up("198.51.100.20")
    await world.clock.advance(120)
    wire.append(tuple((st.spec.name, st.state, st.active_gateway) for st in dev.tunnels.tunnels()))
    return wire, dev.tunnels


def _run() -> tuple[list[tuple], TunnelManager]:
    """The scenario on a clock of its own (two labs on one clock see different roundings)."""

    async def main() -> tuple[list[tuple], TunnelManager]:
        async with trio.open_nursery() as nursery:
            world = make_world(clock)
            await nursery.start(world.scheduler.run)
            out = await _scenario(world)
            nursery.cancel_scope.cancel()
        return out

    clock = trio.testing.MockClock()
    return trio.run(main, clock=clock)


def test_short_paths_are_the_general_handler():
    fast, mgr = _run()
    logged = [x[2] for x in fast if len(x) == 3 and isinstance(x[2], str)]
    assert sum(e.startswith("DpdSent(") for e in logged) >= 10
    assert sum(e.startswith("DpdAck(") for e in logged) >= 10
    assert any(e.startswith("PeerDead(") for e in logged)
    names = {x[1] for x in fast if len(x) == 3 and isinstance(x[2], str) and x[2].startswith("Dpd")}
    assert names == {"hello", "plain0"}  # the first tunnel on each gateway, never plain1
    assert mgr._handlers[DpdSent] == mgr._on_named
    assert mgr._handlers[DpdAck] == mgr._on_dpd_ack
    assert mgr._handlers[Phase2Up] == mgr._on_any

    # the same lab again, every event through the general handler
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(TunnelManager, "_handler_for", lambda self, kind: self._on_any)
        general, mgr2 = _run()
    assert mgr2._handlers == {}  # nothing cached: every event went through the general handler
    assert fast == general


def test_first_tunnel_on_a_gateway_counts_a_responder_listed_first():
    """`_first_on` (the name DPD events are logged under) is the general `_iter_on`'s first,
    also when a responder-only spec (any gateway) comes before a fixed-gateway one."""
    from .helpers import PRIMARY, R1

    world = make_world(trio.testing.MockClock())
    dev = device(world)
    dev.tunnels.apply([spec("dyn", R1, "0.0.0.0", establish="responder"),
                       spec("fixed", R1, PRIMARY)], world.now())
    mgr = dev.tunnels
    mgr._tunnels["dyn"].state.active_gateway = "203.0.113.7"  # a dynamic peer came (Phase2Up)
    for gw in (PRIMARY, "203.0.113.7", "203.0.113.8"):
        first = next(mgr._iter_on(R1, gw), None)
        assert mgr._first_on(R1, gw) == (first.name if first is not None else "")
    assert mgr._first_on(R1, "203.0.113.7") == "dyn"
    assert mgr._first_on(R1, PRIMARY) == "fixed"


def test_named_event_is_logged_under_first_on_without_responders():
    """`_on_named` (DpdSent, and DpdAck nobody listens to) finds the name in the index itself
    when no responder-only spec exists: the same name `_first_on` gives, also after the first
    tunnel on a gateway moved to its backup, and "" for a gateway no tunnel uses."""
    from .helpers import BACKUP, PRIMARY, R1

    world = make_world(trio.testing.MockClock())
    dev = device(world)
    mgr = dev.tunnels
    mgr.apply([spec("a", R1, PRIMARY, backup=BACKUP, lan=("10.1.0.0/16", "10.9.0.0/16")),
               spec("b", R1, PRIMARY, lan=("10.2.0.0/16", "10.9.0.0/16"))], world.now())
    drv = mgr._drivers[R1]
    mgr._candidates(R1, PRIMARY)  # builds the index: the inline path is taken
    assert mgr._index is not None and (R1, "*") not in mgr._index

    def logged(gw: str) -> str:
        mgr._on_named(drv, DpdSent((gw, 500), 1, 1), world.now())
        return mgr.events[-1][1]

    assert logged(PRIMARY) == mgr._first_on(R1, PRIMARY) == "a"
    mgr._tunnels["a"].state.active_gateway = BACKUP  # "a" failed over
    assert logged(PRIMARY) == mgr._first_on(R1, PRIMARY) == "b"
    assert logged(BACKUP) == mgr._first_on(R1, BACKUP) == "a"
    assert logged("203.0.113.9") == mgr._first_on(R1, "203.0.113.9") == ""


def test_a_tunnels_name_stays_its_specs_after_a_relabel():
    """_Tunnel.name is a plain attribute set from the spec: apply() of the same spec with new
    labels swaps the spec in place (same tunnel object), and the name is still the spec's."""
    import dataclasses as dc

    from .helpers import PRIMARY, R1

    world = make_world(trio.testing.MockClock())
    dev = device(world)
    mgr = dev.tunnels
    s = spec("t1", R1, PRIMARY)
    mgr.apply([s], world.now())
    t = mgr._tunnels["t1"]
    mgr.apply([dc.replace(s, labels={"context": "x"})], world.now())
    assert mgr._tunnels["t1"] is t and t.spec.labels == {"context": "x"}
    assert t.name == t.spec.name == "t1"
