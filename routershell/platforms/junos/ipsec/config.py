"""A typed view of the Junos IPsec configuration (services, access, sp- units, VRFs).

Read once per commit from a ConfigNode tree (the commit check reads it, the compile after the
commit reuses that view: `read_for_check` / `take_checked`); inactive statements are skipped.
Every object keeps the tree path of its statement so checks can report `[edit ...]`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ....config.tree import ConfigNode, Path
from ..secrets import SecretError, decrypt9, is_encrypted9

SERVICES: Path = (("services", None),)
IPSEC_VPN: Path = SERVICES + (("ipsec-vpn", None),)


def child(node: ConfigNode | None, name: str, key: str | None = None) -> ConfigNode | None:
    if node is None:
        return None
    c = node.children.get((name, key))
    return None if c is None or c.inactive else c


def entries(node: ConfigNode | None, name: str) -> list[ConfigNode]:
    """Active list entries `name KEY` in configured order."""
    if node is None:
        return []
    return [c for (n, _), c in node.children.items() if n == name and not c.inactive]


def value(node: ConfigNode | None, *names: str) -> str | None:
    for n in names:
        node = child(node, n)
    return node.value if node is not None else None


def values(node: ConfigNode | None, *names: str) -> list[str]:
    for n in names:
        node = child(node, n)
    return list(node.values) if node is not None else []


def flag(node: ConfigNode | None, *names: str) -> bool:
    for n in names:
        node = child(node, n)
    return node is not None


@dataclass(frozen=True)
class Key:
    """`key|pre-shared-key (ascii-text K | hexadecimal K)` decoded to bytes."""

    fmt: str  # "ascii-text" | "hexadecimal"
    stored: str  # as configured ($9$ or plain text)
    path: Path

    def text(self) -> str:
        if is_encrypted9(self.stored):
            try:
                return decrypt9(self.stored)
            except SecretError:
                return self.stored
        return self.stored

    def raw(self) -> bytes | None:
        """The key bytes; None if a hexadecimal key is not valid hex."""
        t = self.text()
        if self.fmt == "ascii-text":
            return t.encode("latin-1", "replace")
        t = t[2:] if t.lower().startswith("0x") else t
        try:
            return bytes.fromhex(t)
        except ValueError:
            return None


def read_key(node: ConfigNode | None, path: Path) -> Key | None:
    if node is None:
        return None
    for fmt in ("ascii-text", "hexadecimal"):
        c = child(node, fmt)
        if c is not None and c.value is not None:
            return Key(fmt, c.value, path + ((fmt, None),))
    return None


@dataclass
class ManualDirection:
    direction: str
    path: Path
    protocol: str | None
    spi: int | None
    aux_spi: int | None
    auth_alg: str | None
    auth_key: Key | None
    enc_alg: str | None
    enc_key: Key | None


@dataclass
class Term:
    rule: str
    name: str
    path: Path
    sources: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    inside_interface: str | None = None
    remote: str | None = None
    backup: str | None = None
    dynamic: bool = False
    ike_policy: str | None = None
    ipsec_policy: str | None = None
    manual: list[ManualDirection] = field(default_factory=list)
    initiate_dpd: bool = False
    clear_df: bool = False
    no_anti_replay: bool = False
    syslog: bool = False
    tunnel_mtu: int | None = None

    @property
    def source(self) -> str | None:
        return self.sources[0] if self.sources else None

    @property
    def destination(self) -> str | None:
        return self.destinations[0] if self.destinations else None


@dataclass
class Rule:
    name: str
    path: Path
    direction: str | None
    terms: list[Term]


@dataclass
class ServiceSet:
    name: str
    path: Path
    kind: str | None  # "interface" | "next-hop" | None
    service_interface: str | None = None
    inside: str | None = None
    outside: str | None = None
    local_gateway: str | None = None
    local_gateways: list[str] = field(default_factory=list)
    local_routing_instance: str | None = None
    trusted_ca: list[str] = field(default_factory=list)
    access_profiles: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@dataclass
class AccessProfile:
    name: str
    path: Path
    proxy_pairs: list[tuple[str, str]]  # (remote, local)
    psk: Key | None
    interface_id: str | None


@dataclass
class SpUnit:
    interface: str
    unit: str
    path: Path
    service_domain: str | None
    ipsec_interface_id: str | None
    l2tp_interface_id: str | None
    shared: bool
    dedicated: bool

    @property
    def name(self) -> str:
        return f"{self.interface}.{self.unit}"


@dataclass
class IpsecConfig:
    rules: dict[str, Rule]
    rule_sets: dict[str, list[str]]
    ike_proposals: dict[str, ConfigNode]
    ike_policies: dict[str, ConfigNode]
    ipsec_proposals: dict[str, ConfigNode]
    ipsec_policies: dict[str, ConfigNode]
    service_sets: dict[str, ServiceSet]
    access_profiles: dict[str, AccessProfile]
    sp_units: dict[str, SpUnit]
    vrf_of: dict[str, str]  # interface unit -> routing instance
    establish: str
    clear_ike_on_restart: bool
    clear_ipsec_on_restart: bool
    # what compile derives per policy, once per compile (10k terms share a few policies)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def rules_of(self, ss: ServiceSet) -> list[Rule]:
        """The service set's rules in configured order (rule sets expanded)."""
        out: list[Rule] = []
        for name in ss.rules:
            for r in self.rule_sets.get(name, [name]):
                if r in self.rules and self.rules[r] not in out:
                    out.append(self.rules[r])
        return out


def _int(v: str | None) -> int | None:
    return int(v) if v is not None and v.isdigit() else None


def _manual(node: ConfigNode, path: Path) -> list[ManualDirection]:
    out = []
    for d in entries(node, "direction"):
        dp = path + (("direction", d.key),)
        auth, enc = child(d, "authentication"), child(d, "encryption")
        out.append(ManualDirection(
            d.key or "", dp, value(d, "protocol"), _int(value(d, "spi")), _int(value(d, "auxiliary-spi")),
            value(auth, "algorithm"), read_key(child(auth, "key"), dp + (("authentication", None), ("key", None))),
            value(enc, "algorithm"), read_key(child(enc, "key"), dp + (("encryption", None), ("key", None))),
        ))
    return out


def _present(node: ConfigNode | None) -> dict[str, ConfigNode]:
    """The active keyless statements under `node` by name (what child/value/flag find)."""
    if node is None:
        return {}
    return {n: c for (n, k), c in node.children.items() if k is None and not c.inactive}


def _term(rule: str, t: ConfigNode, path: Path) -> Term:
    # Read for every one of (up to 10k) terms per commit: the few statements a term has are
    # collected once instead of looking up each possible one (same meaning as child/value/
    # values/flag: inactive statements do not count).
    fn, tn = t.children.get(("from", None)), t.children.get(("then", None))
    f = _present(fn if fn is not None and not fn.inactive else None)
    th = _present(tn if tn is not None and not tn.inactive else None)
    dyn = th.get("dynamic")
    dk = _present(dyn)
    man = th.get("manual")
    src, dst, inside = f.get("source-address"), f.get("destination-address"), f.get("ipsec-inside-interface")
    remote, backup, mtu = th.get("remote-gateway"), th.get("backup-remote-gateway"), th.get("tunnel-mtu")
    ike, ipsec = dk.get("ike-policy"), dk.get("ipsec-policy")
    return Term(
        rule, t.key or "", path,
        sources=list(src.values) if src is not None else [],
        destinations=list(dst.values) if dst is not None else [],
        inside_interface=inside.value if inside is not None else None,
        remote=remote.value if remote is not None else None,
        backup=backup.value if backup is not None else None,
        dynamic=dyn is not None,
        ike_policy=ike.value if ike is not None else None,
        ipsec_policy=ipsec.value if ipsec is not None else None,
        manual=_manual(man, path + (("then", None), ("manual", None))) if man is not None else [],
        initiate_dpd="initiate-dead-peer-detection" in th, clear_df="clear-dont-fragment-bit" in th,
        no_anti_replay="no-anti-replay" in th, syslog="syslog" in th,
        tunnel_mtu=_int(mtu.value if mtu is not None else None),
    )


def read(tree: ConfigNode) -> IpsecConfig:
    vpn = tree.get(IPSEC_VPN)
    if vpn is not None and vpn.inactive:
        vpn = None
    services = child(tree, "services")
    rules: dict[str, Rule] = {}
    for r in entries(vpn, "rule"):
        rp = IPSEC_VPN + (("rule", r.key),)
        terms = [_term(r.key or "", t, rp + (("term", t.key),)) for t in entries(r, "term")]
        rules[r.key or ""] = Rule(r.key or "", rp, value(r, "match-direction"), terms)
    rule_sets = {rs.key or "": values(rs, "rule") for rs in entries(vpn, "rule-set")}
    ike, ipsec = child(vpn, "ike"), child(vpn, "ipsec")
    sets: dict[str, ServiceSet] = {}
    for s in entries(services, "service-set"):
        sp = SERVICES + (("service-set", s.key),)
        isv, nh, opts = child(s, "interface-service"), child(s, "next-hop-service"), child(s, "ipsec-vpn-options")
        lgs = entries(opts, "local-gateway")
        sets[s.key or ""] = ServiceSet(
            s.key or "", sp, "interface" if isv is not None else "next-hop" if nh is not None else None,
            service_interface=value(isv, "service-interface"),
            inside=value(nh, "inside-service-interface"), outside=value(nh, "outside-service-interface"),
            local_gateway=lgs[0].key if lgs else None, local_gateways=[g.key or "" for g in lgs],
            local_routing_instance=value(lgs[0], "routing-instance") if lgs else None,
            trusted_ca=values(opts, "trusted-ca"), access_profiles=values(opts, "ike-access-profile"),
            rules=values(s, "ipsec-vpn-rules"),
        )
    profiles: dict[str, AccessProfile] = {}
    for p in entries(child(tree, "access"), "profile"):
        pp = (("access", None), ("profile", p.key))
        for c in entries(p, "client"):
            ike_n = child(c, "ike")
            ip = pp + (("client", c.key), ("ike", None))
            pairs = [(r.key or "", value(r, "local") or "0.0.0.0/0") for r in entries(child(ike_n, "allowed-proxy-pair"), "remote")]
            profiles[p.key or ""] = AccessProfile(
                p.key or "", ip, pairs, read_key(child(ike_n, "pre-shared-key"), ip + (("pre-shared-key", None),)),
                value(ike_n, "interface-id"))
    units: dict[str, SpUnit] = {}
    for i in entries(child(tree, "interfaces"), "<interface-name>"):
        if not (i.key or "").startswith(("sp-", "ms-")):
            continue
        for u in entries(i, "unit"):
            dial = child(u, "dial-options")
            up = (("interfaces", None), ("<interface-name>", i.key), ("unit", u.key))
            su = SpUnit(i.key or "", u.key or "", up, value(u, "service-domain"), value(dial, "ipsec-interface-id"),
                        value(dial, "l2tp-interface-id"), flag(dial, "shared"), flag(dial, "dedicated"))
            units[su.name] = su
    vrf_of = {}
    for ri in entries(child(tree, "routing-instances"), "<instance-name>"):
        for itf in entries(ri, "interface"):
            vrf_of[itf.key or ""] = ri.key or ""
    return IpsecConfig(
        rules, rule_sets,
        {p.key or "": p for p in entries(ike, "proposal")}, {p.key or "": p for p in entries(ike, "policy")},
        {p.key or "": p for p in entries(ipsec, "proposal")}, {p.key or "": p for p in entries(ipsec, "policy")},
        sets, profiles, units, vrf_of,
        value(vpn, "establish-tunnels") or "immediately",
        flag(vpn, "clear-ike-sas-on-pic-restart"), flag(vpn, "clear-ipsec-sas-on-pic-restart"),
    )


# The commit check reads the tree a commit is about to install; the compile after the commit
# would read the same tree again (10k terms: tens of ms). One slot hands the view over. It holds
# the tree itself, so `is` cannot be fooled by a reused id, and it can only hand over a view of
# the tree as it was checked: the store checks a tree it has just built (a copy of the candidate,
# or a merge) and installs that very tree, which nothing changes once it is active.
# per thread: served labs may run in threads of one process, and a check in one must not be
# taken (or popped from under) by a commit in another
_checked = threading.local()


def read_for_check(tree: ConfigNode) -> IpsecConfig:
    """read(tree) for the commit check, kept for `take_checked`."""
    cfg = read(tree)
    _checked.view = (tree, cfg)
    return cfg


def take_checked(tree: ConfigNode) -> IpsecConfig:
    """The view the last commit check read of this very tree (the active configuration after a
    commit), else a fresh read. Taken once: the slot is empty afterwards."""
    found = getattr(_checked, "view", None)
    _checked.view = None
    if found is not None and found[0] is tree:
        return found[1]
    return read(tree)
