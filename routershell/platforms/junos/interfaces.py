"""Interfaces and routes derived from the active configuration and the chassis ports."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ...cli.records import Record
from ...config.tree import ConfigNode

IFACE = "<interface-name>"


@dataclass
class Unit:
    name: str  # ge-0/0/0.0
    admin_up: bool = True
    families: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # inet and inet6 interface addresses


def _iface_nodes(active: ConfigNode) -> dict[str, ConfigNode]:
    ifs = active.get((("interfaces", None),))
    if ifs is None:
        return {}
    return {key: n for (name, key), n in ifs.children.items() if name == IFACE and key and not n.inactive}


def configured_units(active: ConfigNode) -> list[Unit]:
    out = []
    for ifname, node in _iface_nodes(active).items():
        phys_up = ("disable", None) not in node.children
        for (name, key), unit in node.children.items():
            if name != "unit" or unit.inactive:
                continue
            u = Unit(f"{ifname}.{key}", admin_up=phys_up and ("disable", None) not in unit.children)
            fam = unit.children.get(("family", None))
            if fam is not None:
                for (fname, _), f in fam.children.items():
                    if f.inactive:
                        continue
                    u.families.append(fname)
                    u.addresses += [k for (n, k), a in f.children.items() if n == "address" and k and not a.inactive]
            out.append(u)
    return out


def _natural(name: str) -> list:
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def snmp_index(dev, unit: str) -> int | None:
    """SNMP ifIndex of a configured interface unit ("sp-1/2/0.0"), numbered as `show
    interfaces` numbers it (physical: 501 + 2 * position; units follow their interface)."""
    active = dev.store.active
    physical = sorted({p.name for p in dev.ports} | set(_iface_nodes(active)), key=_natural)
    name = unit.split(".")[0]
    if name not in physical:
        return None
    base = 501 + 2 * physical.index(name)
    units = [u.name for u in configured_units(active) if u.name.startswith(name + ".")]
    return base + 1 + units.index(unit) if unit in units else None


def interface_table(session, args: dict) -> tuple[Record | None, str]:
    dev = session.device
    active = dev.store.active
    configured = _iface_nodes(active)
    units = configured_units(active)
    physical = {p.name: p for p in dev.ports}
    for name in configured:
        physical.setdefault(name, None)
    wanted = args.get("interface-name")
    rec = Record("interface-information")
    rows = []
    for pos, name in enumerate(sorted(physical, key=_natural)):
        port = physical[name]
        if wanted and not (name == wanted or str(wanted).startswith(name + ".")):
            continue
        node = configured.get(name)
        admin = node is None or ("disable", None) not in node.children
        link = port.link_up if port is not None else True
        if name.startswith(("sp-", "ms-")):  # a services PIC's interface follows the PIC
            from .ipsec.compile import pic_of
            from .ipsec.pics import pic_up

            slot = pic_of(name)
            link = link and (slot is None or pic_up(dev, slot))
        p = rec.add("physical-interface")
        p.add("name", name)
        p.add("local-index", 128 + pos)  # stable: position in the chassis' sorted port list
        p.add("snmp-index", 501 + 2 * pos)
        p.add("admin-status", "up" if admin else "down")
        p.add("oper-status", "up" if (admin and link) else "down")
        rows.append((name, "up" if admin else "down", "up" if admin and link else "down", "", ""))
        for u in units:
            if not u.name.startswith(name + ".") or (wanted and "." in str(wanted) and u.name != wanted):
                continue
            lu = p.add("logical-interface")
            lu.add("name", u.name)
            up = u.admin_up and admin
            lu.add("admin-status", "up" if up else "down")
            lu.add("oper-status", "up" if up and link else "down")
            if name.startswith("es-"):  # ES PIC tunnel: the SA's traffic (security/shows.py)
                from .security.shows import tunnel_counters

                c = tunnel_counters(dev, u.name)
                if c is not None:
                    st = lu.add("traffic-statistics")
                    for k in ("input-packets", "output-packets", "input-bytes", "output-bytes"):
                        st.add(k, c[k])
                    st.add("input-errors", c["bad-spi-errors"] + c["authentication-errors"])
            first = True
            for fam in u.families or [""]:
                addrs = [a for a in u.addresses if (":" in a) == (fam == "inet6")] or [""]
                af = lu.add("address-family")
                af.add("address-family-name", fam)
                for a in addrs:
                    if a:
                        af.add("interface-address").add("ifa-local", a)
                    if first:
                        rows.append((u.name, "up" if up else "down", "up" if up and link else "down", fam, a))
                        first = False
                    else:
                        rows.append(("", "", "", fam if a == addrs[0] else "", a))
    if wanted and not rec.children:
        return None, f"error: device {wanted} not found\n"
    if "terse" not in args:
        return rec, _detail_text(session, rec, units)
    text = f"{'Interface':<24}{'Admin':<6}{'Link':<5}{'Proto':<9}{'Local':<22}Remote\n"
    for name, a, link, fam, local in rows:
        line = f"{name:<24}{a:<6}{link:<5}{fam:<9}{local}"
        text += line.rstrip() + "\n"
    return rec, text


@dataclass
class Route:
    prefix: ipaddress.IPv4Network | ipaddress.IPv6Network
    protocol: str
    preference: int
    nexthop: str  # "> to 10.0.0.254 via ge-0/0/0.0" style detail
    via: str = ""
    since: float = 0.0
    table: str = ""  # "" -> inet.0 / inet6.0 by family


def reverse_routes(dev) -> list[Route]:
    """Dynamic-peer reverse routes (seed 002): the peer's proxy identity through the inside
    service interface, preference 1, in the inside interface's table, while the tunnel is up;
    none for 0.0.0.0/0."""
    tm = dev.tunnels
    out: list[Route] = []
    if tm is None:
        return out
    for t in tm.tunnels():
        spec = t.spec
        if spec.establish != "responder" or t.state != "up" or not t.ipsec_sas or spec.child is None:
            continue
        remote = spec.child.remote_ts
        if not remote or ipaddress.ip_network(remote).prefixlen == 0:
            continue
        via = spec.labels.get("inside-interface", "")
        since = t.established_at if t.established_at is not None else 0.0
        out.append(Route(ipaddress.ip_network(remote), "Static", 1, f"> via {via}", via, since,
                         spec.labels.get("reverse-route-table", "")))
    return out


def routes(session) -> list[Route]:
    dev = session.device
    active = dev.store.active
    from .op_commands import lab_seconds

    last = dev.store.history[0].when if dev.store.history else None
    since = lab_seconds(session, last) if last is not None else dev.booted_at
    out: list[Route] = []
    subnets = []
    for u in configured_units(active):
        if not u.admin_up:
            continue
        for a in u.addresses:
            iface = ipaddress.ip_interface(a)
            subnets.append((iface.network, u.name))
            if iface.network.prefixlen < iface.max_prefixlen:
                out.append(Route(iface.network, "Direct", 0, f"> via {u.name}", u.name, since))
            out.append(Route(ipaddress.ip_network(f"{iface.ip}/{iface.max_prefixlen}"), "Local", 0, f"Local via {u.name}", u.name, since))
    static = active.get((("routing-options", None), ("static", None)))
    if static is not None:
        for (name, key), r in static.children.items():
            if name != "route" or r.inactive or key is None:
                continue
            pref = int(r.children[("preference", None)].value) if ("preference", None) in r.children else 5
            nh_node = r.children.get(("next-hop", None))
            if ("discard", None) in r.children:
                out.append(Route(ipaddress.ip_network(key), "Static", pref, "Discard", "", since))
            elif ("reject", None) in r.children:
                out.append(Route(ipaddress.ip_network(key), "Static", pref, "Reject", "", since))
            elif nh_node is not None and nh_node.values:
                hops = []
                for nh in nh_node.values:
                    via = next((ifn for net, ifn in subnets if ipaddress.ip_address(nh) in net), None)
                    if via is not None:
                        hops.append(f"> to {nh} via {via}")
                if hops:  # unresolvable next hops keep a static route out of the table
                    out.append(Route(ipaddress.ip_network(key), "Static", pref, "\n".join(hops), "", since))
    out += reverse_routes(dev)
    out.sort(key=lambda r: (r.table, r.prefix.version, int(r.prefix.network_address), r.prefix.prefixlen, r.preference))
    return out


def route_table(session, args: dict) -> tuple[Record, str]:
    from .op_commands import fmt_ago

    now = session.device.now()
    all_routes = routes(session)
    wanted = args.get("destination")
    if wanted:
        net = ipaddress.ip_network(wanted, strict=False)
        exact = [r for r in all_routes if r.prefix == net]
        if not exact and net.prefixlen == net.max_prefixlen:  # an address: its longest match
            covering = [r for r in all_routes if r.prefix.version == net.version and net.network_address in r.prefix]
            best = max((r.prefix.prefixlen for r in covering), default=None)
            exact = [r for r in covering if r.prefix.prefixlen == best]
        all_routes = exact
    proto = args.get("protocol")
    if proto:
        all_routes = [r for r in all_routes if r.protocol.lower() == str(proto)]
    rec = Record("route-information")
    tables: dict[str, list[Route]] = {}
    for r in all_routes:
        tables.setdefault(r.table or ("inet.0" if r.prefix.version == 4 else "inet6.0"), []).append(r)
    if args.get("table"):
        tables = {k: v for k, v in tables.items() if k == str(args["table"])}
    text = ""
    for table, rs in tables.items():
        t = rec.add("route-table")
        t.add("table-name", table)
        dests = {r.prefix for r in rs}
        t.add("destination-count", len(dests))
        t.add("total-route-count", len(rs))
        text += f"\n{table}: {len(dests)} destinations, {len(rs)} routes ({len(rs)} active, 0 holddown, 0 hidden)\n"
        text += "+ = Active Route, - = Last Active, * = Both\n\n"
        for r in rs:
            rt = t.add("rt")
            rt.add("rt-destination", str(r.prefix))
            e = rt.add("rt-entry")
            e.add("active-tag", "*")
            e.add("protocol-name", r.protocol)
            e.add("preference", r.preference)
            e.add("age", fmt_ago(now - r.since))
            head = f"{str(r.prefix):<19}*[{r.protocol}/{r.preference}] {fmt_ago(now - r.since)}"
            text += head + "\n"
            for line in r.nexthop.split("\n"):
                e.add("nh").add("to" if line.startswith(">") else "via", line)
                indent = 20 if line.startswith(">") else 22
                text += " " * indent + line + "\n"
    return rec, text


def _mac(session, name: str) -> str:
    rng = __import__("random").Random(f"{session.device.name}|{name}")  # stable per port
    return "00:05:85:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def _detail_text(session, rec: Record, units: list[Unit]) -> str:
    """The default (non-terse) layout: one block per physical interface, then its units."""
    from .op_commands import fmt_ago, fmt_time

    now = session.device.now()
    booted = session.device.booted_at
    out: list[str] = []
    for p in rec.findall("physical-interface"):
        name = p.findtext("name") or ""
        admin = p.findtext("admin-status") == "up"
        link = p.findtext("oper-status") == "up"
        loopback = name.startswith("lo")
        out.append(
            f"Physical interface: {name}, {'Enabled' if admin else 'Administratively down'}, "
            f"Physical link is {'Up' if link else 'Down'}"
        )
        snmp = int(p.findtext("snmp-index") or 0)
        out.append(f"  Interface index: {p.findtext('local-index')}, SNMP ifIndex: {snmp}")
        if loopback:
            out.append("  Type: Loopback, MTU: Unlimited")
        else:
            out.append("  Link-level type: Ethernet, MTU: 1514, Speed: 1000mbps, Loopback: Disabled")
            out.append(f"  Current address: {_mac(session, name)}, Hardware address: {_mac(session, name)}")
        out.append(f"  Last flapped   : {fmt_time(session, booted)} ({fmt_ago(now - booted)} ago)")
        out.append("  Input rate     : 0 bps (0 pps)")
        out.append("  Output rate    : 0 bps (0 pps)")
        for j, lu in enumerate(p.findall("logical-interface")):
            uname = lu.findtext("name") or ""
            out.append("")
            out.append(f"  Logical interface {uname} (Index {67 + snmp + j}) (SNMP ifIndex {snmp + 1 + j})")
            if uname.startswith("es-"):
                out.append("    Flags: Point-To-Point SNMP-Traps Encapsulation: IPSec")
                st = lu.find("traffic-statistics")
                if st is not None:
                    out.append(f"    Input packets : {st.findtext('input-packets')}, bytes: {st.findtext('input-bytes')}")
                    out.append(f"    Output packets: {st.findtext('output-packets')}, bytes: {st.findtext('output-bytes')}")
                    out.append(f"    Input errors  : {st.findtext('input-errors')}")
            else:
                out.append("    Flags: SNMP-Traps Encapsulation: " + ("Unspecified" if loopback else "ENET2"))
            unit = next((u for u in units if u.name == uname), None)
            for af in lu.findall("address-family"):
                fam = af.findtext("address-family-name")
                if not fam:
                    continue
                out.append(f"    Protocol {fam}, MTU: {'Unlimited' if loopback else 1500}")
                for a in af.findall("interface-address"):
                    local = ipaddress.ip_interface(a.findtext("ifa-local") or "")
                    net = local.network
                    line = f"      Addresses, Flags: Is-Preferred Is-Primary\n        Destination: {net}, Local: {local.ip}"
                    if fam == "inet" and net.prefixlen < 31:
                        line += f", Broadcast: {net.broadcast_address}"
                    out.append(line)
            if unit is not None and not unit.families:
                out.append("    Protocol: none")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n" if out else ""
