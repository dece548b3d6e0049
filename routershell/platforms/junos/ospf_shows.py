"""`show ospf interface [detail]`, `show ospf neighbor [detail]`, `show ospf statistics`: from the
device's OSPF instance (ospf.py), as records so `| display json|xml` works. The detail layout and
the `IPsec SA Name` line follow seed 002's `show ospf interface detail` example."""

from __future__ import annotations

from typing import Any

from ...cli.records import Record
from .op_commands import render
from .ospf import Ospf
from .registry import handler


def _instance(session: Any) -> Ospf | None:
    inst = getattr(session.device, "ospf", None)
    return inst if inst is not None and inst.interfaces else None


_NOT_RUNNING = "OSPF instance is not running\n"


@handler("op-show-ospf-interface")
async def show_ospf_interface(session, match, out, io):
    inst = _instance(session)
    if inst is None:
        return _NOT_RUNNING
    want = match.args.get("interface-name")
    detail = "detail" in match.args
    rec = Record("ospf-interface-information")
    text = f"{'Interface':<19} {'State':<7} {'Area':<15} {'DR ID':<15} {'BDR ID':<15} Nbrs\n"
    for itf in inst.interfaces.values():
        if want and itf.name != want:
            continue
        state = inst.state_of(itf)
        nbrs = sum(1 for nb in itf.neighbors.values() if nb.state == "Full")
        r = rec.add("ospf-interface")
        for k, v in (("interface-name", itf.name), ("ospf-interface-state", state), ("ospf-area", itf.area),
                     ("dr-id", itf.dr), ("bdr-id", itf.bdr), ("neighbor-count", nbrs)):
            r.add(k, v)
        text += f"{itf.name:<19} {state:<7} {itf.area:<15} {itf.dr:<15} {itf.bdr:<15} {nbrs:>4}\n"
        if not detail:
            continue
        kind = "P2P" if itf.p2p else "LAN"
        addr, mask = str(itf.address.ip), str(itf.address.network.netmask)
        r.add("interface-type", kind)
        r.add("interface-address", addr)
        r.add("address-mask", mask)
        r.add("interface-cost", itf.cost)
        text += f"  Type {kind}, address {addr}, Mask {mask}, MTU 1500, Cost {itf.cost}\n"
        if not itf.p2p:
            dr_addr, bdr_addr = inst.address_of(itf, itf.dr), inst.address_of(itf, itf.bdr)
            r.add("dr-address", dr_addr)
            r.add("bdr-address", bdr_addr)
            r.add("router-priority", itf.priority)
            text += f"  DR addr {dr_addr}, BDR addr {bdr_addr}, Adj count {nbrs}, Priority {itf.priority}\n"
        else:
            text += f"  Adj count {nbrs}\n"
        r.add("hello-interval", itf.hello)
        r.add("dead-interval", itf.dead)
        text += f"  Hello {itf.hello}, Dead {itf.dead}, ReXmit 5, Not Stub\n"
        if itf.sa_name:
            r.add("ipsec-sa-name", itf.sa_name)
            text += f"  IPsec SA Name: {itf.sa_name}\n"
    return render(session, rec, text)


@handler("op-show-ospf-neighbor")
async def show_ospf_neighbor(session, match, out, io):
    inst = _instance(session)
    if inst is None:
        return _NOT_RUNNING
    now = session.device.now()
    detail = "detail" in match.args
    rec = Record("ospf-neighbor-information")
    text = f"{'Address':<16} {'Interface':<22} {'State':<9} {'ID':<16} {'Pri':>3}  Dead\n"
    for itf in inst.interfaces.values():
        for nb in sorted(itf.neighbors.values(), key=lambda n: n.address):
            dead = max(0, int(nb.last_hello + itf.dead - now))
            r = rec.add("ospf-neighbor")
            for k, v in (("neighbor-address", nb.address), ("interface-name", itf.name), ("ospf-neighbor-state", nb.state),
                         ("neighbor-id", nb.router_id), ("neighbor-priority", nb.priority), ("activity-timer", dead)):
                r.add(k, v)
            text += f"{nb.address:<16} {itf.name:<22} {nb.state:<9} {nb.router_id:<16} {nb.priority:>3}  {dead:>4}\n"
            if detail:
                text += f"  Area {itf.area}, opt 0x42, DR {itf.dr}, BDR {itf.bdr}\n"
                if nb.state == "Full":
                    text += f"  Up {_ago(now - nb.up_since)}, adjacent {_ago(now - nb.up_since)}\n"
    return render(session, rec, text)


@handler("op-show-ospf-statistics")
async def show_ospf_statistics(session, match, out, io):
    """Hello counts and the hellos the interface's IPsec SA refused (the mismatch evidence)."""
    inst = _instance(session)
    if inst is None:
        return _NOT_RUNNING
    rec = Record("ospf-statistics-information")
    text = f"{'Interface':<19} {'Hello sent':>10} {'Hello rcvd':>10} {'IPsec bad SPI':>14} {'IPsec auth fail':>16}\n"
    for itf in inst.interfaces.values():
        r = rec.add("ospf-interface-statistics")
        for k, v in (("interface-name", itf.name), ("hellos-sent", itf.hellos_sent), ("hellos-received", itf.hellos_received),
                     ("ipsec-bad-spi", itf.ipsec_bad_spi), ("ipsec-authentication-failures", itf.ipsec_auth_failures)):
            r.add(k, v)
        text += (f"{itf.name:<19} {itf.hellos_sent:>10} {itf.hellos_received:>10} {itf.ipsec_bad_spi:>14} "
                 f"{itf.ipsec_auth_failures:>16}\n")
    return render(session, rec, text)


def _ago(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
