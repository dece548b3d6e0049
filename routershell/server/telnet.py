"""Telnet server: the platform's own `login:`/`Password:` prompts, then the plain shell.

The server offers WILL ECHO and WILL SUPPRESS-GO-AHEAD (it echoes, character at a time, as a
router does) and refuses every other option once; option negotiation and subnegotiation bytes
never reach the CLI, IAC IAC is a literal 0xFF and IAC IP interrupts like Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .served import Connection, split_login
from .tcp import quick_ack

if TYPE_CHECKING:
    from .host import Host

log = logging.getLogger(__name__)

IAC, DONT, DO, WONT, WILL, SB, SE, IP = 255, 254, 253, 252, 251, 250, 240, 244
ECHO, SGA = 1, 3
OFFERED = (ECHO, SGA)


class TelnetFilter:
    """Strips telnet commands from the byte stream; collects the replies to send."""

    def __init__(self) -> None:
        self._state = 0
        self._cmd = 0
        self._answered: set[tuple[int, int]] = set()

    def greeting(self) -> bytes:
        return bytes([IAC, WILL, ECHO, IAC, WILL, SGA])

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        """(data for the CLI, replies for the client)."""
        out = bytearray()
        reply = bytearray()
        for b in data:
            st = self._state
            if st == 0:
                if b == IAC:
                    self._state = 1
                else:
                    out.append(b)
            elif st == 1:  # after IAC
                if b == IAC:
                    out.append(IAC)
                    self._state = 0
                elif b in (WILL, WONT, DO, DONT):
                    self._cmd, self._state = b, 2
                elif b == SB:
                    self._state = 3
                else:
                    if b == IP:
                        out.append(0x03)
                    self._state = 0
            elif st == 2:  # option byte
                reply += self._negotiate(self._cmd, b)
                self._state = 0
            elif st == 3:  # inside a subnegotiation
                if b == IAC:
                    self._state = 4
            else:  # IAC inside a subnegotiation
                self._state = 0 if b == SE else 3
        return bytes(out), bytes(reply)

    def _negotiate(self, cmd: int, opt: int) -> bytes:
        if (cmd, opt) in self._answered:
            return b""
        self._answered.add((cmd, opt))
        if cmd == DO and opt not in OFFERED:
            return bytes([IAC, WONT, opt])
        if cmd == WILL:
            return bytes([IAC, DONT, opt])
        return b""


class _TelnetProtocol(asyncio.Protocol):
    def __init__(self, host: Host, device: str | None) -> None:
        self.host = host
        self.device = device or host.default_device
        self.filter = TelnetFilter()
        self.transport: asyncio.Transport | None = None
        self.conn: Connection | None = None
        self._login_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.filter.greeting())  # type: ignore[attr-defined]
        peer = transport.get_extra_info("peername") or ("",)
        self.conn = Connection(self.host.app, self._send, self._close, client="telnet", crlf=True,
                               origin=str(peer[0]), default=self.device)
        self._chosen: str | None = None  # the device a typed `user@device` named
        self._login_timer = asyncio.get_running_loop().call_later(
            self.host.login_timeout, self._login_timed_out)
        self.host.to_trio(self._run)

    async def _run(self) -> None:
        assert self.conn is not None
        target = await self.conn.login(self._prompts)
        self._stop_login_timer()
        if target is None:
            self.conn.finish(1)
            return
        await self.conn.run_shell(target)

    def _stop_login_timer(self) -> None:
        if self._login_timer is not None:
            self._login_timer.cancel()
            self._login_timer = None

    def _login_timed_out(self) -> None:
        """Nobody logged in in time: the platform's farewell (if it has one), then hang up.
        The login dialogue in trio then reads end of input and stops."""
        from ..platforms import registry

        self._login_timer = None
        if self.conn is None or self.conn.closed:
            return
        dev = self.host.app.devices[self._chosen or self.device]  # the device the login named
        farewell = getattr(registry.get(dev.platform), "login_timed_out", None)
        if farewell is not None:
            self.conn.write(farewell(dev, self.host.login_timeout))
        self.conn.finish(1)
        self.host.call_soon(self.conn.lost)

    def _prompts(self, login: str | None) -> tuple[str, str]:
        from ..platforms import registry

        app = self.host.app
        target = split_login(app, login, self.device) if login else None
        if target is not None:
            self._chosen = target.device
        dev = app.devices[target.device if target is not None else self.device]
        return registry.get(dev.platform).login_prompts(dev)

    def _send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data.replace(b"\xff", b"\xff\xff"))

    def _close(self, status: int) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.transport is not None and self._login_timer is not None:
            # until the login is done (server/tcp.py: why)
            quick_ack(self.transport.get_extra_info("socket"))
        clean, reply = self.filter.feed(data)
        if reply and self.transport is not None:
            self.transport.write(reply)
        if clean and self.conn is not None:
            self.conn.feed_from_host(clean, self.host.call_soon)

    def eof_received(self) -> bool:
        if self.conn is not None:
            self.host.call_soon(self.conn.feed_eof)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_login_timer()
        if self.conn is not None:
            self.host.call_soon(self.conn.lost)


async def listen_telnet(host: Host, address: str, port: int, device: str | None = None
                        ) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _TelnetProtocol(host, device), address, port,
                                    backlog=512)
