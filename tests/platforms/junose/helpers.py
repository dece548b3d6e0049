"""A JunosE router in a test world: ISMs, tunnel interfaces to peers below and above its
address, and a recorder of the ISM controller's events."""

from __future__ import annotations

from routershell.engine.dpd import DpdPolicy
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.retransmit import fixed
from routershell.platforms.junose.ism import IsmController, IsmEvent
from routershell.runtime.device import Device, Module
from routershell.runtime.ipsec import TunnelSpec
from routershell.runtime.peers import PeerSpec
from routershell.runtime.world import World

ROUTER = "10.0.0.100"
PSK = b"lab-secret"
MIN = 60.0


def low(i: int) -> str:
    """A peer address below the router's (after a reassignment the router waits 3 minutes)."""
    return f"10.0.0.{10 + i}"


def high(i: int) -> str:
    """A peer address above the router's (after a reassignment the router rekeys at once)."""
    return f"10.0.0.{200 + i}"


def ism(slot: int, capacity: int) -> Module:
    return Module(str(slot), f"ism-{slot}", "ism", capacity)


def lan(i: int) -> tuple[str, str]:
    return f"172.16.{i}.0/24", f"172.17.{i}.0/24"


def tunnel(name: str, remote: str, i: int, *, dpd: DpdPolicy | None = None) -> TunnelSpec:
    cfg = PeerConfig(remote, psk=PSK, retransmit=fixed(10, 3, "test"), dpd=dpd)
    ts = lan(i)
    child = ChildConfig("x", local_ts=ts[0], remote_ts=ts[1])
    return TunnelSpec(name, ROUTER, cfg, child, establish="controlled", selectors=(ts,))


class Router:
    def __init__(self, world: World, modules: list[Module]) -> None:
        self.world = world
        self.dev = Device("host1", "junose", clock=world.clock)
        self.dev.modules = modules
        world.add_device(self.dev, [ROUTER])
        self.events: list[IsmEvent] = []
        self.ism = IsmController(self.dev.tunnels, world.scheduler, self.dev.modules,
                                 on_event=self.events.append)
        self.specs: list[TunnelSpec] = []

    def add(self, name: str, remote: str, *, peer: bool = True, dpd: DpdPolicy | None = None,
            **peer_kw) -> None:
        i = len(self.specs)
        if peer:
            ts = lan(i)
            self.world.add_peer(PeerSpec(f"p-{name}", remote, psk=PSK, local_ts=ts[1],
                                         remote_ts=ts[0], **peer_kw))
        self.specs.append(tunnel(name, remote, i, dpd=dpd))

    def apply(self) -> None:
        self.ism.apply(list(self.specs), self.world.now())

    def fail(self, slot: int) -> None:
        self.world.module_fail("host1", str(slot))
        self.ism.module_changed(self.world.now())

    def restore(self, slot: int) -> None:
        self.world.module_restore("host1", str(slot))
        self.ism.module_changed(self.world.now())

    def insert(self, module: Module) -> None:
        self.dev.modules.append(module)
        self.ism.module_changed(self.world.now())

    def state(self, name: str) -> str:
        st = self.dev.tunnels.tunnel(name)
        assert st is not None
        return st.state

    def slot(self, name: str) -> str | None:
        return self.ism.slot_of(name)

    def times(self, kind: str, name: str | None = None) -> list[float]:
        return [round(e.at, 3) for e in self.events if e.kind == kind
                and (name is None or e.tunnel == name)]

    def names(self, kind: str, after: float = -1) -> list[str]:
        return [e.tunnel for e in self.events if e.kind == kind and e.at >= after]
