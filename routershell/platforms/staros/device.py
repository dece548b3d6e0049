"""Build a StarOS device: its running configuration (replayed from the startup text), its crypto
groups on the lab's TunnelManager, its SNMP targets and trap history."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from ...runtime.device import Device, Port
from ...runtime.notify import TrapTarget
from . import config_text, traps
from .compile import interface_addresses
from .groups import CryptoGroups
from .model import Config
from .traps import Notification

VERSION = "21.28.0"  # what `show version` would report; StarOS 21.x has crypto groups
TRAP_HISTORY = 5000  # records `show snmp trap history` keeps (StarOS keeps a bounded history)


class StarosDriver:
    """The StarOS side of a device (`device.driver`). Every configuration command that changes
    something calls `device.changed()`; `applied()` then re-applies crypto maps, groups and SNMP
    targets at once (StarOS has no commit)."""

    def __init__(self, device: Device, config: Config) -> None:
        self.device = device
        self.config = config
        self.groups: CryptoGroups | None = None
        self.trap_history: deque[Notification] = deque(maxlen=TRAP_HISTORY)
        self.traps_sent = 0

    # ---- DeviceDriver -------------------------------------------------------------------------

    def interface_addresses(self) -> dict[str, list[str]]:
        return interface_addresses(self.config)

    def applied(self) -> None:
        self.device.trap_targets = [TrapTarget(t.address, t.port, t.community)
                                    for t in self.config.snmp_targets.values()]
        if self.groups is not None:
            self.groups.configure(self.config, self.device.now())

    def join(self, world: Any) -> None:
        tunnels = self.device.tunnels
        if tunnels is None:
            return
        self.groups = CryptoGroups(tunnels, self.notified)
        self.applied()

    def module_changed(self, module: Any) -> None:
        pass  # the runtime takes a module's tunnels down itself

    # ---- notifications ---------------------------------------------------------------------

    def notified(self, n: Notification) -> None:
        """A crypto group condition: trap history, event log, SNMPv2c trap to every target."""
        self.trap_history.append(n)
        self.device.syslog(n.log_line())
        self.traps_sent += traps.send(self.device, n)


def make_staros_device(name: str, startup: str, *, model: str, hostname: str, ports: list[Port],
                       clock: Any, streams: Any, home: Path) -> Device:
    errors: list[config_text.ReplayError] = []
    cfg = config_text.replay(startup, model, errors=errors) if startup.strip() else Config()
    if hostname and not startup.strip():
        cfg.hostname = hostname
    dev = Device(name, "staros", model=model, ports=ports, clock=clock, home=home,
                 facts={"version": VERSION})
    dev.streams = streams.child(name)
    for e in errors:  # the model may refuse what the lab file's check accepted (ASR 5500)
        dev.syslog(f"[cli 30000 error] startup configuration line {e.line}: {e.message}")
    dev.driver = StarosDriver(dev, cfg)
    dev.driver.applied()  # SNMP targets before the lab joins
    return dev


__all__ = ["StarosDriver", "make_staros_device"]
