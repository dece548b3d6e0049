"""JunosE tunnel interfaces on IPsec Service Modules: the engine's distribution policy driving
the device's TunnelManager.

The policy itself (spread by free capacity, module loss -> not present -> reassign, the address
rule, the 3-minute wait, the 1..60-minute back-off) is `engine.distribution.Distribution`; this
module only carries its actions out and feeds it the outcomes:

* every tunnel interface is a TunnelSpec whose `labels["module"]` names the ISM slot it is
  assigned to (NO_ISM when it has none); the manager's module check is narrowed so that NO_ISM
  is never present, and a failed ISM's SAs vanish silently (the manager's module logic);
* each tunnel's TunnelController (runtime/tunnel_control.py seam) is an `IsmTunnel` that never
  negotiates by itself and forwards its inputs here: phase 2 up / failed / timed out become
  `rekey_result`; an SA lost on a present ISM (peer dead, expiry, peer delete) becomes
  `tunnel_down` (rekey at once, backing off on failure); an SA the peer brought up while we
  waited becomes `peer_established`. `Rekey` actions become `fo.Negotiate` on that tunnel;
* `module_changed` re-reads the chassis (a lab fault, a timed lab event, `slot disable`);
* a capacity check warns when the surviving ISMs could not absorb one module's tunnels.

What happened is reported as `IsmEvent`s; messages.py words them as the router's log lines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ...engine import failover as fo
from ...engine.distribution import (
    Assigned,
    Distribution,
    DistributionAction,
    DistributionPolicy,
    NotPresent,
    Rekey,
    RekeyScheduled,
    TunnelOpState,
    TunnelStatus,
)
from ...runtime.device import Module
from ...runtime.ipsec import TunnelSpec
from ...runtime.scheduler import Scheduler, Timer
from ...runtime.tunnel_control import ControllerBase, OnTunnel
from ...runtime.tunnels import ModuleDown, ModuleUp, TunnelManager

__all__ = ["ISM_KIND", "NO_ISM", "IsmController", "IsmEvent", "IsmTunnel"]

ISM_KIND = "ism"
NO_ISM = "-"  # the module label of an interface that has no ISM (never present)


@dataclass(frozen=True)
class IsmEvent:
    """kind: assigned | reassigned | not-present | rekey | rekey-scheduled | up | rekey-failed |
    down | backup | primary (failover to the destination in `detail`) | ism-down | ism-up |
    capacity-short | capacity-ok"""

    kind: str
    at: float
    tunnel: str = ""
    module: str = ""
    when: float | None = None  # next attempt (rekey-scheduled, rekey-failed)
    detail: str = ""  # failure reason, lost module, ...


class IsmController:
    """One per JunosE device. A scheduler engine (the distribution's rekey timer)."""

    def __init__(self, tunnels: TunnelManager, scheduler: Scheduler, modules: list[Module],
                 *, policy: DistributionPolicy | None = None,
                 on_event: Callable[[IsmEvent], None] | None = None) -> None:
        self.tunnels = tunnels
        self.scheduler = scheduler
        self.modules = modules  # the chassis list (Module.up changes under us)
        self.dist = Distribution(policy)
        self.on_event = on_event or (lambda ev: None)
        self._specs: dict[str, TunnelSpec] = {}  # configured interfaces, creation order
        self._label: dict[str, str] = {}
        self._attempt: dict[str, int] = {}  # tunnel -> attempt number of its pending Rekey
        self._by_gateway: dict[str, set[str]] = {}
        self._present: dict[str, bool] = {}
        self._failures: dict[str, str] = {}  # last rekey failure reason
        self._placed: set[str] = set()  # interfaces that have had an ISM (a new one: reassigned)
        self._active: dict[str, str] = {}  # interface -> destination in use (after a failover)
        self._short = False
        self._sync_timer: Timer | None = None
        self._busy = False
        world_up = tunnels.module_up
        tunnels.module_up = lambda label: label != NO_ISM and world_up(label)
        now = scheduler.now()
        for m in self._isms():
            self.dist.add_module(now, m.slot, m.capacity)
            self._present[m.slot] = True
        tunnels.controller_for = lambda spec: IsmTunnel(self, spec) if spec.child else None
        tunnels.subscribe(self._on_tunnel_event)
        scheduler.add_engine(self, name=f"{tunnels.device} ism distribution")
        self.module_changed(now)

    # ------------------------------------------------------------------ inputs

    def apply(self, specs: list[TunnelSpec], now: float) -> None:
        """The configured tunnel interfaces (compile.compile_specs), in creation order."""
        wanted = {s.name: s for s in specs}
        actions: list[DistributionAction] = []
        for name in [n for n, s in self._specs.items() if wanted.get(n) != s]:
            old = self._specs.pop(name)
            self._forget(name, old)
            actions += self.dist.remove_tunnel(now, name)
        new = [s for s in specs if s.name not in self._specs]
        for s in new:
            # our own labels dict, shared with the manager: relabelling writes the slot into it
            self._specs[s.name] = dataclasses.replace(s, labels={**s.labels, "module": NO_ISM})
            self._label[s.name] = NO_ISM
            self._by_gateway.setdefault(_remote(s), set()).add(s.name)
        # the manager first knows the tunnels (not present until assigned), then the
        # distribution places them and the Rekeys negotiate
        self.tunnels.apply([self._specs[s.name] for s in specs], now)
        actions += self.dist.add_tunnels(now, [(s.name, s.local, _remote(s)) for s in new])
        # the manager starts a large batch of new tunnels in scheduler callbacks at this same
        # instant: negotiate after them
        self._run(actions, now, defer=len(new) > self.tunnels.START_NOW)

    def module_changed(self, now: float) -> None:
        """Re-read the chassis: ISMs failed, restored or inserted since the last look. Call it
        after the TunnelManager re-read the modules (World.module_fail/restore do), so the SAs
        of a failed ISM have vanished before its interfaces move."""
        if self._busy:
            return
        self._busy = True
        try:
            actions: list[DistributionAction] = []
            for m in self._isms():
                if m.slot not in self._present:
                    self._present[m.slot] = True
                    self._emit(IsmEvent("ism-up", now, module=m.slot, detail="inserted"))
                    actions += self.dist.add_module(now, m.slot, m.capacity)
                    if not m.up:
                        self._present[m.slot] = False
                        actions += self.dist.module_failed(now, m.slot)
                    continue
                if m.up != self._present[m.slot]:
                    self._present[m.slot] = m.up
                    self._emit(IsmEvent("ism-up" if m.up else "ism-down", now, module=m.slot))
                    actions += (self.dist.module_restored(now, m.slot) if m.up
                                else self.dist.module_failed(now, m.slot))
            self._run(actions, now)
        finally:
            self._busy = False

    # ------------------------------------------------------------------ scheduler engine

    def get_timer(self) -> float | None:
        return self.dist.get_timer()

    def handle_timer(self, now: float) -> None:
        self._run(self.dist.handle_timer(now), now)

    # ------------------------------------------------------------------ state for shows

    def status(self, name: str) -> TunnelStatus | None:
        return self.dist.tunnel_status(name) if name in self._specs else None

    def slot_of(self, name: str) -> str | None:
        st = self.status(name)
        return st.module if st is not None else None

    def last_failure(self, name: str) -> str | None:
        return self._failures.get(name)

    def capacity_short(self) -> bool:
        """True when the ISMs left after losing the busiest one could not carry its tunnels."""
        return self._short

    def load(self) -> dict[str, int]:
        return self.dist.module_load()

    # ------------------------------------------------------------------ internals

    def _isms(self) -> list[Module]:
        return [m for m in self.modules if m.kind == ISM_KIND]

    def _emit(self, ev: IsmEvent) -> None:
        self.on_event(ev)

    def _forget(self, name: str, spec: TunnelSpec) -> None:
        self._label.pop(name, None)
        self._attempt.pop(name, None)
        self._failures.pop(name, None)
        self._placed.discard(name)
        self._active.pop(name, None)
        self._by_gateway.get(_remote(spec), set()).discard(name)

    def _drop_ike(self, name: str, now: float) -> None:
        """The IKE SA with the tunnel's peer lived on the lost ISM too: it vanishes without a
        Delete (the manager has already dropped the IPsec SAs the same way). Other tunnels to
        that peer keep their IPsec SAs and negotiate a new IKE SA when they need one."""
        spec = self._specs.get(name)
        if spec is None or spec.peer is None:
            return
        ep = self.tunnels.endpoint(spec.local)
        if ep is None:
            return
        gw = (spec.peer.address, spec.peer.port)
        ep.abort(gw, now)
        ep.forget_ike(gw, now)

    def _relabel(self, name: str, slot: str) -> None:
        """Move the interface to `slot` (NO_ISM: none). The spec's labels dict is the one the
        manager holds (labels are not part of a spec's identity), so the new slot is seen at
        the manager's next module re-read without re-applying 8,000 specs."""
        self._label[name] = slot
        self._specs[name].labels["module"] = slot

    def _run(self, actions: list[DistributionAction], now: float, defer: bool = False) -> None:
        """Carry out distribution actions from outside any tunnel callback (`defer`: the
        negotiations start in a scheduler callback at the same lab instant)."""
        todo = self._carry(actions, now)
        self.scheduler.reschedule(self)
        if not todo:
            return
        if defer:
            self.scheduler.call_at(now, lambda: self._negotiate(todo),
                                   name=f"{self.tunnels.device} ism rekeys")
        else:
            self._negotiate(todo)

    def _negotiate(self, todo: list[tuple[str, object]]) -> None:
        now = self.scheduler.now()
        for name, action in todo:
            if name in self._specs:
                self.tunnels.act(name, [action], now)

    def _carry(self, actions: list[DistributionAction], now: float) -> list[tuple[str, object]]:
        """Record the distribution's decisions; return the negotiations to start (tunnel,
        fo.Negotiate), in order."""
        relabel = False
        out: list[tuple[str, object]] = []
        cannot: list[str] = []
        for a in actions:
            if isinstance(a, Assigned):
                self._relabel(a.tunnel, a.module)
                relabel = True
                kind = "reassigned" if a.tunnel in self._placed else "assigned"
                self._placed.add(a.tunnel)
                self._emit(IsmEvent(kind, now, a.tunnel, a.module))
            elif isinstance(a, NotPresent):
                self._drop_ike(a.tunnel, now)
                self._relabel(a.tunnel, NO_ISM)
                self._attempt.pop(a.tunnel, None)
                relabel = True
                self._emit(IsmEvent("not-present", now, a.tunnel, detail=a.lost_module or ""))
            elif isinstance(a, Rekey):
                spec = self._specs.get(a.tunnel)
                if spec is None:
                    continue
                self._attempt[a.tunnel] = a.attempt
                self._emit(IsmEvent("rekey", now, a.tunnel, a.module))
                if spec.peer is None:  # no key or no usable IKE rule: fails at once
                    cannot.append(a.tunnel)
                else:
                    out.append((a.tunnel, fo.Negotiate(self.destination(a.tunnel))))
            elif isinstance(a, RekeyScheduled):
                self._emit(IsmEvent("rekey-scheduled", now, a.tunnel,
                                    self._label.get(a.tunnel, ""), when=a.at))
        if relabel:
            self.tunnels.module_changed(now)  # assigned -> down, lost with no ISM -> not present
        for name in cannot:
            reason = self._specs[name].labels.get("reason") or "policy-mismatch"
            self._failures[name] = reason
            acts = self.dist.rekey_result(now, name, False, self._attempt.pop(name))
            nxt = next((x.at for x in acts if isinstance(x, RekeyScheduled)), None)
            self._emit(IsmEvent("rekey-failed", now, name, self._label.get(name, ""), when=nxt,
                                detail=reason))
        self._check_capacity(now)
        return out

    def _answer(self, me: str, actions: list[DistributionAction], now: float) -> list[object]:
        """Distribution actions in reply to tunnel `me`'s controller input."""
        out = [a if n == me else OnTunnel(n, a) for n, a in self._carry(actions, now)]
        self.scheduler.reschedule(self)
        return out

    # ---- inputs from the tunnels' controllers

    def tunnel_up(self, name: str, now: float) -> list[object]:
        if name not in self._specs:
            return []
        attempt = self._attempt.pop(name, None)
        self._failures.pop(name, None)
        if attempt is not None:
            self._emit(IsmEvent("up", now, name, self._label.get(name, "")))
            return self._answer(name, self.dist.rekey_result(now, name, True, attempt), now)
        if self.dist.tunnel_status(name).state is TunnelOpState.DOWN:
            self._emit(IsmEvent("up", now, name, self._label.get(name, ""), detail="peer"))
            return self._answer(name, self.dist.peer_established(now, name), now)
        return []

    def rekey_failed(self, name: str, now: float, reason: str) -> list[object]:
        attempt = self._attempt.pop(name, None)
        if attempt is None or name not in self._specs:
            return []
        self._failures[name] = reason
        actions = self.dist.rekey_result(now, name, False, attempt)
        nxt = next((a.at for a in actions if isinstance(a, RekeyScheduled)), None)
        self._emit(IsmEvent("rekey-failed", now, name, self._label.get(name, ""), when=nxt,
                            detail=reason))
        self._fail_over(name, now)  # [V] E4: the backup is used when IKE SA setup fails
        rest = [a for a in actions if not isinstance(a, RekeyScheduled)]
        if not rest:  # the usual case: only the next attempt's timer (no placement changed)
            self.scheduler.reschedule(self)
            return []
        return self._answer(name, rest, now)

    def tunnel_down(self, name: str, now: float, reason: str) -> list[object]:
        """The tunnel's SAs went away on a present ISM (not a module loss, not our own delete)."""
        if name not in self._specs or reason in ("not-present", "deleted"):
            return []
        if self.dist.tunnel_status(name).state is not TunnelOpState.UP:
            return []
        self._emit(IsmEvent("down", now, name, self._label.get(name, ""), detail=reason))
        if reason == "peer-dead":
            self._fail_over(name, now)  # [V] E4: ... or when DPD finds the destination unreachable
        return self._answer(name, self.dist.tunnel_down(now, name), now)

    def destination(self, name: str) -> str:
        """The destination the interface negotiates with now (primary or backup)."""
        spec = self._specs[name]
        return self._active.get(name) or (spec.peer.address if spec.peer else _remote(spec))

    def _fail_over(self, name: str, now: float) -> None:
        """Two-way failover ([V] E4): from the destination to the backup and, when that fails
        too, back to the original. The next attempt (after the back-off) uses the other one."""
        spec = self._specs[name]
        if spec.backup is None or spec.peer is None:
            return
        current = self.destination(name)
        other = spec.backup if current == spec.peer.address else spec.peer.address
        self._active[name] = other
        self._emit(IsmEvent("backup" if other == spec.backup else "primary", now, name,
                            self._label.get(name, ""), detail=other))

    def _on_tunnel_event(self, name: str, ev: object) -> None:
        if isinstance(ev, (ModuleDown, ModuleUp)):
            self._defer_sync(self.scheduler.now())

    def _defer_sync(self, now: float) -> None:
        if self._busy or self._sync_timer is not None:
            return

        def sync() -> None:
            self._sync_timer = None
            self.module_changed(self.scheduler.now())

        self._sync_timer = self.scheduler.call_at(now, sync, name=f"{self.tunnels.device} ism sync")

    def _check_capacity(self, now: float) -> None:
        mods = [m for m in self.dist.modules() if m.present]
        total_free = sum(m.free for m in mods)
        # seed 000: "the number of ISMs that you install must be able to support the extra
        # tunnels if one of the modules becomes unavailable" -- checked for each loaded module
        short = any(m.load > total_free - m.free for m in mods)
        if short != self._short:
            self._short = short
            self._emit(IsmEvent("capacity-short" if short else "capacity-ok", now))


def _remote(spec: TunnelSpec) -> str:
    if spec.peer is not None:
        return spec.peer.address
    return spec.labels.get("remote") or spec.local


class IsmTunnel(ControllerBase):
    """One tunnel interface's controller: it never negotiates on its own; the ISM distribution
    decides when (seed 000), and hears what happened."""

    def __init__(self, group: IsmController, spec: TunnelSpec) -> None:
        super().__init__(spec)
        self.group = group
        self.name = spec.name

    def start(self, now: float) -> list[object]:
        return []  # applied, module back, cleared: the distribution places and rekeys

    def traffic_waiting(self, now: float) -> list[object]:
        return []  # a static interface: traffic does not bring it up, the rekey rules do

    def tunnel_up(self, now: float, gateway: str) -> list[object]:
        return self.group.tunnel_up(self.name, now)

    def tunnel_down(self, now: float, gateway: str, reason: str) -> list[object]:
        return self.group.tunnel_down(self.name, now, reason)

    def negotiation_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[object]:
        return self.group.rekey_failed(self.name, now, reason)

    def negotiation_timeout(self, now: float, gateway: str) -> list[object]:
        # the manager leaves a timed-out tunnel to its controller: it is down now
        return [fo.PeerDeclaredDead(gateway)] + self.group.rekey_failed(self.name, now, "timeout")

    def peer_dead(self, now: float, gateway: str) -> list[object]:
        return [fo.PeerDeclaredDead(gateway)] + self.group.tunnel_down(self.name, now, "peer-dead")

    def status(self) -> TunnelStatus | None:
        return self.group.status(self.name)
