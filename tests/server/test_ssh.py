"""SSH: logins from the device's configuration, the plain shell's bytes, exec, disconnects."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

import asyncssh
import pytest

from routershell.app import App
from routershell.server.host import ServerThread

from .conftest import PASSWORD, USER


def _run(coro):
    return asyncio.run(coro)


async def _connect(port: int, user: str = USER, password: str | None = PASSWORD, **kw):
    return await asyncssh.connect("127.0.0.1", port, username=user, password=password,
                                  known_hosts=None, client_keys=None, **kw)


async def _shell(port: int, data: bytes, until: bytes, term: str = "vt100",
                 user: str = USER) -> bytes:
    """Send `data` at once (type-ahead) and read until the output ends with `until`."""
    async with await _connect(port, user) as conn:
        proc = await conn.create_process(term_type=term, encoding=None)
        proc.stdin.write(data)
        out = b""
        while not (until and out.endswith(until)):
            chunk = await asyncio.wait_for(proc.stdout.read(65536), 10)
            if not chunk:
                break
            out += chunk
        return out


def test_exec_prints_only_the_output_and_exits_0(server):
    async def go():
        async with await _connect(server.port("ssh")) as conn:
            ok = await conn.run("show version", check=False)
            bad = await conn.run("show nonsense", check=False)
            return ok, bad

    ok, bad = _run(go())
    assert ok.exit_status == 0
    assert ok.stdout.startswith(b"Hostname: r1\n") if isinstance(ok.stdout, bytes) \
        else ok.stdout.startswith("Hostname: r1\n")
    assert "user@r1>" not in ok.stdout and "\r" not in ok.stdout  # no prompt, no echo, no pty
    assert bad.exit_status == 1 and "unknown command." in bad.stdout


def test_wrong_password_and_unknown_user_are_refused(server):
    for user, password in ((USER, "wrong"), ("nobody", PASSWORD), (f"{USER}@nodevice", PASSWORD),
                           (USER, "")):
        with pytest.raises(asyncssh.PermissionDenied):
            _run(_connect(server.port("ssh"), user, password))


def test_type_ahead_puts_every_prompt_on_its_own_line(server):
    # netmiko's first Enter often arrives before the first prompt is written
    out = _run(_shell(server.port("ssh"), b"\n\nshow system users\r\nexit\n", b""))
    text = out.decode()
    assert text.startswith("user@r1> \r\nuser@r1> \r\nuser@r1> show system users\r\n")
    assert "\x1b" not in text  # vt100 asked, plain given: no escape codes
    assert "user@r1> user@r1>" not in text


def test_xterm_gets_the_plain_front_end_too(server):
    out = _run(_shell(server.port("ssh"), b"show version\nexit\n", b"", term="xterm"))
    assert b"\x1b" not in out and b"user@r1> show version\r\nHostname: r1\r\n" in out


def test_login_name_is_the_session_user(server):
    server.run(_add_user, server.host.app, "alice")
    out = _run(_shell(server.port("ssh"), b"show system users\nexit\n", b"",
                      user="alice")).decode()
    assert out.startswith("alice@r1> show system users\r\n")
    assert re.search(r"^alice +p\d+ +127\.0\.0\.1 ", out, re.M), out


async def _add_user(app, name, extra=""):
    s = app.new_session("admin", "lab")
    io = _Sink()
    for line in ("configure", f"set system login user {name} class super-user",
                 f'set system login user {name} authentication encrypted-password '
                 f'"$9$wEs4ZUDkmPQZG69pu1I"', *([extra] if extra else []), "commit and-quit"):
        await app.run(s, line, io)
    s.close()
    return io.text


class _Sink:
    echo = False
    interactive = False

    def __init__(self):
        self.text = ""

    def write(self, t):
        self.text += t

    async def read_line(self, prompt=""):
        return None

    async def read_key(self, prompt=""):
        return "q"


def test_public_key_login_from_the_configuration(server, tmp_path):
    key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    pub = key.export_public_key("openssh").decode().strip()
    server.run(_add_user, server.host.app, "keyuser",
               f'set system login user keyuser authentication ssh-rsa "{pub} keyuser@lab"')
    other = asyncssh.generate_private_key("ssh-rsa", key_size=2048)

    async def go(k):
        async with asyncssh.connect("127.0.0.1", server.port("ssh"), username="keyuser",
                                    client_keys=[k], known_hosts=None, password=None) as c:
            return (await c.run("show system users", check=False)).stdout

    assert re.search(r"^keyuser +p\d+ +127\.0\.0\.1 ", _run(go(key)), re.M)
    with pytest.raises(asyncssh.PermissionDenied):
        _run(go(other))


def test_device_by_login_name(multi_server):
    async def go():
        async with await _connect(multi_server.port("ssh"), f"{USER}@r2") as c:
            return (await c.run("show version", check=False)).stdout

    assert _run(go()).startswith("Hostname: r2\n")


def test_disconnect_in_configure_exclusive_leaves_no_lock_and_no_change(fresh_server):
    port = fresh_server.port("ssh")

    async def go():
        conn = await _connect(port)
        proc = await conn.create_process(term_type="vt100", encoding=None)
        proc.stdin.write(b"configure exclusive\nset system host-name half\n")
        out = b""
        while out.count(b"user@r1# ") < 2:
            out += await asyncio.wait_for(proc.stdout.read(65536), 10)
        conn.close()  # drop the connection mid-edit
        await conn.wait_closed()
        # a new session can lock at once, and the change never reached the device
        for _ in range(100):
            async with await _connect(port) as c2:
                r = await c2.run("configure exclusive", check=False)
                if "locked" not in r.stdout:
                    break
            await asyncio.sleep(0.05)  # the server notices the close asynchronously
        async with await _connect(port) as c3:
            shown = (await c3.run("show configuration system host-name", check=False)).stdout
        return r.stdout, shown

    locked_out, shown = _run(go())
    assert "locked" not in locked_out
    assert "half" not in shown and "host-name r1;" in shown
    store = fresh_server.host.app.devices["r1"].store
    assert store._lock is None


def test_host_key_kept_in_the_state_dir(tmp_path):
    keys = []
    for _ in range(2):
        app = App(clock_mode="virtual", state_dir=tmp_path)
        with ServerThread(app, ["ssh:0"]) as srv:
            async def go():
                async with await _connect(srv.port("ssh")) as c:
                    return c.get_server_host_key().export_public_key()
            keys.append(_run(go()))
    assert keys[0] == keys[1]
    assert (tmp_path / "ssh_host_ed25519_key").stat().st_mode & 0o077 == 0


def test_routershell_listen_serves_until_interrupted(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "routershell", "--listen", "ssh:0", "telnet:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        line = proc.stdout.readline()
        m = re.search(r"serving default on ssh 127\.0\.0\.1:(\d+)", line)
        assert m, line + proc.stderr.read()

        async def go():
            async with await _connect(int(m.group(1))) as c:
                return (await c.run("lab show", check=False)).stdout

        shown = _run(go())
        assert re.search(r"^Served .*USER@DEVICE.*r1\):\n  ssh 127\.0\.0\.1:\d+\n  telnet", shown,
                         re.M), shown
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0
    time.sleep(0)


def test_a_device_with_its_own_port(multi_server):
    async def go(port, login):
        async with await _connect(port, login) as c:
            return (await c.run("show version", check=False)).stdout

    assert _run(go(multi_server.port("ssh", "r2"), USER)).startswith("Hostname: r2\n")
    assert _run(go(multi_server.port("ssh", "r2"), f"{USER}@r1")).startswith("Hostname: r1\n")
    assert _run(go(multi_server.port("ssh"), USER)).startswith("Hostname: r1\n")

    async def shown():
        async with await _connect(multi_server.port("ssh"), USER) as c:
            return (await c.run("lab show", check=False)).stdout

    text = _run(shown())
    assert re.search(r"^  ssh 127\.0\.0\.1:\d+ -> r2$", text, re.M), text


def test_lab_file_listen_is_checked(tmp_path):
    from routershell.labs.labfile import LabError, load_lab

    (tmp_path / "bad.toml").write_text('[devices.r1]\nplatform = "junos"\nlisten = ["ftp:21"]\n')
    with pytest.raises(LabError) as e:
        load_lab(tmp_path / "bad.toml")
    assert "listen" in str(e.value)


def test_sessions_see_each_other_and_logout_ends_a_connection(fresh_server):
    port = fresh_server.port("ssh")
    fresh_server.run(_add_user, fresh_server.host.app, "bob")

    async def read_until(proc, marker: bytes, out: bytes = b"") -> bytes:
        while marker not in out:
            chunk = await asyncio.wait_for(proc.stdout.read(65536), 10)
            if not chunk:
                return out + b"<EOF>"
            out += chunk
        return out

    async def go():
        a = await _connect(port)
        pa = await a.create_process(term_type="vt100", encoding=None)
        pa.stdin.write(b"configure exclusive\nset snmp location held\n")
        await read_until(pa, b"held\r\n")
        b = await _connect(port, "bob")
        pb = await b.create_process(term_type="vt100", encoding=None)
        pb.stdin.write(b"configure\nexit configuration-mode\nyes\nshow system users\n")
        seen = await read_until(pb, b"WHAT")
        seen = await read_until(pb, b"bob@r1> ", seen)
        pa.stdin.write(b"run request system logout user bob\n")
        rest = await read_until(pb, b"<never>")
        a.close()
        return seen.decode(), rest

    seen, rest = _run(go())
    assert re.search(r"Users currently editing the configuration:\r\n  user ssh (p\d+) "
                     r"\(pid \d+\) on since .*\r\n +exclusive \[edit\]", seen), seen
    tty = re.search(r"  user ssh (p\d+)", seen).group(1)
    assert re.search(rf"^user +{tty} +127\.0\.0\.1 ", seen, re.M)  # the same terminal name
    assert re.search(r"^bob +p\d+ ", seen, re.M)
    assert rest.endswith(b"<EOF>")  # bob's connection was closed
    assert not [s for s in fresh_server.host.app.devices["r1"].sessions.values() if s.user == "bob"]


def test_disconnect_in_configure_private_drops_the_private_copy(fresh_server):
    port = fresh_server.port("ssh")

    async def go():
        conn = await _connect(port)
        proc = await conn.create_process(term_type="vt100", encoding=None)
        proc.stdin.write(b"configure private\nset system host-name priv\n")
        out = b""
        while out.count(b"user@r1# ") < 2:
            out += await asyncio.wait_for(proc.stdout.read(65536), 10)
        conn.close()
        await conn.wait_closed()

    _run(go())
    store = fresh_server.host.app.devices["r1"].store
    for _ in range(200):
        if not store.editors():
            break
        time.sleep(0.01)  # the server notices the close on its own thread
    assert not store.editors()
    assert store.active.get((("system", None), ("host-name", None))).value == "r1"


def test_lab_attach_keeps_the_served_user(multi_server):
    out = _run(_shell(multi_server.port("ssh"), b"lab attach r2\nshow system users\nexit\n", b""))
    text = out.decode()
    assert "Attached to r2." in text and "user@r2> show system users" in text
    assert re.search(r"^user +p\d+ +127\.0\.0\.1 ", text, re.M), text


def test_the_server_offers_no_chacha20(server):
    """Clients that prefer chacha20-poly1305 (asyncssh, OpenSSH) get AES instead: asyncssh's
    chacha20 costs the server several times the CPU per packet."""
    async def go():
        async with await _connect(server.port("ssh")) as c:
            return c.get_extra_info("send_cipher"), c.get_extra_info("recv_cipher")

    send, recv = _run(go())
    assert send == recv and send.startswith("aes") and "gcm" in send


def test_routershell_profile_writes_the_served_time_stats(tmp_path):
    """ROUTERSHELL_PROFILE=FILE: cProfile over the served time, written when serving ends."""
    import pstats

    stats = tmp_path / "server.prof"
    proc = subprocess.Popen([sys.executable, "-m", "routershell", "--listen", "ssh:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                            env={**os.environ, "ROUTERSHELL_PROFILE": str(stats)})
    try:
        m = re.search(r"on ssh 127\.0\.0\.1:(\d+)", proc.stdout.readline())
        assert m, proc.stderr.read()

        async def go():
            async with await _connect(int(m.group(1))) as c:
                return (await c.run("show version", check=False)).stdout

        assert "Hostname: r1" in _run(go())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    names = {func[2] for func in pstats.Stats(str(stats)).stats}  # type: ignore[attr-defined]
    assert "validate_password" in names and "run_exec" in names


def test_packets_written_in_one_turn_leave_in_one_send():
    """asyncssh writes every packet (and an SSH_MSG_IGNORE before each) on its own; the
    server's transport gathers what one loop turn wrote into one write."""
    from routershell.server.tcp import CoalescingTransport

    class Wire:
        def __init__(self):
            self.writes, self.closed = [], False

        def write(self, data):
            self.writes.append(data)

        def is_closing(self):
            return self.closed

        def close(self):
            self.closed = True

        def get_write_buffer_size(self):
            return 0

        def get_extra_info(self, name):
            return ("127.0.0.1", 22) if name == "peername" else None

    async def go():
        wire = Wire()
        t = CoalescingTransport(wire)
        t.write(b"ignore")
        t.write(b"data")
        assert wire.writes == [] and t.get_write_buffer_size() == 10
        await asyncio.sleep(0)
        assert wire.writes == [b"ignoredata"]
        t.write(b"bye")
        t.close()  # what was written before a close still goes out
        assert wire.writes == [b"ignoredata", b"bye"] and wire.closed
        assert t.get_extra_info("peername") == ("127.0.0.1", 22)

    _run(go())


def test_served_connections_gather_writes_and_ack_at_once(server, monkeypatch):
    from routershell.server import tcp

    flushed, acked = [], []
    real_flush, real_ack = tcp.CoalescingTransport._flush, tcp.quick_ack
    monkeypatch.setattr(tcp.CoalescingTransport, "_flush",
                        lambda self: (flushed.append(1), real_flush(self))[1])
    monkeypatch.setattr(tcp, "quick_ack", lambda sock: (acked.append(sock), real_ack(sock))[1])

    async def go():
        async with await _connect(server.port("ssh")) as c:
            return (await c.run("show version", check=False)).stdout

    assert "Hostname: r1" in _run(go()) and flushed and acked


def test_quick_ack_after_every_read_until_logged_in():
    """Delayed ACKs stall clients that write twice without TCP_NODELAY (paramiko's login)."""
    import socket

    from routershell.server.tcp import AckingProtocol

    if not hasattr(socket, "TCP_QUICKACK"):
        pytest.skip("no TCP_QUICKACK on this system")

    class Sock:
        def __init__(self):
            self.opts = []

        def setsockopt(self, level, name, value):
            self.opts.append((level, name, value))

    class Proto:
        def __init__(self):
            self.got = []

        def data_received(self, data):
            self.got.append(data)

        def eof_received(self):
            return True

    sock, proto = Sock(), Proto()
    p = AckingProtocol(proto, sock)
    p.data_received(b"a")
    p.data_received(b"b")
    assert proto.got == [b"a", b"b"] and p.eof_received() is True
    assert sock.opts == [(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)] * 2
    p.stop()  # logged in: ACKs ride on the replies again
    p.data_received(b"c")
    assert proto.got[-1] == b"c" and len(sock.opts) == 2
