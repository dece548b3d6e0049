"""Build a JunosE device and its driver: the running configuration (config.JunoseConfig), the
startup file, the ISM distribution and the log lines of what happens to tunnel interfaces."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from ...config.files import write_atomic
from ...runtime import notify
from ...runtime.device import Device, Module
from ...runtime.notify import TrapTarget
from . import messages as msg
from .compile import compile_specs
from .config import JunoseConfig, mask_len, render
from .ism import IsmController, IsmEvent
from .shows import TunnelView

VERSION = "11.2.0"
# [U] enterprise trap OIDs under Juniper's E-series (Unisphere) enterprise 4874: tunnel
# interface up / down, with the interface name as the detail object
TRAP_TUNNEL_UP = "1.3.6.1.4.1.4874.2.2.75.2.0.1"
TRAP_TUNNEL_DOWN = "1.3.6.1.4.1.4874.2.2.75.2.0.2"
TRAP_TUNNEL_NAME = "1.3.6.1.4.1.4874.2.2.75.1.1.1.2"
notify.register("junose", "tunnel-up", TRAP_TUNNEL_UP, TRAP_TUNNEL_NAME)
notify.register("junose", "tunnel-down", TRAP_TUNNEL_DOWN, TRAP_TUNNEL_NAME)
STARTUP_FILE = "startup-config"


class JunoseDriver:
    """`device.driver` for JunosE. Every configuration command changes `cfg` in place and calls
    `device.changed()`: the world learns the addresses, then `applied()` compiles the tunnel
    interfaces and hands them to the ISM controller (changes apply at once, as on the router)."""

    def __init__(self, device: Device, scheduler: Any, cfg: JunoseConfig, startup_path: Path) -> None:
        self.device = device
        self.scheduler = scheduler
        self.cfg = cfg
        self.startup_path = startup_path
        self.ism: IsmController | None = None
        self.cli_disabled: set[str] = set()  # slots down because of `slot disable`

    # ---- DeviceDriver ------------------------------------------------------------------------
    def interface_addresses(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for t in self.cfg.interfaces.values():
            if t.address is not None and not t.shutdown:
                n = mask_len(t.address[1])
                out.setdefault(t.ifname, []).append(f"{t.address[0]}/{n if n is not None else 32}")
        # the tunnel endpoints live on the router's physical interfaces (not modelled here)
        ends = {t.source for t in self.cfg.interfaces.values() if t.source}
        if self.cfg.local_endpoint is not None:
            ends.add(self.cfg.local_endpoint[0])
        if ends:
            out["endpoints"] = sorted(ends)
        return out

    def applied(self) -> None:
        self.device.trap_targets = [TrapTarget(h, port, community)
                                    for h, (community, port) in self.cfg.trap_hosts.items()]
        self._sync_slots()
        if self.ism is not None:
            self.ism.apply(compile_specs(self.cfg), self.device.now())

    def join(self, world: Any) -> None:
        self.ism = IsmController(self.device.tunnels, self.scheduler, self.device.modules,
                                 on_event=self._log)
        self.applied()

    def module_changed(self, module: Module) -> None:
        if self.ism is not None:
            self.ism.module_changed(self.device.now())

    # ---- configuration -----------------------------------------------------------------------
    def save(self) -> None:
        """`write memory`: the running configuration becomes the startup file (atomically)."""
        self.startup_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.startup_path, render(self.cfg))

    def startup_text(self) -> str | None:
        try:
            return self.startup_path.read_text(encoding="utf-8")
        except OSError:
            return None

    def _sync_slots(self) -> None:
        """`slot disable N` takes that module out of service like a failure; `slot enable`
        (or `no slot disable`) brings it back unless the lab has it failed otherwise."""
        wanted = {str(s) for s in self.cfg.disabled_slots}
        changed = False
        for m in self.device.modules:
            if m.slot in wanted and m.slot not in self.cli_disabled:
                self.cli_disabled.add(m.slot)
                if m.up:
                    m.up = False
                    changed = True
            elif m.slot not in wanted and m.slot in self.cli_disabled:
                self.cli_disabled.discard(m.slot)
                if not m.up:
                    m.up = True
                    changed = True
        if changed and self.device.tunnels is not None:
            self.device.tunnels.module_changed(self.device.now())
            if self.ism is not None:
                self.ism.module_changed(self.device.now())

    # ---- runtime views for shows -------------------------------------------------------------
    def views(self) -> dict[str, TunnelView]:
        out: dict[str, TunnelView] = {}
        if self.device.tunnels is None:
            return out
        for st in self.device.tunnels.tunnels():
            name = st.spec.name
            status = self.ism.status(name) if self.ism is not None else None
            out[name] = TunnelView(
                state=st.state,
                slot=status.module if status is not None else None,
                next_attempt=status.next_attempt if status is not None else None,
                failures=status.failures if status is not None else 0,
                last_failure=self.ism.last_failure(name) if self.ism is not None else None,
                ike_sa=st.ike_sa, ipsec_sas=list(st.ipsec_sas or []),
                established_at=st.established_at,
                destination=self.ism.destination(name) if self.ism is not None else None)
        return out

    def at(self, seconds: float) -> str:
        """A lab time as the router prints it (wall clock of the lab)."""
        clock = self.device.clock
        if clock is None:
            return f"{seconds:.0f}"
        when = clock.epoch + _dt.timedelta(seconds=seconds)
        return when.strftime("%m/%d/%Y %H:%M:%S")

    def _log(self, ev: IsmEvent) -> None:
        text = msg.log_line(ev, self.at(ev.when) if ev.when is not None else "")
        if text is not None:
            self.device.syslog(text)


def make_device(name: str, startup: str, *, hostname: str, model: str, ports: list, modules: list,
                clock: Any, scheduler: Any, streams: Any, home: Path, state_dir: Path | None) -> Device:
    """A JunosE device; its startup configuration is replayed by the caller (platform.py)."""
    dev = Device(name, "junose", model=model, ports=ports, clock=clock, home=home,
                 facts={"version": VERSION})
    dev.streams = streams.child(name)
    dev.modules = list(modules)
    cfg = JunoseConfig(hostname=hostname or name)
    path = (state_dir if state_dir is not None else home) / STARTUP_FILE
    dev.driver = JunoseDriver(dev, scheduler, cfg, path)
    return dev
