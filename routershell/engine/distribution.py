"""Tunnels spread over service modules, and what happens when a module is lost (sans-IO).

From seed 000 (JunosE ISM overview, the JunosE IPSec Service Module documentation):

* Tunnels are assigned to modules in proportion to each module's free capacity.
* A module lost -> its tunnels become "not present" (operational state down) and are
  reassigned to modules with room. After a reassignment the tunnel is rekeyed immediately when
  its local address is lower than the remote address, otherwise after `reassign_wait` (3 min).
* The tunnel is up when the rekey succeeds. A failed rekey is retried after a progressive
  back-off (`retry.rekey_backoff`: 1, 2, 4, ... 60, 60 min), which restarts after a success.
* No module with room -> the tunnel stays not present until a module is restored or added;
  then it is placed there (so the spread may become uneven; nothing is moved back).

Choices made here: a newly configured tunnel is negotiated at once (the address rule is only for
reassignment); within one placement batch, tunnels go to modules in configuration order; a
rekey result carries the attempt number from `Rekey` so a stale result is ignored.
"""

from __future__ import annotations

import heapq
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from routershell.engine.retry import Backoff, BackoffTimer, rekey_backoff


class DistributionError(ValueError):
    """Unknown module or tunnel, duplicate id, bad address or capacity."""


class TunnelOpState(Enum):
    UP = "up"
    DOWN = "down"
    NOT_PRESENT = "not-present"


@dataclass(frozen=True)
class DistributionPolicy:
    reassign_wait: float = 180.0  # seed 000: local address > remote address waits 3 minutes
    backoff: Backoff = field(default_factory=rekey_backoff)


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assigned:
    tunnel: str
    module: str


@dataclass(frozen=True)
class NotPresent:
    """The tunnel lost its module and has none now (operational state down)."""

    tunnel: str
    lost_module: str | None


@dataclass(frozen=True)
class Rekey:
    """Negotiate the tunnel on `module` now; report the outcome with `rekey_result`."""

    tunnel: str
    module: str
    attempt: int


@dataclass(frozen=True)
class RekeyScheduled:
    tunnel: str
    at: float


DistributionAction = Assigned | NotPresent | Rekey | RekeyScheduled


# --- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TunnelStatus:
    tunnel: str
    state: TunnelOpState
    module: str | None
    next_attempt: float | None
    failures: int
    rekeying: bool


@dataclass(frozen=True)
class ModuleStatus:
    module: str
    capacity: int
    load: int
    present: bool

    @property
    def free(self) -> int:
        return self.capacity - self.load if self.present else 0


@dataclass
class _Tunnel:
    id: str
    local: ipaddress.IPv4Address | ipaddress.IPv6Address
    remote: ipaddress.IPv4Address | ipaddress.IPv6Address
    backoff: BackoffTimer = field(default_factory=lambda: BackoffTimer(rekey_backoff()))
    module: str | None = None
    up: bool = False
    next_attempt: float | None = None
    attempt: int = 0
    awaiting: bool = False

    @property
    def failures(self) -> int:
        """Failed rekeys since the last success (the back-off's count)."""
        return self.backoff.failures

    @property
    def state(self) -> TunnelOpState:
        if self.module is None:
            return TunnelOpState.NOT_PRESENT
        return TunnelOpState.UP if self.up else TunnelOpState.DOWN

    @property
    def rekey_at_once(self) -> bool:
        # IPv4 sorts before IPv6 so mixed families still compare
        return (self.local.version, int(self.local)) < (self.remote.version, int(self.remote))


@dataclass
class _Module:
    id: str
    capacity: int
    present: bool = True
    tunnels: set[str] = field(default_factory=set)

    @property
    def free(self) -> int:
        return self.capacity - len(self.tunnels) if self.present else 0


def apportion(n: int, free: list[int]) -> list[int]:
    """Split n items over bins in proportion to `free` (largest remainder), never above free.

    Only min(n, sum(free)) items are placed; the shares sum to that.
    """
    total = sum(max(f, 0) for f in free)
    n = min(n, total)
    if n <= 0:
        return [0] * len(free)
    shares = [n * max(f, 0) // total for f in free]
    rest = n - sum(shares)
    # largest remainder first, earlier bin first on ties
    order = sorted(range(len(free)), key=lambda i: (-(n * max(free[i], 0) % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


class Distribution:
    """Modules with capacity and the tunnels placed on them."""

    def __init__(self, policy: DistributionPolicy | None = None) -> None:
        self.policy = policy or DistributionPolicy()
        self._modules: dict[str, _Module] = {}
        self._tunnels: dict[str, _Tunnel] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0

    # --- configuration -----------------------------------------------------------------------

    def add_module(self, now: float, module: str, capacity: int) -> list[DistributionAction]:
        if module in self._modules:
            raise DistributionError(f"module {module} already exists")
        if capacity < 0:
            raise DistributionError("capacity must not be negative")
        self._modules[module] = _Module(module, capacity)
        return self._place_orphans(now)

    def add_tunnel(self, now: float, tunnel: str, local: str, remote: str) -> list[DistributionAction]:
        return self.add_tunnels(now, [(tunnel, local, remote)])

    def add_tunnels(
        self, now: float, specs: Iterable[tuple[str, str, str]]
    ) -> list[DistributionAction]:
        """Configure tunnels (id, local address, remote address), spread as one batch."""
        new: list[_Tunnel] = []
        ids: set[str] = set()
        for tid, local, remote in specs:
            if tid in self._tunnels or tid in ids:
                raise DistributionError(f"tunnel {tid} already exists")
            ids.add(tid)
            try:
                new.append(_Tunnel(tid, ipaddress.ip_address(local), ipaddress.ip_address(remote),
                                   BackoffTimer(self.policy.backoff)))
            except ValueError as exc:
                raise DistributionError(str(exc)) from None
        for t in new:
            self._tunnels[t.id] = t
        return self._place(now, new, reassigned=False)

    def remove_tunnel(self, now: float, tunnel: str) -> list[DistributionAction]:
        t = self._tunnel(tunnel)
        if t.module is not None:
            self._modules[t.module].tunnels.discard(tunnel)
        del self._tunnels[tunnel]
        return self._place_orphans(now)

    # --- module events -----------------------------------------------------------------------

    def module_failed(self, now: float, module: str) -> list[DistributionAction]:
        m = self._module(module)
        if not m.present:
            return []
        m.present = False
        orphans = [t for t in self._tunnels.values() if t.module == module]
        m.tunnels.clear()
        actions: list[DistributionAction] = []
        for t in orphans:
            t.module, t.up, t.awaiting, t.next_attempt = None, False, False, None
            actions.append(NotPresent(t.id, module))
        return actions + self._place(now, orphans, reassigned=True)

    def module_restored(self, now: float, module: str) -> list[DistributionAction]:
        m = self._module(module)
        if m.present:
            return []
        m.present = True
        return self._place_orphans(now)

    # --- rekey outcome -----------------------------------------------------------------------

    def rekey_result(
        self, now: float, tunnel: str, ok: bool, attempt: int | None = None
    ) -> list[DistributionAction]:
        t = self._tunnels.get(tunnel)
        if t is None or not t.awaiting or (attempt is not None and attempt != t.attempt):
            return []  # stale: the tunnel moved or was removed since that Rekey
        t.awaiting = False
        if ok:
            t.up = True
            t.backoff.succeeded(now)
            return []
        return [self._schedule(t, t.backoff.failed(now))]

    def peer_established(self, now: float, tunnel: str) -> list[DistributionAction]:
        """The peer negotiated the tunnel on its present module while we waited (e.g. during
        the 3-minute wait of a higher local address): it is up, the back-off restarts and the
        scheduled rekey is dropped. Ignored for a tunnel with no module."""
        t = self._tunnel(tunnel)
        if t.module is None:
            return []
        t.up, t.awaiting, t.next_attempt = True, False, None
        t.backoff.succeeded(now)
        return []

    def tunnel_down(self, now: float, tunnel: str) -> list[DistributionAction]:
        """The tunnel's SAs were lost on a present module: rekey at once, backing off on failure."""
        t = self._tunnel(tunnel)
        if t.module is None or not t.up:
            return []
        t.up = False
        return [self._rekey(t)]

    # --- timer -------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        while self._heap and not self._valid(self._heap[0]):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def handle_timer(self, now: float) -> list[DistributionAction]:
        actions: list[DistributionAction] = []
        while self._heap and self._heap[0][0] <= now:
            entry = heapq.heappop(self._heap)
            if self._valid(entry):
                t = self._tunnels[entry[2]]
                t.next_attempt = None
                actions.append(self._rekey(t))
        return actions

    # --- status ------------------------------------------------------------------------------

    def tunnel_status(self, tunnel: str) -> TunnelStatus:
        t = self._tunnel(tunnel)
        return TunnelStatus(t.id, t.state, t.module, t.next_attempt, t.failures, t.awaiting)

    def tunnels(self) -> list[TunnelStatus]:
        return [self.tunnel_status(tid) for tid in self._tunnels]

    def modules(self) -> list[ModuleStatus]:
        return [
            ModuleStatus(m.id, m.capacity, len(m.tunnels), m.present) for m in self._modules.values()
        ]

    def module_load(self) -> dict[str, int]:
        return {m.id: len(m.tunnels) for m in self._modules.values()}

    # --- internals ---------------------------------------------------------------------------

    def _tunnel(self, tunnel: str) -> _Tunnel:
        try:
            return self._tunnels[tunnel]
        except KeyError:
            raise DistributionError(f"no tunnel {tunnel}") from None

    def _module(self, module: str) -> _Module:
        try:
            return self._modules[module]
        except KeyError:
            raise DistributionError(f"no module {module}") from None

    def _valid(self, entry: tuple[float, int, str]) -> bool:
        t = self._tunnels.get(entry[2])
        return t is not None and t.next_attempt == entry[0]

    def _place_orphans(self, now: float) -> list[DistributionAction]:
        orphans = [t for t in self._tunnels.values() if t.module is None]
        return self._place(now, orphans, reassigned=True)

    def _place(self, now: float, tunnels: list[_Tunnel], reassigned: bool) -> list[DistributionAction]:
        mods = [m for m in self._modules.values() if m.free > 0]
        shares = apportion(len(tunnels), [m.free for m in mods])
        actions: list[DistributionAction] = []
        it = iter(tunnels)
        for m, share in zip(mods, shares, strict=True):
            for _ in range(share):
                t = next(it)
                t.module = m.id
                m.tunnels.add(t.id)
                actions.append(Assigned(t.id, m.id))
                if not reassigned or t.rekey_at_once:
                    actions.append(self._rekey(t))
                else:
                    actions.append(self._schedule(t, now + self.policy.reassign_wait))
        return actions

    def _rekey(self, t: _Tunnel) -> Rekey:
        t.attempt += 1
        t.awaiting = True
        t.next_attempt = None
        return Rekey(t.id, t.module or "", t.attempt)

    def _schedule(self, t: _Tunnel, at: float) -> RekeyScheduled:
        t.next_attempt = at
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, t.id))
        return RekeyScheduled(t.id, at)


__all__ = [
    "Assigned",
    "Distribution",
    "DistributionAction",
    "DistributionError",
    "DistributionPolicy",
    "ModuleStatus",
    "NotPresent",
    "Rekey",
    "RekeyScheduled",
    "TunnelOpState",
    "TunnelStatus",
    "apportion",
]
