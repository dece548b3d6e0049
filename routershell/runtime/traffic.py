"""Traffic flows (`lab traffic start NAME from ADDR to ADDR [rate N pps]`).

A flow is a constant packet rate from a host address to another, with a reply for every packet
(like a ping stream), ticked once per lab second by one scheduler timer. Each tick, in each
direction, the side whose rules cover the packet (a device's TunnelSpec.selectors, a remote
peer's traffic selectors) sends it: with an IPsec SA the SA's outbound counters move, and if the
network path between the two gateways carries it (reachability, partition, loss drawn from the
flow's own seeded stream), the far end's inbound counters move too, which is what DPD and the
failover controller count as liveness. Without an SA the packets are dropped and, on a device,
trigger negotiation of an on-traffic tunnel. Packets no rule covers travel in the clear and touch
no tunnel.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .network import Network
from .scheduler import Scheduler, Timer

__all__ = ["Flow", "TrafficError", "Traffic"]

PACKET_SIZE = 100  # octets of one data packet (as counted on the SA)


class TrafficError(ValueError):
    """Bad flow request (message fit to show a user)."""


@dataclass
class Flow:
    name: str
    src: str
    dst: str
    rate_pps: float
    started: float
    size: int = PACKET_SIZE
    sent: int = 0  # packets offered, both directions
    delivered: int = 0
    dropped: int = 0
    clear: int = 0  # covered by no rule: sent in the clear
    tunnels: set[str] = field(default_factory=set)  # "device:tunnel" / "peer:name" that carried it
    _carry: float = 0.0
    _timer: Timer | None = None


class _Owner:
    """A device seen only through its TunnelManager (what `_put` needs of an end)."""

    __slots__ = ("tunnels", "name")

    def __init__(self, tunnels: Any) -> None:
        self.tunnels, self.name = tunnels, tunnels.device


class Traffic:
    """All flows of a world. `ends()` lists the senders/receivers as (kind, object)."""

    def __init__(self, network: Network, scheduler: Scheduler, streams: Any,
                 ends: Callable[[], list[tuple[str, Any]]], tick: float = 1.0) -> None:
        self.network = network
        self.scheduler = scheduler
        self.streams = streams
        self._ends = ends
        self.tick = tick
        self._flows: dict[str, Flow] = {}
        self._rngs: dict[str, random.Random] = {}
        self._peer_routes: dict[tuple[str, str], list[Any]] = {}

    def start(self, name: str, src: str, dst: str, rate_pps: float = 10) -> Flow:
        import ipaddress

        if name in self._flows:
            raise TrafficError(f"traffic {name} is already running")
        try:
            ipaddress.ip_address(src)
            ipaddress.ip_address(dst)
        except ValueError:
            raise TrafficError("from and to must be IP addresses") from None
        if not rate_pps or rate_pps <= 0:
            raise TrafficError("rate must be positive")
        now = self.scheduler.now()
        flow = Flow(name, src, dst, float(rate_pps), now)
        self._flows[name] = flow
        self._rngs[name] = self.streams.stream("traffic", name)
        self._tick(flow)  # the first packets leave now (they trigger on-traffic tunnels)
        flow._timer = self.scheduler.every(self.tick, lambda: self._tick(flow), name=f"traffic {name}")
        return flow

    def stop(self, name: str) -> Flow:
        flow = self._flows.pop(name, None)
        if flow is None:
            raise TrafficError(f"no traffic named {name}")
        if flow._timer is not None:
            flow._timer.cancel()
        return flow

    def stop_all(self) -> None:
        for name in list(self._flows):
            self.stop(name)

    def flows(self) -> list[Flow]:
        return list(self._flows.values())

    # ----- one tick -----------------------------------------------------------------------

    def _tick(self, flow: Flow) -> None:
        flow._carry += flow.rate_pps * self.tick
        n = int(flow._carry)
        flow._carry -= n
        if n <= 0:
            return
        now = self.scheduler.now()
        self._send(flow, flow.src, flow.dst, n, now)
        self._send(flow, flow.dst, flow.src, n, now)

    def _send(self, flow: Flow, src: str, dst: str, n: int, now: float) -> None:
        flow.sent += n
        octets = n * flow.size
        ends = self._ends()
        sender = self._sender(ends, src, dst)
        if sender is None:
            flow.clear += n
            return
        kind, end, tname, _ = sender
        put = self._put(sender, octets, n, now)
        if put is None:
            flow.dropped += n
            return
        sa, local = put
        flow.tunnels.add(f"{end.name}:{tname}" if kind == "device" else f"peer:{end.name}")
        got = self._carried(flow, local, sa.peer[0], n)
        if got and self._receive(sa.peer[0], sa.outbound_spi, got * flow.size, got, now, sa):
            flow.delivered += got
            flow.dropped += n - got
        else:
            flow.dropped += n

    def echo(self, src: str, dst: str, octets: int, origin: Any = None) -> float | None:
        """One echo request src -> dst and its reply (a ping), carried as flow packets are:
        through the tunnels that cover each way, moving their counters (an outbound packet
        with no SA starts negotiation of an on-traffic tunnel and is dropped), or in the clear
        when no tunnel covers either way (`Network.echo`). A protected host answers only
        through a tunnel. Returns the round-trip time, or None when no reply comes back.
        `origin`: the TunnelManager of the device that pings (only its tunnels carry the
        request)."""
        ends = self._ends()
        if origin is not None:
            tname = origin.route(src, dst)
            there = None if tname is None else ("device", _Owner(origin), tname, None)
        else:
            there = self._sender(ends, src, dst)
        back = self._sender(ends, dst, src)
        if there is None and back is None:
            return self.network.echo(src, dst)
        if there is None or back is None:
            return None  # one way in the clear into a protected network: dropped
        now = self.scheduler.now()
        total = 0.0
        for sender in (there, back):
            leg = self._put(sender, octets, 1, now)
            if leg is None:
                return None
            sa, local = leg
            delay = self.network.one_way(local, sa.peer[0])
            if delay is None or not self._receive(sa.peer[0], sa.outbound_spi, octets, 1, now, sa):
                return None
            total += delay
        return total

    @staticmethod
    def _put(sender: tuple[str, Any, str | None, str | None], octets: int, n: int, now: float
             ) -> tuple[Any, str] | None:
        """Send n packets on the sender's SA (its outbound counters): (SA, local address), or
        None when it has no SA (a device's tunnel then starts negotiating)."""
        kind, end, tname, toward = sender
        if kind == "device":
            sa = end.tunnels.traffic(tname, octets, n, now, inbound=False)
            return None if sa is None else (sa, end.tunnels.local_of(tname))
        sa = end.current_sa(toward)
        if sa is None:
            return None
        end.account(sa.inbound_spi, octets, n, now, inbound=False)
        return sa, end.address

    def routes_changed(self) -> None:
        """Peers were added or changed: forget which peers' selectors cover which packets."""
        self._peer_routes.clear()

    def _peers_covering(self, ends: list[tuple[str, Any]], src: str, dst: str) -> list[Any]:
        # every packet of every flow asks this of every peer: remembered per (src, dst) so a
        # lab of N peers with N flows costs O(N), not O(N^2), per lab second
        key = (src, dst)
        hit = self._peer_routes.get(key)
        if hit is None:
            if len(self._peer_routes) > 65536:
                self._peer_routes.clear()
            hit = self._peer_routes[key] = [end for kind, end in ends
                                            if kind != "device" and end.route(src, dst)]
        return hit

    def _sender(self, ends: list[tuple[str, Any]], src: str, dst: str
                ) -> tuple[str, Any, str | None, str | None] | None:
        """Who puts a packet src -> dst into a tunnel: (kind, end, device tunnel, gateway).

        A device whose tunnel covers it sends it on that tunnel. Otherwise a remote peer whose
        selectors cover it does; when several do (a primary and a backup gateway), the one a
        device's tunnel for the opposite direction is using now, so a flow follows the active
        tunnel both ways (after a failover the replies come back from the backup). `gateway`
        is then that device's local address, the peer's SA to use."""
        for kind, end in ends:
            if kind == "device":
                tm = end.tunnels
                tname = tm.route(src, dst) if tm is not None else None
                if tname is not None:
                    return kind, end, tname, None
        peers = self._peers_covering(ends, src, dst)
        if not peers:
            return None
        if len(peers) > 1:
            for kind, end in ends:
                tm = end.tunnels if kind == "device" else None
                back = tm.route(dst, src) if tm is not None else None
                if back is None:
                    continue
                gw = tm.gateway_of(back)
                for p in peers:
                    if p.address == gw:
                        return "peer", p, None, tm.local_of(back)
            with_sa = [p for p in peers if p.current_sa() is not None]
            peers = with_sa or peers
        return "peer", peers[0], None, None

    def _carried(self, flow: Flow, a: str, b: str, n: int) -> int:
        net = self.network
        if not (net.reachable(a) and net.reachable(b)) or net.partitioned(a, b):
            return 0
        loss = net.loss_between(a, b)
        if not loss:
            return n
        rng = self._rngs[flow.name]
        return sum(1 for _ in range(n) if rng.random() >= loss)

    def _receive(self, gateway: str, spi: int, octets: int, packets: int, now: float,
                 sent: Any = None) -> bool:
        """The far gateway's inbound SA `spi` takes the packets; False if it has none. A
        manually keyed SA also needs the sender's keys (`sent`: the SA they left on): with other
        keys the packets fail authentication there and are counted as refused."""
        for kind, end in self._ends():
            if kind == "device":
                tm = end.tunnels
                if tm is None or tm.endpoint(gateway) is None:
                    continue
                hit = tm.inbound_sa(spi)
                if hit is None:
                    tm.refused(None, packets, "bad-spi")
                    return False
                got = hit[1]
                if sent is not None and got.role == "manual" and (got.enc_in, got.auth_in) != (sent.enc_out, sent.auth_out):
                    tm.refused(hit[0], packets, "authentication")
                    return False
                tm.traffic(hit[0], octets, packets, now, inbound=True, spi=spi)
                return True
            if end.address == gateway:
                if spi not in end.endpoint.sadb.ipsec:
                    return False
                end.account(spi, octets, packets, now, inbound=True)
                return True
        return False
