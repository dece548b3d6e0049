"""TCP-level behaviour of served connections: acknowledge at once, send what a turn wrote as one.

Quick ACKs: many clients write small messages back to back without TCP_NODELAY (paramiko,
hence netmiko, sends NEWKEYS and the next request that way). Nagle's algorithm holds the second
write until the first is acknowledged, and Linux delays that ACK up to 40 ms when the server has
nothing to send yet: paramiko's login took ~90 ms, two such stalls. TCP_QUICKACK after each read
(it does not stick) acknowledges at once: the same login takes ~5 ms. Only until the login
is done: later every read would send a pure ACK instead of riding on the reply, which costs
both sides CPU (0.5 -> 0.7 ms a command) and no client stalls there (commands go in one write).

One send per turn: asyncssh writes every packet on its own and puts an SSH_MSG_IGNORE packet
before each, so a command's echo and output cost twice as many send() calls as packets.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


def quick_ack(sock: socket.socket | None) -> None:
    """Acknowledge what was just read without the delayed-ACK wait (where the OS has it)."""
    if _QUICKACK is None or sock is None:
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
    except OSError:
        pass  # not a TCP socket, or already closed


class AckingProtocol:
    """Stands in for a protocol (asyncssh's connection) and quick-acks each read first."""

    def __init__(self, protocol: Any, sock: socket.socket | None) -> None:
        self._protocol = protocol
        self._sock = sock

    def data_received(self, data: bytes) -> None:
        quick_ack(self._sock)
        self._protocol.data_received(data)

    def stop(self) -> None:
        """Logged in: ACKs may ride on the replies again."""
        self._sock = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._protocol, name)


class CoalescingTransport:
    """Writes gathered until the loop turns, then sent as one."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._pending: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _nothing() -> None:
    pass


def tune_ssh_connection(conn: Any) -> Callable[[], None]:
    """Both of the above for an asyncssh connection, from its owner's connection_made; returns
    what to call once the login is done (quick ACKs off). asyncssh keeps the transport in
    `_transport`; a later asyncssh without it is left alone."""
    transport = getattr(conn, "_transport", None)
    if transport is None or isinstance(transport, CoalescingTransport):
        return _nothing
    conn._transport = CoalescingTransport(transport)
    if transport.get_protocol() is not conn:
        return _nothing
    acking = AckingProtocol(conn, transport.get_extra_info("socket"))
    transport.set_protocol(acking)
    return acking.stop
