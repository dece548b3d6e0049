"""The IKE bridge: address safety, clock refusal, real<->lab translation, NAT-T sorting and
framing on ports other than 500, hostile input (garbage, floods, spoofed sources); and a
strongSwan peer negotiating through it with an emulated endpoint (external). Every socket a test
opens is on a port the system chose."""

from __future__ import annotations

import dataclasses
import random
import socket
import struct

import pytest
import trio
import trio.testing

from routershell.engine import natt
from routershell.engine.constants import Exchange
from routershell.engine.events import Phase2Up
from routershell.engine.ike import IkeEndpoint
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IpsecProposal
from routershell.runtime.bridge import (
    LEARN_MAX,
    MAX_PER_STEP,
    BridgeError,
    BridgePeer,
    IkeBridge,
    _reader,
    nat_port_for,
    parse_bridge_option,
    serve,
)
from tests.interop.ports import free_udp_pair, free_udp_ports


class Clock:
    def __init__(self, mode: str = "real", rate: float = 1.0) -> None:
        self.mode, self.rate = mode, rate


class FakeNetwork:
    """Synchronous stand-in for runtime.network.Network (bind/unbind/send)."""

    def __init__(self) -> None:
        self.bound: dict = {}
        self.sent: list = []

    def bind(self, addr, port, handler) -> None:
        self.bound[(addr, port)] = handler

    def unbind(self, addr, port) -> None:
        self.bound.pop((addr, port), None)

    def send(self, src, dst, payload) -> bool:
        self.sent.append((src, dst, payload))
        h = self.bound.get(dst)
        if h is not None:
            h(payload, src, trio.current_time() if _in_trio() else 0.0)
        return h is not None


def _in_trio() -> bool:
    try:
        trio.lowlevel.current_task()
        return True
    except RuntimeError:
        return False


def ike(icookie: bytes = b"I" * 8, rcookie: bytes = bytes(8), exchange: int = Exchange.MAIN,
        msgid: int = 0, body: bytes = b"x" * 20) -> bytes:
    """An ISAKMP message the bridge's header check lets through (RFC 2408 §3.1)."""
    return (icookie + rcookie + struct.pack("!BBBBII", 1, 0x10, exchange, 0, msgid,
                                             28 + len(body)) + body)


def test_refuses_a_scaled_or_virtual_clock() -> None:
    with pytest.raises(BridgeError, match="real time"):
        IkeBridge(FakeNetwork(), Clock("x60", 60.0), "192.0.2.1", ("127.0.0.1", 0))
    with pytest.raises(BridgeError, match="real time"):
        IkeBridge(FakeNetwork(), Clock("virtual", 0.0), "192.0.2.1", ("127.0.0.1", 0))
    IkeBridge(FakeNetwork(), Clock("x1", 1.0), "192.0.2.1", ("127.0.0.1", 0))


def test_a_named_non_loopback_address_is_allowed_with_a_warning() -> None:
    """README: a non-loopback address is used when the user names it (issue 17 #16)."""
    assert IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("127.0.0.1", 0)).warning is None
    br = IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("192.168.1.5", 0))
    assert "192.168.1.5" in br.warning and "not a loopback" in br.warning
    with pytest.raises(BridgeError, match="not an IP address"):
        IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("router", 0))


def test_parse_option_and_nat_port() -> None:
    assert parse_bridge_option("r1=127.0.0.1:500") == ("r1", ("127.0.0.1", 500))
    for bad in ("r1", "r1=127.0.0.1", "=127.0.0.1:500", "r1=host:500", "r1=127.0.0.1:70000"):
        with pytest.raises(BridgeError):
            parse_bridge_option(bad)
    assert (nat_port_for(500), nat_port_for(6502), nat_port_for(0)) == (4500, 6503, 0)


def test_translation_and_nat_t_sorting() -> None:
    net = FakeNetwork()
    got = []
    net.bind("192.0.2.1", 500, lambda d, s, n: got.append((d, s)))
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 500), nat_port=4500)
    mm1 = ike()
    br.from_real(mm1, ("127.0.0.2", 5500), 500)
    assert got == [(mm1, ("127.0.0.2", 500))]
    floated = natt.frame_ike(ike(rcookie=b"R" * 8))
    br.from_real(floated, ("127.0.0.2", 5501), 4500)
    assert got[-1] == (floated, ("127.0.0.2", 4500))
    br.from_real(b"\xff", ("127.0.0.2", 5501), 4500)
    br.from_real(struct.pack("!II", 0x1234, 1) + bytes(40), ("127.0.0.2", 5501), 4500)
    assert len(got) == 2 and br.stats.keepalives == 1 and br.stats.esp == 1
    # the router answers in the lab: it leaves to the learnt real ports
    net.send(("192.0.2.1", 500), ("127.0.0.2", 500), b"reply")
    net.send(("192.0.2.1", 500), ("127.0.0.2", 4500), b"\0\0\0\0reply")
    assert br.datagrams_to_send() == [(b"reply", 500, ("127.0.0.2", 5500)),
                                      (b"\0\0\0\0reply", 4500, ("127.0.0.2", 5501))]
    # an address the bridge never heard from and was not configured: nothing leaves
    net.send(("192.0.2.1", 500), ("127.0.0.9", 500), b"x")
    assert br.datagrams_to_send() == []
    br.close()
    assert ("127.0.0.2", 500) not in net.bound


def test_neither_port_500_answers_on_the_peers_socket_and_framing() -> None:
    """Issue 17 #5: bridge on 6502/6503, strongSwan on 6500/6501. strongSwan marks every IKE
    message between ports other than 500, from its first one on; the router's answers go back
    marked, from the socket the peer used, to the port its marked datagrams came from."""
    net = FakeNetwork()
    got = []
    net.bind("192.0.2.1", 500, lambda d, s, n: got.append((d, s)))
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 6502), nat_port=6503)
    assert br.nat_listen == ("127.0.0.1", 6503)
    mm1 = natt.frame_ike(ike())
    br.from_real(mm1, ("127.0.0.2", 6500), 6502)  # on the IKE socket, marked
    assert got == [(mm1, ("127.0.0.2", 500))]  # the engine sorts by the marker
    net.send(("192.0.2.1", 500), ("127.0.0.2", 500), natt.frame_ike(b"mm2"))
    assert br.datagrams_to_send() == [(natt.frame_ike(b"mm2"), 6502, ("127.0.0.2", 6500))]
    # charon floats to its NAT-T port after NAT-D: learnt from where its marked datagrams come
    br.from_real(natt.frame_ike(ike(rcookie=b"R" * 8)), ("127.0.0.2", 6501), 6502)
    net.send(("192.0.2.1", 500), ("127.0.0.2", 500), natt.frame_ike(b"mm4"))
    assert br.datagrams_to_send() == [(natt.frame_ike(b"mm4"), 6502, ("127.0.0.2", 6501))]
    # keepalives and ESP on the IKE socket (where such a peer sends them) never reach the lab
    br.from_real(b"\xff", ("127.0.0.2", 6501), 6502)
    br.from_real(struct.pack("!II", 0x1234, 1) + bytes(40), ("127.0.0.2", 6501), 6502)
    assert len(got) == 2 and br.stats.keepalives == 1 and br.stats.esp == 1


def test_unmarked_ike_between_ports_other_than_500_gets_the_marker() -> None:
    """The router initiates to a listed peer on 6500: the lab's MM1 is unmarked, but between
    6502 and 6500 strongSwan would read an unmarked datagram as ESP (RFC 3948 §2.2)."""
    net = FakeNetwork()
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 6502), nat_port=6503,
                   peers=[BridgePeer("127.0.0.2", ike_port=6500, nat_port=6501)])
    net.send(("192.0.2.1", 500), ("127.0.0.2", 500), b"mm1")
    net.send(("192.0.2.1", 500), ("127.0.0.2", 500), b"\xff")  # a keepalive stays one byte
    assert br.datagrams_to_send() == [(natt.frame_ike(b"mm1"), 6502, ("127.0.0.2", 6500)),
                                      (b"\xff", 6502, ("127.0.0.2", 6500))]
    br500 = IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("127.0.0.1", 500),
                      peers=[BridgePeer("127.0.0.2", ike_port=6500, nat_port=6501)])
    br500.network.send(("192.0.2.1", 500), ("127.0.0.2", 500), b"mm1")
    assert br500.datagrams_to_send() == [(b"mm1", 500, ("127.0.0.2", 6500))]  # 500: unmarked


def test_learning_off_refuses_unknown_sources() -> None:
    net = FakeNetwork()
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 6502), learn=False,
                   peers=[BridgePeer("127.0.0.2", "198.51.100.2", 5500, 5501)])
    br.from_real(ike(), ("127.0.0.3", 500), 6502)
    assert br.stats.refused == 1 and not net.sent
    br.from_real(ike(b"Y" * 8), ("127.0.0.2", 5500), 6502)
    assert net.sent[-1] == (("198.51.100.2", 500), ("192.0.2.1", 500), ike(b"Y" * 8))
    net.send(("192.0.2.1", 500), ("198.51.100.2", 500), b"z")
    assert br.datagrams_to_send() == [(natt.frame_ike(b"z"), 6502, ("127.0.0.2", 5500))]


def test_ten_megabytes_of_garbage_never_reach_the_lab() -> None:
    """Issue 17 #7: random datagrams are dropped on a look at the header, before the lab's
    network, the scheduler or the engine see them, and no source is remembered."""
    net = FakeNetwork()
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 6502))
    rng = random.Random(5)
    total = n = 0
    while total < 10 * 2**20:
        d = rng.randbytes(rng.randrange(1, 1400))
        br.from_real(d, (f"10.0.{n % 250}.{n % 199}", 1000 + n % 60000), 6502 + n % 2)
        total += len(d)
        n += 1
    assert net.sent == [] and br.peers == {}
    assert br.stats.garbage + br.stats.esp + br.stats.keepalives == n == br.stats.datagrams
    assert br.stats.received == 0


def test_the_peer_table_is_bounded() -> None:
    """Issue 17 #7 / 18: 100,000 spoofed initiators leave at most LEARN_MAX learnt peers; peers
    the lab file or the configuration names are never forgotten; other messages from unknown
    sources teach nothing."""
    net = FakeNetwork()
    asked = []
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 6502),
                   peers=[BridgePeer("127.0.0.2", ike_port=6500, nat_port=6501)],
                   configured=lambda: asked.append(1) or ["127.0.0.7"])
    br.from_real(ike(), ("127.0.0.7", 6500), 6502)  # the configuration names it
    for i in range(100_000):
        br.from_real(ike(b"\x01" + i.to_bytes(7, "big")),
                     (f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", 500), 6502)
    assert len(asked) == 1  # read once (per reader step), not per datagram
    assert len(br.peers) == 2 + LEARN_MAX
    assert {"127.0.0.2", "127.0.0.7"} <= set(br.peers)
    assert br.stats.forgotten == 100_000 - LEARN_MAX
    assert len(net.bound) == 2 * len(br.peers)  # forgotten peers left the lab too
    # the most recent initiators are the ones kept
    assert "10.1.134.159" in br.peers and "10.0.0.1" not in br.peers
    # a message that does not start a phase 1, from an unknown source, is refused
    before = len(br.peers)
    br.from_real(ike(rcookie=b"R" * 8), ("10.9.9.9", 500), 6502)
    br.from_real(ike(exchange=Exchange.QUICK, msgid=7), ("10.9.9.8", 500), 6502)
    assert len(br.peers) == before and br.stats.refused == 2


async def test_a_flood_shares_the_loop_in_bounded_batches() -> None:
    """Issue 17 #7: the reader takes at most MAX_PER_STEP datagrams off its socket, then every
    other task (the shell, the lab clock) gets its turn; counted in datagrams, not seconds."""
    br = IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("127.0.0.1", 0), nat_port=0)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    rx.bind(("127.0.0.1", 0))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = random.Random(9)
    for _ in range(200):
        tx.sendto(rng.randbytes(60), rx.getsockname())
    per_step: list[int] = []
    shell_turns = 0

    class Steps(trio.abc.Instrument):
        """Datagrams the reader handled in each of its steps."""

        def before_task_step(self, task: trio.lowlevel.Task) -> None:
            self.at = br.stats.datagrams

        def after_task_step(self, task: trio.lowlevel.Task) -> None:
            if task.name.endswith("_reader"):
                per_step.append(br.stats.datagrams - self.at)

    async def shell() -> None:
        nonlocal shell_turns
        while True:
            shell_turns += 1
            await trio.lowlevel.checkpoint()

    steps = Steps()
    trio.lowlevel.add_instrument(steps)
    async with trio.open_nursery() as n:
        n.start_soon(shell)
        n.start_soon(_reader, br, rx, rx.getsockname()[1])
        while br.stats.datagrams < 200:
            await trio.sleep(0.001)
        n.cancel_scope.cancel()
    trio.lowlevel.remove_instrument(steps)
    tx.close()
    rx.close()
    assert max(per_step) == MAX_PER_STEP and sum(per_step) == 200
    assert shell_turns >= len([k for k in per_step if k]) - 1  # the shell ran between batches
    assert br.stats.datagrams == 200 == br.stats.garbage
    assert br.stats.longest_step == MAX_PER_STEP
    assert br.stats.steps >= 200 // MAX_PER_STEP


async def test_serve_moves_real_datagrams() -> None:
    net = FakeNetwork()
    echo = []

    def device(data, src, now):
        echo.append(data)
        net.send(("192.0.2.1", 500), src, natt.frame_ike(b"pong:" + data[4:]))

    net.bind("192.0.2.1", 500, device)
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 0), nat_port=0)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.3", 0))
    peer.settimeout(2)
    async with trio.open_nursery() as n:
        await n.start(serve, br)
        port, nat = br.listen[1], br.nat_listen[1]
        assert 0 not in (port, nat) and port != nat  # the system's choice, read back
        peer.sendto(natt.frame_ike(ike()), ("127.0.0.1", port))
        data = await trio.to_thread.run_sync(lambda: peer.recvfrom(100))
        n.cancel_scope.cancel()
    peer.close()
    assert data == (natt.frame_ike(b"pong:" + ike()), ("127.0.0.1", port))


async def test_port_in_use_is_a_bridge_error() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    br = IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("127.0.0.1", port), nat_port=0)
    with pytest.raises(BridgeError, match=f"cannot open.*{port}"):
        await serve(br)
    s.close()


@pytest.mark.external
async def test_strongswan_through_the_bridge(charon_factory) -> None:
    """charon (127.0.0.2) -> bridge 127.0.0.1 (a free port, not 500) -> lab -> endpoint at lab
    192.0.2.1; charon marks every message, as between any two ports other than 500."""
    from tests.interop.charon import Conn

    net = FakeNetwork()
    cfg = PeerConfig("127.0.0.2", psk=b"interop-secret",
                     children=(ChildConfig("net", (IpsecProposal(pfs_group=2),),
                                           "203.0.113.0/24", "198.51.100.0/24"),))
    ep = IkeEndpoint(("192.0.2.1", 500), random.Random(3), [cfg])
    events = []

    def device(data, src, now):
        ep.receive(data, src, now)
        for out, dst in ep.datagrams_to_send():
            net.send(ep.local, dst, out)
        while (ev := ep.next_event()) is not None:
            events.append(ev)

    net.bind("192.0.2.1", 500, device)
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 0), nat_port=0)
    async with trio.open_nursery() as n:
        await n.start(serve, br)
        charon = charon_factory(Conn(remote_id="192.0.2.1", remote_port=br.listen[1]))
        res = await trio.to_thread.run_sync(charon.initiate)
        n.cancel_scope.cancel()
    assert res.returncode == 0, charon.log_text()[-2000:]
    (up,) = [e for e in events if isinstance(e, Phase2Up)]
    (ike,) = charon.list_sas().values()
    (child,) = ike["child-sas"].values()
    assert child["state"] == "INSTALLED"
    assert int(child["spi-in"], 16) == up.outbound_spi
    assert br.stats.received >= 5 and br.stats.sent >= 4


def test_command_line_option_and_app_checks(capsys) -> None:
    from routershell.app import App
    from routershell.main import build_parser, main

    helptext = " ".join(build_parser().format_help().split())
    assert "4500 beside 500, else PORT+1" in helptext  # what it does (issue 17 #16)
    assert "other than loopback is used with a warning" in helptext
    args = build_parser().parse_args(["--ike-bridge", "r1=127.0.0.1:500"])
    assert args.ike_bridges == [("r1", ("127.0.0.1", 500))]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--ike-bridge", "r1"])
    assert App(clock_mode="real", ike_bridges={"r1": ("127.0.0.1", 500)}).ike_bridges == {
        "r1": ("127.0.0.1", 500)}
    assert main(["--ike-bridge", "r1=127.0.0.1:500", "--clock", "x60", "-c", "show version"]) == 1
    assert "real time" in capsys.readouterr().err
    assert main(["--ike-bridge", "r9=127.0.0.1:500", "--clock", "real", "-c", "show version"]) == 1
    assert "no device 'r9'" in capsys.readouterr().err


def test_lab_file_ike_bridge_keys() -> None:
    from routershell.labs.labfile import LabError, parse_lab

    head = '[devices.r1]\nplatform = "junos"\nconfig = ""\n'
    spec = parse_lab(head + 'ike_bridge = "127.0.0.1:5000"\nike_bridge_peers = '
                     '[{ address = "127.0.0.2", port = 5500, nat_port = 5501 }]\n', "lab.toml")
    d = spec.devices[0]
    assert d.ike_bridge == ("127.0.0.1", 5000) and d.ike_bridge_peers == (("127.0.0.2", 5500, 5501),)
    with pytest.raises(LabError, match=r'lab.toml:4: ike_bridge wants "ADDRESS:PORT"'):
        parse_lab(head + 'ike_bridge = "127.0.0.1"\n', "lab.toml")
    with pytest.raises(LabError, match="ike_bridge_peers needs ike_bridge"):
        parse_lab(head + 'ike_bridge_peers = [{ address = "127.0.0.2" }]\n', "lab.toml")


async def test_app_opens_the_lab_files_bridge_and_closes_it(mock_clock) -> None:
    from routershell.app import App
    from routershell.labs.labfile import default_lab

    spec = default_lab()
    port = free_udp_pair("127.0.0.1")
    peer_port, peer_nat = free_udp_ports(2)
    r1 = dataclasses.replace(spec.devices[0], ike_bridge=("127.0.0.1", port),
                             ike_bridge_peers=(("127.0.0.2", peer_port, peer_nat),))
    app = App("real", trio_clock=mock_clock, lab=dataclasses.replace(spec, devices=(r1,)))
    async with trio.open_nursery() as n:
        await app.start(n)
        br = app.bridges["r1"]
        assert (br.listen, br.nat_listen) == (("127.0.0.1", port), ("127.0.0.1", port + 1))
        assert app.world.network.bound("127.0.0.2", 500)  # r1 may initiate to the named peer
        assert br.local_for("127.0.0.2") == "192.0.2.1"  # r1's local gateway
        # peers r1's configuration names are never dropped from the bridge's table
        assert {"198.51.100.1", "203.0.113.1"} <= set(br.configured())
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with pytest.raises(OSError):
            probe.bind(("127.0.0.1", port))  # the socket is open
        await app.aclose()
        await trio.testing.wait_all_tasks_blocked()  # the cancelled serve task ran its finally
        probe.bind(("127.0.0.1", port))  # and closed again
        probe.close()
        assert not app.world.network.bound("127.0.0.2", 500)
        n.cancel_scope.cancel()
    with pytest.raises(BridgeError, match="real time"):
        App("virtual", lab=dataclasses.replace(spec, devices=(r1,)))


async def test_app_opens_a_named_non_loopback_address_with_a_warning(mock_clock, capsys) -> None:
    """README: an address other than loopback is used when named, with a warning on stderr
    (it was refused with a message asking for what the user had just done)."""
    from routershell.app import App
    from routershell.labs.labfile import default_lab

    spec = default_lab()
    port = free_udp_pair()
    r1 = dataclasses.replace(spec.devices[0], ike_bridge=("0.0.0.0", port))
    app = App("real", trio_clock=mock_clock, lab=dataclasses.replace(spec, devices=(r1,)))
    async with trio.open_nursery() as n:
        await app.start(n)
        assert app.bridges["r1"].listen == ("0.0.0.0", port)
        await app.aclose()
        n.cancel_scope.cancel()
    err = capsys.readouterr().err
    assert "warning: the IKE bridge listens on 0.0.0.0, not a loopback address" in err
