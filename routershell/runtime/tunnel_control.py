"""The seam between the TunnelManager and a platform's per-tunnel policy.

A `TunnelController` decides what a tunnel does when something happens to it; the
TunnelManager (runtime/tunnels.py) feeds it events and carries out the actions it returns. A
platform supplies one per tunnel through `TunnelManager.controller_for(spec)` (constructor
argument or attribute, set before the first `apply`); returning None keeps the manager's built-in
behaviour (negotiate at start, renegotiate after an expiry, retry a failed "immediately" tunnel
every `retry_after` seconds). `default_controller(spec)` is the default hook: a seed-001
`FailoverTunnel` when the spec has a backup gateway or initiates DPD, else None.

Inputs (every method takes the lab time `now`; `gateway` is a remote gateway address):
    start(now)                                 the tunnel should come up (apply, module restored, clear)
    tunnel_up(now, gateway)                    phase 2 with `gateway` completed
    tunnel_down(now, gateway, reason)          its SAs went away: "deleted" (by us), "peer-delete",
                                               "expired", "phase1-gone", "not-present" (module
                                               failed), "cleared" (clear command)
    negotiation_failed(now, gateway, reason, phase)   a negotiation of the tunnel failed
                                               (engine/events.py reasons: no proposal chosen,
                                               authentication failed, peer notify...); the
                                               tunnel is "down" when this is called
    negotiation_timeout(now, gateway)          phase 1 (or 2) did not finish in time (the
                                               manager's watchdog or the engine); tunnel "down"
    rekey_failed(now, gateway, reason, phase)  a negotiation failed while the tunnel is up (a
                                               rekey; the SAs still stand until they expire)
    phase1_down(now, gateway, reason)          the IKE SA with the gateway went away ("deleted",
                                               "peer-delete", "expired", "peer-dead")
    peer_dead(now, gateway)                    DPD run by the engine declared the peer dead
    traffic_received(now, gateway)             inbound data on this tunnel's SA with `gateway`
    traffic_waiting(now)                       outbound data found no SA (on-traffic start)
    dpd_ack(now, gateway)                      an R-U-THERE-ACK for this tunnel's gateway
    manual_switch(now)                         operator request (`TunnelManager.switch`)
    get_timer() / handle_timer(now)            the controller's own timers (scheduler engine)
    status()                                   read back into TunnelState.failover for shows
    carrying()                                 False: the tunnel is standby; `route()` prefers
                                               a matching tunnel that carries traffic
    engine_dpd(configured)                     the DpdPolicy the IKE engine runs for this
                                               tunnel's gateways (None: no DPD)

Actions (a list, carried out in order and all reported to `subscribe`rs):
    fo.Negotiate(gateway, at=None)   negotiate now, or at lab time `at` (a delayed start; the
                                     tunnel stays "down" until then; any later negotiation
                                     cancels it)
    fo.ClearSas(gateway)             delete this tunnel's SAs with gateway (Delete sent), and
                                     the IKE SA unless another tunnel is up on it
    ForgetSas(gateway)               the same, silently (nothing sent): the module that held
                                     them is gone (a platform whose modules hold IKE SAs)
    fo.SendDpdHello(gateway, n)      an R-U-THERE on the IKE SA (its ACK comes back as dpd_ack)
    fo.Activated(gateway, role)      this gateway now carries the tunnel (state shown)
    fo.PeerDeclaredDead(gateway)     the tunnel is down, last failure "peer-dead"
    fo.Reverted(primary, backup)     back to the primary, down
    OnTunnel(tunnel, action)         carry out `action` on another tunnel of the device (a
                                     group controller acting on its sibling)
    anything else                    only reported to subscribers (platform notifications:
                                     fo.GaveUp, engine/cryptogroup Notify, retry counters ...)

Groups (StarOS crypto groups): `controller_for` returns one small controller per member spec
that forwards to a shared group object, so the group sees the events of every member; a member
answers `carrying()` from the group's choice, and `OnTunnel` lets the group act on a sibling.
A platform drives a controller from a command with `TunnelManager.controller(name)` and
`TunnelManager.act(name, actions, now)`.

The manager re-reads `get_timer()` after every input. `ControllerBase` has a default for every
input that mimics the built-in behaviour (start and waiting traffic negotiate the primary; a
tunnel established "immediately" whose SAs were cleared, expired or deleted by the peer comes
back at once; nothing else), so a controller only writes what it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..engine import failover as fo
from ..engine.dpd import DpdPolicy
from .ipsec import TunnelSpec

__all__ = ["RENEGOTIATE", "ControllerBase", "ControllerFor", "FailoverTunnel", "ForgetSas", "OnTunnel",
           "TunnelController", "default_controller"]

# tunnel_down reasons after which a tunnel established "immediately" comes back at once
RENEGOTIATE = frozenset({"cleared", "expired", "peer-delete", "phase1-gone"})

Action = Any  # an engine/failover action, OnTunnel, or a platform's own (reported only)


@dataclass(frozen=True)
class OnTunnel:
    """Carry out `action` on the device's tunnel named `tunnel` (not the one that returned it)."""

    tunnel: str
    action: Any


@dataclass(frozen=True)
class ForgetSas:
    """Drop this tunnel's SAs with `gateway`, and the IKE SA unless another tunnel is up or
    negotiating on it, without telling the peer (the module holding them failed)."""

    gateway: str


@runtime_checkable
class TunnelController(Protocol):
    # Optional: `wants_dpd_ack = False` on a controller that ignores DPD ACKs (the engine's
    # own DPD keeps the gateway alive): the manager then does not hand it one per ACK.
    def start(self, now: float) -> list[Action]: ...
    def tunnel_up(self, now: float, gateway: str) -> list[Action]: ...
    def tunnel_down(self, now: float, gateway: str, reason: str) -> list[Action]: ...
    def negotiation_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[Action]: ...
    def negotiation_timeout(self, now: float, gateway: str) -> list[Action]: ...
    def rekey_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[Action]: ...
    def phase1_down(self, now: float, gateway: str, reason: str) -> list[Action]: ...
    def peer_dead(self, now: float, gateway: str) -> list[Action]: ...
    def traffic_received(self, now: float, gateway: str | None = None) -> list[Action]: ...
    def traffic_waiting(self, now: float) -> list[Action]: ...
    def dpd_ack(self, now: float, gateway: str | None = None) -> list[Action]: ...
    def manual_switch(self, now: float) -> list[Action]: ...
    def get_timer(self) -> float | None: ...
    def handle_timer(self, now: float) -> list[Action]: ...
    def status(self) -> Any: ...
    def carrying(self) -> bool: ...
    def engine_dpd(self, configured: DpdPolicy | None) -> DpdPolicy | None: ...


ControllerFor = Callable[[TunnelSpec], "TunnelController | None"]


class ControllerBase:
    """Defaults for every TunnelController input: negotiate the primary at start and when
    traffic waits, nothing else. Subclass and override what the platform changes."""

    def __init__(self, spec: TunnelSpec) -> None:
        self.spec = spec
        self.primary = spec.peer.address if spec.peer is not None else ""

    def start(self, now: float) -> list[Action]:
        return [fo.Negotiate(self.primary)]

    def tunnel_up(self, now: float, gateway: str) -> list[Action]:
        return []

    def tunnel_down(self, now: float, gateway: str, reason: str) -> list[Action]:
        # like the built-in behaviour: what expired, was cleared or deleted by the peer comes
        # back at once for a tunnel established immediately
        if reason in RENEGOTIATE and self.spec.establish == "immediately":
            return self.start(now)
        return []

    def negotiation_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[Action]:
        return []

    def negotiation_timeout(self, now: float, gateway: str) -> list[Action]:
        return []

    def rekey_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[Action]:
        return []

    def phase1_down(self, now: float, gateway: str, reason: str) -> list[Action]:
        return []

    def peer_dead(self, now: float, gateway: str) -> list[Action]:
        return []

    def traffic_received(self, now: float, gateway: str | None = None) -> list[Action]:
        return []

    def traffic_waiting(self, now: float) -> list[Action]:
        return self.start(now)

    def dpd_ack(self, now: float, gateway: str | None = None) -> list[Action]:
        return []

    def manual_switch(self, now: float) -> list[Action]:
        return []

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> list[Action]:
        return []

    def status(self) -> Any:
        return None

    def carrying(self) -> bool:
        return True

    def engine_dpd(self, configured: DpdPolicy | None) -> DpdPolicy | None:
        return configured


class FailoverTunnel(fo.FailoverController):
    """Seed 001 (Junos AS/MS PIC) primary/backup failover as a TunnelController: the engine's
    FailoverController plus the inputs it does not model itself.

    After a failure that leaves the tunnel down with nothing more to try (a dead peer and no
    backup, a phase-1 timeout with no backup or after giving up, the revert), the tunnel waits
    for traffic as any on-demand tunnel, but traffic starts a new attempt no sooner than
    `retry_hold` (30 s, one phase-1 negotiation time) after the failure: attempts come at the
    phase-1 pace with quiet time between them, never back to back. The seed is silent here;
    this is our choice (docs/tunnels.md). A clear or a manual switch starts at once."""

    def __init__(self, policy: fo.FailoverPolicy, primary: str, backup: str | None,
                 establish: str = "immediately", retry_hold: float = 30.0) -> None:
        super().__init__(policy, primary, backup)
        self.establish = establish
        self.retry_hold = float(retry_hold)
        self.hold_until: float | None = None

    def _fail(self, now: float, gateway: str, dead: bool) -> list[fo.FailoverAction]:
        actions = super()._fail(now, gateway, dead)
        if not any(isinstance(a, fo.Negotiate) for a in actions):
            self.hold_until = now + self.retry_hold
        return actions

    def tunnel_up(self, now: float, gateway: str) -> list[Action]:
        self.hold_until = None
        return super().tunnel_up(now, gateway)

    def tunnel_down(self, now: float, gateway: str, reason: str = "deleted") -> list[Action]:
        super().tunnel_down(now, gateway)
        if self.establish != "immediately" or gateway != self.active:
            return []
        if reason == "cleared":
            return self.start(now)
        # an SA that expired or that the peer deleted is renegotiated at once; one we deleted
        # or lost with its module is not
        if reason not in ("deleted", "not-present", "peer-dead"):
            return [fo.Negotiate(gateway)]
        return []

    def negotiation_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[Action]:
        super().tunnel_down(now, gateway)
        return []

    def rekey_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[Action]:
        return []  # seed 001 says nothing; the engine retries the rekey itself

    def phase1_down(self, now: float, gateway: str, reason: str) -> list[Action]:
        return []

    def traffic_waiting(self, now: float) -> list[Action]:
        if self.hold_until is not None and now < self.hold_until:
            return []
        self.hold_until = None
        if self.halted:  # after giving up, traffic brings the (primary) tunnel up again
            return [fo.Negotiate(self.active)]
        return self.start(now)

    def dpd_ack(self, now: float, gateway: str | None = None) -> list[Action]:
        return super().dpd_ack(now, gateway) if self.probing else []

    def carrying(self) -> bool:
        return True

    def engine_dpd(self, configured: DpdPolicy | None) -> DpdPolicy | None:
        # this controller probes on its own poll; the engine only answers (and needs the VID)
        respond = configured.respond if configured is not None else True
        return DpdPolicy(interval=self.policy.inactivity, retry_interval=2.0, retries=2,
                         initiate=False, respond=respond)


def default_controller(spec: TunnelSpec) -> TunnelController | None:
    """Today's behaviour: seed-001 failover for a spec with a backup or DPD initiation."""
    if spec.peer is None or spec.child is None or not (spec.backup or spec.dpd_initiate):
        return None
    policy = spec.failover if isinstance(spec.failover, fo.FailoverPolicy) else fo.FailoverPolicy()
    return FailoverTunnel(policy, spec.peer.address, spec.backup, spec.establish)
