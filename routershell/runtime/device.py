"""An emulated device: platform, configuration store, chassis, clock, logs, sessions.

The device is what a CliSession talks to. It knows nothing of any vendor's wording; the
platform package interprets its configuration and renders its state.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

LOG_LINES = 10_000  # syslog lines a device keeps (the oldest go first)


@dataclass
class Port:
    """A physical interface of the chassis (present whether configured or not)."""

    name: str
    link_up: bool = True
    mac: str = ""


@dataclass
class Module:
    """A service module in a chassis slot (Junos services PIC `sp-1/2/0`, JunosE ISM) that
    carries up to `capacity` tunnels; a failed module (`up=False`) carries none."""

    slot: str  # "1/2/0"
    name: str  # "sp-1/2/0"
    kind: str  # "services-pic", "ism", ...
    capacity: int
    up: bool = True


@dataclass
class LogLine:
    when: float  # lab seconds
    text: str


class DeviceDriver(Protocol):
    """What a platform attaches to each of its devices (`device.driver`): how the runtime asks
    the platform about the device's configuration, and tells it about the world."""

    def interface_addresses(self) -> dict[str, list[str]]:
        """Port -> its configured addresses ("a.b.c.d/len") in the running configuration."""
        ...

    def applied(self) -> None:
        """The running configuration changed (commit, an immediate change, a rollback):
        re-apply tunnels, trap targets and whatever else follows it."""
        ...

    def join(self, world: Any) -> None:
        """The lab is built (peers, links ready): apply the startup configuration."""
        ...

    def module_changed(self, module: Module) -> None:
        """A lab command or event failed or restored one of the device's modules."""
        ...


class NullDriver:
    """A device with no platform behaviour (tests, and the default before a platform attaches)."""

    def interface_addresses(self) -> dict[str, list[str]]:
        return {}

    def applied(self) -> None:
        pass

    def join(self, world: Any) -> None:
        pass

    def module_changed(self, module: Module) -> None:
        pass


@dataclass
class Device:
    name: str
    platform: str
    model: str = ""
    ports: list[Port] = field(default_factory=list)
    store: Any = None  # routershell.config.store.ConfigStore
    clock: Any = None  # routershell.runtime.clock.LabClock
    home: Path | None = None  # where save/load files live
    booted_at: float = 0.0
    facts: dict[str, str] = field(default_factory=dict)  # platform-specific static facts (version)
    # the newest LOG_LINES lines; a deque drops the oldest in O(1) (a list's `del log[:-N]` moved
    # all N on every line once full: a lab logging all day paid that per line)
    log: deque[LogLine] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    sessions: dict[int, Any] = field(default_factory=dict)
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    streams: Any = None  # routershell.runtime.rng.Streams for this device
    driver: DeviceDriver = field(default_factory=NullDriver)  # the platform's side (see above)
    # called before the driver on every change of the running configuration (App follows the
    # device's addresses with one)
    change_listeners: list[Callable[[], None]] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)  # service modules in the chassis
    tunnels: Any = None  # routershell.runtime.tunnels.TunnelManager, set by World.add_device
    # SNMP trap receivers the platform's commit compiles: runtime.notify.TrapTarget tuples
    trap_targets: list[Any] = field(default_factory=list)
    # non-loopback trap receivers the lab allows (runtime/notify.py sends nowhere else)
    trap_allowed: frozenset[str] = frozenset()
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _rngs: dict[str, random.Random] = field(default_factory=dict)

    def rng(self, purpose: str) -> random.Random:
        """This device's seeded stream for one purpose (the same across runs with one seed)."""
        if purpose not in self._rngs:
            self._rngs[purpose] = self.streams.stream(purpose) if self.streams is not None else random.Random(purpose)
        return self._rngs[purpose]

    def interface_addresses(self) -> dict[str, list[str]]:
        return self.driver.interface_addresses()

    def addresses(self) -> list[str]:
        """Every configured interface address, in port order."""
        return [a for addrs in self.interface_addresses().values() for a in addrs]

    def changed(self) -> None:
        """The running configuration changed: listeners first (the world learns new addresses
        before tunnels start from them), then the platform applies it."""
        for cb in list(self.change_listeners):
            cb()
        self.driver.applied()

    def join(self, world: Any) -> None:
        self.driver.join(world)

    def module(self, slot: str) -> Module | None:
        return next((m for m in self.modules if str(m.slot) == str(slot)), None)

    def now(self) -> float:
        return self.clock.now() if self.clock is not None else 0.0

    def register(self, session: Any) -> int:
        sid = next(self._ids)
        self.sessions[sid] = session
        return sid

    def unregister(self, sid: int) -> None:
        self.sessions.pop(sid, None)

    def broadcast(self, text: str) -> None:
        """A message every logged-in session shows at once (Junos: commit confirmed rollback)."""
        for s in list(self.sessions.values()):
            s.notify(text)

    def syslog(self, text: str) -> None:
        self.log.append(LogLine(self.now(), text))
        for cb in list(self.listeners):
            cb(text)
