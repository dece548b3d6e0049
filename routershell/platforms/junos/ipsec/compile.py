"""Compile the active Junos IPsec configuration into runtime TunnelSpecs.

One spec per (service set, rule, term) in rule lookup order — static rules in configured order,
then one responder template per service set with an IKE access profile (dynamic peers). Values
the configuration leaves open come from Table 55 / Table 56 (defaults.py); failover timing from
the seed-001 table (defaults.py constants).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ....config.tree import ConfigNode
from ....engine.dpd import DpdPolicy
from ....engine.failover import FailoverPolicy
from ....engine.peer import ChildConfig, PeerConfig
from ....engine.proposals import IkeProposal, IpsecProposal
from ....engine.retransmit import fixed
from ....runtime.ipsec import TunnelSpec
from . import defaults as d
from .config import IpsecConfig, ServiceSet, Term, child, read, value, values


@dataclass(frozen=True)
class ManualDir:
    direction: str  # inbound | outbound | bidirectional
    protocol: str
    spi: int
    aux_spi: int | None
    auth_alg: str | None
    auth_key: bytes | None
    enc_alg: str | None
    enc_key: bytes | None


@dataclass(frozen=True)
class ManualSa:
    """`then manual` of a term: no IKE; the runtime installs these SAs as given."""

    directions: tuple[ManualDir, ...]


# Phase 1 times out 30 s after the first main-mode message (issue 6 table): sends at 0, 10, 20.
PHASE1_SCHEDULE = fixed(d.PHASE1_TIMEOUT / 3, 2, "issue 6 / seed 001: phase 1 timeout 30 s")
# Junos always answers DPD (J-series too: seed 001); hellos are sent by the failover poll.
ANSWER_DPD = DpdPolicy(interval=d.INACTIVITY, retry_interval=d.HELLO_INTERVAL, retries=d.HELLO_RETRIES,
                       initiate=False, respond=True)
FAILOVER = FailoverPolicy(
    detect=True, poll_interval=d.POLL_INTERVAL, inactivity=d.INACTIVITY,
    probe=fixed(d.HELLO_INTERVAL, d.HELLO_RETRIES, "seed 001: hello, two retries at 2-second intervals"),
    max_failovers=d.MAX_FAILOVERS, source="seed 001: backup remote gateway failover (Junos AS/MS PIC)",
)


class CompileError(ValueError):
    """The configuration cannot be turned into engine objects (commit check should prevent it)."""


def pic_of(interface: str | None) -> str | None:
    """`sp-3/3/0.4` -> "3/3" (FPC/PIC slot of the services PIC)."""
    if not interface or "-" not in interface:
        return None
    fpc_pic = interface.split("-", 1)[1].split(".")[0].split("/")
    return "/".join(fpc_pic[:2]) if len(fpc_pic) >= 2 else None


def service_set_pic(ss: ServiceSet) -> str | None:
    return pic_of(ss.service_interface or ss.inside or ss.outside)


def ike_proposal(node: ConfigNode | None) -> IkeProposal:
    def get(stmt: str) -> str:
        return value(node, stmt) or d.table55(f"ike proposal {stmt}")

    return IkeProposal(
        auth=d.IKE_AUTH[get("authentication-method")], hash=d.IKE_HASH[get("authentication-algorithm")],
        cipher=d.IKE_CIPHER[get("encryption-algorithm")], dh_group=d.DH_GROUP[get("dh-group")],
        lifetime_s=int(get("lifetime-seconds")),
    )


def ipsec_proposal(node: ConfigNode | None, pfs: int | None) -> IpsecProposal:
    def get(stmt: str) -> str:
        return value(node, stmt) or d.table55(f"ipsec proposal {stmt}")

    proto = get("protocol")
    auth = d.IPSEC_AUTH[get("authentication-algorithm")]
    life = int(get("lifetime-seconds"))
    if proto == "ah":
        return IpsecProposal("ah", None, auth, pfs, life)
    # bundle (AH + ESP) negotiates as ESP with authentication in the engine
    return IpsecProposal("esp", d.IKE_CIPHER[get("encryption-algorithm")], auth, pfs, life)


def _ike(cfg: IpsecConfig, policy: str | None) -> tuple[tuple[IkeProposal, ...], str, bytes | None, ConfigNode | None, bool]:
    """(proposals, mode, pre-shared key, policy node, whether a proposal uses certificates)."""
    key = ("ike", policy)
    if key not in cfg.memo:
        props, mode, psk, pol = _ike_uncached(cfg, policy)
        cfg.memo[key] = props, mode, psk, pol, any(p.auth == "rsa-sig" for p in props)
    return cfg.memo[key]


def _ike_uncached(cfg: IpsecConfig, policy: str | None) -> tuple[tuple[IkeProposal, ...], str, bytes | None, ConfigNode | None]:
    pol = cfg.ike_policies.get(policy or "")
    names = values(pol, "proposals")
    props = tuple(ike_proposal(cfg.ike_proposals.get(n)) for n in names) or (ike_proposal(None),)
    from .config import read_key

    key = read_key(child(pol, "pre-shared-key"), ())
    raw = key.raw() if key is not None else None
    return props, value(pol, "mode") or d.table55("ike policy mode"), raw, pol


def _child(cfg: IpsecConfig, name: str, policy: str | None, local_ts: str | None, remote_ts: str | None) -> ChildConfig:
    key = ("child", policy)
    if key not in cfg.memo:
        pol = cfg.ipsec_policies.get(policy or "")
        pfs_node = child(pol, "perfect-forward-secrecy")
        pfs = d.DH_GROUP[value(pfs_node, "keys") or d.table55("ipsec policy perfect-forward-secrecy keys")] if pfs_node is not None else None
        names = values(pol, "proposals")
        cfg.memo[key] = tuple(ipsec_proposal(cfg.ipsec_proposals.get(n), pfs) for n in names) or (ipsec_proposal(None, pfs),)
    return ChildConfig(name, cfg.memo[key], local_ts, remote_ts)


def _selectors(t: Term) -> tuple[str | None, str | None]:
    if t.source is None and t.destination is None:
        return None, None
    return (t.source or "0.0.0.0/0"), (t.destination or "0.0.0.0/0")


def _labels(cfg: IpsecConfig, ss: ServiceSet, rule: str, term: str, direction: str | None, **extra: str) -> dict[str, str]:
    key = ("labels", ss.name)  # what every term of the service set shares, once per compile
    if key not in cfg.memo:
        cfg.memo[key] = {"pic": service_set_pic(ss) or "", "module": (ss.service_interface or ss.inside or "").split(".")[0],
                         "routing-instance": cfg.vrf_of.get(ss.outside or "", "")}
    out = {"service-set": ss.name, "rule": rule, "term": term, "match-direction": direction or "", **cfg.memo[key]}
    for k, v in extra.items():
        if v:
            out[k] = v
    return out


# rsa-signatures: (local-certificate id, trusted CA profiles) -> the device's certificate
# material (pki/state.py IkeMaterial) or None while it is not enrolled
PkiLookup = Callable[[str | None, list[str]], Any]


def _term_spec(cfg: IpsecConfig, ss: ServiceSet, rule_dir: str | None, t: Term,
               pki: PkiLookup | None = None) -> TunnelSpec | None:
    name = f"{ss.name}/{t.rule}/{t.name}"
    local = ss.local_gateway or ""
    inside = t.inside_interface or ss.inside or ""
    labels = _labels(cfg, ss, t.rule, t.name, rule_dir)
    if t.inside_interface:
        labels["inside-interface"] = t.inside_interface
    if t.syslog:
        labels["syslog"] = "yes"
    lts, rts = _selectors(t)
    # Traffic matches any source-address x destination-address pair; phase 2 proposes the first.
    if not (lts and rts):
        sel: tuple[tuple[str, str], ...] = ()
    elif len(t.sources) <= 1 and len(t.destinations) <= 1:  # the usual term: the one pair
        sel = ((t.sources[0] if t.sources else "0.0.0.0/0", t.destinations[0] if t.destinations else "0.0.0.0/0"),)
    else:
        sel = tuple((s, r) for s in (t.sources or ["0.0.0.0/0"]) for r in (t.destinations or ["0.0.0.0/0"]))
    if t.manual:
        dirs = []
        for md in t.manual:
            dirs.append(ManualDir(md.direction, md.protocol or "esp", md.spi or 0, md.aux_spi, md.auth_alg,
                                  md.auth_key.raw() if md.auth_key else None, md.enc_alg,
                                  md.enc_key.raw() if md.enc_key else None))
        return TunnelSpec(name, local, PeerConfig(t.remote or "0.0.0.0", psk=b"manual"), None, establish="immediately",
                          selectors=sel, manual=ManualSa(tuple(dirs)), labels=labels)
    if t.remote is None:
        return None  # dynamic peers: the service set's responder template covers it
    props, mode, psk, _pol, rsa = _ike(cfg, t.ike_policy)
    certs: dict[str, Any] = {}
    if rsa:
        mat = pki(value(_pol, "local-certificate"), list(ss.trusted_ca)) if pki is not None else None
        if mat is None:
            return None  # no local certificate (or key pair) yet: the tunnel waits for enrollment
        certs = {"certificate": mat.certificate, "private_key": mat.private_key,
                 "trusted_cas": mat.trusted_cas, "certificate_check": mat.check}
    try:
        peer = PeerConfig(t.remote, ike_proposals=props, psk=psk, mode=mode,
                          children=(_child(cfg, name, t.ipsec_policy, lts, rts),),
                          dpd=ANSWER_DPD, retransmit=PHASE1_SCHEDULE, **certs)
    except ValueError as e:
        raise CompileError(f"{name}: {e}") from None
    dpd = t.backup is not None or t.initiate_dpd
    labels["inside-interface"] = inside if t.inside_interface else ""
    return TunnelSpec(name, local, peer, peer.children[0], backup=t.backup, establish=cfg.establish,
                      failover=FAILOVER if dpd else None, dpd_initiate=dpd, selectors=sel, labels=labels)


def _table56_ike() -> tuple[IkeProposal, ...]:
    t = d.TABLE_56_IKE
    return tuple(
        IkeProposal(d.IKE_AUTH[m], d.IKE_HASH[h], d.IKE_CIPHER[c], d.DH_GROUP[g], int(t["lifetime-seconds"][0]))
        for m, c, h, g in itertools.product(t["authentication-method"], t["encryption-algorithm"],
                                            t["authentication-algorithm"], t["dh-group"]))


def _table56_ipsec() -> tuple[IpsecProposal, ...]:
    t = d.TABLE_56_IPSEC
    return tuple(IpsecProposal("esp", d.IKE_CIPHER[c], d.IPSEC_AUTH[a], None, int(t["lifetime-seconds"][0]))
                 for c, a in itertools.product(t["encryption-algorithm"], t["authentication-algorithm"]))


def _responder(cfg: IpsecConfig, ss: ServiceSet) -> list[TunnelSpec]:
    """Dynamic-peer templates of a service set with an IKE access profile: one per
    allowed-proxy-pair (the engine matches a peer's phase 2 identities exactly against each
    pair; default ANY-ANY), each a child of the Table 56 proposals."""
    ap = cfg.access_profiles.get(ss.access_profiles[0]) if ss.access_profiles else None
    if ap is None or ap.psk is None or ss.local_gateway is None:
        return []
    pairs = [(loc, rem) for rem, loc in (ap.proxy_pairs or [d.DEFAULT_PROXY_PAIR])]
    peer = PeerConfig("0.0.0.0", ike_proposals=_table56_ike(), psk=ap.psk.raw(), mode="main",
                      children=(), dpd=ANSWER_DPD, retransmit=PHASE1_SCHEDULE)
    inside_vrf = cfg.vrf_of.get(ss.inside or "", "")
    labels = _labels(cfg, ss, "", "", "input", **{"access-profile": ap.name, "inside-interface": ss.inside or "",
                                                   "reverse-route-table": f"{inside_vrf}.inet.0" if inside_vrf else "inet.0",
                                                   "interface-id": ap.interface_id or ""})
    out = []
    for i, (loc, rem) in enumerate(pairs, 1):
        name = f"{ss.name}/dynamic" + (f"/{i}" if len(pairs) > 1 else "")
        child_cfg = ChildConfig(name, _table56_ipsec(), loc, rem)
        out.append(TunnelSpec(name, ss.local_gateway, dataclasses.replace(peer, children=(child_cfg,)), child_cfg,
                              establish="responder", selectors=((loc, rem),), labels=dict(labels)))
    return out


def compile_specs(tree: ConfigNode, pic_up: Callable[[str], bool] = lambda slot: True,
                  pki: PkiLookup | None = None, cfg: IpsecConfig | None = None) -> list[TunnelSpec]:
    """TunnelSpecs for the active configuration; service sets on an offline PIC get none;
    rsa-signatures terms take their certificates from `pki`. `cfg`: the view of `tree` already
    read (config.take_checked), else it is read here."""
    if cfg is None:
        cfg = read(tree)
    specs: list[TunnelSpec] = []
    dynamic: list[TunnelSpec] = []
    for ss in cfg.service_sets.values():
        pic = service_set_pic(ss)
        if ss.local_gateway is None or (pic is not None and not pic_up(pic)):
            continue
        for rule in cfg.rules_of(ss):
            for t in rule.terms:
                spec = _term_spec(cfg, ss, rule.direction, t, pki)
                if spec is not None:
                    specs.append(spec)
        dynamic += _responder(cfg, ss)
    return specs + dynamic  # static rules first, dynamic rules after (seed 002 lookup order)
