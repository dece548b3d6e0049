"""SSH server (asyncssh): password and public-key logins checked against the device's own
configuration, an interactive shell, the exec channel and the `netconf` subsystem.

Runs on the asyncio host; every piece of lab work is handed to trio (`Host.to_trio`). Output
from trio is written straight to the channel: both loops share one thread.

Terminal handling: a shell channel gets CRLF line ends when the client asked for a pty (as a
pty's ONLCR would give it) and bare LF without one. Automation (vt100, xterm, no pty) gets the
plain front-end; server/rich.py has the rule that gives a person's terminal the rich one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import asyncssh

from .rich import RichConnection, wants_rich
from .served import Connection, Target, authenticate, split_login
from .tcp import tune_ssh_connection

if TYPE_CHECKING:
    from .host import Host

log = logging.getLogger(__name__)

MAX_AUTH_TRIES = 3  # refused passwords before the connection is dropped (telnet's count too)


class _Server(asyncssh.SSHServer):
    def __init__(self, host: Host, netconf_only: bool, ui: str = "auto",
                 device: str | None = None) -> None:
        self.host = host
        self.device = device or host.default_device  # where a bare login name lands
        self.netconf_only = netconf_only
        self.ui = ui
        self.target: Target | None = None
        self.conn: asyncssh.SSHServerConnection | None = None
        self.failures = 0

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self._logged_in = tune_ssh_connection(conn)

    def auth_completed(self) -> None:
        self._logged_in()

    def begin_auth(self, username: str) -> bool:
        return True  # always authenticate: no anonymous shell

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.target = authenticate(self.host.app, username, password, self.device)
        if self.target is None:
            self._failed()
        return self.target is not None

    def _failed(self) -> None:
        """A refused password: after MAX_AUTH_TRIES the connection is dropped, as the telnet
        login gives three tries (a client must not guess on forever). Offered public keys do
        not count: clients try every key they hold before the password."""
        self.failures += 1
        if self.failures >= MAX_AUTH_TRIES and self.conn is not None:
            # at once: the client is not asked for another password
            self.conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                 "Too many authentication failures")

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        from ..platforms import registry

        target = split_login(self.host.app, username, self.device)
        if target is None:
            return False
        dev = self.host.app.devices[target.device]
        keys_of = getattr(registry.get(dev.platform), "authorized_keys", None)
        if keys_of is None:
            return False
        offered = key.export_public_key("openssh").decode().split()[:2]
        for text in keys_of(dev, target.user):
            if text.split()[:2] == offered:
                self.target = target
                return True
        return False

    def session_requested(self) -> asyncssh.SSHServerSession:
        return _Session(self)


class _Session(asyncssh.SSHServerSession):
    """One channel: shell, exec or the netconf subsystem."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.host = server.host
        self.chan: Any = None
        self.pty = False
        self.term = ""
        self.kind = ""
        self.command = ""
        self.conn: Any = None  # Connection or NetconfConnection

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: Any, term_modes: Any) -> bool:
        self.pty = True
        self.term = term_type or ""
        return not self.server.netconf_only

    def shell_requested(self) -> bool:
        if self.server.netconf_only:
            return False
        self.kind = "shell"
        return True

    def exec_requested(self, command: str) -> bool:
        if self.server.netconf_only:
            return False
        self.kind, self.command = "exec", command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        if subsystem != "netconf" or not self.host.netconf_capable(self.server.target):
            return False
        self.kind = "netconf"
        return True

    def session_started(self) -> None:
        target = self.server.target
        if target is None:  # cannot happen after auth, but never serve without a user
            self.chan.exit(1)
            return
        if self.kind == "netconf":
            from .netconf import NetconfConnection

            peer = self.chan.get_extra_info("peername") or ("",)
            self.conn = NetconfConnection(self.host, target, self._send, self._close,
                                          str(peer[0]))
            self.host.to_trio(self.conn.run)
            return
        peer = self.chan.get_extra_info("peername") or ("",)
        if self.kind == "shell" and wants_rich(pty=self.pty, term=self.term,
                                               env=dict(self.chan.get_environment()),
                                               listener_ui=self.server.ui):
            cols, rows = self.chan.get_terminal_size()[:2]
            self.conn = RichConnection(self.host, target, self._send, self._close,
                                       term=self.term, size=(cols or 80, rows or 24),
                                       origin=str(peer[0]))
            self.conn.start()
            return
        self.conn = Connection(self.host.app, self._send, self._close, client="ssh",
                               crlf=self.pty, origin=str(peer[0]))
        if self.kind == "exec":
            self.host.to_trio(self.conn.run_exec, target, self.command)
        else:
            self.host.to_trio(self.conn.run_shell, target)

    def _send(self, data: bytes) -> None:
        if not self.chan.is_closing():
            self.chan.write(data)

    def _close(self, status: int) -> None:
        if not self.chan.is_closing():
            self.chan.exit(status)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        if isinstance(self.conn, RichConnection):
            self.conn.resize(width, height)

    def data_received(self, data: bytes, datatype: Any) -> None:
        if isinstance(self.conn, RichConnection):
            self.conn.feed(data)  # prompt_toolkit lives on this (asyncio) side
        elif isinstance(self.conn, Connection):
            self.conn.feed_from_host(data, self.host.call_soon)
        elif self.conn is not None:
            self.host.call_soon(self.conn.feed, data)

    def eof_received(self) -> bool:
        if isinstance(self.conn, RichConnection):
            self.conn.lost()
        elif self.conn is not None:
            self.host.call_soon(self.conn.feed_eof)
        return True

    def break_received(self, msec: int) -> bool:
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if isinstance(self.conn, RichConnection):
            self.conn.lost()
        elif self.conn is not None:
            self.host.call_soon(self.conn.lost)


# Ciphers offered, in the server's order. chacha20-poly1305 is left out on purpose: asyncssh
# builds it from several cipher objects per packet (~14 µs against ~2.5 µs for AES-GCM or
# AES-CTR), and the client's first choice wins, so offering it makes every session pay.
# The routers modelled here never offered it either (AES-CTR/CBC era Junos and IOS).
CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr",
           "aes256-ctr", "aes128-cbc", "aes256-cbc")


async def listen_ssh(host: Host, address: str, port: int, *, netconf_only: bool = False,
                     ui: str = "auto", device: str | None = None) -> asyncssh.SSHAcceptor:
    return await asyncssh.create_server(
        lambda: _Server(host, netconf_only, ui, device), address, port,
        server_host_keys=[host.host_key()], encoding=None, encryption_algs=list(CIPHERS),
        # automation logs in with a password or a key; no agent, X11 or port forwarding
        agent_forwarding=False, x11_forwarding=False, allow_scp=False,
        keepalive_interval=0, login_timeout=host.login_timeout, line_editor=False,
    )
