"""The running application: one lab clock, one scheduler, the lab's world, and sessions.

Front-ends build an App, `await app.start(nursery)` inside trio, then ask `new_session()` for
each terminal and run each line with `await app.run(session, line, io)`. The lab comes from a
TOML lab file (`--lab FILE`) or the default lab shipped in routershell/labs/default.toml; it is
validated completely (labs/labfile.py) before anything is built.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from .cli.session import CliSession
from .config.files import remove_stale_temporaries
from .labs.control import LabControl
from .labs.labfile import DeviceSpec, LabError, LabPeer, LabSpec, default_lab, load_lab
from .platforms import registry
from .platforms.base import BuildContext
from .runtime.clock import LabClock
from .runtime.device import Device, Module, Port
from .runtime.gcpolicy import booting
from .runtime.rng import Streams
from .runtime.scheduler import Scheduler

log = logging.getLogger(__name__)


class App:
    def __init__(
        self,
        clock_mode: str | None = None,
        seed: int | None = None,
        state_dir: Path | None = None,
        lab: Path | LabSpec | None = None,
        device: str | None = None,
        trio_clock=None,
        world_factory: Callable[..., Any] | None = None,
        ike_bridges: dict[str, tuple[str, int]] | None = None,
    ) -> None:
        # lab: a lab file, an already validated LabSpec, or None for the default lab.
        # trio_clock: adopt an existing MockClock (tests run on pytest-trio's mock_clock).
        # world_factory(clock, scheduler, streams): the simulated world (tests pass a double).
        self.spec: LabSpec = lab if isinstance(lab, LabSpec) else (load_lab(lab) if lab is not None else default_lab())
        self.lab = lab
        self.seed = seed if seed is not None else (self.spec.seed or 0)
        self.clock = LabClock(clock_mode or "virtual", trio_clock=trio_clock, epoch=self.spec.epoch)
        self.scheduler = Scheduler(self.clock)
        self.streams = Streams(self.seed)
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.devices: dict[str, Device] = {}
        if device is not None and self.spec.device(device) is None:
            raise ValueError(f"no device {device!r} in this lab")
        self.world = _make_world(world_factory, self.clock, self.scheduler, self.streams)
        for dspec in self.spec.devices:
            dev = self._build_device(dspec)
            dev.trap_allowed = frozenset(self.spec.trap_targets_allowed)
            self.devices[dev.name] = dev
            self.world.add_device(dev, dev.addresses())
            self._follow_addresses(dev)
        own = {a.split("/")[0]: d.name for d in self.devices.values() for a in d.addresses()}
        for p in self.spec.peers:
            if p.address in own:  # the device would answer itself: refuse with the lab's line
                raise LabError(self.spec.origin, p.line or None,
                               f"peer {p.name!r}: {p.address} is an address of device {own[p.address]!r}")
            self.world.add_peer(peer_spec(p))
        for link in self.spec.links:
            # a link holds its peer ends' addresses: taking it down cuts the path to that peer
            # only (the device's address also reaches the peers on its other links)
            peers = {p.name: p.address for p in self.spec.peers}
            self.world.add_link(link.name, [peers.get(ep, ep) for ep in link.endpoints
                                            if ep in peers or _is_address(ep)])
            if not link.up:
                self.world.link_down(link.name)
        if self.spec.cas and hasattr(self.world, "add_ca"):
            from .runtime.ca import LabCa

            for ca in self.spec.cas:  # before the devices join: startup may reach them
                self.world.add_ca(LabCa(ca, self.clock.datetime, self.clock.now,
                                        self.streams.child("ca").stream(ca.name)))
        from .runtime import notify

        for dev in self.devices.values():
            notify.attach(dev)
        for dev in self.devices.values():  # peers and notifications are ready: bring tunnels up
            dev.join(self.world)
        self.control = LabControl(self)
        self.current = device or self.spec.devices[0].name
        # device -> real (address, port) of its IKE bridge (runtime/bridge.py): the lab file's
        # `ike_bridge` keys, overridden by the command line; opened by start(), after boot
        self.ike_bridges = {d.name: d.ike_bridge for d in self.spec.devices if d.ike_bridge}
        self.ike_bridges.update(ike_bridges or {})
        self.bridges: dict[str, Any] = {}  # device -> open IkeBridge
        # set by routershell/server while the lab is served: {"listeners": [...], "default": NAME}
        # (`lab show` lists them)
        self.served: dict[str, Any] | None = None
        self._bridge_scopes: list[trio.CancelScope] = []
        self._check_bridges()

    def _check_bridges(self) -> None:
        from .runtime.bridge import BridgeError

        for name in self.ike_bridges:
            if name not in self.devices:
                raise BridgeError(f"--ike-bridge: no device {name!r} in this lab")
        if self.ike_bridges and self.clock.rate != 1.0:
            raise BridgeError(f"an IKE bridge needs the lab clock in real time (--clock real "
                              f"or x1), not {self.clock.mode!r}")

    def _bridge_local(self, dev: Device) -> Callable[[str], str | None]:
        """Which of the device's local gateway addresses a real peer's datagrams go to: the
        one whose tunnels name the peer as a gateway, else the first with an IKE endpoint."""

        def local_for(peer: str) -> str | None:
            tunnels = dev.tunnels
            if tunnels is None:
                return None
            for t in tunnels.tunnels():
                if peer in t.spec.gateways and t.spec.local:
                    return t.spec.local
            return next(iter(sorted(tunnels.endpoints())), None)

        return local_for

    async def _open_bridges(self, nursery: trio.Nursery) -> None:
        import sys

        from .runtime.bridge import BridgePeer, IkeBridge

        for name, listen in self.ike_bridges.items():
            dev = self.devices[name]
            dspec = self.spec.device(name)
            peers = [BridgePeer(a, ike_port=p, nat_port=n) for a, p, n in
                     (dspec.ike_bridge_peers if dspec is not None else ())]
            bridge = IkeBridge(self.world.network, self.clock, self._bridge_local(dev), listen,
                               peers=peers, configured=lambda d=dev: () if d.tunnels is None
                               else [g for t in d.tunnels.tunnels() for g in t.spec.gateways])
            if bridge.warning:
                print(f"routershell: warning: {bridge.warning}", file=sys.stderr)
            scope = trio.CancelScope()
            self._bridge_scopes.append(scope)
            await nursery.start(self._serve_bridge, bridge, scope)
            self.bridges[name] = bridge
            log.info("IKE bridge for %s on %s:%d (NAT-T %d)", name, *bridge.listen,
                     bridge.nat_listen[1])

    @staticmethod
    async def _serve_bridge(bridge: Any, scope: trio.CancelScope,
                            task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        from .runtime.bridge import serve

        with scope:
            try:
                await serve(bridge, task_status=task_status)
            finally:
                bridge.close()

    # ---- lab ---------------------------------------------------------------------------------
    def _home(self, name: str) -> Path:
        if self.state_dir is not None:
            home = self.state_dir / name / "home"
        else:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="routershell-")
            home = Path(self._tmp.name) / name / "home"
        home.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(home)  # a `save` killed mid-write leaves its temporary
        return home

    def _build_device(self, d: DeviceSpec) -> Device:
        platform = registry.get(d.platform)
        ctx = BuildContext(
            name=d.name, model=d.model, config=d.config, ports=[Port(n) for n in d.ports],
            modules=[Module(m.slot, m.name, m.kind, m.capacity) for m in d.modules],
            clock=self.clock, scheduler=self.scheduler, streams=self.streams,
            home=self._home(d.name),
            state_dir=self.state_dir / d.name / "config" if self.state_dir is not None else None,
            hostname=d.hostname, options=dict(d.options),
        )
        return platform.build_device(ctx)

    def _follow_addresses(self, dev: Device) -> None:
        """Tell the world the device's addresses after every change of its running
        configuration (before the platform's own work, so tunnels start from registered
        addresses)."""
        dev.change_listeners.append(lambda: self.world.addresses_changed(dev, dev.addresses()))

    def settled(self) -> bool:
        """Nothing in flight anywhere in the lab."""
        return self.world.settled()

    # ---- life --------------------------------------------------------------------------------
    async def start(self, nursery: trio.Nursery) -> None:
        await nursery.start(self.scheduler.run)
        self.control.start()  # the lab file's traffic flows and timed events
        nursery.start_soon(self.control.course.watch)  # deadlines and objective-triggered events
        # Everything built so far (grammar, configuration, the lab's engines) lives as long as
        # the lab: the collector waits for the end of boot and then skips it on every full pass
        # (long pauses at thousands of tunnels, scripts/bench_world.py --gc-freeze).
        with booting():
            await self.clock.boot(self.settled, max_wait=self.spec.boot_wait)
        # after boot: booting jumps the clock, which a real peer must never see
        await self._open_bridges(nursery)

    def new_session(self, user: str = "user", client: str = "terminal") -> CliSession:
        dev = self.devices[self.current]
        session = registry.get(dev.platform).new_session(dev, user, client)
        session.lab = self.control
        return session

    async def run(self, session: CliSession, line: str, io) -> None:
        """Run one line as a front-end does: commands that start exchanges (commit, clear,
        request …) return once the world settled or after 30 s of lab time."""
        settle = self.settled if session.settles_after(line) else None
        await self.clock.run_command(session.execute, line, io, settle=settle, max_wait=30.0)

    async def aclose(self) -> None:
        for scope in self._bridge_scopes:
            scope.cancel()
        self._bridge_scopes.clear()
        self.bridges.clear()
        for dev in self.devices.values():
            for s in list(dev.sessions.values()):
                s.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _is_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _make_world(factory: Callable[..., Any] | None, clock, scheduler, streams) -> Any:
    from .runtime.world import World

    return (factory or World)(clock, scheduler, streams)


def peer_spec(p: LabPeer) -> Any:
    """The runtime's PeerSpec (runtime/peers.py) for a lab file's peer."""
    from .runtime.peers import PeerSpec

    return PeerSpec(
        name=p.name, address=p.address,
        psk=p.psk.encode() if isinstance(p.psk, str) else p.psk,  # the engine keys on bytes
        ike_proposals=p.ike_proposals,
        ipsec_proposals=p.ipsec_proposals, mode=p.mode, answers_dpd=p.answers_dpd,
        initiates_dpd=p.initiates_dpd, dpd_interval=p.dpd_interval, dpd_retries=p.dpd_retries,
        initiates=p.initiates, target=p.target, local_ts=p.local_ts, remote_ts=p.remote_ts,
        reachable=p.reachable, latency=p.latency, loss=p.loss,
        reject_proposals=p.reject_proposals,
    )
