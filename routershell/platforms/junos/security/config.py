"""A typed view of the ES PIC configuration: security associations, IKE policies, es- units and
the places that name an SA (firewall terms, OSPF/OSPFv3 interfaces and links, BGP groups).

Manual SA directions are read with the AS/MS PIC reader (ipsec/config.py), so both PICs share
one validation of SPIs, algorithms and keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ....config.tree import ConfigNode, Path
from ..ipsec.config import ManualDirection, _manual, child, entries, read_key, value, values

SECURITY: Path = (("security", None),)
IPSEC: Path = SECURITY + (("ipsec", None),)
IKE: Path = SECURITY + (("ike", None),)


@dataclass
class SecurityAssociation:
    name: str
    path: Path
    mode: str | None
    manual: list[ManualDirection] | None  # None: not a manual SA
    ipsec_policy: str | None = None
    replay_window: int | None = None
    dynamic: bool = False

    def direction(self, which: str) -> ManualDirection | None:
        """The manual direction that applies to `which` (inbound/outbound): its own, or the
        bidirectional one."""
        for md in self.manual or []:
            if md.direction in (which, "bidirectional"):
                return md
        return None


@dataclass
class EsUnit:
    interface: str
    unit: str
    path: Path
    source: str | None
    destination: str | None
    backup: str | None
    ipsec_sa: str | None
    addresses: list[str] = field(default_factory=list)
    filter_input: str | None = None

    @property
    def name(self) -> str:
        return f"{self.interface}.{self.unit}"


@dataclass
class SaUse:
    """A statement that names an SA: where, what kind (es-unit | filter | ospf | ospf3 | bgp)."""

    kind: str
    path: Path
    sa: str
    where: str  # interface, filter/term, group: for messages and shows
    area: str | None = None


@dataclass
class EsConfig:
    sas: dict[str, SecurityAssociation]
    ike_proposals: dict[str, ConfigNode]
    ike_policies: dict[str, ConfigNode]
    ipsec_proposals: dict[str, ConfigNode]
    ipsec_policies: dict[str, ConfigNode]
    es_units: dict[str, EsUnit]
    other_units_with_sa: list[tuple[str, Path]]  # non-es units that name an ipsec-sa
    uses: list[SaUse]


def _sa(node: ConfigNode) -> SecurityAssociation:
    path = IPSEC + (("security-association", node.key),)
    man = child(node, "manual")
    dyn = child(node, "dynamic")
    rw = value(dyn, "replay-window-size")
    return SecurityAssociation(
        node.key or "", path, value(node, "mode"),
        _manual(man, path + (("manual", None),)) if man is not None else None,
        value(dyn, "ipsec-policy"), int(rw) if rw else None, dyn is not None)


def _filter_uses(filters: list[ConfigNode], base: Path, uses: list[SaUse]) -> None:
    for f in filters:
        for t in entries(f, "term"):
            sa = value(child(t, "then"), "ipsec-sa")
            if sa:
                uses.append(SaUse("filter", base + (("filter", f.key), ("term", t.key), ("then", None)), sa,
                                  f"{f.key}/{t.key}"))


def read(tree: ConfigNode) -> EsConfig:
    sec = child(tree, "security")
    ipsec, ike = child(sec, "ipsec"), child(sec, "ike")
    units: dict[str, EsUnit] = {}
    others: list[tuple[str, Path]] = []
    uses: list[SaUse] = []
    for i in entries(child(tree, "interfaces"), "<interface-name>"):
        for u in entries(i, "unit"):
            up = (("interfaces", None), ("<interface-name>", i.key), ("unit", u.key))
            inet = child(child(u, "family"), "inet") or child(u, "inet")
            sa = value(inet, "ipsec-sa")
            name = f"{i.key}.{u.key}"
            if (i.key or "").startswith("es-"):
                tun = child(u, "tunnel")
                units[name] = EsUnit(i.key or "", u.key or "", up, value(tun, "source"), value(tun, "destination"),
                                     value(tun, "backup-destination"), sa,
                                     [a.key or "" for a in entries(inet, "address")],
                                     value(child(inet, "filter"), "input"))
                if sa:
                    uses.append(SaUse("es-unit", up, sa, name))
            elif sa:
                others.append((name, up))
    fw = child(tree, "firewall")
    _filter_uses(entries(fw, "filter"), (("firewall", None),), uses)
    fam = child(child(fw, "family"), "inet") or child(fw, "inet")
    _filter_uses(entries(fam, "filter"), (("firewall", None), ("family", None), ("inet", None)), uses)
    protocols = child(tree, "protocols")
    for proto in ("ospf", "ospf3"):
        for a in entries(child(protocols, proto), "area"):
            ap = (("protocols", None), (proto, None), ("area", a.key))
            for itf in entries(a, "interface"):
                sa = value(itf, "ipsec-sa")
                if sa:
                    uses.append(SaUse(proto, ap + (("interface", itf.key),), sa, itf.key or "", a.key))
            for nb in entries(child(a, "virtual-link"), "neighbor-id"):
                for ta in entries(nb, "transit-area"):
                    sa = value(ta, "ipsec-sa")
                    if sa:
                        uses.append(SaUse(proto, ap + (("virtual-link", None), ("neighbor-id", nb.key), ("transit-area", ta.key)),
                                          sa, f"vl-{nb.key}", a.key))
            for sh in entries(a, "sham-link-remote"):
                sa = value(sh, "ipsec-sa")
                if sa:
                    uses.append(SaUse(proto, ap + (("sham-link-remote", sh.key),), sa, f"shamlink-{sh.key}", a.key))
    for g in entries(child(protocols, "bgp"), "group"):
        gp = (("protocols", None), ("bgp", None), ("group", g.key))
        if value(g, "ipsec-sa"):
            uses.append(SaUse("bgp", gp, value(g, "ipsec-sa") or "", g.key or ""))
        for nb in entries(g, "neighbor"):
            if value(nb, "ipsec-sa"):
                uses.append(SaUse("bgp", gp + (("neighbor", nb.key),), value(nb, "ipsec-sa") or "", nb.key or ""))
    return EsConfig(
        {s.key or "": _sa(s) for s in entries(ipsec, "security-association")},
        {p.key or "": p for p in entries(ike, "proposal")}, {p.key or "": p for p in entries(ike, "policy")},
        {p.key or "": p for p in entries(ipsec, "proposal")}, {p.key or "": p for p in entries(ipsec, "policy")},
        units, others, uses)


__all__ = ["EsConfig", "EsUnit", "SaUse", "SecurityAssociation", "read", "read_key", "values"]
