"""The simulated IP network: UDP datagrams between bound endpoints, on the lab scheduler.

`bind(addr, port, handler)` registers a receiver; `send(src, dst, payload)` delivers the payload
to the handler bound at `dst` after a one-way delay, unless it is lost. Every random draw (loss,
jitter) comes from a seeded stream per (source, destination) pair, so the same seed gives the
same timeline whatever else happens in the lab. Faults are silent: a down address, a down link
or a partition simply drops datagrams (no ICMP), as a pulled cable would.

Delay of one datagram: `latency` (network default) + latency of the source and destination
addresses (`set_latency`) + uniform jitter in [0, jitter of either end). Loss: independent per
datagram with the larger of the global and the two per-address percentages. A datagram already
in flight is dropped if its destination is unreachable when it arrives.

`capture`, when set, sees every datagram put on the wire: `capture(now, src, dst, payload)`
(src and dst are (address, port)).

A datagram to an (address, port) nothing is bound to takes no scheduler entry (a device
retrying an unreachable peer all day sends hundreds of thousands): it is kept aside with its
arrival time and place in the firing order, counted as dropped once it would have arrived, and
put back on the scheduler, in that same place, if something binds its destination meanwhile.
So timelines, draws and `stats` are what one entry per datagram gave.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .rng import Streams
from .scheduler import Scheduler

Addr = tuple[str, int]
Handler = Callable[[bytes, Addr, float], None]

__all__ = ["Addr", "Handler", "Link", "Network", "NetworkError", "NetworkStats"]


class NetworkError(ValueError):
    """Bad binding or parameter (message fit to show a user)."""


@dataclass
class Link:
    """A named attachment of addresses to the network (a device port, a peer's uplink)."""

    name: str
    addresses: set[str] = field(default_factory=set)
    up: bool = True  # change it with Network.set_link (which keeps count of links down)


@dataclass
class NetworkStats:
    sent: int = 0
    delivered: int = 0
    lost: int = 0  # random loss
    dropped: int = 0  # unreachable, partitioned or nobody bound


class Network:
    def __init__(self, scheduler: Scheduler, streams: Streams, latency: float = 0.002) -> None:
        if latency < 0:
            raise NetworkError("latency must not be negative")
        self.scheduler = scheduler
        self._now = scheduler.now  # bound once: read twice per datagram
        self._post = scheduler.post
        self.streams = streams
        self.latency = float(latency)
        self._loss = 0.0  # global loss probability (the `loss` property)
        self._bound: dict[Addr, Handler] = {}
        self._addr_latency: dict[str, tuple[float, float]] = {}  # address -> (latency, jitter)
        self._addr_loss: dict[str, float] = {}
        self._down: set[str] = set()
        self._links: dict[str, Link] = {}
        self._links_down = 0  # links with up False: none (the usual case) spares reachable() a walk
        self._partitions: list[tuple[frozenset[str], frozenset[str]]] = []
        self._rngs: dict[tuple[str, ...], random.Random] = {}
        self.capture: Callable[[float, Addr, Addr, bytes], Any] | None = None
        self._stats = NetworkStats()
        # nothing but addresses down to check: no link down, no partition, no loss, no latency
        # of an address's own (see _recheck); send() then takes its short path
        self._simple = True
        # in flight to an unbound destination: (arrival, scheduler seq, src, dst, payload)
        self._unbound: list[tuple[float, int, Addr, Addr, bytes]] = []

    @property
    def loss(self) -> float:
        """Global loss probability of one datagram (0..1)."""
        return self._loss

    @loss.setter
    def loss(self, p: float) -> None:
        self._loss = p
        self._recheck()

    def _recheck(self) -> None:
        """Re-read whether send() may take its short path (after any fault setting)."""
        self._simple = not (self._links_down or self._partitions or self._addr_loss or self._loss
                            or self._addr_latency)

    @property
    def stats(self) -> NetworkStats:
        if self._unbound:
            try:
                self._settle(self.scheduler.now())
            except RuntimeError:  # read after the lab's trio run ended: time stands still
                pass
        return self._stats

    # ----- endpoints ----------------------------------------------------------------------

    def bind(self, addr: str, port: int, handler: Handler) -> None:
        key = (addr, int(port))
        if key in self._bound and self._bound[key] is not handler:
            raise NetworkError(f"{addr} port {port} is already bound")
        self._bound[key] = handler
        if self._unbound:
            self._revive(key)

    def unbind(self, addr: str, port: int) -> None:
        self._bound.pop((addr, int(port)), None)

    def bound(self, addr: str, port: int = 500) -> bool:
        return (addr, port) in self._bound

    def listeners(self, port: int) -> list[str]:
        """Addresses bound on `port` (the speakers of a protocol a multicast would reach)."""
        return [a for a, p in self._bound if p == port]

    # ----- links and faults ---------------------------------------------------------------

    def add_link(self, name: str, addresses: Iterable[str] = ()) -> Link:
        link = self._links.get(name)
        if link is None:
            link = self._links[name] = Link(name)
        link.addresses.update(addresses)
        return link

    @property
    def links(self) -> dict[str, Link]:
        return self._links

    def set_link(self, name: str, up: bool) -> None:
        if name not in self._links:
            raise NetworkError(f"no link {name!r}")
        link = self._links[name]
        if link.up != up:
            self._links_down += -1 if up else 1
        link.up = up
        self._recheck()

    def set_down(self, addr: str, down: bool = True) -> None:
        """Make `addr` unreachable (True) or reachable again; nothing is told."""
        if down:
            self._down.add(addr)
        else:
            self._down.discard(addr)

    def reachable(self, addr: str) -> bool:
        if addr in self._down:
            return False
        if not self._links_down:
            return True
        return not any(not link.up and addr in link.addresses for link in self._links.values())

    def partition(self, side_a: Iterable[str], side_b: Iterable[str]) -> None:
        """Drop datagrams between any address of `side_a` and any of `side_b` (both ways)."""
        a, b = frozenset(side_a), frozenset(side_b)
        if not a or not b or a & b:
            raise NetworkError("a partition needs two disjoint, non-empty sides")
        self._partitions.append((a, b))
        self._recheck()

    def heal(self) -> None:
        self._partitions.clear()
        self._recheck()

    def partitioned(self, src: str, dst: str) -> bool:
        if not self._partitions:
            return False
        return any((src in a and dst in b) or (src in b and dst in a) for a, b in self._partitions)

    def set_latency(self, addr: str, latency: float, jitter: float = 0.0) -> None:
        if latency < 0 or jitter < 0:
            raise NetworkError("latency and jitter must not be negative")
        if latency or jitter:
            self._addr_latency[addr] = (float(latency), float(jitter))
        else:  # the default: every peer sets its own, and none keeps send()'s short path
            self._addr_latency.pop(addr, None)
        self._recheck()

    def set_loss(self, percent: float, addr: str | None = None) -> None:
        """Loss in percent for every datagram (addr None) or those to/from `addr`."""
        if not 0 <= percent <= 100:
            raise NetworkError("loss is a percentage between 0 and 100")
        p = percent / 100.0
        if addr is None:
            self._loss = p
        elif p:
            self._addr_loss[addr] = p
        else:
            self._addr_loss.pop(addr, None)
        self._recheck()

    def loss_between(self, a: str, b: str) -> float:
        """Loss probability of one datagram between `a` and `b`."""
        return max(self._loss, self._addr_loss.get(a, 0.0), self._addr_loss.get(b, 0.0))

    # ----- carrying -----------------------------------------------------------------------

    def _rng(self, src: str, dst: str) -> random.Random:
        key = (src, dst)
        rng = self._rngs.get(key)
        if rng is None:
            rng = self._rngs[key] = self.streams.stream("network", src, dst)
        return rng

    def send(self, src: Addr, dst: Addr, payload: bytes) -> bool:
        """Put one datagram on the wire; False if it is dropped at once (it may still be
        lost later if its destination goes away while it is in flight)."""
        now = self._now()
        stats = self._stats
        stats.sent += 1
        if self._simple:
            # the usual case: at most some addresses down; the delay is the network's own
            # (the general path's `latency + 0.0 + 0.0 + 0.0`, the same float)
            down = self._down
            if down and src[0] in down:
                stats.dropped += 1
                return False
            if self.capture is not None:
                self.capture(now, src, dst, payload)
            if down and dst[0] in down:
                stats.dropped += 1
                return False
            if dst in self._bound:
                self._post(now + self.latency, self._deliver, (src, dst, payload), "datagram")
                return True
            return self._aside(now, self.latency, src, dst, payload)
        s, d = src[0], dst[0]
        down, links_down = self._down, self._links_down
        if (down or links_down) and (s in down or (links_down and not self.reachable(s))):
            stats.dropped += 1
            return False
        if self.capture is not None:
            self.capture(now, src, dst, payload)
        if ((down or links_down) and (d in down or (links_down and not self.reachable(d)))) or (
                self._partitions and self.partitioned(s, d)):
            stats.dropped += 1
            return False
        loss = self.loss_between(s, d) if self._addr_loss else self._loss
        lat = self._addr_latency
        if lat:
            ls, js = lat.get(s, (0.0, 0.0))
            ld, jd = lat.get(d, (0.0, 0.0))
            jitter = max(js, jd)
        else:
            ls = ld = jitter = 0.0
        if loss or jitter:
            rng = self._rng(s, d)
            if loss and rng.random() < loss:
                stats.lost += 1
                return False
            delay = self.latency + ls + ld + (rng.uniform(0.0, jitter) if jitter else 0.0)
        else:
            delay = self.latency + ls + ld + 0.0
        if dst not in self._bound:
            return self._aside(now, delay, src, dst, payload)
        self._post(now + delay, self._deliver, (src, dst, payload), "datagram")
        return True

    def _aside(self, now: float, delay: float, src: Addr, dst: Addr, payload: bytes) -> bool:
        """A datagram to a destination nothing is bound to: kept aside, not scheduled (see the
        module docstring)."""
        unbound = self._unbound
        if unbound and unbound[0][0] <= now:
            self._settle(now)
        heapq.heappush(unbound, (now + delay, self.scheduler.reserve(), src, dst, payload))
        return True

    def _settle(self, now: float) -> None:
        """Count as dropped the datagrams to unbound destinations that have arrived by now."""
        unbound = self._unbound
        while unbound and unbound[0][0] <= now:
            heapq.heappop(unbound)
            self._stats.dropped += 1

    def _revive(self, key: Addr) -> None:
        """`key` was just bound: its datagrams still in flight go on the scheduler, in the
        place they were given when sent."""
        now = self.scheduler.now()
        self._settle(now)
        keep = []
        for item in self._unbound:
            at, seq, src, dst, payload = item
            if dst == key:
                self.scheduler.post(at, self._deliver, (src, dst, payload), "datagram", seq=seq)
            else:
                keep.append(item)
        if len(keep) != len(self._unbound):
            heapq.heapify(keep)
            self._unbound = keep

    def known(self, addr: str) -> bool:
        """Something in the lab owns `addr` (a link end or a bound endpoint)."""
        return any(addr in link.addresses for link in self._links.values()) or any(
            a == addr for a, _port in self._bound
        )

    def echo(self, src: str, dst: str) -> float | None:
        """One echo request/reply between `src` and `dst` (ping): the round-trip time, or None
        when either way is lost, unreachable or partitioned, or nothing owns `dst`. Draws come
        from their own seeded stream, so pings never shift the world's datagram timeline."""
        if not self.known(dst):
            return None
        rng = self._echo_rng(src, dst)
        there = self._leg(src, dst, rng)
        back = self._leg(dst, src, rng) if there is not None else None
        return None if there is None or back is None else there + back

    def one_way(self, src: str, dst: str) -> float | None:
        """One packet of an echo from `src` to `dst` (a ping leg carried inside a tunnel
        between two gateways): its delay, or None when it is lost, unreachable or partitioned."""
        return self._leg(src, dst, self._echo_rng(src, dst))

    def _echo_rng(self, src: str, dst: str) -> random.Random:
        rng = self._rngs.get(("echo", src, dst))
        if rng is None:
            rng = self._rngs[("echo", src, dst)] = self.streams.stream("network", "echo", src, dst)
        return rng

    def _leg(self, src: str, dst: str, rng: random.Random) -> float | None:
        if not self.reachable(src) or not self.reachable(dst) or self.partitioned(src, dst):
            return None
        loss = self.loss_between(src, dst)
        ls, js = self._addr_latency.get(src, (0.0, 0.0))
        ld, jd = self._addr_latency.get(dst, (0.0, 0.0))
        if loss and rng.random() < loss:
            return None
        return self.latency + ls + ld + (rng.uniform(0.0, max(js, jd)) if max(js, jd) else 0.0)

    def _deliver(self, src: Addr, dst: Addr, payload: bytes) -> None:
        handler = self._bound.get(dst)
        down = self._down
        if handler is None or (down and dst[0] in down) or (not self._simple and (
                (self._links_down and not self.reachable(dst[0]))
                or (self._partitions and self.partitioned(src[0], dst[0])))):
            self._stats.dropped += 1
            return
        self._stats.delivered += 1
        handler(payload, src, self._now())
