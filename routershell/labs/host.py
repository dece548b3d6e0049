"""What the lab layer needs from the application and the world: two small Protocols.

LabControl sees the App only as a `LabHost` (the lab's spec, clock, scheduler, world, devices,
which device this terminal is on, the open IKE bridges, whether the world settled) and the world
only as a `LabWorld` (the faults and flows that `lab …` commands and timed events apply). App and
runtime.world.World satisfy them structurally; tests/labs checks that the test double of the world
and the real World both do, signature by signature.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any, Protocol

from ..runtime.clock import LabClock
from ..runtime.device import Device
from ..runtime.scheduler import Scheduler
from .labfile import LabSpec


class LabWorld(Protocol):
    """The simulated world as the lab commands change it."""

    def settled(self) -> bool: ...
    def peer_down(self, addr: str) -> None: ...
    def peer_up(self, addr: str) -> None: ...
    def peer_delete(self, addr: str) -> int: ...
    def peer_config(self, addr: str, **changes: Any) -> Any: ...
    def link_down(self, name: str) -> None: ...
    def link_up(self, name: str) -> None: ...
    def set_loss(self, percent: float, addr: str | None = None) -> None: ...
    def module_fail(self, device: str, slot: str) -> None: ...
    def module_restore(self, device: str, slot: str) -> None: ...
    def module_insert(self, device: str, slot: str, kind: str, capacity: int) -> None: ...
    def traffic_start(self, name: str, src: str, dst: str, rate_pps: float = 10) -> Any: ...
    def traffic_stop(self, name: str) -> Any: ...
    def capture_start(self, path: str | Path) -> None: ...
    def capture_stop(self) -> int: ...


class LabHost(Protocol):
    """The running lab as LabControl uses it (App implements it)."""

    spec: LabSpec
    clock: LabClock
    scheduler: Scheduler
    world: LabWorld
    devices: Mapping[str, Device]
    #: the device this terminal works on (`lab attach NAME` changes it)
    current: str
    #: device name -> open IKE bridge (the clock then stays in real time)
    bridges: MutableMapping[str, Any]

    def settled(self) -> bool: ...
