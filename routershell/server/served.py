"""The trio side of a served connection: login, the plain shell loop, the exec channel.

A transport (ssh.py, telnet.py) hands each connection's bytes to `Connection.feed` inside
trio and gives it `send(bytes)` and `close(status)` callables; everything else is here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import trio

from ..shell.plain import PlainShell
from .terminal import LineReader, to_wire

log = logging.getLogger(__name__)


@dataclass
class Target:
    """Who logs in where: the device's name and the session's user."""

    device: str
    user: str


def split_login(app: object, login: str, default: str | None = None) -> Target | None:
    """`NAME@DEVICE` logs in to DEVICE as NAME; a bare NAME to `default` (the listener's
    device), else the lab's first device. None when DEVICE is not in the lab."""
    user, sep, device = login.rpartition("@")
    if not sep:
        return Target(default or app.spec.devices[0].name, login)  # type: ignore[attr-defined]
    if device not in app.devices or not user:  # type: ignore[attr-defined]
        return None
    return Target(device, user)


def authenticate(app: object, login: str, password: str | None,
                 default: str | None = None) -> Target | None:
    """The target if the device's own configuration lets the user in with this password."""
    from ..platforms import registry

    target = split_login(app, login, default)
    if target is None:
        return None
    dev = app.devices[target.device]  # type: ignore[attr-defined]
    try:
        ok = registry.get(dev.platform).authenticate(dev, target.user, password)
    except Exception:  # a platform bug must refuse, never let someone in
        log.exception("authenticate failed for %r", login)
        ok = False
    return target if ok else None


def open_session(app: object, target: Target, client: str, origin: str = "",
                 on_logout: Callable[[], None] | None = None):
    """A CLI session on the target device as the logged-in user."""
    from ..platforms import registry

    dev = app.devices[target.device]  # type: ignore[attr-defined]
    session = registry.get(dev.platform).new_session(dev, target.user, client)
    session.lab = app.control  # type: ignore[attr-defined]
    session.origin = origin
    session.on_logout = on_logout
    return session


class ServedShell(PlainShell):
    """PlainShell whose `lab attach` keeps the served user and client."""

    def __init__(self, app: object, session: object, reader: LineReader,
                 write: Callable[[str], None], client: str) -> None:
        super().__init__(app, session, reader, write, echo=False, interactive=False,
                         final_prompt=True)
        self.client = client

    async def read_command(self) -> str | None:
        """At the prompt `?` asks for help at once, as on the device: the reader hands over
        the line so far plus `?`, keeps it, and types it again after the next prompt."""
        return await self.source.next_line(help_key=True)  # type: ignore[call-arg]

    def switch_if_asked(self) -> None:
        target = getattr(self.session, "switch_to", None)
        if target is None:
            return
        old = self.session
        self.session = open_session(self.app, Target(target, old.user), self.client,  # type: ignore[attr-defined]
                                    old.origin, old.on_logout)  # type: ignore[attr-defined]
        old.close()  # type: ignore[attr-defined]
        self.session.set_notifier(self.notify)  # type: ignore[attr-defined]


class Connection:
    """One connection: feed() bytes in, the shell or exec runs in `run_*`."""

    def __init__(self, app: object, send: Callable[[bytes], None],
                 close: Callable[[int], None], *, client: str, crlf: bool,
                 origin: str = "", default: str | None = None) -> None:
        self.app = app
        self._send = send
        self._close = close
        self.client = client
        self.origin = origin
        self.default = default  # the listener's device for a bare login name
        self.crlf = crlf
        self.reader = LineReader(self._send_bytes, crlf=crlf)
        self.session = None
        self.shell: ServedShell | None = None
        self.scope = trio.CancelScope()
        self.closed = False
        self._out = bytearray()
        self._flush_scheduled = False
        # transports build connections on the asyncio host, which shares the lab's thread
        self._loop = asyncio.get_running_loop()

    def _send_bytes(self, data: bytes) -> None:
        """Queue output; one flush per turn of the host loop sends everything a trio tick
        wrote (echo, output, prompt) as one packet instead of one per write."""
        if self.closed or not data:
            return
        self._out += data
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        data, self._out = bytes(self._out), bytearray()
        if self.closed or not data:
            return
        try:
            self._send(data)
        except Exception:  # the peer went away under us: the session ends
            log.debug("send failed", exc_info=True)
            self.lost()

    def write(self, text: str) -> None:
        self._send_bytes(to_wire(text, self.crlf))

    def feed(self, data: bytes) -> None:
        self.reader.feed(data)

    def feed_from_host(self, data: bytes, call_soon: Callable[..., None]) -> None:
        """Bytes from the transport, on the host loop: the line discipline takes them there
        when it can (echo at the prompt, type-ahead buffered) and trio is woken only for a
        finished line; `call_soon(fn, *args)` runs fn inside trio."""
        taken = self.reader.take_outside(data)
        if taken is None:
            call_soon(self.feed, data)
        elif taken:
            call_soon(self.reader.wake)

    def feed_eof(self) -> None:
        self.reader.feed_eof()

    def lost(self) -> None:
        """The transport is gone: stop whatever runs and close the session (locks released)."""
        self.closed = True
        self.reader.feed_eof()
        self.scope.cancel()

    def _logged_out(self) -> None:
        """`request system logout` from another session: stop the shell, hang up."""
        self.scope.cancel()
        self.finish(0)

    def finish(self, status: int = 0) -> None:
        if self.session is not None:
            self.session.close()
        if not self.closed:
            self._flush()  # what the session printed last goes out before the close
            self.closed = True
            try:
                self._close(status)
            except Exception:
                log.debug("close failed", exc_info=True)

    async def login(self, prompts: Callable[[str | None], tuple[str, str]], tries: int = 3
                    ) -> Target | None:
        """Telnet-style login: the platform's `login:`/`Password:` prompts, three tries."""
        failures = 0
        while failures < tries:  # an empty login name asks again without counting
            self.write(prompts(None)[0])
            name = await self.reader.next_line()
            if name is None:
                return None
            name = name.strip()
            if not name:
                continue
            self.write(prompts(name)[1])
            self.reader.echo = False
            try:
                password = await self.reader.next_line()
            finally:
                self.reader.echo = True
            self.write("\n")
            if password is None:
                return None
            target = authenticate(self.app, name, password, self.default)
            if target is not None:
                return target
            await trio.sleep(0)  # a failed try yields to everyone else
            failures += 1
            self.write("Login incorrect\n")
        return None

    async def run_shell(self, target: Target) -> None:
        try:
            with self.scope:
                self.session = open_session(self.app, target, self.client, self.origin,
                                            self._logged_out)
                self.shell = ServedShell(self.app, self.session, self.reader, self.write,
                                         self.client)
                self.reader.on_interrupt = self.shell.interrupt
                await self.shell.run()
        except Exception:
            log.exception("served session failed")
        finally:
            if self.shell is not None and self.shell.session is not self.session:
                self.session = self.shell.session  # after `lab attach`
            self.finish(0)

    async def run_exec(self, target: Target, command: str) -> None:
        """One command, its output only; exit status 1 when the device printed an error."""
        status = 0
        try:
            with self.scope:
                self.session = open_session(self.app, target, self.client, self.origin)
                io = _ExecIO(self.write)
                await self.app.run(self.session, command, io)  # type: ignore[attr-defined]
                status = 1 if getattr(self.session, "failed", False) else 0
        except Exception:
            log.exception("exec failed: %r", command)
            status = 1
        finally:
            self.finish(status)


class _ExecIO:
    """SessionIO for an exec channel: output only, no questions answered (a question gets the
    default answer, as a non-interactive Junos session does)."""

    echo = False
    interactive = False

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    def write(self, text: str) -> None:
        self._write(text)

    async def read_line(self, prompt: str = "") -> str | None:
        if prompt:
            self._write(prompt + "\n")
        return None

    async def read_key(self, prompt: str = "") -> str:
        return "q"
