"""Crypto groups at run time: the engine's CryptoGroup controller (engine/cryptogroup.py) wired to
the device's TunnelManager, with the context-wide DPD latch of seed 003.

* Each complete group (two ready maps) gets one controller. Both maps' tunnels are negotiated by
  it (`TunnelManager.initiate`) and kept up: a tunnel that goes down is renegotiated at once and,
  after a failed attempt, every DPD `interval` (compile.reconnect).
* DPD is the engine's RFC 3706 DPD on each IKE SA (compile.dpd_policy). A `PeerDead` takes every
  group tunnel on that (local, peer) pair down as "peer unreachable"; an IPsec SA that reaches its
  hard lifetime without a successful rekey takes its tunnel down as "failed to rekey".
* Tunnel manager events are read after the manager has updated its own state (a same-instant
  scheduler callback), then fed to the controller; its actions become negotiations, traffic
  switches and notifications (traps.Notification, handed to `notify`).
* The first time each map of a controller comes up raises no notification (initial bring-up). A
  carrying tunnel that never came up while the other is up moves traffic to the other one (the
  controller's switchover: "Fail-over successful").
* DPD latch: a DPD change in a context while any of its tunnels is up (or negotiating) is pending
  until each of those tunnels has been cleared (`clear`); then it applies to the negotiations that
  follow. Tunnels already up keep what they negotiated (the manager updates specs in place).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ...engine.cryptogroup import (
    Condition,
    CryptoGroup,
    CryptoGroupAction,
    GroupRole,
    Negotiate,
    Notify,
    TrafficSwitched,
)
from ...engine.events import NegotiationFailed, PeerDead, Phase2Down, Phase2Up
from ...runtime.ipsec import TunnelSpec
from ...runtime.scheduler import Scheduler, Timer
from ...runtime.tunnels import ModuleDown, TunnelManager
from .compile import Compiled, GroupDef, compile_config, only_dpd_differs
from .model import Config, Dpd
from .traps import Notification


@dataclass
class SwitchRecord:
    when: float
    from_map: str
    to_map: str
    manual: bool


@dataclass
class GroupRuntime:
    """One group's controller and what the shows need besides its status."""

    gdef: GroupDef
    ctl: CryptoGroup
    created: float
    seen_up: set[str] = field(default_factory=set)
    switches: list[SwitchRecord] = field(default_factory=list)
    owner: CryptoGroups | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.gdef.context, self.gdef.name

    # scheduler engine: the controller's reconnect timers
    def get_timer(self) -> float | None:
        return self.ctl.get_timer()

    def handle_timer(self, now: float) -> None:
        assert self.owner is not None
        self.owner._run(self, self.ctl.handle_timer(now), now)

    @property
    def last_switch(self) -> SwitchRecord | None:
        return self.switches[-1] if self.switches else None


class CryptoGroups:
    def __init__(self, tunnels: TunnelManager, scheduler: Scheduler,
                 notify: Callable[[Notification], None]) -> None:
        self.tunnels = tunnels
        self.scheduler = scheduler
        self.notify = notify
        self.groups: dict[tuple[str, str], GroupRuntime] = {}
        self.effective: dict[str, Dpd | None] = {}  # DPD in force per context
        self.pending: dict[str, set[str]] = {}  # context -> tunnels to clear before the change applies
        self.specs: dict[str, TunnelSpec] = {}
        self._by_map: dict[str, GroupRuntime] = {}
        self._dirty: dict[str, str] = {}
        self._flush_timer: Timer | None = None
        self.compiled = Compiled((), ())
        tunnels.subscribe(self._on_event)

    # ---- configuration ------------------------------------------------------------------------

    def configure(self, cfg: Config, now: float) -> None:
        """The running configuration changed: latch DPD, re-apply tunnels, reconcile groups."""
        for name in [c for c in self.effective if c not in cfg.contexts]:
            del self.effective[name]
            self.pending.pop(name, None)
        for ctx in cfg.contexts.values():
            if ctx.name not in self.effective:
                self.effective[ctx.name] = ctx.dpd
            elif ctx.dpd == self.effective[ctx.name]:
                self.pending.pop(ctx.name, None)
            elif ctx.name not in self.pending:
                busy = {n for n, s in self.specs.items() if s.labels.get("context") == ctx.name
                        and self.tunnels.state_of(n) in ("up", "negotiating")}
                if busy:
                    self.pending[ctx.name] = busy
                else:
                    self.effective[ctx.name] = ctx.dpd
        self._apply(cfg, now)

    def _apply(self, cfg: Config, now: float) -> None:
        compiled = compile_config(cfg, self.effective)
        old_specs = self.specs
        self.specs = {s.name: s for s in compiled.specs}
        self.compiled = compiled
        self.tunnels.apply(list(compiled.specs), now, restart=lambda o, n: not only_dpd_differs(o, n))
        restarted = {n for n, s in self.specs.items()
                     if n in old_specs and old_specs[n] != s and not only_dpd_differs(old_specs[n], s)}
        wanted = {(g.context, g.name): g for g in compiled.groups}
        for key, grp in list(self.groups.items()):
            g = wanted.get(key)
            if g is None or (g.primary, g.secondary) != (grp.gdef.primary, grp.gdef.secondary) \
                    or {g.primary, g.secondary} & restarted:
                self._drop(grp)
        fresh = []
        for key, g in wanted.items():
            grp = self.groups.get(key)
            if grp is None:
                grp = GroupRuntime(g, CryptoGroup(g.policy, g.primary, g.secondary), now, owner=self)
                self.groups[key] = grp
                self._by_map[g.primary] = self._by_map[g.secondary] = grp
                self.scheduler.add_engine(grp, name=f"crypto-group {g.context}/{g.name}")
                fresh.append(grp)
            elif grp.gdef != g:
                grp.gdef = g
                grp.ctl.policy = g.policy
                self.scheduler.reschedule(grp)
        for grp in fresh:
            self._run(grp, grp.ctl.start(now), now)

    def _drop(self, grp: GroupRuntime) -> None:
        self.scheduler.remove_engine(grp)
        del self.groups[grp.key]
        for m in (grp.gdef.primary, grp.gdef.secondary):
            if self._by_map.get(m) is grp:
                del self._by_map[m]

    # ---- operator commands ----------------------------------------------------------------------

    def group(self, context: str, name: str) -> GroupRuntime | None:
        return self.groups.get((context, name))

    def switchover(self, context: str, name: str, now: float) -> list[Notification]:
        """`crypto-group NAME switchover`: move traffic to the other tunnel of the group."""
        grp = self.groups[(context, name)]
        return self._run(grp, grp.ctl.switchover(now), now)

    def clear(self, context: str, cfg: Config, now: float, map_name: str | None = None,
              peer: str | None = None) -> int:
        """Clear the tunnels (IPsec SAs, then the IKE SA) of the context's ready maps, all or
        those of one map or peer. Group tunnels are renegotiated by their controller. Returns
        the number of tunnels cleared."""
        chosen = [s for s in self.specs.values() if s.labels.get("context") == context
                  and (map_name is None or s.labels.get("map") == map_name)
                  and (peer is None or (s.peer is not None and s.peer.address == peer))]
        n = 0
        for s in chosen:
            was = self.tunnels.state_of(s.name)
            self.tunnels.clear_ipsec(s.name, now)
            if was in ("up", "negotiating"):
                n += 1
        names = {s.name for s in chosen}
        for s in chosen:
            assert s.peer is not None
            sharing = [x for x in self.specs.values() if x.name not in names and x.local == s.local
                       and x.peer is not None and x.peer.address == s.peer.address
                       and self.tunnels.state_of(x.name) == "up"]
            if not sharing:
                self.tunnels.clear_ike(s.peer.address, now, local=s.local)
        left = self.pending.get(context)
        if left is not None:
            left -= names
            if not left:
                del self.pending[context]
                self.effective[context] = cfg.contexts[context].dpd if context in cfg.contexts else None
                self._apply(cfg, now)
        return n

    # ---- events from the tunnel manager ---------------------------------------------------------

    def _on_event(self, name: str, ev: object) -> None:
        if isinstance(ev, PeerDead):
            local = self.tunnels.local_of(name) if name else None
            for m in self._by_map:
                s = self.specs.get(m)
                if s is not None and s.local == local and s.peer is not None and s.peer.address == ev.peer[0]:
                    self._mark(m, "peer-unreachable")
            return
        if name not in self._by_map:
            return
        if isinstance(ev, Phase2Down):
            self._mark(name, "rekey-failed" if ev.reason == "expired" else
                       "peer-unreachable" if ev.reason == "peer-dead" else "cleared")
        elif isinstance(ev, NegotiationFailed):
            self._mark(name, "failed")
        elif isinstance(ev, (Phase2Up, ModuleDown)):
            self._mark(name, "")

    def _mark(self, name: str, reason: str) -> None:
        if reason or name not in self._dirty:
            self._dirty[name] = reason
        if self._flush_timer is None:
            now = self.scheduler.now()
            self._flush_timer = self.scheduler.call_at(now, self._flush, name="crypto groups")

    def _flush(self) -> None:
        self._flush_timer = None
        now = self.scheduler.now()
        dirty, self._dirty = self._dirty, {}
        for name, reason in dirty.items():
            grp = self._by_map.get(name)
            if grp is None:
                continue
            ctl = grp.ctl
            role = ctl.role_of(name)
            up = self.tunnels.state_of(name) == "up"
            if up and not ctl.up[role]:
                self._run(grp, ctl.tunnel_up(now, name), now)
            elif not up and ctl.up[role]:
                if reason == "peer-unreachable":
                    self._run(grp, ctl.peer_unreachable(now, name), now)
                elif reason == "rekey-failed":
                    self._run(grp, ctl.rekey_failed(now, name), now)
                else:
                    self._run(grp, ctl.tunnel_down(now, name), now)
            elif not up and reason == "failed" and self.tunnels.state_of(name) == "down":
                self._run(grp, ctl.negotiation_failed(now, name), now)
                other = role.other
                if role is ctl.carrying and name not in grp.seen_up and ctl.up[other]:
                    # never came up, the other tunnel is up: traffic goes there
                    self._run(grp, ctl.switchover(now, other), now)

    def _run(self, grp: GroupRuntime, actions: list[CryptoGroupAction], now: float) -> list[Notification]:
        out: list[Notification] = []
        for a in actions:
            if isinstance(a, Negotiate):
                self.tunnels.initiate(a.map, now)
            elif isinstance(a, TrafficSwitched):
                grp.switches.append(SwitchRecord(now, a.from_map, a.to_map, a.manual))
            elif isinstance(a, Notify):
                if a.condition in (Condition.PRIMARY_UP, Condition.SECONDARY_UP) and a.map not in grp.seen_up:
                    grp.seen_up.add(a.map)
                    continue  # initial bring-up raises none
                n = self._notification(grp, a, now)
                out.append(n)
                self.notify(n)
        self.scheduler.reschedule(grp)
        return out

    def _notification(self, grp: GroupRuntime, a: Notify, now: float) -> Notification:
        spec = self.specs.get(a.map)
        peer = spec.peer.address if spec is not None and spec.peer is not None else ""
        def label(n: str | None) -> str | None:
            return None if n is None else n.partition("/")[2]
        return Notification(now, a.condition, grp.gdef.context, grp.gdef.name, label(a.map) or "",
                            peer, label(a.from_map))

    # ---- queries --------------------------------------------------------------------------------

    def role_of(self, spec_name: str) -> GroupRole | None:
        grp = self._by_map.get(spec_name)
        return grp.ctl.role_of(spec_name) if grp is not None else None


__all__ = ["CryptoGroups", "GroupRuntime", "SwitchRecord"]
