"""Compile ES PIC es- units with manual SAs into runtime TunnelSpecs whose manual SAs go straight
into the SA database (no IKE): `EsManualSa.ipsec_sas` builds the engine SAs from the configured
SPI, algorithms and keys. Traffic is selected by the firewall terms that name the unit's SA
(source x destination addresses; seed 002: "configure a firewall filter to direct traffic into
the IPSec tunnel"). Both ends must hold the same SPI and keys: the runtime refuses packets whose
SPI or keys differ and counts them (runtime/traffic.py)."""

from __future__ import annotations

from dataclasses import dataclass

from ....config.tree import ConfigNode
from ....engine.peer import ChildConfig, PeerConfig
from ....engine.proposals import IpsecProposal
from ....engine.sa import IpsecSa
from ....runtime.ipsec import TunnelSpec
from ..ipsec import defaults as d
from ..ipsec.compile import ANSWER_DPD, PHASE1_SCHEDULE, ike_proposal, ipsec_proposal
from ..ipsec.config import child, entries, read_key, value, values
from .config import EsConfig, SecurityAssociation, read
from .shows import active_destination

ES_LABEL = "es-unit"  # TunnelSpec label: the es- unit a tunnel belongs to (AS PIC shows skip these)


@dataclass(frozen=True)
class EsManualSa:
    sa_name: str
    protocol: str  # ah | esp | bundle
    in_spi: int
    out_spi: int
    auth_alg: str | None
    enc_alg: str | None
    auth_in: bytes
    auth_out: bytes
    enc_in: bytes
    enc_out: bytes

    def ipsec_sas(self, name: str, peer: tuple[str, int], now: float) -> list[IpsecSa]:
        proto = "ah" if self.protocol == "ah" else "esp"
        prop = IpsecProposal(proto, d.IKE_CIPHER[self.enc_alg] if self.enc_alg and proto == "esp" else None,
                             d.IPSEC_AUTH[self.auth_alg] if self.auth_alg else None, None, 0)
        return [IpsecSa(peer, name, "manual", prop, self.in_spi, self.out_spi, now,
                        enc_in=self.enc_in, auth_in=self.auth_in, enc_out=self.enc_out, auth_out=self.auth_out)]


def _keys(sa: SecurityAssociation) -> EsManualSa | None:
    inb, out = sa.direction("inbound"), sa.direction("outbound")
    if inb is None or out is None or inb.spi is None or out.spi is None:
        return None

    def raw(k) -> bytes:
        return (k.raw() or b"") if k is not None else b""

    return EsManualSa(sa.name, out.protocol or "esp", inb.spi, out.spi, out.auth_alg, out.enc_alg,
                      raw(inb.auth_key), raw(out.auth_key), raw(inb.enc_key), raw(out.enc_key))


def _selectors(tree: ConfigNode, sa: str) -> tuple[tuple[str, str], ...]:
    fw = child(tree, "firewall")
    fam = child(child(fw, "family"), "inet") or child(fw, "inet")
    out: list[tuple[str, str]] = []
    for f in entries(fw, "filter") + entries(fam, "filter"):
        for t in entries(f, "term"):
            if value(child(t, "then"), "ipsec-sa") != sa:
                continue
            frm = child(t, "from")
            srcs = [c.key or "" for c in entries(child(frm, "source-address"), "<address>")] or ["0.0.0.0/0"]
            dsts = [c.key or "" for c in entries(child(frm, "destination-address"), "<address>")] or ["0.0.0.0/0"]
            out += [(s, r) for s in srcs for r in dsts]
    return tuple(out)


def _dynamic(cfg: EsConfig, name: str, sa: SecurityAssociation, dest: str,
             sel: tuple[tuple[str, str], ...]) -> tuple[PeerConfig, ChildConfig] | None:
    """IKE for a dynamic SA: the IKE policy named by the destination's address (seed 002), its
    proposals, the IPsec policy's proposals and PFS; None if it cannot be negotiated here (no
    policy or key for the peer, an authentication method the engine lacks)."""
    pol = cfg.ike_policies.get(dest)
    key = read_key(child(pol, "pre-shared-key"), ())
    if pol is None or key is None or key.raw() is None:
        return None
    ipol = cfg.ipsec_policies.get(sa.ipsec_policy or "")
    pfs_node = child(ipol, "perfect-forward-secrecy")
    pfs = d.DH_GROUP[value(pfs_node, "keys") or "group2"] if pfs_node is not None else None
    try:
        ike = tuple(ike_proposal(cfg.ike_proposals.get(n)) for n in values(pol, "proposals")) or (ike_proposal(None),)
        esp = tuple(ipsec_proposal(cfg.ipsec_proposals.get(n), pfs) for n in values(ipol, "proposals")) \
            or (ipsec_proposal(None, pfs),)
        lts, rts = sel[0] if sel else (None, None)
        ch = ChildConfig(name, esp, lts, rts)
        peer = PeerConfig(dest, ike_proposals=ike, psk=key.raw(), mode=value(pol, "mode") or "main",
                          children=(ch,), dpd=ANSWER_DPD, retransmit=PHASE1_SCHEDULE)
    except (KeyError, ValueError):
        return None
    return peer, ch


def es_specs(device, tree: ConfigNode, cfg: EsConfig | None = None) -> list[TunnelSpec]:
    cfg = cfg or read(tree)
    specs = []
    for u in cfg.es_units.values():
        sa = cfg.sas.get(u.ipsec_sa or "")
        if sa is None or u.source is None or u.destination is None:
            continue
        if sa.dynamic:
            dest, _role = active_destination(device, u)
            sel = _selectors(tree, sa.name)
            built = _dynamic(cfg, f"es/{u.name}", sa, dest or u.destination, sel)
            if built is not None:
                specs.append(TunnelSpec(f"es/{u.name}", u.source, built[0], built[1], establish="immediately",
                                        selectors=sel, labels={ES_LABEL: u.name, "sa": sa.name}))
            continue
        if sa.manual is None:
            continue
        manual = _keys(sa)
        if manual is None:
            continue
        dest, _role = active_destination(device, u)
        specs.append(TunnelSpec(f"es/{u.name}", u.source, PeerConfig(dest or u.destination, psk=b"manual"), None,
                                establish="immediately", selectors=_selectors(tree, sa.name), manual=manual,
                                labels={ES_LABEL: u.name, "sa": sa.name}))
    return specs
