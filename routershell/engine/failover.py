"""Primary/backup gateway failover for one tunnel (sans-IO).

Behaviour and defaults come from seed 001 (Junos AS/MS PIC `backup-remote-gateway`):

* A tunnel with no incoming traffic for `inactivity` (10 s) is inactive. A global timer polls
  every `poll_interval` (10 s); the tunnel is flagged at the first poll that finds
  >= `inactivity` of silence, so 10-20 s after the last packet depending on the poll phase.
* Flagged -> DPD hello at T, `probe.retries` (2) retries `probe.gaps` (2 s) apart, and the peer
  is declared dead `probe.gaps[-1]` after the last retry (T+6; the last wait is not documented,
  the Junos 9.3 Services Interfaces Configuration Guide marks it [U]).
* Failover when the active peer is declared dead or its phase 1 negotiation times out: the
  primary goes to standby and the backup becomes active (and is negotiated).
* Negotiation to the backup times out (or the backup dies) -> switch back to the primary.
* Both peers down: after `max_failovers` (6) primary-to-backup failovers without a tunnel coming
  up, the next backup failure stops failing over and reverts to the original configuration:
  primary active (down until something negotiates it), backup standby. A tunnel coming up or a
  manual switch re-arms failover. Counting only primary-to-backup moves as "failovers" is our
  reading of the seed ("it tries the failover six times"), whose surrounding text is [U].
* Without a backup (the `initiate-dead-peer-detection` variant) a dead peer only clears the IKE
  and IPsec SAs; nothing fails over.

Liveness input, decided here: the controller accepts both. With `policy.detect` it runs the
poll + hello timeline itself through `get_timer`/`handle_timer` and emits `SendDpdHello`; the
runtime feeds `traffic_received` and `dpd_ack` (an ACK ends the probe; it resets the inactivity
clock only with `ack_is_traffic`, off by default as seed 001 counts incoming traffic only). Without it (the protocol core runs DPD), the
runtime reports `peer_dead`. `peer_dead` and `negotiation_timeout` are accepted in both modes,
and `poll(now)` can be called by a runtime that runs one shared poll for many tunnels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from routershell.engine.retransmit import Schedule, fixed


class FailoverError(ValueError):
    """A failover controller was configured or asked for something it cannot do."""


class Role(Enum):
    PRIMARY = "primary"
    BACKUP = "backup"


class TunnelState(Enum):
    ACTIVE = "active"
    STANDBY = "standby"
    DOWN = "down"
    NEGOTIATING = "negotiating"


def default_probe() -> Schedule:
    """Hello, 2 retries 2 s apart, dead 2 s after the last retry (seed 001)."""
    return fixed(2, 2, "seed 001: DPD hello, two retries at 2-second intervals")


@dataclass(frozen=True)
class FailoverPolicy:
    """Timing and limits of one failover controller. Defaults: seed 001."""

    detect: bool = True
    poll_interval: float = 10.0
    poll_phase: float = 0.0
    inactivity: float = 10.0
    probe: Schedule = field(default_factory=default_probe)
    max_failovers: int = 6
    # Seed 001 counts only incoming traffic as activity: a DPD ACK ends the probe but does not
    # reset the inactivity clock. True for platforms that take an ACK as proof of liveness.
    ack_is_traffic: bool = False
    source: str = "seed 001: backup remote gateway failover"

    def __post_init__(self) -> None:
        if self.poll_interval <= 0 or self.inactivity < 0:
            raise FailoverError("poll interval must be positive and inactivity non-negative")
        if not self.probe.gaps or any(g < 0 for g in self.probe.gaps):
            raise FailoverError("probe schedule needs non-negative gaps")
        if self.max_failovers < 0:
            raise FailoverError("max_failovers must not be negative")


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendDpdHello:
    """Send a DPD hello (R-U-THERE) to `gateway`; attempt 1 is the first, then retries."""

    gateway: str
    attempt: int


@dataclass(frozen=True)
class PeerDeclaredDead:
    gateway: str


@dataclass(frozen=True)
class ClearSas:
    """Delete the IKE and IPsec SAs with `gateway`."""

    gateway: str


@dataclass(frozen=True)
class Negotiate:
    """Start IKE negotiation with `gateway`: now, or at lab time `at` (a delayed start)."""

    gateway: str
    at: float | None = None


@dataclass(frozen=True)
class Activated:
    """`gateway` (in `role`) now carries the tunnel; the other one is standby."""

    gateway: str
    role: Role
    manual: bool = False


@dataclass(frozen=True)
class GaveUp:
    """Automatic failover stopped after `failovers` attempts with both peers down."""

    failovers: int


@dataclass(frozen=True)
class Reverted:
    """Back to the original configuration: `primary` active, `backup` standby."""

    primary: str
    backup: str


FailoverAction = SendDpdHello | PeerDeclaredDead | ClearSas | Negotiate | Activated | GaveUp | Reverted


# --- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TunnelStatus:
    gateway: str
    role: Role
    state: TunnelState


@dataclass(frozen=True)
class FailoverStatus:
    active: str
    active_role: Role
    failovers: int  # primary-to-backup moves since a tunnel last came up
    switchbacks: int  # backup-to-primary moves since a tunnel last came up
    total_failovers: int  # lifetime count of automatic primary-to-backup moves
    halted: bool  # gave up; no automatic failover until a tunnel comes up or a manual switch
    hellos_sent: int  # DPD hellos of the current probe, 0 when not probing
    last_received: float | None
    tunnels: tuple[TunnelStatus, ...]


class FailoverController:
    """One tunnel with a primary gateway and an optional backup gateway."""

    def __init__(self, policy: FailoverPolicy, primary: str, backup: str | None = None) -> None:
        if not primary:
            raise FailoverError("a primary gateway is required")
        if backup is not None and backup == primary:
            raise FailoverError("backup gateway must differ from the primary gateway")
        self.policy = policy
        self.primary = primary
        self.backup = backup
        self.active = primary
        self.states: dict[str, TunnelState] = {primary: TunnelState.DOWN}
        if backup is not None:
            self.states[backup] = TunnelState.STANDBY
        self.failovers = 0
        self.switchbacks = 0
        self.total_failovers = 0
        self.halted = False
        self.last_received: float | None = None
        self._hellos = 0  # hellos sent in the current probe
        self._probe_deadline: float | None = None
        self._poll_k: int | None = None  # index of the next poll: poll_phase + k * poll_interval

    # --- queries -----------------------------------------------------------------------------

    def role_of(self, gateway: str) -> Role:
        if gateway == self.primary:
            return Role.PRIMARY
        if gateway == self.backup:
            return Role.BACKUP
        raise FailoverError(f"{gateway} is not a gateway of this tunnel")

    def status(self) -> FailoverStatus:
        tunnels = tuple(TunnelStatus(g, self.role_of(g), s) for g, s in self.states.items())
        return FailoverStatus(
            self.active,
            self.role_of(self.active),
            self.failovers,
            self.switchbacks,
            self.total_failovers,
            self.halted,
            self._hellos,
            self.last_received,
            tunnels,
        )

    @property
    def probing(self) -> bool:
        return self._probe_deadline is not None

    # --- event inputs ------------------------------------------------------------------------

    def start(self, now: float) -> list[FailoverAction]:
        """Bring the tunnel up towards the active gateway."""
        if self.states[self.active] in (TunnelState.ACTIVE, TunnelState.NEGOTIATING):
            return []
        self.states[self.active] = TunnelState.NEGOTIATING
        return [Negotiate(self.active)]

    def tunnel_up(self, now: float, gateway: str) -> list[FailoverAction]:
        """Negotiation with `gateway` completed. Only the active gateway's tunnel counts."""
        self.role_of(gateway)
        if gateway != self.active:
            return []
        self.states[gateway] = TunnelState.ACTIVE
        self.last_received = now
        self.failovers = self.switchbacks = 0
        self.halted = False
        self._stop_probe()
        self._arm_poll(now)
        return []

    def tunnel_down(self, now: float, gateway: str) -> list[FailoverAction]:
        """The tunnel's SAs went away without a failure verdict (cleared, expired)."""
        self.role_of(gateway)
        if gateway == self.active and self.states[gateway] is not TunnelState.DOWN:
            self.states[gateway] = TunnelState.DOWN
            self._stop_monitoring()
        return []

    def traffic_received(self, now: float, gateway: str | None = None) -> list[FailoverAction]:
        """Inbound traffic on the active tunnel; any traffic also proves liveness (RFC 3706)."""
        if gateway is not None and gateway != self.active:
            return []
        self.last_received = now
        if self.probing:
            self._stop_probe()
            self._arm_poll(now)
        return []

    def dpd_ack(self, now: float, gateway: str | None = None) -> list[FailoverAction]:
        """A DPD acknowledgement arrived: the peer is alive, the probe ends. It counts as
        traffic (resets the inactivity clock) only with `policy.ack_is_traffic`."""
        if gateway is not None and gateway != self.active:
            return []
        if self.policy.ack_is_traffic:
            self.last_received = now
        if self.probing:
            self._stop_probe()
            self._arm_poll(now)
        return []

    def poll(self, now: float) -> list[FailoverAction]:
        """One global inactivity poll: flag the active tunnel if silent for `inactivity`."""
        if self.probing or self.states[self.active] is not TunnelState.ACTIVE:
            return []
        last = self.last_received if self.last_received is not None else now
        if now - last < self.policy.inactivity:
            return []
        self._hellos = 1
        self._probe_deadline = now + self.policy.probe.gaps[0]
        return [SendDpdHello(self.active, 1)]

    def peer_dead(self, now: float, gateway: str) -> list[FailoverAction]:
        """The peer `gateway` is declared dead (by this controller's probe or from outside)."""
        self.role_of(gateway)
        if gateway != self.active:
            return []
        return self._fail(now, gateway, dead=True)

    def negotiation_timeout(self, now: float, gateway: str) -> list[FailoverAction]:
        """Phase 1 negotiation with `gateway` timed out."""
        self.role_of(gateway)
        if gateway != self.active:
            return []
        return self._fail(now, gateway, dead=False)

    def manual_switch(self, now: float) -> list[FailoverAction]:
        """Operator request: make the standby gateway active now. Re-arms automatic failover."""
        if self.backup is None:
            raise FailoverError("no backup gateway is configured")
        old = self.active
        new = self.backup if old == self.primary else self.primary
        actions: list[FailoverAction] = []
        if self.states[old] is TunnelState.ACTIVE:
            actions.append(ClearSas(old))
        self._stop_monitoring()
        self.states[old] = TunnelState.STANDBY
        self.active = new
        self.states[new] = TunnelState.NEGOTIATING
        self.failovers = self.switchbacks = 0
        self.halted = False
        actions += [Activated(new, self.role_of(new), manual=True), Negotiate(new)]
        return actions

    # --- timer -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        if self._probe_deadline is not None:
            return self._probe_deadline
        if self._poll_k is not None:
            return self._poll_time(self._poll_k)
        return None

    def handle_timer(self, now: float) -> list[FailoverAction]:
        actions: list[FailoverAction] = []
        if self._probe_deadline is not None and now >= self._probe_deadline:
            gaps = self.policy.probe.gaps
            if self._hellos < len(gaps):
                # next retry; the deadline advances from the previous one so it never drifts
                self._probe_deadline += gaps[self._hellos]
                self._hellos += 1
                actions.append(SendDpdHello(self.active, self._hellos))
            else:
                actions += self._fail(now, self.active, dead=True)
            return actions
        if self._poll_k is not None and now >= self._poll_time(self._poll_k):
            while self._poll_time(self._poll_k) <= now:
                self._poll_k += 1
            actions += self.poll(now)
        return actions

    # --- internals ---------------------------------------------------------------------------

    def _poll_time(self, k: int) -> float:
        return self.policy.poll_phase + k * self.policy.poll_interval

    def _arm_poll(self, now: float) -> None:
        """Schedule the first global poll strictly after `now` (only if we detect ourselves)."""
        if not self.policy.detect:
            self._poll_k = None
            return
        k = math.floor((now - self.policy.poll_phase) / self.policy.poll_interval)
        while self._poll_time(k) <= now:
            k += 1
        self._poll_k = k

    def _stop_probe(self) -> None:
        self._hellos = 0
        self._probe_deadline = None

    def _stop_monitoring(self) -> None:
        self._stop_probe()
        self._poll_k = None

    def _fail(self, now: float, gateway: str, dead: bool) -> list[FailoverAction]:
        actions: list[FailoverAction] = []
        had_tunnel = self.states[gateway] is TunnelState.ACTIVE
        self._stop_monitoring()
        if dead:
            actions.append(PeerDeclaredDead(gateway))
        if dead or had_tunnel:
            actions.append(ClearSas(gateway))
        if self.backup is None or self.halted:
            self.states[gateway] = TunnelState.DOWN
            return actions
        if gateway == self.primary:
            if self.failovers >= self.policy.max_failovers:
                return actions + self._give_up()
            self.failovers += 1
            self.total_failovers += 1
            return actions + self._switch_to(self.backup)
        if self.failovers >= self.policy.max_failovers:
            return actions + self._give_up()
        self.switchbacks += 1
        return actions + self._switch_to(self.primary)

    def _switch_to(self, gateway: str) -> list[FailoverAction]:
        old = self.active
        self.states[old] = TunnelState.STANDBY
        self.active = gateway
        self.states[gateway] = TunnelState.NEGOTIATING
        return [Activated(gateway, self.role_of(gateway)), Negotiate(gateway)]

    def _give_up(self) -> list[FailoverAction]:
        backup = self.backup or ""  # only reached with a backup configured
        self.halted = True
        self.active = self.primary
        self.states[self.primary] = TunnelState.DOWN
        self.states[backup] = TunnelState.STANDBY
        return [GaveUp(self.failovers), Reverted(self.primary, backup)]


__all__ = [
    "Activated",
    "ClearSas",
    "FailoverAction",
    "FailoverController",
    "FailoverError",
    "FailoverPolicy",
    "FailoverStatus",
    "GaveUp",
    "Negotiate",
    "PeerDeclaredDead",
    "Reverted",
    "Role",
    "SendDpdHello",
    "TunnelState",
    "TunnelStatus",
    "default_probe",
]
