"""AlliedWare configuration -> runtime TunnelSpecs, with the engine policies it selects.

One tunnel per IPsec policy with ACTION=IPSEC and ISAKMP key management, once IP, ISAKMP and IPsec
are enabled: with a specific peer address a permanent VPN, negotiated at once; with
PEERADDRESS=ANY or DYNAMIC a responder that answers whichever peer initiates. Its PeerConfig comes from the ISAKMP policy the IPsec
policy uses (the named one, else the one for its peer, else a peer=ANY one), the pre-shared
secret from that policy's ENCO key, the retransmission schedule from msgbackoff/msgretrylimit/
msgtimeout (engine/retransmit.py), the phase-2 proposals from its bundle's SA specifications.
The retry policy (engine/retry.py, seed 004) is not part of the spec: the tunnel's controller
asks `retry_setting(cfg, name)` at each failure, so changing retryikeattempts does not restart
an established tunnel (a changed spec would).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ...engine.peer import ChildConfig, PeerConfig, address_id
from ...engine.proposals import IkeProposal, IpsecProposal
from ...engine.retransmit import Schedule, constant, incremental
from ...engine.retry import RetryPolicy, negotiation_retry
from ...runtime.ipsec import TunnelSpec
from .model import CONTINUOUS, Config, IpsecPolicy, IsakmpPolicy, mask_len

_IKE_CIPHER = {"DES": "des", "3DESOUTER": "3des", "3DES2KEY": "3des", "AES128": "aes128",
               "AES192": "aes192", "AES256": "aes256"}
_HASH = {"SHA": "sha1", "MD5": "md5"}
_ESP_CIPHER = {"DES": "des", "3DESOUTER": "3des", "3DES2KEY": "3des", "AES128": "aes128",
               "AES192": "aes192", "AES256": "aes256", "NULL": None}
_ESP_AUTH = {"SHA": "hmac-sha1", "MD5": "hmac-md5", "NULL": None}


@dataclass(frozen=True)
class RetrySetting:
    """What the tunnel's controller needs (TunnelSpec.failover): the retry policy, and whether
    the release note's peer rule lets it retry at all."""

    policy: RetryPolicy
    eligible: bool  # a specific peer in both the ISAKMP and the IPsec policy


def schedule(p: IsakmpPolicy) -> Schedule:
    """msgbackoff=incremental (default) or none, scaled by msgtimeout and msgretrylimit."""
    if p.msgbackoff == "NONE":
        return constant(p.msgtimeout, p.msgretrylimit)
    return incremental(p.msgtimeout, p.msgretrylimit)


def retry_policy(p: IsakmpPolicy) -> RetryPolicy:
    return negotiation_retry(None if p.retryike == CONTINUOUS else int(p.retryike))


def _prefix(addr: str, mask: str | None) -> str:
    if addr == "ANY":
        return "0.0.0.0/0"
    first = addr.split("-")[0]
    if "/" in first:
        return str(ipaddress.ip_network(first, strict=False))
    return str(ipaddress.ip_network(f"{first}/{mask_len(mask)}", strict=False))


def _child(cfg: Config, pol: IpsecPolicy) -> ChildConfig | None:
    bundle = cfg.bundles.get(pol.bundle) if pol.bundle is not None else None
    if bundle is None:
        return None
    pfs = pol.group if pol.usepfskey else None
    props = []
    for alt in bundle.alternatives():
        for sid in alt:
            s = cfg.saspecs.get(sid)
            if s is None:
                continue
            if s.protocol == "ESP":
                props.append(IpsecProposal("esp", _ESP_CIPHER[s.encalg], _ESP_AUTH[s.hashalg], pfs,
                                           bundle.expiry, bundle.kbytes or 0, s.mode.lower()))
            else:
                props.append(IpsecProposal("ah", None, _ESP_AUTH[s.hashalg] or "hmac-sha1", pfs,
                                           bundle.expiry, bundle.kbytes or 0, s.mode.lower()))
            break  # one proposal per alternative: its first SA specification
    if not props:
        return None
    return ChildConfig(pol.name, tuple(props), _prefix(pol.laddress, pol.lmask),
                       _prefix(pol.raddress, pol.rmask))


def _peer(cfg: Config, isa: IsakmpPolicy, address: str) -> PeerConfig | None:
    key = cfg.keys.get(isa.key) if isa.key is not None else None
    if key is None:
        return None
    group = isa.group if isa.group in (1, 2, 5) else 1
    prop = IkeProposal("psk", _HASH[isa.hashalg], _IKE_CIPHER[isa.encalg], group, isa.expiry)
    local_id = address_id(isa.localid) if isa.localid else None
    remote_id = address_id(isa.remoteid) if isa.remoteid else None
    return PeerConfig(address, ike_proposals=(prop,), psk=key.value.encode(),
                      mode="aggressive" if isa.mode == "AGGRESSIVE" else "main",
                      local_id=local_id, remote_id=remote_id, retransmit=schedule(isa),
                      nat_traversal="off")


def compile_tunnels(cfg: Config) -> list[TunnelSpec]:
    if not (cfg.ip_enabled and cfg.isakmp_enabled and cfg.ipsec_enabled):
        return []
    out = []
    for pol in cfg.ipsec_ordered():
        if pol.action != "IPSEC" or pol.keymanagement != "ISAKMP" or pol.peeraddress is None:
            continue
        iface = cfg.interfaces.get(pol.interface.lower())
        isa = cfg.isakmp_for(pol)
        if iface is None or isa is None:
            continue
        # a specific peer: a permanent VPN this router starts; ANY/DYNAMIC: it only answers
        # (the peer's address is filled in when it initiates)
        specific = pol.specific_peer
        peer = _peer(cfg, isa, pol.peeraddress if specific else "0.0.0.0")
        child = _child(cfg, pol)
        if peer is None or child is None:
            continue
        out.append(TunnelSpec(
            pol.name, iface[0], peer, child, establish="immediately" if specific else "responder",
            selectors=((child.local_ts or "0.0.0.0/0", child.remote_ts or "0.0.0.0/0"),),
            labels={"isakmp": isa.name, "ipsec": pol.name}))
    return out


def retry_setting(cfg: Config, name: str) -> RetrySetting | None:
    """The retry policy of the tunnel of IPsec policy `name` in `cfg` (None: no such policy)."""
    pol = cfg.ipsec.get(name.lower())
    isa = cfg.isakmp_for(pol) if pol is not None else None
    if pol is None or isa is None:
        return None
    return RetrySetting(retry_policy(isa), isa.specific_peer and pol.specific_peer)


def max_timeout(cfg: Config) -> float:
    """The longest exchange timeout of any ISAKMP policy (the runtime's negotiation watchdog
    must not fire before the engine's own timeouts)."""
    return max((schedule(p).timeout() for p in cfg.isakmp.values()), default=292.0)
