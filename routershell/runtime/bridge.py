"""IKE bridge: expose an emulated device's IKE endpoint on real UDP sockets (issue 7).

`IkeBridge(network, clock, device_address, listen=("127.0.0.1", 500))` joins the simulated
`Network` (runtime/network.py: bind/send) and two real UDP sockets, the IKE port and the NAT-T
port beside it (`nat_port`: 4500 beside 500, otherwise what the caller chose; 0 lets the system
choose, as tests do):

- A datagram a real peer sends to the socket enters the lab as if from a lab peer with the real
  peer's address: source (peer, 500) for the IKE socket, (peer, 4500) for the NAT-T socket,
  destination the device's gateway, port 500. `device_address` is an address or a function of
  the peer's address giving that gateway (None: dropped, counted in `stats.unrouted`). A source
  whose address already belongs to the lab (a lab peer or device) is refused.
- Framing (RFC 3948 §2.2): IKE on a NAT-T port carries the 4-byte non-ESP marker; a 1-byte 0xFF
  is a NAT keepalive; anything else there is UDP-encapsulated ESP. When neither side uses port
  500, a peer such as strongSwan speaks from its NAT-T port from the first message on, so a
  marked datagram may arrive on the IKE socket too. The bridge learns, per peer, the port its
  marked datagrams come from (its NAT-T port) and the socket they arrive on, and sends what the
  router frames with the marker back there; unmarked IKE goes from the IKE socket to the port the
  peer's unmarked IKE came from. Keepalives and ESP are counted and never reach the lab.
- What the emulated router sends to (peer, 500) / (peer, 4500) in the lab leaves to the real
  peer's ports (learnt from its datagrams, or given in `peers`).

Hostile input (issue 18): each reader takes at most `MAX_PER_STEP` datagrams off its socket,
then yields to every other task (the shell, the lab clock); a datagram that is not a plausible
ISAKMP message is dropped before the lab (`stats.garbage`) on a few byte comparisons. The peer
table holds the peers given in `peers`, the peers the device's configuration names (`configured`)
and at most `LEARN_MAX` other recent initiators (least recently heard from forgotten first);
an unknown source is learnt only from a phase-1 first message, so 100,000 spoofed sources of
garbage leave the table as it was.

Safety: the sockets bind the address the caller names (a user names it with `--ike-bridge` or
the lab file's `ike_bridge`); `warning` says so when it is not a loopback address. The bridge
sends only to peers it received from or that are configured, never elsewhere. The lab clock
must run in real time (`real` or `x1`), else `BridgeError` says so.

`serve(bridge)` is the trio task that owns the sockets (`await nursery.start(serve, bridge)`).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import trio

from ..engine import natt
from ..engine.constants import HEADER_LEN, Exchange

Addr = tuple[str, int]
LAB_IKE, LAB_NAT = 500, 4500
MAX_PER_STEP = 32  # datagrams one reader handles before it yields
LEARN_MAX = 64  # unconfigured peers remembered (recent initiators)
_EXCHANGES = frozenset((Exchange.MAIN, Exchange.AGGRESSIVE, Exchange.INFORMATIONAL,
                        Exchange.QUICK))
_LENGTH = struct.Struct("!I")


class BridgeError(ValueError):
    """The bridge cannot open (message fit to show a user)."""


@dataclass
class BridgePeer:
    address: str  # real address
    lab_address: str | None = None  # address it has in the lab (default: the same)
    ike_port: int = 500
    nat_port: int = 4500
    learnt: bool = False
    # local port its marked (NAT-T framed) datagrams arrive on; None: the NAT-T socket
    nat_local: int | None = None

    @property
    def lab(self) -> str:
        return self.lab_address or self.address


@dataclass
class BridgeStats:
    datagrams: int = 0  # taken off the sockets
    received: int = 0  # IKE handed to the lab
    sent: int = 0
    esp: int = 0
    keepalives: int = 0
    garbage: int = 0  # not a plausible ISAKMP message: dropped before the lab
    refused: int = 0  # from a source the bridge does not know and did not learn
    forgotten: int = 0  # learnt peers dropped from the table to make room
    unrouted: int = 0
    steps: int = 0  # reader steps (each handles at most MAX_PER_STEP datagrams)
    longest_step: int = 0  # most datagrams handled in one step


def plausible_ike(msg: bytes) -> bool:
    """A cheap look at an ISAKMP header (RFC 2408 §3.1) before anything costly: version 1.x,
    an exchange this endpoint speaks, a length within the datagram, a non-zero initiator
    cookie. Random bytes pass with a probability of about 1 in 10^5."""
    if len(msg) < HEADER_LEN or msg[17] >> 4 != 1 or msg[18] not in _EXCHANGES:
        return False
    length = _LENGTH.unpack_from(msg, 24)[0]
    return HEADER_LEN <= length <= len(msg) and msg[:8] != bytes(8)


def _first_message(msg: bytes) -> bool:
    """Phase-1 message 1: main or aggressive mode, responder cookie zero, message ID zero."""
    return (msg[18] in (Exchange.MAIN, Exchange.AGGRESSIVE) and msg[8:16] == bytes(8)
            and msg[20:24] == bytes(4))


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


def nat_port_for(port: int) -> int:
    """The NAT-T port beside an IKE port: 4500 beside 500, else the next port (0: any)."""
    if port == 0:
        return 0
    return natt.NAT_T_PORT if port == natt.IKE_PORT else port + 1


class IkeBridge:
    def __init__(self, network: Any, clock: Any, device_address: str | Callable[[str], str | None],
                 listen: Addr,
                 nat_port: int | None = None, peers: Iterable[BridgePeer] = (),
                 learn: bool = True, configured: Callable[[], Iterable[str]] | None = None
                 ) -> None:
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
        # the address is always one the user named: loopback is quiet, anything else is allowed
        # with a word of warning, since every host that reaches it can talk IKE to the lab
        self.warning: str | None = None
        if not ip.is_loopback:
            self.warning = (f"the IKE bridge listens on {host}, not a loopback address: any host "
                            "that reaches it can negotiate with the lab")
        self.network = network
        self.device_address = device_address
        self.listen = (host, int(listen[1]))
        self.nat_listen = (host, int(nat_port if nat_port is not None
                                     else nat_port_for(int(listen[1]))))
        self.learn = learn
        # the addresses the device's configuration names as gateways, read at most once per
        # reader step (a commit may change them; a flood must not walk them per datagram)
        self.configured = configured
        self._named: frozenset[str] | None = None
        self.stats = BridgeStats()
        self.peers: dict[str, BridgePeer] = {}  # by real address
        self._by_lab: dict[str, BridgePeer] = {}
        self._learnt: OrderedDict[str, BridgePeer] = OrderedDict()  # LRU, oldest first
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
        if any(self._bound(p.lab, port) for port in (LAB_IKE, LAB_NAT)):
            return False
        self.peers[p.address] = p
        self._by_lab[p.lab] = p
        for lab_port in (LAB_IKE, LAB_NAT):
            self.network.bind(p.lab, lab_port,
                              lambda data, src, now, pr=p, lp=lab_port: self._to_real(pr, lp,
                                                                                      data))
        return True

    def _drop(self, p: BridgePeer) -> None:
        self.peers.pop(p.address, None)
        self._by_lab.pop(p.lab, None)
        for lab_port in (LAB_IKE, LAB_NAT):
            self.network.unbind(p.lab, lab_port)

    def _learn(self, address: str, first: bool) -> BridgePeer | None:
        """A peer for an unknown source: kept for good when the configuration names it, else
        one of the LEARN_MAX most recent initiators; None when it may not be learnt."""
        if not self.learn:
            return None
        if self._named is None:
            self._named = frozenset(self.configured() if self.configured is not None else ())
        named = address in self._named
        if not named and not first:
            return None  # only a phase-1 first message starts a conversation
        peer = BridgePeer(address, learnt=True)
        if not self._add(peer):
            return None
        if not named:
            self._learnt[address] = peer
            while len(self._learnt) > LEARN_MAX:
                _, old = self._learnt.popitem(last=False)
                self._drop(old)
                self.stats.forgotten += 1
        return peer

    def _touch(self, peer: BridgePeer) -> None:
        if peer.address in self._learnt:
            self._learnt.move_to_end(peer.address)

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
        self.stats.datagrams += 1
        if self.capture is not None:
            self.capture(self._now(), src, (self.listen[0], local_port), payload)
        on_nat = local_port == self.nat_listen[1] and local_port != self.listen[1]
        if payload == natt.KEEPALIVE:  # on either socket when neither side uses 500
            self.stats.keepalives += 1
            return
        marked = payload[:4] == natt.NON_ESP_MARKER
        msg = payload[4:] if marked else payload
        if not plausible_ike(msg):
            if on_nat and not marked and len(payload) >= 8 or src[0] in self.peers:
                self.stats.esp += 1  # UDP-encapsulated ESP: never handed to IKE
            else:
                self.stats.garbage += 1
            return
        if on_nat and not marked:
            self.stats.esp += 1  # unmarked on the NAT-T port is ESP, whatever it looks like
            return
        peer = self.peers.get(src[0])
        if peer is None:
            peer = self._learn(src[0], _first_message(msg))
            if peer is None:
                self.stats.refused += 1
                return
        self._touch(peer)
        if marked:
            peer.nat_port = src[1]
            peer.nat_local = local_port
        else:
            peer.ike_port = src[1]
        local = self.local_for(peer.lab)
        if local is None:
            self.stats.unrouted += 1
            return
        self.stats.received += 1
        # NAT-T to the device's port 4500 when it listens there, else its IKE port (the engine
        # sorts by the non-ESP marker)
        port = LAB_NAT if on_nat and self._bound(local, LAB_NAT) else LAB_IKE
        self.network.send((peer.lab, LAB_NAT if on_nat else LAB_IKE), (local, port), payload)

    # ----- lab -> real ---------------------------------------------------------------------

    def _to_real(self, peer: BridgePeer, lab_port: int, data: bytes) -> None:
        nat = lab_port == LAB_NAT or data[:4] == natt.NON_ESP_MARKER
        if nat:
            local = peer.nat_local if peer.nat_local is not None else self.nat_listen[1]
            dst = (peer.address, peer.nat_port)
        else:
            local, dst = self.listen[1], (peer.address, peer.ike_port)
            if natt.IKE_PORT not in (local, dst[1]) and data != natt.KEEPALIVE:
                # between two ports other than 500 every IKE message is framed (RFC 3948 §2.2);
                # strongSwan reads an unmarked one there as ESP
                data = natt.frame_ike(data)
        self._touch(peer)
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

    def drain(self, recv: Callable[[], tuple[bytes, Any]], local_port: int) -> int:
        """Handle at most MAX_PER_STEP datagrams from `recv` (a non-blocking recvfrom) and
        return how many; stops early when the socket is empty."""
        n = 0
        while n < MAX_PER_STEP:
            try:
                data, src = recv()
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # e.g. an ICMP error queued on the socket: it still costs a turn
                n += 1
                continue
            n += 1
            self.from_real(data, (src[0], src[1]), local_port)
        self.stats.steps += 1
        self.stats.longest_step = max(self.stats.longest_step, n)
        self._named = None
        return n


async def serve(bridge: IkeBridge, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Own the two real sockets until cancelled."""
    socks: dict[int, socket.socket] = {}
    try:
        for which, (host, port) in (("listen", bridge.listen), ("nat_listen", bridge.nat_listen)):
            s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                              socket.SOCK_DGRAM)
            s.setblocking(False)
            try:
                s.bind((host, port))
            except OSError as e:
                s.close()
                raise BridgeError(f"cannot open the IKE bridge on {host}:{port}: "
                                  f"{e.strerror}") from None
            port = s.getsockname()[1]  # the system's choice when asked for port 0
            setattr(bridge, which, (host, port))
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
    recv = lambda: sock.recvfrom(65535)  # noqa: E731 - the socket's own non-blocking read
    while True:
        await trio.lowlevel.wait_readable(sock)
        while bridge.drain(recv, port) == MAX_PER_STEP:
            await trio.lowlevel.checkpoint()  # a flood shares the loop with everyone else
