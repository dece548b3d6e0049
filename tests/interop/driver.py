"""Drive one sans-IO IkeEndpoint over real trio UDP sockets (its IKE port and NAT-T port).

A test-only runtime: what the bridge does for a whole lab, reduced to one endpoint, so engine
interop with strongSwan is proven without the simulated world. Real (trio) time. As the bridge
does, a datagram framed with the non-ESP marker leaves from the socket the peer's marked
datagrams arrive on (when neither side uses port 500, that is the IKE socket), and an IKE
message between two ports neither of which is 500 always carries the marker (RFC 3948 §2.2; a
peer such as strongSwan reads an unmarked datagram between such ports as ESP).
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import trio

from routershell.engine.events import Event
from routershell.engine.ike import IkeEndpoint
from routershell.engine.pcap import Datagram

MARKER = b"\0\0\0\0"  # RFC 3948 §2.2 non-ESP marker


class EndpointDriver:
    def __init__(self, endpoint: IkeEndpoint) -> None:
        self.ep = endpoint
        self.events: list[Event] = []
        self.log: list[Datagram] = []
        self.socks: dict[int, trio.socket.SocketType] = {}
        self.nat_local: dict[str, int] = {}  # peer address -> our port its marked IKE reaches
        # called after each datagram is handled, before anything else runs (tests use it to act
        # at an exact point of an exchange)
        self.after_receive: Callable[[bytes], None] | None = None
        self._wake = trio.Event()

    async def bind(self) -> None:
        host = self.ep.local[0]
        for port in (self.ep.local[1], self.ep.nat_port):
            s = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            await s.bind((host, port))
            self.socks[port] = s

    def close(self) -> None:
        for s in self.socks.values():
            s.close()

    async def run(self, nursery: trio.Nursery) -> None:
        for port in self.socks:
            nursery.start_soon(self._reader, port)
        nursery.start_soon(self._timers)

    def kick(self) -> None:
        """Call after any API call on the endpoint (initiate, delete ...): flush and re-arm."""
        self._flush_sync()
        self._wake.set()

    def _flush_sync(self) -> None:
        now = trio.current_time()
        for data, dst in self.ep.datagrams_to_send():
            sport = self.ep.source_port(data)
            if data[:4] == MARKER:
                sport = self.nat_local.get(dst[0], sport)
            elif data != b"\xff" and 500 not in (sport, dst[1]):
                data = MARKER + data
            self.log.append(Datagram(now, self.ep.local[0], sport, dst[0], dst[1], data))
            self._send(sport, data, dst)
        while (ev := self.ep.next_event()) is not None:
            self.events.append(ev)

    def _send(self, sport: int, data: bytes, dst: tuple[str, int]) -> None:
        sock = self.socks[sport]
        try:
            sock._sock.sendto(data, dst)  # non-blocking UDP send, never waits
        except OSError:
            pass

    async def _reader(self, port: int) -> None:
        sock = self.socks[port]
        while True:
            data, src = await sock.recvfrom(65535)
            now = trio.current_time()
            self.log.append(Datagram(now, src[0], src[1], self.ep.local[0], port, data))
            if data[:4] == MARKER:
                self.nat_local[src[0]] = port
            self.ep.receive(data, (src[0], src[1]), now, local_port=port)
            if self.after_receive is not None:
                self.after_receive(data)
            self.kick()

    async def _timers(self) -> None:
        while True:
            t = self.ep.get_timer()
            self._wake = trio.Event()
            if t is None:
                await self._wake.wait()
                continue
            with trio.move_on_at(t):
                await self._wake.wait()
            if trio.current_time() >= t:
                self.ep.handle_timer(trio.current_time())
                self._flush_sync()

    def of(self, cls: type) -> list:
        return [e for e in self.events if isinstance(e, cls)]

    async def wait_for(self, cls: type, timeout: float = 10.0, count: int = 1) -> list:
        with trio.fail_after(timeout):
            while len(self.of(cls)) < count:
                await trio.sleep(0.01)
        return self.of(cls)
