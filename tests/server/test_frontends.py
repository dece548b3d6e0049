"""Which front-end a served shell gets: automation plain, a person's colour terminal rich."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from routershell.app import App
from routershell.server.host import ListenError, ServerThread, parse_listen
from routershell.server.rich import wants_rich

from .conftest import PASSWORD, USER


@pytest.mark.parametrize("term,env,ui,rich", [
    ("vt100", {}, "auto", False),  # netmiko / paramiko
    ("xterm", {}, "auto", False),  # scrapli system transport, libssh2
    ("", {}, "auto", False),  # asyncssh without a term type
    ("dumb", {"ROUTERSHELL_UI": "rich"}, "auto", False),
    ("xterm-256color", {}, "auto", True),  # a terminal emulator
    ("xterm-256color", {"ROUTERSHELL_UI": "plain"}, "auto", False),
    ("xterm", {"ROUTERSHELL_UI": "rich"}, "auto", True),
    ("xterm-256color", {}, "plain", False),
    ("vt100", {}, "rich", True),
])
def test_the_rule(term, env, ui, rich):
    assert wants_rich(pty=True, term=term, env=env, listener_ui=ui) is rich
    assert wants_rich(pty=False, term=term, env=env, listener_ui=ui) is False


def test_listen_front_end_suffix():
    assert parse_listen("ssh:0/plain").ui == "plain"
    with pytest.raises(ListenError):
        parse_listen("telnet:0/rich")


async def _session(port: int, term: str, env: dict | None = None) -> bytes:
    async with asyncssh.connect("127.0.0.1", port, username=USER, password=PASSWORD,
                                known_hosts=None, client_keys=None) as c:
        p = await c.create_process(term_type=term, term_size=(100, 30), encoding=None,
                                   env=env or {})
        out = b""
        while b"user@r1>" not in out:  # the rich prompt draws its trailing blank as a move
            out += await asyncio.wait_for(p.stdout.read(65536), 10)
        p.stdin.write(b"show version\r")
        while b"Routing Software Suite" not in out:
            out += await asyncio.wait_for(p.stdout.read(65536), 10)
        p.stdin.write(b"exit\r")
        while True:
            chunk = await asyncio.wait_for(p.stdout.read(65536), 10)
            if not chunk:
                return out
            out += chunk


def test_a_colour_terminal_gets_the_rich_front_end(server):
    out = asyncio.run(_session(server.port("ssh"), "xterm-256color"))
    assert b"\x1b[" in out and b"Hostname: r1\r\n" in out
    assert b"lab time" in out  # the bottom toolbar


def test_asking_for_plain_on_a_colour_terminal(server):
    out = asyncio.run(_session(server.port("ssh"), "xterm-256color", {"ROUTERSHELL_UI": "plain"}))
    assert b"\x1b" not in out and out.startswith(b"user@r1> show version\r\nHostname: r1\r\n")


def test_a_plain_listener():
    with ServerThread(App(clock_mode="virtual"), ["ssh:0/plain"]) as srv:
        out = asyncio.run(_session(srv.port("ssh"), "xterm-256color"))
    assert b"\x1b" not in out


@pytest.mark.parametrize("term", ["vt100", "xterm-256color"])
def test_ctrl_c_stops_a_running_command(server, term):
    async def go():
        async with asyncssh.connect("127.0.0.1", server.port("ssh"), username=USER,
                                    password=PASSWORD, known_hosts=None, client_keys=None) as c:
            p = await c.create_process(term_type=term, term_size=(100, 30), encoding=None)
            out = b""
            while b"user@r1>" not in out:
                out += await asyncio.wait_for(p.stdout.read(65536), 10)
            p.stdin.write(b"ping 192.0.2.254 count 2000000000\r")  # runs until interrupted
            while out.count(b"icmp_seq") < 3:
                out += await asyncio.wait_for(p.stdout.read(65536), 10)
            p.stdin.write(b"\x03")
            mark = len(out)
            while b"user@r1>" not in out[mark:]:
                out += await asyncio.wait_for(p.stdout.read(65536), 10)
            p.stdin.write(b"show version\r")
            while b"Hostname: r1" not in out[mark:]:
                out += await asyncio.wait_for(p.stdout.read(65536), 10)
            return out

    out = asyncio.run(go())
    assert b"Hostname: r1" in out


async def _plain_long_output(port: int) -> bytes:
    async with asyncssh.connect("127.0.0.1", port, username=USER, password=PASSWORD,
                                known_hosts=None, client_keys=None) as c:
        p = await c.create_process(term_type="vt100", term_size=(80, 24), encoding=None)
        out = b""
        while not out.endswith(b"user@r1> "):
            out += await asyncio.wait_for(p.stdout.read(65536), 10)
        out = b""
        p.stdin.write(b"show interfaces\r")
        while not out.endswith(b"user@r1> "):  # a pager would stop short of the prompt
            out += await asyncio.wait_for(p.stdout.read(65536), 10)
        p.stdin.write(b"exit\r")
        return out


def test_the_plain_front_end_never_pages(server):
    # automation may not send `set cli screen-length 0` first (README: the plain front-end
    # has no pager), so a 24-row pty still gets the whole output before the next prompt
    out = asyncio.run(_plain_long_output(server.port("ssh")))
    assert out.count(b"\r\n") > 24 and b"---(more" not in out
    assert b"Physical interface: sp-1/2/0" in out


async def _typing(port: int, steps: list[tuple[bytes, bytes]]) -> bytes:
    """Type each chunk once the output so far ends with its marker; everything received."""
    import asyncio

    import asyncssh

    async with asyncssh.connect("127.0.0.1", port, username=USER, password=PASSWORD,
                                known_hosts=None, client_keys=None) as c:
        p = await c.create_process(term_type="vt100", encoding=None)
        out = b""
        for wait_for, data in steps:
            while not out.endswith(wait_for):
                out += await asyncio.wait_for(p.stdout.read(65536), 10)
            p.stdin.write(data)
        return out


def test_question_mark_answers_at_once_and_retypes_the_line(server):
    """Junos: `?` needs no Enter; the help follows, then the prompt with the line so far,
    and typing goes on from there."""
    import asyncio

    out = asyncio.run(_typing(server.port("ssh"), [
        (b"user@r1> ", b"show ver?"),
        (b"user@r1> show ver", b"sion | match \"Hostname ?\"\r"),
        (b"user@r1> ", b"exit\r"),
    ]))
    assert out == (b"user@r1> show ver?\r\n"
                   b"Possible completions:\r\n"
                   b"  version              Show software process revision levels\r\n"
                   b"user@r1> show version | match \"Hostname ?\"\r\n"  # in quotes: a character
                   b"Hostname: r1\r\n"
                   b"user@r1> "), out


def test_question_mark_typed_ahead_with_enter_runs_the_retyped_line(server):
    """A script that sends `show ?` and Enter at once gets what the device does: the help,
    the line retyped, and Enter then runs `show` (incomplete)."""
    import asyncio

    out = asyncio.run(_typing(server.port("ssh"), [
        (b"user@r1> ", b"show ?\r"),
        (b"\r\nuser@r1> ", b"exit\r"),
    ]))
    text = out.decode()
    assert text.startswith("user@r1> show ?\r\nPossible completions:\r\n"), text
    help_end = text.index("\r\nuser@r1> show \r\n")
    assert "syntax error" in text[help_end:] and text.endswith("\r\nuser@r1> ")
