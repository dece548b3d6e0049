"""Build a Junos device: its store (curly-form persistence), its timers, its hooks."""

from __future__ import annotations

from pathlib import Path

from ...config.store import ConfigStore
from ...runtime.device import Device, Port
from . import config_text
from . import messages as msg
from .grammar import grammar

VERSION = "9.3R4.4"  # the release the seeds document (Junos 9.x, M/T-series with AS/MS PICs)


class ConfirmTimer:
    """Drives the store's `commit confirmed` deadline from the lab scheduler and tells every
    session when the rollback happened (the Junos broadcast)."""

    def __init__(self, device: Device) -> None:
        self.device = device

    def get_timer(self) -> float | None:
        return self.device.store.get_timer()

    def handle_timer(self, now: float) -> None:
        for _event in self.device.store.handle_timer(now):
            self.device.syslog("mgd: UI_COMMIT_NOT_CONFIRMED: Commit was not confirmed; automatic rollback complete")
            dev = self.device
            host = dev.store.active.get((("system", None), ("host-name", None)))
            when = dev.clock.datetime().strftime("%H:%M:%S %Z")
            dev.broadcast(msg.broadcast("root", host.value if host else dev.name, when, msg.NOT_CONFIRMED))
            dev.changed()  # the rolled-back configuration is the one tunnels and traps follow


def interface_addresses(dev: Device) -> dict[str, list[str]]:
    """Port -> addresses of its enabled units in the active configuration (`ge-0/0/0.0` -> ge-0/0/0)."""
    from .interfaces import configured_units

    out: dict[str, list[str]] = {}
    for u in configured_units(dev.store.active):
        if u.admin_up and u.addresses:
            out.setdefault(u.name.split(".")[0], []).extend(u.addresses)
    return out


class JunosDriver:
    """The Junos side of a device (`device.driver`): what a commit applies, in order: the
    commit-confirmed timer, IPsec tunnels, SNMP trap targets and the UI_COMMIT log line/trap."""

    def __init__(self, device: Device, scheduler, timer: ConfirmTimer) -> None:
        self.device = device
        self.scheduler = scheduler
        self.timer = timer
        self.ipsec_specs: list = []  # the last compiled tunnel specs (show commands read them)
        self.pics_offline: set[str] = set()  # PIC slots taken offline without a chassis module
        self.events_attached = False
        self.world = None  # the lab world, once joined (PKI reaches the lab's CAs through it)

    def interface_addresses(self) -> dict[str, list[str]]:
        return interface_addresses(self.device)

    def applied(self) -> None:
        from . import ospf, snmp
        from .ipsec import hooks
        from .pki.state import schedule_reenrollment

        self.scheduler.reschedule(self.timer)
        hooks.apply(self.device)
        schedule_reenrollment(self.device)  # [edit security pki auto-re-enrollment] may have changed
        ospf.apply(self.device)
        snmp.committed(self.device)

    def join(self, world) -> None:
        from . import ospf
        from .ipsec import hooks
        from .pki.state import schedule_reenrollment

        self.world = world
        hooks.join(self.device)
        schedule_reenrollment(self.device)
        ospf.apply(self.device)

    def module_changed(self, module) -> None:
        pass  # the runtime takes the module's tunnels down itself (TunnelManager.module_changed)


def make_junos_device(
    name: str,
    startup: str,
    *,
    model: str,
    ports: list[Port],
    clock,
    scheduler,
    streams,
    home: Path,
    state_dir: Path | None,
) -> Device:
    schema = grammar().schema
    to_text, from_text = config_text.codec(schema)
    initial = config_text.parse(startup, schema)
    dev = Device(name, "junos", model=model, ports=ports, clock=clock, home=home, facts={"version": VERSION})
    dev.streams = streams.child(name)
    dev.store = ConfigStore(
        initial, state_dir=state_dir, to_text=to_text, from_text=from_text, when=clock.datetime()
    )
    timer = ConfirmTimer(dev)
    scheduler.add_engine(timer, name=f"{name} commit confirmed")
    dev.driver = JunosDriver(dev, scheduler, timer)
    from . import snmp

    snmp.install(dev)  # trap targets from [edit snmp]; UI_COMMIT log line and trap per commit
    return dev
