"""Crypto groups at run time: the engine's CryptoGroup controller (engine/cryptogroup.py) plugged
into the device's TunnelManager through the controller seam (runtime/tunnel_control.py), with the
context-wide DPD latch of seed 003.

* `controller_for(spec)`: each map of a complete group gets a `Member` that forwards the
  manager's inputs to the group's one `CryptoGroup`; a member `carrying()` only when the group
  sends traffic through it (the manager's `route()` follows). Other maps get a `PlainMap`
  (negotiate on traffic, DPD from the latch).
* Both tunnels of a group come up at once and are kept up: a tunnel that goes down is
  renegotiated at once and, after a failed attempt, every DPD `interval` (compile.reconnect).
* DPD is the engine's RFC 3706 DPD on each IKE SA (`engine_dpd` gives it the context's effective
  setting). A dead peer takes the group tunnel down as "peer unreachable"; an IPsec SA that
  reaches its hard lifetime without a successful rekey, as "failed to rekey".
* Group actions become manager actions (Negotiate for this map or, through OnTunnel, for its
  sibling), traffic switch records and notifications (traps.Notification, handed to `notify`).
* The first time each map of a group comes up raises no notification (initial bring-up). When
  the carrying tunnel fails a negotiation before it was ever up and the other one is up, traffic
  moves to the other one ("Fail-over successful").
* DPD latch: a DPD change in a context while any of its tunnels is up (or negotiating) is pending
  until each of those tunnels has been cleared (`clear`); then it applies to the negotiations that
  follow (the manager re-reads `engine_dpd` when the specs are applied again). Tunnels already up
  keep the DPD their IKE SA negotiated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...engine import failover as fo
from ...engine.cryptogroup import (
    Condition,
    CryptoGroup,
    CryptoGroupAction,
    CryptoGroupStatus,
    Negotiate,
    Notify,
    TrafficSwitched,
)
from ...engine.dpd import DpdPolicy
from ...runtime.ipsec import TunnelSpec
from ...runtime.tunnel_control import ControllerBase, OnTunnel, TunnelController
from ...runtime.tunnels import TunnelManager
from .compile import Compiled, GroupDef, GroupKey, compile_config, dpd_policy
from .model import Config, Dpd
from .traps import Notification


def _only_ike_proposals(a: TunnelSpec, b: TunnelSpec) -> bool:
    """The two specs differ in nothing but the IKE proposals they offer."""
    if a.peer is None or b.peer is None:
        return False
    return dataclasses.replace(b, peer=dataclasses.replace(b.peer, ike_proposals=a.peer.ike_proposals)) == a


@dataclass
class SwitchRecord:
    when: float
    from_map: str  # spec names
    to_map: str
    manual: bool


@dataclass
class GroupRuntime:
    """One group's controller and what the shows need besides its status."""

    gdef: GroupDef
    ctl: CryptoGroup
    owner: CryptoGroups
    created: float
    seen_up: set[str] = field(default_factory=set)
    switches: list[SwitchRecord] = field(default_factory=list)
    since: dict[str, tuple[bool, float]] = field(default_factory=dict)  # map -> (up, since when)

    def note_states(self, now: float) -> None:
        """Remember when each map's tunnel last went up or down (for the shows)."""
        for role, name in self.ctl.maps.items():
            up = self.ctl.up[role]
            if self.since.get(name, (None,))[0] is not up:
                self.since[name] = (up, now)

    @property
    def last_switch(self) -> SwitchRecord | None:
        return self.switches[-1] if self.switches else None

    def carrying(self, spec_name: str) -> bool:
        return self.gdef.primary == spec_name if self.ctl.carrying.value == "primary" \
            else self.gdef.secondary == spec_name

    def translate(self, me: str, actions: list[CryptoGroupAction], now: float) -> list[Any]:
        """Group actions -> manager actions for the member `me` (spec name)."""
        out: list[Any] = []
        for a in actions:
            if isinstance(a, Negotiate):
                neg = fo.Negotiate(self.owner.gateway(a.map))
                out.append(neg if a.map == me else OnTunnel(a.map, neg))
            elif isinstance(a, TrafficSwitched):
                self.switches.append(SwitchRecord(now, a.from_map, a.to_map, a.manual))
                out.append(a)
            elif isinstance(a, Notify):
                if a.condition in (Condition.PRIMARY_UP, Condition.SECONDARY_UP) and a.map not in self.seen_up:
                    self.seen_up.add(a.map)
                    continue  # initial bring-up raises none
                self.owner.notify(self.owner.notification(self, a, now))
                out.append(a)
        return out


class Member(ControllerBase):
    """One crypto map of a group, as the TunnelManager sees it."""

    wants_dpd_ack = False  # the engine runs DPD; an ACK changes nothing here

    def __init__(self, spec: TunnelSpec, group: GroupRuntime) -> None:
        super().__init__(spec)
        self.group = group
        self.name = spec.name
        # the group controller's own bound method (a group keeps its controller for good): the
        # scheduler asks it after every input of either member, one delegating call fewer
        self.get_timer: Callable[[], float | None] = group.ctl.get_timer

    def _g(self, actions: list[CryptoGroupAction], now: float) -> list[Any]:
        out = self.group.translate(self.name, actions, now)
        self.group.note_states(now)
        return out

    def start(self, now: float) -> list[Any]:
        return [fo.Negotiate(self.primary)]  # both members start: both tunnels come up

    def tunnel_up(self, now: float, gateway: str) -> list[Any]:
        return self._g(self.group.ctl.tunnel_up(now, self.name), now)

    def tunnel_down(self, now: float, gateway: str, reason: str) -> list[Any]:
        ctl = self.group.ctl
        if reason == "expired":
            return self._g(ctl.rekey_failed(now, self.name), now)
        if reason == "not-present":
            return self._g(ctl.tunnel_down(now, self.name), now)
        out = self._g(ctl.tunnel_down(now, self.name), now)
        if not ctl.up[ctl.role_of(self.name)] and not any(isinstance(a, fo.Negotiate) for a in out):
            out.append(fo.Negotiate(self.primary))  # kept up permanently (e.g. cleared while down)
        return out

    def peer_dead(self, now: float, gateway: str) -> list[Any]:
        return [fo.PeerDeclaredDead(gateway), *self._g(self.group.ctl.peer_unreachable(now, self.name), now)]

    def negotiation_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[Any]:
        return self._failed(now)

    def negotiation_timeout(self, now: float, gateway: str) -> list[Any]:
        return self._failed(now)

    def _failed(self, now: float) -> list[Any]:
        ctl = self.group.ctl
        out = self._g(ctl.negotiation_failed(now, self.name), now)
        role = ctl.role_of(self.name)
        if role is ctl.carrying and self.name not in self.group.seen_up and ctl.up[role.other]:
            # never came up: traffic goes to the other tunnel (the controller's switchover, but
            # the device decided it, not an operator)
            before = len(self.group.switches)
            out += self._g(ctl.switchover(now, role.other), now)
            for i in range(before, len(self.group.switches)):
                self.group.switches[i] = dataclasses.replace(self.group.switches[i], manual=False)
        return out

    def traffic_waiting(self, now: float) -> list[Any]:
        return []  # the group keeps its tunnels up; traffic does not start them

    def get_timer(self) -> float | None:
        return self.group.ctl.get_timer()

    def handle_timer(self, now: float) -> list[Any]:
        return self._g(self.group.ctl.handle_timer(now), now)

    def status(self) -> CryptoGroupStatus:
        return self.group.ctl.status()

    def carrying(self) -> bool:
        return self.group.carrying(self.name)

    def engine_dpd(self, configured: DpdPolicy | None) -> DpdPolicy | None:
        return self.group.owner.engine_dpd(self.group.gdef.context)


class PlainMap(ControllerBase):
    """A crypto map in no (complete) group: negotiated when traffic matches it."""

    wants_dpd_ack = False

    def __init__(self, spec: TunnelSpec, owner: CryptoGroups) -> None:
        super().__init__(spec)
        self.owner = owner

    def engine_dpd(self, configured: DpdPolicy | None) -> DpdPolicy | None:
        return self.owner.engine_dpd(self.spec.labels.get("context", ""))


class CryptoGroups:
    def __init__(self, tunnels: TunnelManager, notify: Callable[[Notification], None]) -> None:
        self.tunnels = tunnels
        self.notify = notify
        self.groups: dict[GroupKey, GroupRuntime] = {}
        self.effective: dict[str, Dpd | None] = {}  # DPD in force per context
        self.pending: dict[str, set[str]] = {}  # context -> tunnels to clear before the change applies
        self.specs: dict[str, TunnelSpec] = {}
        self.compiled = Compiled((), ())
        self.sent: list[Notification] = []  # recent notifications (bounded)
        tunnels.controller_for = self.controller_for

    # ---- the seam ---------------------------------------------------------------------------------

    def controller_for(self, spec: TunnelSpec) -> TunnelController | None:
        if spec.peer is None or spec.child is None:
            return None
        if isinstance(spec.failover, GroupKey) and spec.failover in self.groups:
            return Member(spec, self.groups[spec.failover])
        return PlainMap(spec, self)

    def engine_dpd(self, context: str) -> DpdPolicy | None:
        return dpd_policy(self.effective.get(context))

    def gateway(self, spec_name: str) -> str:
        s = self.specs.get(spec_name)
        return s.peer.address if s is not None and s.peer is not None else ""

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
        old = self.specs
        # an `ikev1 policy` change is for new negotiations: a running tunnel keeps its spec
        # (no restart) and its gateway's IKE endpoint gets the new proposals
        proposals: dict[str, tuple[str, Any]] = {}
        kept = []
        for spec in compiled.specs:
            running = old.get(spec.name)
            if (running is not None and running != spec and _only_ike_proposals(running, spec)
                    and self.tunnels.state_of(spec.name) in ("up", "negotiating")):
                proposals[running.peer.address] = (running.local, spec.peer.ike_proposals)
                spec = running
            kept.append(spec)
        compiled = dataclasses.replace(compiled, specs=tuple(kept))
        self.compiled = compiled
        self.specs = {s.name: s for s in compiled.specs}
        wanted = {g.key: g for g in compiled.groups}
        for key, g in wanted.items():
            grp = self.groups.get(key)
            if grp is None:
                grp = self.groups[key] = GroupRuntime(g, CryptoGroup(g.policy, g.primary, g.secondary), self, now)
                grp.note_states(now)
                continue
            if grp.gdef != g:
                grp.gdef = g
                grp.ctl.policy = g.policy  # switchover mode, reconnect interval: no restart
            for name in (g.primary, g.secondary):
                if name in old and old[name] != self.specs[name] and grp.ctl.up[grp.ctl.role_of(name)]:
                    # the map changed (peer, key, proposals ...): the manager restarts its tunnel,
                    # which the group sees go down now (and come up again through its member)
                    grp.translate(name, grp.ctl.tunnel_down(now, name), now)
                    grp.note_states(now)
        self.tunnels.apply(list(compiled.specs), now)
        for addr, (local, offer) in proposals.items():
            ep = self.tunnels.endpoint(local)
            current = ep.peers.get(addr) if ep is not None else None
            if current is not None and current.ike_proposals != offer:
                ep.add_peer(dataclasses.replace(current, ike_proposals=offer))
        for key in [k for k in self.groups if k not in wanted]:
            del self.groups[key]

    # ---- operator commands ----------------------------------------------------------------------

    def group(self, context: str, name: str) -> GroupRuntime | None:
        return next((g for k, g in self.groups.items() if k.context == context and k.name == name), None)

    def switchover(self, grp: GroupRuntime, now: float) -> list[Notification]:
        """`crypto-group NAME switchover`: move traffic to the other tunnel of the group."""
        before = len(self.sent)
        actions = grp.translate(grp.gdef.primary, grp.ctl.switchover(now), now)
        self.tunnels.act(grp.gdef.primary, actions, now)
        return self.sent[before:]

    def clear(self, context: str, cfg: Config, now: float, map_name: str | None = None,
              peer: str | None = None) -> int:
        """Clear the tunnels (IKE SA, then IPsec SAs) of the context's ready maps, all or those of
        one map or peer. Group tunnels are renegotiated at once by their controller, with the DPD
        setting in force after the clear. Returns the number of tunnels cleared."""
        chosen = [s for s in self.specs.values() if s.labels.get("context") == context
                  and (map_name is None or s.labels.get("map") == map_name)
                  and (peer is None or (s.peer is not None and s.peer.address == peer))]
        names = {s.name for s in chosen}
        left = self.pending.get(context)
        if left is not None:
            left -= names
            if not left:
                del self.pending[context]
                self.effective[context] = cfg.contexts[context].dpd if context in cfg.contexts else None
                self._apply(cfg, now)  # same specs: only the engine's DPD for new IKE SAs changes
        for s in chosen:
            assert s.peer is not None
            sharing = [x for x in self.specs.values() if x.name not in names and x.local == s.local
                       and x.peer is not None and x.peer.address == s.peer.address
                       and self.tunnels.state_of(x.name) == "up"]
            if not sharing:
                self.tunnels.clear_ike(s.peer.address, now, local=s.local)
        n = 0
        for s in chosen:
            if self.tunnels.state_of(s.name) in ("up", "negotiating"):
                n += 1
            self.tunnels.clear_ipsec(s.name, now)
        return n

    # ---- notifications ----------------------------------------------------------------------------

    def notification(self, grp: GroupRuntime, a: Notify, now: float) -> Notification:
        def label(n: str | None) -> str | None:
            return None if n is None else n.partition("/")[2]
        n = Notification(now, a.condition, grp.gdef.context, grp.gdef.name, label(a.map) or "",
                         self.gateway(a.map), label(a.from_map))
        self.sent.append(n)
        if len(self.sent) > 2 * self.MAX_SENT:
            del self.sent[: -self.MAX_SENT]
        return n

    MAX_SENT = 1000


__all__ = ["CryptoGroups", "GroupRuntime", "Member", "PlainMap", "SwitchRecord"]
