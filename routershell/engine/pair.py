"""In-memory pair of endpoints (like h11's ConnectionPair) for tests and benchmarks.

`EndpointPair(a, b, now=0.0)` shuttles datagrams between two `IkeEndpoint`s on a fake clock:
- `pump()` delivers queued datagrams (both ways) until quiet; returns how many were delivered.
- `advance(to)` runs timers in deadline order up to absolute time `to`, pumping in between.
- `drop` is an optional hook `(data, src, dst, now) -> bool`; True loses the datagram.
- `events[name]` collects every event drained from each side ("a" / "b").
- `log` records (now, src, dst, data) of every datagram delivered (for pcap writers).
"""

from __future__ import annotations

from collections.abc import Callable

from .events import Event
from .ike import IkeEndpoint


class EndpointPair:
    def __init__(self, a: IkeEndpoint, b: IkeEndpoint, now: float = 0.0,
                 drop: Callable[[bytes, tuple, tuple, float], bool] | None = None) -> None:
        self.a, self.b = a, b
        self.now = now
        self.drop = drop
        self.events: dict[str, list[Event]] = {"a": [], "b": []}
        self.log: list[tuple[float, tuple, tuple, bytes]] = []
        self.dropped = 0

    def _drain_events(self) -> None:
        for name, ep in (("a", self.a), ("b", self.b)):
            while (ev := ep.next_event()) is not None:
                self.events[name].append(ev)

    def pump(self, limit: int = 10_000) -> int:
        delivered = 0
        while delivered < limit:
            moved = False
            for src_ep, dst_ep in ((self.a, self.b), (self.b, self.a)):
                for data, dst in src_ep.datagrams_to_send():
                    moved = True
                    if dst[0] != dst_ep.local[0]:
                        continue
                    if self.drop is not None and self.drop(data, src_ep.local, dst, self.now):
                        self.dropped += 1
                        continue
                    self.log.append((self.now, src_ep.local, dst, data))
                    dst_ep.receive(data, src_ep.local, self.now)
                    delivered += 1
            if not moved:
                break
        self._drain_events()
        return delivered

    def next_deadline(self) -> float | None:
        ts = [t for t in (self.a.get_timer(), self.b.get_timer()) if t is not None]
        return min(ts) if ts else None

    def advance(self, to: float) -> None:
        """Run both endpoints' timers in order until absolute time `to`."""
        self.pump()
        while True:
            t = self.next_deadline()
            if t is None or t > to:
                break
            self.now = max(self.now, t)
            self.a.handle_timer(self.now)
            self.b.handle_timer(self.now)
            self.pump()
        self.now = max(self.now, to)

    def all_events(self, side: str, cls: type) -> list:
        return [e for e in self.events[side] if isinstance(e, cls)]
