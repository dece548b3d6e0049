"""A recording double of the world for the lab-command tests: it implements the LabWorld
protocol (routershell/labs/host.py) that the real runtime.world.World implements too
(test_host_protocols.py checks both, signature by signature), records every call with its lab
time, and keeps just enough state (modules, a 'busy until' time for settled()) for the lab
commands to be observable without running IKE."""

from __future__ import annotations

from pathlib import Path


class FakeWorld:
    def __init__(self, clock, scheduler, streams) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.streams = streams
        self.devices: dict = {}
        self.peers: dict = {}
        self.links: list = []
        self.calls: list[tuple] = []
        self.busy_until = 0.0
        self._capture: Path | None = None

    def _rec(self, *call) -> None:
        self.calls.append((round(self.clock.now(), 3),) + call)

    def add_device(self, dev, addresses=()) -> None:
        self.devices[dev.name] = dev
        self.addresses = {dev.name: list(addresses)}

    def addresses_changed(self, dev, addresses=None) -> None:
        self._rec("addresses_changed", dev.name, tuple(addresses or ()))

    def add_peer(self, spec):
        self.peers[spec.address] = spec
        return spec

    def add_link(self, name, addresses=()) -> None:
        self.links.append((name, tuple(addresses)))

    def settled(self) -> bool:
        return self.clock.now() >= self.busy_until

    def peer_down(self, addr):
        self._rec("peer_down", addr)

    def peer_up(self, addr):
        self._rec("peer_up", addr)

    def module_insert(self, device, slot, kind, capacity):
        self._rec("module_insert", device, slot, kind, capacity)

    def peer_delete(self, addr):
        self._rec("peer_delete", addr)
        return 1

    def peer_config(self, addr, **changes):
        self._rec("peer_config", addr, tuple(sorted(changes.items())))

    def link_down(self, name):
        self._rec("link_down", name)

    def link_up(self, name):
        self._rec("link_up", name)

    def set_loss(self, percent, addr=None):
        self._rec("set_loss", percent, addr)

    def module_fail(self, device, slot):
        self._rec("module_fail", device, slot)
        self._module(device, slot).up = False

    def module_restore(self, device, slot):
        self._rec("module_restore", device, slot)
        self._module(device, slot).up = True

    def _module(self, device, slot):
        return next(m for m in self.devices[device].modules if str(m.slot) == slot)

    def traffic_start(self, name, src, dst, rate_pps=10):
        self._rec("traffic_start", name, src, dst, rate_pps)

    def traffic_stop(self, name):
        self._rec("traffic_stop", name)

    def capture_start(self, path):
        self._capture = Path(path)
        self._capture.write_bytes(b"")
        self._rec("capture_start", str(path))

    def capture_stop(self) -> int:
        self._rec("capture_stop")
        self._capture = None
        return 0
