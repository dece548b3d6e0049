"""IKE bridge: expose an emulated device's IKE endpoint on real UDP sockets (issue 7).

`IkeBridge(network, clock, device_address, listen=("127.0.0.1", 500))` joins the simulated
`Network` (runtime/network.py: bind/send) and two real UDP sockets, the IKE port and the NAT-T
port beside it (`nat_port`, default 4500):

- A datagram a real peer sends to the socket enters the lab as if from a lab peer with the real
  peer's address (or the lab address given in `peers`): source (peer, 500) for the IKE socket,
  (peer, 4500) for the NAT-T socket, destination (device_address, 500). The engine recognises
  the non-ESP marker itself. `device_address` is an address or a function of the peer's lab
  address giving the device's local gateway for it (None: the datagram is dropped, counted in
  `stats.unrouted`). A source whose lab address already belongs to the lab (a lab peer or
  device) is refused. On the NAT-T socket, keepalives are dropped and UDP-encapsulated
  ESP is counted (`stats.esp`) and never handed to IKE.
- What the emulated router sends to (peer, 500) / (peer, 4500) in the lab leaves on the IKE /
  NAT-T socket to the real peer's ports (learnt from its datagrams, or given in `peers`).

Safety: the sockets bind a loopback address unless the caller names the address in `allow`;
the bridge sends only to peers it received from or that are configured (`peers`), never
elsewhere. The lab clock must run in real time (`real` or `x1`), else `BridgeError` says so.

`serve(bridge)` is the trio task that owns the sockets (`await nursery.start(serve, bridge)`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import trio

from ..engine import natt

Addr = tuple[str, int]
LAB_IKE, LAB_NAT = 500, 4500


class BridgeError(ValueError):
    """The bridge cannot open (message fit to show a user)."""


@dataclass
class BridgePeer:
    address: str  # real address
    lab_address: str | None = None  # address it has in the lab (default: the same)
    ike_port: int = 500
    nat_port: int = 4500
    learnt: bool = False

    @property
    def lab(self) -> str:
        return self.lab_address or self.address


@dataclass
class BridgeStats:
    received: int = 0
    sent: int = 0
    esp: int = 0
    keepalives: int = 0
    refused: int = 0
    refused_from: set[str] = field(default_factory=set)
    unrouted: int = 0


def parse_bridge_option(text: str) -> tuple[str, Addr]:
    """`r1=127.0.0.1:500` -> ("r1", ("127.0.0.1", 500)); BridgeError when malformed."""
    name, sep, where = text.partition("=")
    host, sep2, port = where.rpartition(":")
    if not sep or not sep2 or not name or not host:
        raise BridgeError(f"--ike-bridge wants DEVICE=ADDRESS:PORT, not {text!r}")
    try:
        ipaddress.ip_address(host)
        p = int(port)
    except ValueError:
        raise BridgeError(f"--ike-bridge: {where!r} is not ADDRESS:PORT") from None
    if not 0 < p < 65536:
        raise BridgeError(f"--ike-bridge: port {p} out of range")
    return name, (host, p)


class IkeBridge:
    def __init__(self, network: Any, clock: Any, device_address: str | Callable[[str], str | None],
                 listen: Addr,
                 nat_port: int | None = None, peers: Iterable[BridgePeer] = (),
                 allow: Iterable[str] = (), learn: bool = True) -> None:
        mode = getattr(clock, "mode", "real")
        rate = getattr(clock, "rate", 1.0)
        if mode != "real" and rate != 1.0:
            raise BridgeError(f"an IKE bridge needs the lab clock in real time (--clock real or "
                              f"x1); it runs {mode!r}, and a real peer's timers would not match")
        host = listen[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise BridgeError(f"bridge address {host!r} is not an IP address") from None
        if not ip.is_loopback and host not in set(allow):
            raise BridgeError(f"bridge address {host} is not loopback; name it explicitly to "
                              "allow it")
        self.network = network
        self.device_address = device_address
        self.listen = (host, int(listen[1]))
        self.nat_listen = (host, int(nat_port if nat_port is not None else natt.NAT_T_PORT))
        self.learn = learn
        self.stats = BridgeStats()
        self.peers: dict[str, BridgePeer] = {}  # by real address
        self._by_lab: dict[str, BridgePeer] = {}
        self._out: list[tuple[bytes, int, Addr]] = []
        self.sender: Any = None  # set by serve(): (data, local_port, dst) -> None
        # sees every datagram on the real sockets: capture(now, src, dst, payload), as
        # Network.capture does for the lab side (engine.pcap writes either)
        self.capture: Callable[[float, Addr, Addr, bytes], Any] | None = None
        for p in peers:
            if not self._add(p):
                raise BridgeError(f"bridge peer {p.lab} is already an address of the lab")

    # ----- peers ---------------------------------------------------------------------------

    def _add(self, p: BridgePeer) -> bool:
        """Bind the peer's lab address; False if the lab already uses it."""
        bound = getattr(self.network, "bound", None)
        if callable(bound) and any(bound(p.lab, port) for port in (LAB_IKE, LAB_NAT)):
            return False
        self.peers[p.address] = p
        self._by_lab[p.lab] = p
        for lab_port in (LAB_IKE, LAB_NAT):
            self.network.bind(p.lab, lab_port,
                              lambda data, src, now, pr=p, lp=lab_port: self._to_real(pr, lp,
                                                                                      data))
        return True

    def _bound(self, addr: str, port: int) -> bool:
        bound = getattr(self.network, "bound", None)
        return bool(callable(bound) and bound(addr, port))

    def _now(self) -> float:
        sched = getattr(self.network, "scheduler", None)
        return sched.now() if sched is not None else 0.0

    def local_for(self, lab_peer: str) -> str | None:
        """The device address a datagram from `lab_peer` goes to."""
        if callable(self.device_address):
            return self.device_address(lab_peer)
        return self.device_address

    def close(self) -> None:
        for p in self.peers.values():
            for lab_port in (LAB_IKE, LAB_NAT):
                self.network.unbind(p.lab, lab_port)

    # ----- real -> lab ---------------------------------------------------------------------

    def from_real(self, payload: bytes, src: Addr, local_port: int) -> None:
        """A datagram arrived on one of the real sockets."""
        peer = self.peers.get(src[0])
        if peer is None:
            if not self.learn:
                self.stats.refused += 1
                self.stats.refused_from.add(src[0])
                return
            peer = BridgePeer(src[0], learnt=True)
            if not self._add(peer):
                self.stats.refused += 1
                self.stats.refused_from.add(src[0])
                return
        self.stats.received += 1
        on_nat = local_port == self.nat_listen[1]
        if self.capture is not None:
            self.capture(self._now(), src, (self.listen[0], local_port), payload)
        if on_nat:
            peer.nat_port = src[1]
            kind, _ = natt.classify_4500(payload)
            if kind == "keepalive":
                self.stats.keepalives += 1
                return
            if kind in ("esp", "bad"):
                self.stats.esp += kind == "esp"
                return
        else:
            peer.ike_port = src[1]
        local = self.local_for(peer.lab)
        if local is None:
            self.stats.unrouted += 1
            return
        # NAT-T to the device's port 4500 when it listens there, else its IKE port (the engine
        # sorts by the non-ESP marker)
        port = LAB_NAT if on_nat and self._bound(local, LAB_NAT) else LAB_IKE
        self.network.send((peer.lab, LAB_NAT if on_nat else LAB_IKE), (local, port), payload)

    # ----- lab -> real ---------------------------------------------------------------------

    def _to_real(self, peer: BridgePeer, lab_port: int, data: bytes) -> None:
        nat = lab_port == LAB_NAT or data[:4] == natt.NON_ESP_MARKER
        local = self.nat_listen[1] if nat else self.listen[1]
        dst = (peer.address, peer.nat_port if nat else peer.ike_port)
        self.stats.sent += 1
        if self.capture is not None:
            self.capture(self._now(), (self.listen[0], local), dst, data)
        if self.sender is not None:
            self.sender(data, local, dst)
        else:
            self._out.append((data, local, dst))

    def datagrams_to_send(self) -> list[tuple[bytes, int, Addr]]:
        out, self._out = self._out, []
        return out


async def serve(bridge: IkeBridge, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Own the two real sockets until cancelled."""
    socks: dict[int, socket.socket] = {}
    try:
        for host, port in (bridge.listen, bridge.nat_listen):
            s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                              socket.SOCK_DGRAM)
            s.setblocking(False)
            try:
                s.bind((host, port))
            except OSError as e:
                s.close()
                raise BridgeError(f"cannot open the IKE bridge on {host}:{port}: "
                                  f"{e.strerror}") from None
            socks[port] = s

        def send(data: bytes, local: int, dst: Addr) -> None:
            try:
                socks[local].sendto(data, dst)
            except OSError:
                pass  # a real network may refuse; IKE retransmits

        bridge.sender = send
        for data, local, dst in bridge.datagrams_to_send():
            send(data, local, dst)
        task_status.started()
        async with trio.open_nursery() as nursery:
            for port, s in socks.items():
                nursery.start_soon(_reader, bridge, s, port)
    finally:
        bridge.sender = None
        for s in socks.values():
            s.close()


async def _reader(bridge: IkeBridge, sock: socket.socket, port: int) -> None:
    while True:
        await trio.lowlevel.wait_readable(sock)
        try:
            data, src = sock.recvfrom(65535)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            continue
        bridge.from_real(data, (src[0], src[1]), port)
