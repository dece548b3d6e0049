"""The simulated world every platform's show commands read from.

`World(clock, scheduler, streams)` holds the lab's devices (each with a TunnelManager), remote
peers (real IKE endpoints), links, the Network that carries datagrams between them, traffic
flows, faults and packet capture. Everything runs on the one lab Scheduler; every random choice
comes from `streams` (per device, per peer, per purpose), so one seed gives one timeline.

Faults are silent (no Delete, no notification): `peer_down/peer_up` (an address stops/starts
answering), `link_down/link_up`, `set_loss`, `partition/heal`, `module_fail/module_restore`,
`peer_config(addr, **changes)` (e.g. a wrong psk -> authentication failure at the next
negotiation).

Commands wait for `settled()` (see `LabClock.run_command(..., settle=world.settled)`), so a
commit returns once the negotiations it started finished or failed; `wait_settled(max_wait)` does
the same from a trio task.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .capture import Capture, CaptureError
from .clock import LabClock
from .device import Device, Module
from .network import Link, Network, NetworkError
from .peers import PeerError, PeerSpec, RemotePeer
from .rng import Streams
from .scheduler import Scheduler
from .traffic import Flow, Traffic, TrafficError
from .tunnels import TunnelManager

__all__ = ["World", "WorldError"]


class WorldError(ValueError):
    """A lab request that cannot be carried out (message fit to show a user)."""


class World:
    def __init__(self, clock: LabClock | None, scheduler: Scheduler, streams: Streams,
                 *, latency: float = 0.002) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.streams = streams
        self.network = Network(scheduler, streams.child("world"), latency)
        self.devices: dict[str, Device] = {}
        self.peers: dict[str, RemotePeer] = {}  # by name
        self.addresses: dict[str, str] = {}  # interface address -> device name
        self.traffic = Traffic(self.network, scheduler, streams.child("world"), self._ends)
        self._capture: Capture | None = None
        self.cas: dict[str, Any] = {}  # lab certificate authorities (runtime/ca.py) by name

    # ----- building -----------------------------------------------------------------------

    def now(self) -> float:
        return self.scheduler.now()

    def add_device(self, dev: Device, addresses: Iterable[str] = (), **tunnel_options: Any
                   ) -> TunnelManager:
        """Add a device: give it a TunnelManager and register its interface addresses.
        `tunnel_options` go to TunnelManager (phase1_timeout, responder_template, ...)."""
        if dev.name in self.devices:
            raise WorldError(f"device {dev.name} is already in the lab")
        if dev.streams is None:
            dev.streams = self.streams.child(dev.name)
        self.devices[dev.name] = dev
        dev.tunnels = TunnelManager(
            dev.name, self.network, self.scheduler, lambda purpose, d=dev: d.rng(purpose),
            module_up=lambda name, d=dev: self._module_up(d, name), **tunnel_options)
        dev.tunnels.echo_path = self.traffic.echo
        self.addresses_changed(dev, addresses)
        return dev.tunnels

    def addresses_changed(self, dev: Device, addresses: Iterable[str] | None = None) -> None:
        """The device's interface addresses after a commit ("a.b.c.d" or "a.b.c.d/len"); the
        platform passes them (None keeps the known ones and adds the tunnels' local
        addresses). They form the link named after the device (`link_down(dev.name)`)."""
        mine = [a for a, d in self.addresses.items() if d == dev.name]
        if addresses is None:
            addresses = mine + (list(dev.tunnels.endpoints()) if dev.tunnels is not None else [])
        for a in mine:
            del self.addresses[a]
        for a in addresses:
            self.addresses[str(a).split("/")[0]] = dev.name
        link = self.network.add_link(dev.name)
        link.addresses = {a for a, d in self.addresses.items() if d == dev.name}

    def add_peer(self, spec: PeerSpec) -> RemotePeer:
        if spec.name in self.peers:
            raise WorldError(f"peer {spec.name} is already in the lab")
        if self.network.bound(spec.address):
            raise WorldError(f"address {spec.address} is already in use")
        try:
            peer = RemotePeer(spec, self.network, self.scheduler,
                              self.streams.child("peer", spec.name).stream("ike"))
        except (PeerError, NetworkError) as e:
            raise WorldError(str(e)) from None
        self.peers[spec.name] = peer
        self.traffic.routes_changed()
        peer.start(self.now())
        return peer

    def add_ca(self, ca: Any) -> Any:
        """A certificate authority devices reach by its enrollment or CRL URL."""
        self.cas[ca.spec.name] = ca
        return ca

    def ca_at(self, url: str) -> Any:
        """The CA answering at `url` (None: nothing answers there, or it is unreachable)."""
        return next((c for c in self.cas.values() if c.answers(url)), None)

    def add_link(self, name: str, addresses: Iterable[str] = ()) -> Link:
        return self.network.add_link(name, addresses)

    def peer(self, key: str) -> RemotePeer | None:
        """A peer by name or address."""
        if key in self.peers:
            return self.peers[key]
        return next((p for p in self.peers.values() if p.address == key), None)

    def _ends(self) -> list[tuple[str, Any]]:
        return [("device", d) for d in self.devices.values()] + [("peer", p) for p in self.peers.values()]

    # ----- faults -------------------------------------------------------------------------

    def peer_down(self, addr: str) -> None:
        """The peer (or any address) stops answering, silently: no Delete is sent."""
        p = self.peer(addr)
        if p is not None:
            p.update(self.now(), reachable=False)
        else:
            self.network.set_down(addr, True)

    def peer_delete(self, addr: str) -> int:
        """The peer deletes its most recent IPsec SAs, with a Delete (0: none, or no such peer)."""
        p = self.peer(addr)
        return p.delete_ipsec(self.now()) if p is not None else 0

    def peer_up(self, addr: str) -> None:
        p = self.peer(addr)
        if p is not None:
            p.update(self.now(), reachable=True)
        else:
            self.network.set_down(addr, False)

    def link_down(self, name: str) -> None:
        self._link(name, False)

    def link_up(self, name: str) -> None:
        self._link(name, True)

    def _link(self, name: str, up: bool) -> None:
        try:
            self.network.set_link(name, up)
        except NetworkError as e:
            raise WorldError(str(e)) from None
        dev_name, _, port = name.partition(":")
        dev = self.devices.get(dev_name)
        if dev is not None and port:
            for p in dev.ports:
                if p.name == port:
                    p.link_up = up

    def set_loss(self, percent: float, addr: str | None = None) -> None:
        try:
            self.network.set_loss(percent, addr)
        except NetworkError as e:
            raise WorldError(str(e)) from None

    def partition(self, side_a: Iterable[str], side_b: Iterable[str]) -> None:
        try:
            self.network.partition(side_a, side_b)
        except NetworkError as e:
            raise WorldError(str(e)) from None

    def heal(self) -> None:
        self.network.heal()

    def _module(self, device: str, slot: str) -> tuple[Device, Module]:
        dev = self.devices.get(device)
        if dev is None:
            raise WorldError(f"no device {device}")
        for m in dev.modules:
            if slot in (m.slot, m.name):
                return dev, m
        raise WorldError(f"device {device} has no module in {slot}")

    @staticmethod
    def _module_up(dev: Device, name: str) -> bool:
        for m in dev.modules:
            if name in (m.slot, m.name):
                return m.up
        return True  # a label naming no module: nothing can fail

    def module_fail(self, device: str, slot: str) -> None:
        dev, m = self._module(device, slot)
        if m.up:
            m.up = False
            dev.tunnels.module_changed(self.now())
            dev.driver.module_changed(m)

    def module_restore(self, device: str, slot: str) -> None:
        dev, m = self._module(device, slot)
        if not m.up:
            m.up = True
            dev.tunnels.module_changed(self.now())
            dev.driver.module_changed(m)

    def module_insert(self, device: str, slot: str, kind: str, capacity: int) -> None:
        """A new module goes into an empty slot (running at once)."""
        dev = self.devices.get(device)
        if dev is None:
            raise WorldError(f"no device {device}")
        if any(slot in (m.slot, m.name) for m in dev.modules):
            raise WorldError(f"device {device} already has a module in {slot}")
        m = Module(slot, f"{kind}-{slot}", kind, capacity)
        dev.modules.append(m)
        dev.tunnels.module_changed(self.now())
        dev.driver.module_changed(m)

    def peer_config(self, addr: str, **changes: Any) -> PeerSpec:
        """Change a remote peer's description (psk=b"wrong", ike_proposals=..., ...)."""
        p = self.peer(addr)
        if p is None:
            raise WorldError(f"no peer {addr}")
        if isinstance(changes.get("psk"), str):
            changes["psk"] = changes["psk"].encode()
        try:
            return p.update(self.now(), **changes)
        except PeerError as e:
            raise WorldError(str(e)) from None
        finally:
            self.traffic.routes_changed()

    # ----- traffic ------------------------------------------------------------------------

    def traffic_start(self, name: str, src: str, dst: str, rate_pps: float = 10) -> Flow:
        try:
            return self.traffic.start(name, src, dst, rate_pps)
        except TrafficError as e:
            raise WorldError(str(e)) from None

    def traffic_stop(self, name: str) -> Flow:
        try:
            return self.traffic.stop(name)
        except TrafficError as e:
            raise WorldError(str(e)) from None

    def flows(self) -> list[Flow]:
        return self.traffic.flows()

    # ----- capture ------------------------------------------------------------------------

    def capture_start(self, path: str | Path) -> None:
        if self._capture is not None:
            raise WorldError("a capture is already running")
        epoch = self.clock.epoch.timestamp() if self.clock is not None else 0.0
        try:
            self._capture = Capture(self.network, path, epoch)
        except CaptureError as e:
            raise WorldError(str(e)) from None

    def capture_stop(self) -> int:
        cap, self._capture = self._capture, None
        if cap is None:
            raise WorldError("no capture is running")
        try:
            return cap.stop()
        except CaptureError as e:
            raise WorldError(str(e)) from None

    @property
    def capturing(self) -> bool:
        return self._capture is not None

    # ----- settling and summary -----------------------------------------------------------

    def settled(self) -> bool:
        """Every device and peer has no negotiation in progress."""
        return all(d.tunnels is None or d.tunnels.settled() for d in self.devices.values()) and \
            all(p.settled() for p in self.peers.values())

    async def wait_settled(self, max_wait: float = 60.0) -> bool:
        """From a trio task: wait (jumping in virtual time) until settled or `max_wait`."""
        if self.clock is None:
            raise WorldError("the world has no lab clock to wait on")
        return await self.clock.wait_until(self.settled, max_wait)

    def summary(self) -> dict[str, Any]:
        """Data for `lab show` (neutral keys; the lab command renders it)."""
        net = self.network
        return {
            "time": self.now(),
            "devices": [
                {
                    "name": d.name,
                    "platform": d.platform,
                    "addresses": sorted(a for a, n in self.addresses.items() if n == d.name),
                    "modules": [(m.slot, m.name, m.kind, m.capacity, m.up) for m in d.modules],
                    "tunnels": [(t.spec.name, t.state, t.active_gateway) for t in d.tunnels.tunnels()]
                    if d.tunnels is not None else [],
                }
                for d in self.devices.values()
            ],
            "peers": [
                {
                    "name": p.name,
                    "address": p.address,
                    "reachable": net.reachable(p.address),
                    "answers_dpd": p.spec.answers_dpd,
                    "initiates_dpd": p.spec.initiates_dpd,
                    "sas": len(p.endpoint.sadb.ipsec),
                }
                for p in self.peers.values()
            ],
            "links": [(ln.name, ln.up, sorted(ln.addresses)) for ln in net.links.values()],
            "loss": net.loss * 100,
            "flows": [(f.name, f.src, f.dst, f.rate_pps, f.sent, f.delivered, f.dropped)
                      for f in self.flows()],
            "capturing": self.capturing,
            "datagrams": (net.stats.sent, net.stats.delivered, net.stats.lost, net.stats.dropped),
        }
