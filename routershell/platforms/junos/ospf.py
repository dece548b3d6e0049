"""A minimal OSPFv2 on the simulated network: hellos, the neighbour state machine, DR election,
and IPsec transport-mode SAs on OSPF interfaces (seed 002, "Configuring IPSec for OSPFv2").

Each OSPF interface with an address sends a hello every `hello-interval` (default 10 s, lab clock)
to every other OSPF speaker bound on its subnet (the simulated network has no multicast: the
AllSPFRouters group is every address of the segment listening on port 89, the OSPF protocol
number). A hello names the sender, its DR/BDR, the neighbours it has heard, and, when the
interface has an `ipsec-sa`, what the transport SA would put on the wire: its SPI and a digest of
protocol, algorithms and keys. A receiver with a different SA (or none where the other side has
one) drops the hello as the kernel drops a packet with an unknown SPI or a failed ICV; the drop is
counted, never a silent adjacency (seed 002: peers "with different security associations ...
will prevent adjacencies from being established").

Neighbour states: Init on the first hello; 2Way when the neighbour lists our router ID; Full at
once after 2Way when one side is DR or BDR or the link is point-to-point (the database exchange
is not modelled: there are no LSAs to exchange); back to Init on a one-way hello; gone (Down)
when `dead-interval` (default 4 x hello) passes without a hello. DR election: highest priority,
then highest router ID, among routers in 2Way or above (no wait timer, no preemption guard).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

from ...config.tree import ConfigNode
from .interfaces import configured_units
from .ipsec.config import child, entries, value
from .security.config import read as read_es

OSPF_PORT = 89
DEFAULT_PRIORITY = 128
STATES_UP = ("2Way", "Full")


@dataclass
class Neighbor:
    router_id: str
    address: str
    priority: int
    state: str
    dr: str = "0.0.0.0"
    bdr: str = "0.0.0.0"
    last_hello: float = 0.0
    up_since: float = 0.0
    timer: Any = None


@dataclass
class OspfInterface:
    name: str
    area: str
    address: ipaddress.IPv4Interface
    hello: int
    dead: int
    priority: int
    cost: int
    p2p: bool
    passive: bool
    sa_name: str | None
    sa_spi: int | None
    sa_digest: str | None
    neighbors: dict[str, Neighbor] = field(default_factory=dict)
    dr: str = "0.0.0.0"  # router IDs
    bdr: str = "0.0.0.0"
    hellos_sent: int = 0
    hellos_received: int = 0
    ipsec_bad_spi: int = 0  # hellos dropped: no SA for their SPI (or protected vs clear)
    ipsec_auth_failures: int = 0  # same SPI, different algorithms or keys
    timer: Any = None

    def signature(self) -> tuple:
        return (self.name, self.area, str(self.address), self.hello, self.dead, self.priority, self.cost,
                self.p2p, self.passive, self.sa_name, self.sa_spi, self.sa_digest)


def _sa_wire(tree: ConfigNode, name: str | None) -> tuple[int | None, str | None]:
    """(SPI, digest of protocol/algorithms/keys) of a manual bidirectional SA; (None, None) for
    none. A dynamic SA cannot protect OSPF (commit check), so it is treated as absent."""
    if name is None:
        return None, None
    sa = read_es(tree).sas.get(name)
    md = sa.direction("outbound") if sa is not None else None
    if md is None:
        return None, None
    parts = [md.protocol or "", str(md.spi), str(md.aux_spi or 0), md.auth_alg or "",
             (md.auth_key.raw() or b"").hex() if md.auth_key else "", md.enc_alg or "",
             (md.enc_key.raw() or b"").hex() if md.enc_key else ""]
    return md.spi, hashlib.sha256("|".join(parts).encode()).hexdigest()


def router_id(tree: ConfigNode) -> str:
    """routing-options router-id; else the first lo0 address; else the lowest interface address."""
    rid = value(child(tree, "routing-options"), "router-id")
    if rid:
        return rid
    addrs = []
    for u in configured_units(tree):
        for a in u.addresses:
            if ":" in a:
                continue
            ip = str(ipaddress.ip_interface(a).ip)
            if u.name.startswith("lo0"):
                return ip
            addrs.append(ipaddress.IPv4Address(ip))
    return str(min(addrs)) if addrs else "0.0.0.0"


def configured(tree: ConfigNode) -> list[OspfInterface]:
    ospf = child(child(tree, "protocols"), "ospf")
    if ospf is None:
        return []
    units = {u.name: u for u in configured_units(tree) if u.admin_up}
    out = []
    for area in entries(ospf, "area"):
        for itf in entries(area, "interface"):
            name = itf.key or ""
            u = units.get(name)
            v4 = [a for a in (u.addresses if u else []) if ":" not in a]
            if not v4 or child(itf, "disable") is not None:
                continue
            hello = int(value(itf, "hello-interval") or 10)
            spi, digest = _sa_wire(tree, value(itf, "ipsec-sa"))
            p2p = value(itf, "interface-type") == "p2p" or not name.startswith(("ge-", "fe-", "xe-", "irb", "vlan"))
            out.append(OspfInterface(
                name, area.key or "", ipaddress.IPv4Interface(v4[0]), hello, int(value(itf, "dead-interval") or 4 * hello),
                int(value(itf, "priority") or DEFAULT_PRIORITY), int(value(itf, "metric") or 1), p2p,
                child(itf, "passive") is not None, value(itf, "ipsec-sa"), spi, digest))
    return out


class Ospf:
    """The OSPF instance of one device (`device.ospf`), rebuilt from every commit."""

    def __init__(self, device: Any, network: Any, scheduler: Any) -> None:
        self.device = device
        self.network = network
        self.scheduler = scheduler
        self.router_id = "0.0.0.0"
        self.interfaces: dict[str, OspfInterface] = {}

    # ----- configuration ------------------------------------------------------------------

    def apply(self, tree: ConfigNode) -> None:
        rid = router_id(tree)
        wanted = {i.name: i for i in configured(tree)}
        for name, old in list(self.interfaces.items()):
            new = wanted.get(name)
            if new is None or new.signature() != old.signature() or rid != self.router_id:
                self._stop(old)
                del self.interfaces[name]
        self.router_id = rid
        for name, itf in wanted.items():
            if name in self.interfaces:
                continue
            self.interfaces[name] = itf
            if itf.passive:
                continue
            addr = str(itf.address.ip)
            self.network.bind(addr, OSPF_PORT, lambda data, src, now, i=itf: self._receive(i, data, src, now))
            itf.timer = self.scheduler.every(itf.hello, lambda i=itf: self._send_hello(i),
                                             first=self.scheduler.now(), name=f"{self.device.name} ospf hello {name}")

    def _stop(self, itf: OspfInterface) -> None:
        if itf.timer is not None:
            itf.timer.cancel()
        for nb in itf.neighbors.values():
            if nb.timer is not None:
                nb.timer.cancel()
            before, nb.state = nb.state, "Down"
            self._log(itf, nb, before, "KillNbr")  # the interface's OSPF settings changed
        itf.neighbors.clear()
        self.network.unbind(str(itf.address.ip), OSPF_PORT)

    def close(self) -> None:
        for itf in self.interfaces.values():
            self._stop(itf)
        self.interfaces.clear()

    # ----- hellos -------------------------------------------------------------------------

    def _segment(self, itf: OspfInterface) -> list[str]:
        """Other OSPF speakers on the interface's subnet (what the multicast hello reaches)."""
        mine = str(itf.address.ip)
        net = itf.address.network
        out = []
        for addr in self.network.listeners(OSPF_PORT):
            if addr != mine and ipaddress.ip_address(addr) in net:
                out.append(addr)
        return sorted(out, key=ipaddress.ip_address)

    def _send_hello(self, itf: OspfInterface) -> None:
        self._elect(itf)
        hello = {"rid": self.router_id, "area": itf.area, "mask": itf.address.network.prefixlen,
                 "hello": itf.hello, "dead": itf.dead, "pri": itf.priority, "dr": itf.dr, "bdr": itf.bdr,
                 "nbrs": sorted(nb.router_id for nb in itf.neighbors.values()),
                 "spi": itf.sa_spi, "sa": itf.sa_digest}
        data = json.dumps(hello, sort_keys=True).encode()
        src = (str(itf.address.ip), OSPF_PORT)
        for dst in self._segment(itf):
            itf.hellos_sent += 1
            self.network.send(src, (dst, OSPF_PORT), data)

    def _receive(self, itf: OspfInterface, data: bytes, src: tuple[str, int], now: float) -> None:
        try:
            h = json.loads(data)
        except ValueError:
            return
        if h.get("spi") != itf.sa_spi:
            itf.ipsec_bad_spi += 1  # no inbound SA for this SPI (or protected vs clear text)
            return
        if h.get("sa") != itf.sa_digest:
            itf.ipsec_auth_failures += 1  # same SPI, wrong algorithms or keys: the ICV fails
            return
        if (h.get("area") != itf.area or h.get("hello") != itf.hello or h.get("dead") != itf.dead
                or h.get("mask") != itf.address.network.prefixlen):
            return  # OSPF drops hellos whose area, timers or mask disagree
        itf.hellos_received += 1
        addr = src[0]
        nb = itf.neighbors.get(addr)
        if nb is None:
            nb = itf.neighbors[addr] = Neighbor(h["rid"], addr, int(h["pri"]), "Init", up_since=now)
        nb.router_id, nb.priority, nb.dr, nb.bdr, nb.last_hello = h["rid"], int(h["pri"]), h["dr"], h["bdr"], now
        if nb.timer is not None:
            nb.timer.cancel()
        nb.timer = self.scheduler.call_at(now + itf.dead, lambda: self._dead(itf, addr),
                                          name=f"{self.device.name} ospf dead {addr}")
        two_way = self.router_id in h.get("nbrs", [])
        before = nb.state
        if not two_way:
            nb.state = "Init"
        elif nb.state == "Init":
            nb.state = "2Way"
        self._elect(itf)
        if nb.state == "2Way" and (itf.p2p or self.router_id in (itf.dr, itf.bdr) or nb.router_id in (itf.dr, itf.bdr)):
            nb.state = "Full"
        if nb.state != before:
            if nb.state == "Full":
                nb.up_since = now
            self._log(itf, nb, before)

    def _dead(self, itf: OspfInterface, addr: str) -> None:
        nb = itf.neighbors.pop(addr, None)
        if nb is None:
            return
        before, nb.state = nb.state, "Down"
        self._log(itf, nb, before, "InactivityTimer")
        self._elect(itf)

    def _log(self, itf: OspfInterface, nb: Neighbor, before: str, why: str = "") -> None:
        event = why or {"Init": "HelloReceived", "2Way": "TwoWayReceived", "Full": "AdjOK"}.get(nb.state, "")
        tag = "RPD_OSPF_NBRUP" if nb.state == "Full" else "RPD_OSPF_NBRDOWN" if nb.state == "Down" else None
        if tag:
            self.device.syslog(f"rpd: {tag}: OSPF neighbor {nb.address} (realm ospf-v2 {itf.name} area {itf.area}) "
                               f"state changed from {before} to {nb.state} due to {event}")

    def _elect(self, itf: OspfInterface) -> None:
        if itf.p2p:
            itf.dr = itf.bdr = "0.0.0.0"
            return
        cands = [(itf.priority, ipaddress.IPv4Address(self.router_id))] + [
            (nb.priority, ipaddress.IPv4Address(nb.router_id)) for nb in itf.neighbors.values() if nb.state in STATES_UP]
        ranked = sorted((c for c in cands if c[0] > 0), reverse=True)
        itf.dr = str(ranked[0][1]) if ranked else "0.0.0.0"
        itf.bdr = str(ranked[1][1]) if len(ranked) > 1 else "0.0.0.0"

    # ----- for show commands --------------------------------------------------------------

    def state_of(self, itf: OspfInterface) -> str:
        if itf.passive:
            return "DRother"
        if itf.p2p:
            return "PtToPt"
        if itf.dr == self.router_id:
            return "DR"
        if itf.bdr == self.router_id:
            return "BDR"
        return "DRother"

    def address_of(self, itf: OspfInterface, rid: str) -> str:
        if rid == self.router_id:
            return str(itf.address.ip)
        for nb in itf.neighbors.values():
            if nb.router_id == rid:
                return nb.address
        return "0.0.0.0"


def apply(device: Any) -> None:
    """After a commit (and at join): start, change or stop OSPF on the device."""
    tunnels = device.tunnels
    if tunnels is None:
        return  # not in a world yet: join applies it
    inst = getattr(device, "ospf", None)
    if inst is None:
        inst = Ospf(device, tunnels.network, tunnels.scheduler)
        device.ospf = inst
    inst.apply(device.store.active)
