"""Hostile input and load never take the server or other sessions down."""

from __future__ import annotations

import socket
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routershell.server.telnet import IAC, TelnetFilter

from .conftest import PASSWORD, USER


def _recv_until(sock: socket.socket, marker: bytes, limit: float = 10.0) -> bytes:
    sock.settimeout(limit)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _telnet_login(port: int, user: str = USER) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    _recv_until(s, b"login: ")
    s.sendall(user.encode() + b"\r")  # a bare CR, as netmiko sends it
    _recv_until(s, b"Password:")
    s.sendall(PASSWORD.encode() + b"\r\n")
    _recv_until(s, b"@r1> ")
    return s


def _still_serves(server) -> None:
    s = _telnet_login(server.port("telnet"))
    try:
        s.sendall(b"show version\r\n")
        out = _recv_until(s, b"Hostname: r1")
        assert b"Hostname: r1" in out
    finally:
        s.close()


def test_bare_cr_never_waits_for_the_next_byte(server):
    s = _telnet_login(server.port("telnet"))
    try:
        s.sendall(b"show system users\r")
        out = _recv_until(s, b"@r1> ")
        assert b"show system users\r\n" in out and b"USER" in out
        s.sendall(b"\n")  # the LF that belonged to the CR is dropped, not an empty command
        s.sendall(b"show version\r\x00")  # telnet's CR NUL
        out = _recv_until(s, b"Hostname: r1")
        assert out.startswith(b"show version\r\n"), out
    finally:
        s.close()


def test_wrong_telnet_password_is_refused(server):
    s = socket.create_connection(("127.0.0.1", server.port("telnet")), timeout=10)
    try:
        _recv_until(s, b"login: ")
        s.sendall(USER.encode() + b"\r\n")
        _recv_until(s, b"Password:")
        s.sendall(b"wrong\r\n")
        out = _recv_until(s, b"login: ")
        assert b"Login incorrect" in out and b"wrong" not in out  # the password is not echoed
    finally:
        s.close()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(junk=st.binary(min_size=1, max_size=300))
def test_random_bytes_over_telnet_after_login(server, junk):
    s = _telnet_login(server.port("telnet"))
    try:
        s.sendall(junk + b"\r\n\xff\xf4")  # then IAC IP: interrupt whatever runs
        time.sleep(0)
    finally:
        s.close()
    _still_serves(server)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(junk=st.binary(min_size=1, max_size=500), proto=st.sampled_from(["telnet", "ssh"]))
def test_random_bytes_as_raw_tcp(server, junk, proto):
    s = socket.create_connection(("127.0.0.1", server.port(proto)), timeout=10)
    try:
        s.sendall(junk)
    except OSError:
        pass  # the server may hang up on garbage: that is fine
    finally:
        s.close()
    _still_serves(server)


@given(data=st.binary(max_size=200))
def test_telnet_filter_never_passes_negotiation(data):
    clean, reply = TelnetFilter().feed(bytes([IAC, 251, 31]) + data)  # IAC WILL NAWS first
    assert reply.startswith(bytes([IAC, 254, 31]))  # refused once: DONT NAWS


def test_broken_utf8_gets_the_syntax_error(server):
    s = _telnet_login(server.port("telnet"))
    try:
        s.sendall(b"show \xc3\x28version\r\n")
        out = _recv_until(s, b"@r1> ")
        assert b"^" in out and (b"syntax error" in out or b"unknown command" in out)
    finally:
        s.close()


def test_200_idle_connections_do_not_stop_new_logins(server):
    idle = []
    try:
        for i in range(200):
            proto = "telnet" if i % 2 else "ssh"
            idle.append(socket.create_connection(("127.0.0.1", server.port(proto)), timeout=10))
        _still_serves(server)
    finally:
        for s in idle:
            s.close()


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(junk=st.binary(min_size=1, max_size=300), term=st.sampled_from(["vt100", "xterm-256color"]))
def test_random_bytes_in_an_ssh_shell(server, junk, term):
    import asyncio

    import asyncssh

    async def go():
        async with asyncssh.connect("127.0.0.1", server.port("ssh"), username=USER,
                                    password=PASSWORD, known_hosts=None, client_keys=None) as c:
            p = await c.create_process(term_type=term, encoding=None)
            p.stdin.write(junk + b"\r\x03\r")
            try:
                await asyncio.wait_for(p.stdout.read(65536), 2)
            except TimeoutError:
                pass

    asyncio.run(go())
    _still_serves(server)
