"""One AlliedWare device's platform side: its running configuration, counters and tunnels.

`Router(device)` holds the Config the commands change, applies it to the device's TunnelManager
at once after every change (`applied()`), installs the retry controller and a negotiation
watchdog long enough for the engine's own exchange timeouts, and follows the tunnel events to
move the ISAKMP counters and write the ISAKMP log lines. Show renderers read a view of it
(operations.view: config, tunnel states, engine SA tables, counters, the clock); the small-integer
ids the device gives SAs and exchanges (`ids`) are given as they start and never change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...config.files import write_atomic
from ...engine import failover as fo
from ...engine.events import (
    AUTHENTICATION_FAILED,
    NO_PROPOSAL_CHOSEN,
    TIMEOUT,
    NegotiationFailed,
    Phase1Down,
    Phase1Up,
    Phase2Down,
    Phase2Up,
)
from ...engine.retry import GiveUp, Retry
from .compile import compile_tunnels, max_timeout, retry_setting
from .control import RetryTunnel, controller_for
from .counters import IsakmpCounters, PolicyCounters
from .model import Config, EncoKey, User, mask_len


class Ids:
    """Small integer ids for SAs and exchanges, given in the order the device first sees them."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, Any], int] = {}
        self._next: dict[str, int] = {}

    def get(self, kind: str, key: Any) -> int:
        k = (kind, key)
        if k not in self._ids:
            n = self._next.get(kind, 1)
            self._next[kind] = n + 1
            self._ids[k] = n
        return self._ids[k]


@dataclass
class Router:
    device: Any  # runtime.device.Device (name, tunnels, clock, syslog)
    config: Config = field(default_factory=Config)
    counters: IsakmpCounters = field(default_factory=IsakmpCounters)
    policy_counters: dict[str, PolicyCounters] = field(default_factory=dict)
    ids: Ids = field(default_factory=Ids)
    boot_config: str | None = None  # SET CONFIG=file
    home: Path | None = None  # the device's file system (config files)
    # what a change of the running configuration calls (the platform wires device.changed,
    # which tells the world the new addresses and then calls apply); default: apply
    on_change: Callable[[], None] | None = None
    _subscribed: Any = None

    def now(self) -> float:
        return self.device.now()

    def install(self, cfg: Config) -> None:
        """Make `cfg` the running configuration; it takes effect at once."""
        secure = (cfg.keys, cfg.users) != (self.config.keys, self.config.users)
        self.config = cfg
        if secure:
            self.persist_secure()
        if self.on_change is not None:
            self.on_change()
        else:
            self.apply()

    # ---- DeviceDriver (runtime/device.py) --------------------------------------------------

    def applied(self) -> None:
        self.apply()

    def join(self, world: Any) -> None:
        self.apply()

    def module_changed(self, module: Any) -> None:
        pass  # an AR450S has no service modules

    # ---- protected storage: ENCO keys and user accounts survive outside the script ---------

    SECURE_RECORD = ".secure-storage.json"

    def persist_secure(self) -> None:
        if self.home is None:
            return
        data = {"keys": [[k.id, k.type, k.value, k.description] for k in self.config.keys.values()],
                "users": [[u.name, u.password, u.privilege] for u in self.config.users.values()]}
        write_atomic(Path(self.home) / self.SECURE_RECORD, json.dumps(data))

    def load_secure(self) -> None:
        """ENCO keys and users saved by an earlier run of this device (state directory)."""
        if self.home is None:
            return
        try:
            data = json.loads((Path(self.home) / self.SECURE_RECORD).read_text(encoding="utf-8"))
            keys = {int(i): EncoKey(int(i), t, v, d) for i, t, v, d in data["keys"]}
            users = {n: User(n, pw, pr) for n, pw, pr in data["users"]}
        except (OSError, ValueError, KeyError, TypeError):
            return
        self.config.keys, self.config.users = keys, users

    BOOT_RECORD = ".boot-config"  # where SET CONFIG is kept (the device keeps it in NVS)

    def persist_boot(self) -> None:
        if self.home is None:
            return
        write_atomic(Path(self.home) / self.BOOT_RECORD, (self.boot_config or "") + "\n")

    def load_boot(self) -> str | None:
        """The boot script SET CONFIG named (None: none, or no home)."""
        if self.home is None:
            return None
        try:
            name = (Path(self.home) / self.BOOT_RECORD).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        self.boot_config = name or None
        return self.boot_config

    _LOGICAL = re.compile(r"(?:vlan|ppp|virt|fr|x25t)\d+(?:-\d+)?")

    def has_port(self, name: str) -> bool:
        """An interface IP can use: a port of the chassis or a logical interface."""
        ports = [p.name for p in getattr(self.device, "ports", [])]
        return name in ports or bool(self._LOGICAL.fullmatch(name)) or (not ports and bool(
            re.fullmatch(r"eth\d+", name)))

    def interface_addresses(self) -> dict[str, list[str]]:
        return {n: [f"{a}/{mask_len(mk)}"] for n, (a, mk) in self.config.interfaces.items()}

    # ---- applying the running configuration ----------------------------------------------

    def apply(self) -> None:
        """The running configuration changed: reconcile the device's tunnels with it now."""
        mgr = self.device.tunnels
        if mgr is None:
            return
        if self._subscribed is None:
            mgr.controller_for = lambda spec: controller_for(
                spec, lambda name=spec.name: retry_setting(self.config, name))
            self._subscribed = mgr.subscribe(self._on_event)
        # the engine times exchanges out itself (msgbackoff schedule); the manager's watchdog
        # only guards against a negotiation that never ends (phase 1 and phase 2 in a row)
        mgr.phase1_timeout = 2 * max_timeout(self.config) + 1
        specs = compile_tunnels(self.config)
        for s in specs:
            self.policy_counters.setdefault(s.name.lower(), PolicyCounters())
        mgr.apply(specs, self.now())

    def controller(self, name: str) -> RetryTunnel | None:
        mgr = self.device.tunnels
        ctl = mgr.controller(name) if mgr is not None else None
        return ctl if isinstance(ctl, RetryTunnel) else None

    # ---- events -> counters ----------------------------------------------------------------

    def _pc(self, name: str) -> PolicyCounters | None:
        return self.policy_counters.get(name.lower()) if name else None

    def number_exchanges(self) -> None:
        """Give ids to exchanges that have none yet, in the order they started: the device
        numbers an exchange when it begins, whether or not anyone looks at it."""
        mgr = self.device.tunnels
        self._numbering = None
        if mgr is None:
            return
        found = []
        for ep in mgr.endpoints().values():
            for sa in ep.sadb.ike.values():
                if sa.p1 is not None and sa.p1.state != "done":
                    found.append((sa.p1.started, sa.order, (sa.icookie, "p1")))
                for ex in sa.exchanges.values():
                    if ex.state != "done":
                        found.append((ex.started, sa.order, (sa.icookie, ex.message_id)))
        for _started, _order, key in sorted(found, key=lambda f: (f[0], f[1])):
            self.ids.get("exchange", key)

    _numbering: Any = None

    def _number_soon(self) -> None:
        """Number new exchanges once this instant's negotiation starts are carried out."""
        mgr = self.device.tunnels
        if self._numbering is None and mgr is not None:
            self._numbering = mgr.scheduler.call_at(self.now(), self.number_exchanges,
                                                    name=f"{self.device.name} exchange ids")

    def _log(self, severity: int, stype: str, text: str) -> None:
        """One ISAKMP line of the device log (`SHow LOG`): severity, sub-type, message."""
        self.device.syslog(f"{severity}|ISAK|IKMP|{stype}|{text}")

    def _log_event(self, name: str, ev: object) -> None:
        if isinstance(ev, NegotiationFailed):
            peer, ph = ev.peer[0], ev.phase
            text = {TIMEOUT: f"Phase {ph} exchange with {peer} timed out",
                    NO_PROPOSAL_CHOSEN: f"Phase {ph} proposals not accepted ({peer})",
                    AUTHENTICATION_FAILED: f"Phase {ph} authentication failed with {peer}"}.get(
                        ev.reason, f"Phase {ph} exchange with {peer} failed ({ev.reason})")
            self._log(3, "EXCH", text)
        elif isinstance(ev, Retry):
            ctl = self.controller(name)
            of = ", continuous" if ctl is None or ctl.limit is None else f" of {ctl.limit}"
            self._log(4, "RETRY", f"Policy {name}: retrying phase {ev.phase} exchange "
                                  f"(attempt {ev.attempt}{of})")
        elif isinstance(ev, GiveUp) and ev.exhausted:
            ctl = self.controller(name)
            if ctl is not None and ctl.limit:
                self._log(3, "RETRY", f"Policy {name}: retry limit {ctl.limit} reached")
        elif isinstance(ev, Phase1Up):
            self._log(6, "SA", f"Phase 1 SA established with {ev.peer[0]} ({ev.mode.upper()})")
        elif isinstance(ev, Phase2Up):
            self._log(6, "SA", f"Policy {name}: IPsec SA established with {ev.peer[0]}")
        elif isinstance(ev, (Phase1Down, Phase2Down)) and ev.reason == "peer-delete":
            what = "ISAKMP SA" if isinstance(ev, Phase1Down) else f"IPsec SA of policy {name}"
            self._log(4, "DEL", f"{ev.peer[0]} deleted the {what}")

    def _on_event(self, name: str, ev: object) -> None:
        c = self.counters
        pc = self._pc(name)
        self._log_event(name, ev)
        if isinstance(ev, (fo.Negotiate, Phase1Up, Phase2Down)):
            self._number_soon()
        if isinstance(ev, fo.Negotiate):
            c.bump("exchangesStarted")
            pol = self.config.ipsec.get(name.lower())
            # the ISAKMP policy is found by name, or by the peer address of the IPsec policy
            c.bump("getPolicyGood" if pol is None or pol.isakmp else "getPolicyByPeerGood")
            if pc:
                pc.negotiations += 1
        elif isinstance(ev, Retry):
            c.bump("retryIkeAttemptsPh1" if ev.phase == 1 else "retryIkeAttemptsPh2")
            c.bump("usePolIkeRetryGood")
            if pc:
                pc.retries += 1
        elif isinstance(ev, GiveUp):
            ctl = self.controller(name)
            if ctl is not None and ctl.limit != 0 and ctl.eligible:
                c.bump("usePolIkeRetryFailed")
        elif isinstance(ev, NegotiationFailed):
            ctl = self.controller(name)
            if ctl is not None:
                ctl.note_phase(ev.phase)
            c.bump("exchangesTimedOut" if ev.reason == TIMEOUT else "exchangesFailed")
            if ev.reason == NO_PROPOSAL_CHOSEN:
                c.bump("proposalsRejected")
            elif ev.reason == AUTHENTICATION_FAILED:
                c.bump("authenticationFailures")
            if pc:
                pc.failures += 1
        elif isinstance(ev, Phase1Up):
            self.ids.get("ike", ev.icookie)  # SAs are numbered as they are made
            c.bump("phase1SaCreated")
            c.bump("exchangesCompleted")
        elif isinstance(ev, Phase2Up):
            self.ids.get("ipsec", ev.inbound_spi)
            c.bump("phase2SaCreated")
            c.bump("exchangesCompleted")
            if pc:
                pc.established += 1
        elif isinstance(ev, Phase1Down):
            c.bump("phase1SaDeleted")
            if ev.reason == "peer-delete":
                c.bump("deletesReceived")
        elif isinstance(ev, Phase2Down):
            c.bump("phase2SaDeleted")
            if ev.reason == "peer-delete":
                c.bump("deletesReceived")
            if pc:
                pc.sas_deleted += 1
