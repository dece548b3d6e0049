"""The IKE bridge: address safety, clock refusal, real<->lab translation, NAT-T sorting; and a
strongSwan peer negotiating through it with an emulated endpoint (external)."""

from __future__ import annotations

import dataclasses
import random
import socket
import struct

import pytest
import trio
import trio.testing

from routershell.engine.events import Phase2Up
from routershell.engine.ike import IkeEndpoint
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IpsecProposal
from routershell.runtime.bridge import (
    BridgeError,
    BridgePeer,
    IkeBridge,
    parse_bridge_option,
    serve,
)


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


def test_refuses_a_scaled_or_virtual_clock() -> None:
    with pytest.raises(BridgeError, match="real time"):
        IkeBridge(FakeNetwork(), Clock("x60", 60.0), "192.0.2.1", ("127.0.0.1", 500))
    with pytest.raises(BridgeError, match="real time"):
        IkeBridge(FakeNetwork(), Clock("virtual", 0.0), "192.0.2.1", ("127.0.0.1", 500))
    IkeBridge(FakeNetwork(), Clock("x1", 1.0), "192.0.2.1", ("127.0.0.1", 500))


def test_only_loopback_unless_named() -> None:
    with pytest.raises(BridgeError, match="not loopback"):
        IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("192.168.1.5", 500))
    IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("192.168.1.5", 500), allow=["192.168.1.5"])


def test_parse_option() -> None:
    assert parse_bridge_option("r1=127.0.0.1:500") == ("r1", ("127.0.0.1", 500))
    for bad in ("r1", "r1=127.0.0.1", "=127.0.0.1:500", "r1=host:500", "r1=127.0.0.1:70000"):
        with pytest.raises(BridgeError):
            parse_bridge_option(bad)


def test_translation_and_nat_t_sorting() -> None:
    net = FakeNetwork()
    got = []
    net.bind("192.0.2.1", 500, lambda d, s, n: got.append((d, s)))
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 500), nat_port=4500)
    br.from_real(b"ike-message-bytes" * 2, ("127.0.0.2", 5500), 500)
    assert got == [(b"ike-message-bytes" * 2, ("127.0.0.2", 500))]
    br.from_real(b"\0\0\0\0floated", ("127.0.0.2", 5501), 4500)
    assert got[-1] == (b"\0\0\0\0floated", ("127.0.0.2", 4500))
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


def test_learning_off_refuses_unknown_sources() -> None:
    net = FakeNetwork()
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 500), learn=False,
                   peers=[BridgePeer("127.0.0.2", "198.51.100.2", 5500, 5501)])
    br.from_real(b"x" * 30, ("127.0.0.3", 500), 500)
    assert br.stats.refused == 1 and not net.sent
    br.from_real(b"y" * 30, ("127.0.0.2", 5500), 500)
    assert net.sent[-1] == (("198.51.100.2", 500), ("192.0.2.1", 500), b"y" * 30)
    net.send(("192.0.2.1", 500), ("198.51.100.2", 500), b"z")
    assert br.datagrams_to_send() == [(b"z", 500, ("127.0.0.2", 5500))]


async def test_serve_moves_real_datagrams() -> None:
    net = FakeNetwork()
    echo = []

    def device(data, src, now):
        echo.append(data)
        net.send(("192.0.2.1", 500), src, b"pong:" + data)

    net.bind("192.0.2.1", 500, device)
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 15500), nat_port=15501)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.3", 0))
    peer.settimeout(2)
    async with trio.open_nursery() as n:
        await n.start(serve, br)
        peer.sendto(b"ping-ping-ping-ping-ping-ping-ping", ("127.0.0.1", 15500))
        data = await trio.to_thread.run_sync(lambda: peer.recvfrom(100))
        n.cancel_scope.cancel()
    peer.close()
    assert data == (b"pong:ping-ping-ping-ping-ping-ping-ping", ("127.0.0.1", 15500))


async def test_port_in_use_is_a_bridge_error() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 15600))
    br = IkeBridge(FakeNetwork(), Clock(), "192.0.2.1", ("127.0.0.1", 15600), nat_port=15601)
    with pytest.raises(BridgeError, match="cannot open.*15600"):
        await serve(br)
    s.close()


@pytest.mark.external
async def test_strongswan_through_the_bridge(charon_factory) -> None:
    """charon (127.0.0.2) -> bridge 127.0.0.1:500 -> lab -> endpoint at lab 192.0.2.1."""
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
    charon = charon_factory(Conn(remote_id="192.0.2.1"))
    br = IkeBridge(net, Clock(), "192.0.2.1", ("127.0.0.1", 500))
    async with trio.open_nursery() as n:
        await n.start(serve, br)
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
    port = 40000 + random.Random().randrange(20000)
    r1 = dataclasses.replace(spec.devices[0], ike_bridge=("127.0.0.1", port),
                             ike_bridge_peers=(("127.0.0.2", 5500, 5501),))
    app = App("real", trio_clock=mock_clock, lab=dataclasses.replace(spec, devices=(r1,)))
    async with trio.open_nursery() as n:
        await app.start(n)
        br = app.bridges["r1"]
        assert (br.listen, br.nat_listen) == (("127.0.0.1", port), ("127.0.0.1", port + 1))
        assert app.world.network.bound("127.0.0.2", 500)  # r1 may initiate to the named peer
        assert br.local_for("127.0.0.2") == "192.0.2.1"  # r1's local gateway
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
