"""A redundant pair of tunnels carrying one traffic stream (sans-IO), from seed 003 (StarOS
crypto group, the StarOS 'Redundant IPSec Tunnel Fail-over' chapter).

* Two tunnels, primary and secondary, each described by its own map; both are kept up
  permanently and watched by DPD (run by the protocol core, which reports `peer_unreachable`).
* Traffic uses the primary until its peer is unreachable or the tunnel fails to rekey, then
  moves to the secondary.
* Return to the primary is automatic once the primary tunnel is up again (`revert=True`), or
  manual only (`revert=False`). A manual switchover is always possible.
* Six notification conditions (seed 003) are emitted as `Notify(Condition...)`.

Choices the seed leaves open, made here: a switchover to a tunnel that is not up is an
"unsuccessful fail-over"; the stream then waits and moves as soon as either tunnel is up. A
tunnel that goes down is renegotiated at once and, after failed negotiations, after
`reconnect.delay(failures)` (default: every 60 s, our choice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from routershell.engine.retry import Backoff, BackoffTimer


class CryptoGroupError(ValueError):
    """The group was configured or asked for something it cannot do."""


class GroupRole(Enum):
    PRIMARY = "primary"
    SECONDARY = "secondary"

    # Members are singletons compared by identity, so the identity hash is a valid one; Enum's
    # own (hash of the name, in Python) runs on every lookup of the per-role dicts, several
    # per member input. (A str hash is salted per process: no order could depend on it.)
    __hash__ = object.__hash__

    @property
    def other(self) -> GroupRole:
        return GroupRole.SECONDARY if self is GroupRole.PRIMARY else GroupRole.PRIMARY


_ROLES = (GroupRole.PRIMARY, GroupRole.SECONDARY)  # in definition order; iterating the Enum
# makes a generator each time (every bring-up, status and reconnect timer)


class Condition(Enum):
    """Seed 003's notification conditions, vendor-neutral."""

    PRIMARY_DOWN = "primary-down"
    PRIMARY_UP = "primary-up"
    SECONDARY_DOWN = "secondary-down"
    SECONDARY_UP = "secondary-up"
    FAILOVER_SUCCESSFUL = "failover-successful"
    FAILOVER_UNSUCCESSFUL = "failover-unsuccessful"


class DownReason(Enum):
    PEER_UNREACHABLE = "peer-unreachable"
    REKEY_FAILED = "rekey-failed"
    CLEARED = "cleared"


_DOWN = {GroupRole.PRIMARY: Condition.PRIMARY_DOWN, GroupRole.SECONDARY: Condition.SECONDARY_DOWN}
_UP = {GroupRole.PRIMARY: Condition.PRIMARY_UP, GroupRole.SECONDARY: Condition.SECONDARY_UP}


def default_reconnect() -> Backoff:
    return Backoff((60.0,), "our choice: seed 003 gives no renegotiation interval")


@dataclass(frozen=True)
class CryptoGroupPolicy:
    revert: bool = True  # automatic return to the primary; False = manual only
    reconnect: Backoff | None = field(default_factory=default_reconnect)  # None: runtime's job


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notify:
    """A notification condition. For the failover conditions `map` is the target and
    `from_map` the tunnel traffic was (to be) moved from."""

    condition: Condition
    map: str
    from_map: str | None = None


@dataclass(frozen=True)
class Negotiate:
    """Bring up the tunnel described by `map`."""

    map: str


@dataclass(frozen=True)
class TrafficSwitched:
    from_map: str
    to_map: str
    manual: bool = False


CryptoGroupAction = Notify | Negotiate | TrafficSwitched


@dataclass(frozen=True)
class MapStatus:
    map: str
    role: GroupRole
    up: bool
    carrying: bool
    last_down: DownReason | None


@dataclass(frozen=True)
class CryptoGroupStatus:
    active_map: str
    active_role: GroupRole
    revert: bool
    switchovers: int
    failed_switchovers: int
    waiting: bool  # traffic's tunnel is down and no switchover has succeeded yet
    maps: tuple[MapStatus, ...]


class CryptoGroup:
    def __init__(self, policy: CryptoGroupPolicy, primary: str, secondary: str) -> None:
        if not primary or not secondary or primary == secondary:
            raise CryptoGroupError("a group needs two different maps")
        self.policy = policy
        self.maps = {GroupRole.PRIMARY: primary, GroupRole.SECONDARY: secondary}
        self.up = {GroupRole.PRIMARY: False, GroupRole.SECONDARY: False}
        self.last_down: dict[GroupRole, DownReason | None] = dict.fromkeys(GroupRole)
        self.carrying = GroupRole.PRIMARY
        self.switchovers = 0
        self.failed_switchovers = 0
        self.waiting = False
        # one back-off per tunnel (retry.BackoffTimer), built when first needed so a policy
        # swapped before the first failure is honoured
        self._reconnect: dict[GroupRole, BackoffTimer] = {}

    # --- queries -----------------------------------------------------------------------------

    def role_of(self, map_name: str) -> GroupRole:
        for role, name in self.maps.items():
            if name == map_name:
                return role
        raise CryptoGroupError(f"map {map_name} is not in this group")

    def status(self) -> CryptoGroupStatus:
        maps = tuple(
            MapStatus(self.maps[r], r, self.up[r], r is self.carrying, self.last_down[r])
            for r in _ROLES
        )
        return CryptoGroupStatus(
            self.maps[self.carrying],
            self.carrying,
            self.policy.revert,
            self.switchovers,
            self.failed_switchovers,
            self.waiting,
            maps,
        )

    # --- inputs ------------------------------------------------------------------------------

    def start(self, now: float) -> list[CryptoGroupAction]:
        """Both tunnels are maintained permanently: negotiate whichever is not up."""
        return [Negotiate(self.maps[r]) for r in _ROLES if not self.up[r]]

    def tunnel_up(self, now: float, map_name: str) -> list[CryptoGroupAction]:
        role = self.role_of(map_name)
        timer = self._reconnect.get(role)
        if timer is not None:
            timer.succeeded(now)
        if self.up[role]:
            return []
        self.up[role] = True
        actions: list[CryptoGroupAction] = [Notify(_UP[role], map_name)]
        if role is not self.carrying and (
            self.waiting or (role is GroupRole.PRIMARY and self.policy.revert)
        ):
            actions += self._move(role, manual=False)
        elif role is self.carrying:
            self.waiting = False
        return actions

    def tunnel_down(
        self, now: float, map_name: str, reason: DownReason = DownReason.CLEARED
    ) -> list[CryptoGroupAction]:
        role = self.role_of(map_name)
        if not self.up[role]:
            return []
        self.up[role] = False
        self.last_down[role] = reason
        actions: list[CryptoGroupAction] = [Notify(_DOWN[role], map_name)]
        if role is self.carrying:
            actions += self._try_move(role.other, manual=False)
        if self.policy.reconnect is not None:
            actions.append(Negotiate(map_name))
        return actions

    def peer_unreachable(self, now: float, map_name: str) -> list[CryptoGroupAction]:
        """DPD found the map's peer unreachable."""
        return self.tunnel_down(now, map_name, DownReason.PEER_UNREACHABLE)

    def rekey_failed(self, now: float, map_name: str) -> list[CryptoGroupAction]:
        return self.tunnel_down(now, map_name, DownReason.REKEY_FAILED)

    def negotiation_failed(self, now: float, map_name: str) -> list[CryptoGroupAction]:
        """A (re)negotiation of a down tunnel failed: try again after the reconnect wait."""
        role = self.role_of(map_name)
        if self.up[role] or self.policy.reconnect is None:
            return []
        timer = self._reconnect.get(role)
        if timer is None or timer.backoff is not self.policy.reconnect:
            timer = self._reconnect[role] = BackoffTimer(self.policy.reconnect)
        timer.failed(now)
        return []

    def switchover(self, now: float, to: GroupRole | None = None) -> list[CryptoGroupAction]:
        """Operator request: move traffic to `to` (default: the other tunnel)."""
        target = self.carrying.other if to is None else to
        if target is self.carrying:
            return []
        return self._try_move(target, manual=True)

    # --- timer -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        timers = self._reconnect
        if not timers:  # no tunnel has failed a negotiation: nothing to retry (asked after
            return None  # every input of each member, 12,800 times while 6,400 maps come up)
        # min over the timers' next attempts (BackoffTimer.get_timer() is its `next_attempt`),
        # a plain loop: no generator, no call per timer (a group holds at most two)
        best = None
        for t in timers.values():
            at = t.next_attempt
            if at is not None and (best is None or at < best):
                best = at
        return best

    def handle_timer(self, now: float) -> list[CryptoGroupAction]:
        actions: list[CryptoGroupAction] = []
        for role in _ROLES:
            timer = self._reconnect.get(role)
            if timer is not None and timer.handle_timer(now):
                actions.append(Negotiate(self.maps[role]))
        return actions

    # --- internals ---------------------------------------------------------------------------

    def _try_move(self, target: GroupRole, manual: bool) -> list[CryptoGroupAction]:
        if self.up[target]:
            return self._move(target, manual)
        self.failed_switchovers += 1
        if not self.up[self.carrying]:
            self.waiting = True
        return [
            Notify(
                Condition.FAILOVER_UNSUCCESSFUL,
                self.maps[target],
                self.maps[self.carrying],
            )
        ]

    def _move(self, target: GroupRole, manual: bool) -> list[CryptoGroupAction]:
        source = self.carrying
        self.carrying = target
        self.waiting = False
        self.switchovers += 1
        src, dst = self.maps[source], self.maps[target]
        return [TrafficSwitched(src, dst, manual), Notify(Condition.FAILOVER_SUCCESSFUL, dst, src)]


__all__ = [
    "Condition",
    "CryptoGroup",
    "CryptoGroupAction",
    "CryptoGroupError",
    "CryptoGroupPolicy",
    "CryptoGroupStatus",
    "DownReason",
    "GroupRole",
    "MapStatus",
    "Negotiate",
    "Notify",
    "TrafficSwitched",
    "default_reconnect",
]
