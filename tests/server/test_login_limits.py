"""An unattended login is dropped: telnet after the login timeout (with the device's farewell)
or three wrong passwords, SSH after its login grace time. The timeout is a setting of the
server (tests pass a small one); the tests wait for the close, never for a length of time."""

from __future__ import annotations

import socket

import pytest

from routershell.app import App
from routershell.server.host import LOGIN_TIMEOUT, ServerThread

from .conftest import PASSWORD, USER
from .test_robustness import _recv_until


@pytest.fixture(scope="module")
def hasty():
    """A server whose logins time out after a fifth of a second."""
    with ServerThread(App(clock_mode="virtual"), ["ssh:0", "telnet:0"], login_timeout=0.2) as srv:
        yield srv


def _until_closed(s: socket.socket, limit: float = 20.0) -> bytes:
    """Everything the server sends until it closes the connection (fails if it never does)."""
    s.settimeout(limit)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def test_the_default_is_a_minute():
    assert LOGIN_TIMEOUT == 60.0


def test_telnet_drops_a_login_nobody_finishes(hasty):
    with socket.create_connection(("127.0.0.1", hasty.port("telnet")), timeout=20) as s:
        assert b"login: " in _recv_until(s, b"login: ")
        out = _until_closed(s)
    assert out.endswith(b"\r\nLogin timed out after 0.2 seconds\r\n"), out


def test_telnet_drops_a_half_typed_password(hasty):
    with socket.create_connection(("127.0.0.1", hasty.port("telnet")), timeout=20) as s:
        _recv_until(s, b"login: ")
        s.sendall(USER.encode() + b"\r\n")
        _recv_until(s, b"Password:")
        s.sendall(PASSWORD[:3].encode())  # and nothing more
        assert b"Login timed out" in _until_closed(s)


def test_telnet_hangs_up_after_three_wrong_passwords(server):
    with socket.create_connection(("127.0.0.1", server.port("telnet")), timeout=20) as s:
        for _ in range(3):
            _recv_until(s, b"login: ")
            s.sendall(USER.encode() + b"\r\n")
            _recv_until(s, b"Password:")
            s.sendall(b"wrong\r\n")
        out = _until_closed(s)
    assert out.count(b"Login incorrect") == 1 and b"login: " not in out


def test_ssh_drops_a_connection_that_never_authenticates(hasty):
    with socket.create_connection(("127.0.0.1", hasty.port("ssh")), timeout=20) as s:
        assert _recv_until(s, b"\r\n").startswith(b"SSH-2.0-")
        _until_closed(s)  # no version string, no authentication: closed by the grace timer



def test_ssh_drops_a_client_after_three_wrong_passwords(server):
    import asyncio

    import asyncssh

    tried: list[str] = []

    class Guesser(asyncssh.SSHClient):
        def password_auth_requested(self) -> str:
            tried.append("guess")
            return f"guess{len(tried)}"

    async def go() -> None:
        async with asyncssh.connect("127.0.0.1", server.port("ssh"), username=USER,
                                    known_hosts=None, client_keys=None,
                                    client_factory=Guesser, preferred_auth="password"):
            pass

    with pytest.raises((asyncssh.DisconnectError, asyncssh.ConnectionLost)):
        asyncio.run(go())
    assert len(tried) == 3


def test_the_farewell_is_the_named_devices():
    """`user@device` at the login prompt chooses the device: a timeout after that speaks as that
    device (StarOS has no farewell line), not as the listener's default (Junos)."""
    from routershell.main import _existing_file

    app = App(clock_mode="virtual", lab=_existing_file("multivendor"))
    with ServerThread(app, ["telnet:0"], login_timeout=0.2) as srv:
        with socket.create_connection(("127.0.0.1", srv.port("telnet")), timeout=20) as s:
            _recv_until(s, b"login: ")
            s.sendall(b"admin@asr5k\r\n")
            _recv_until(s, b"assword: ")
            s.sendall(b"sta")  # and nothing more
            out = _until_closed(s)
    assert b"Login timed out" not in out, out
