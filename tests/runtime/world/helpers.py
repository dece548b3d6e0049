"""A small world for tests: devices made by hand (no lab files), remote peers, a driver."""

from __future__ import annotations

from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.retransmit import fixed
from routershell.runtime.clock import LabClock
from routershell.runtime.device import Device
from routershell.runtime.ipsec import TunnelSpec
from routershell.runtime.peers import PeerSpec
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

R1 = "192.0.2.1"
PRIMARY = "198.51.100.2"
BACKUP = "198.51.100.3"
LAN1 = "10.1.0.0/16"
LAN2 = "10.2.0.0/16"
PSK = b"lab-secret"
# Junos-like: 10 s fixed retransmissions, phase 1 gives up after 30 s (our watchdog decides)
JUNOS_RETRANSMIT = fixed(10, 3, "test")


def make_world(clock, seed: int = 1) -> World:
    lab = LabClock("virtual", trio_clock=clock)
    return World(lab, Scheduler(lab), Streams(seed))


def device(world: World, name: str = "r1", addresses=(R1,), modules=()) -> Device:
    dev = Device(name, "test", clock=world.clock)
    dev.modules = list(modules)
    world.add_device(dev, addresses)
    return dev


def spec(name: str = "t1", local: str = R1, peer: str = PRIMARY, *, backup: str | None = None,
         establish: str = "immediately", dpd_initiate: bool = False, psk: bytes = PSK,
         lan=(LAN1, LAN2), module: str | None = None) -> TunnelSpec:
    cfg = PeerConfig(peer, psk=psk, retransmit=JUNOS_RETRANSMIT)
    child = ChildConfig("ignored", local_ts=lan[0], remote_ts=lan[1])
    labels = {"module": module} if module else {}
    return TunnelSpec(name, local, cfg, child, backup=backup, establish=establish,
                      dpd_initiate=dpd_initiate, selectors=(lan,), labels=labels)


def peer_spec(name: str = "p1", address: str = PRIMARY, *, lan=(LAN2, LAN1), **kw) -> PeerSpec:
    kw.setdefault("psk", PSK)
    kw.setdefault("answers_dpd", True)
    kw.setdefault("initiates_dpd", False)  # a J-series peer: answers, never sends
    return PeerSpec(name, address, local_ts=lan[0], remote_ts=lan[1], **kw)


async def run(world: World, nursery, seconds: float) -> None:
    """Advance lab time (the scheduler must be running in `nursery`)."""
    await world.clock.advance(seconds)


async def start(world: World, nursery) -> None:
    await nursery.start(world.scheduler.run)


