"""The `netconf` SSH subsystem: NETCONF 1.0 framing (messages end with `]]>]]>`), the
platform's hello first, then one reply per RPC in order. The dialect (capabilities, RPCs)
is the platform's `netconf_handler`; this module only frames and sequences.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import trio

log = logging.getLogger(__name__)

EOM = b"]]>]]>"
MAX_MESSAGE = 16 * 1024 * 1024  # a client that never ends its message is cut off here
_ids = itertools.count(1)


class NetconfConnection:
    def __init__(self, host: Any, target: Any, send: Callable[[bytes], None],
                 close: Callable[[int], None], origin: str = "") -> None:
        self.host = host
        self.origin = origin
        self.target = target
        self._send = send
        self._close = close
        self._buf = bytearray()
        self._eof = False
        self._changed = trio.Event()
        self.scope = trio.CancelScope()
        self.closed = False

    def feed(self, data: bytes) -> None:
        self._buf += data
        self._wake()

    def feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def lost(self) -> None:
        self.closed = True
        self._eof = True
        self.scope.cancel()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def _message(self) -> str | None:
        while True:
            i = self._buf.find(EOM)
            if i >= 0:
                raw = bytes(self._buf[:i])
                del self._buf[:i + len(EOM)]
                return raw.decode("utf-8", "replace")
            if self._eof or len(self._buf) > MAX_MESSAGE:
                return None
            await self._changed.wait()

    def _write(self, text: str) -> None:
        if not self.closed:
            self._send(text.encode() + EOM + b"\n")

    async def run(self) -> None:
        from ..platforms import registry

        app = self.host.app
        dev = app.devices[self.target.device]
        from .served import open_session

        # `request system logout` from another session ends this one (its lock goes with it)
        session = open_session(app, self.target, "netconf", self.origin, self.scope.cancel)
        handler = registry.get(dev.platform).netconf_handler(dev, session, app.run)
        try:
            with self.scope:
                self._write(handler.hello(next(_ids)))
                hello = await self._message()  # the client's hello: its capabilities
                if hello is None:
                    return
                while True:
                    msg = await self._message()
                    if msg is None or not msg.strip():
                        if msg is None:
                            return
                        continue
                    try:
                        reply, done = await handler.rpc(msg.strip())
                    except Exception:  # a handler bug ends this session, never the server
                        log.exception("netconf rpc failed")
                        return
                    self._write(reply)
                    if done:
                        return
        finally:
            handler.close()
            if not self.closed:
                self.closed = True
                try:
                    self._close(0)
                except Exception:
                    log.debug("close failed", exc_info=True)
