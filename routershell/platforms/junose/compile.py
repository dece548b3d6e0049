"""JunosE configuration -> TunnelSpecs: one per tunnel interface with a source and destination.

The ISM each interface runs on is not configuration: the IsmController (ism.py) labels the specs
with the slot the distribution chose. Constants marked [U] are our documented choices where the
reference (the JunosE IPSec Service Module documentation) is silent.
"""

from __future__ import annotations

import ipaddress

from ...engine.dpd import DpdPolicy
from ...engine.peer import ChildConfig, PeerConfig
from ...engine.proposals import IkeProposal, IpsecProposal
from ...engine.retransmit import fixed
from ...runtime.ipsec import TunnelSpec
from .config import JunoseConfig, TunnelInterface

# transform name -> (protocol, cipher, auth)  [U] names after the E9 `ah-hmac-md5` style
TRANSFORMS: dict[str, tuple[str, str | None, str | None]] = {
    "ah-hmac-md5": ("ah", None, "hmac-md5"),
    "ah-hmac-sha": ("ah", None, "hmac-sha1"),
    "esp-des": ("esp", "des", None),
    "esp-3des": ("esp", "3des", None),
    "esp-des-hmac-md5": ("esp", "des", "hmac-md5"),
    "esp-des-hmac-sha": ("esp", "des", "hmac-sha1"),
    "esp-3des-hmac-md5": ("esp", "3des", "hmac-md5"),
    "esp-3des-hmac-sha": ("esp", "3des", "hmac-sha1"),
    "esp-null-hmac-md5": ("esp", None, "hmac-md5"),
    "esp-null-hmac-sha": ("esp", None, "hmac-sha1"),
    "esp-aes128-hmac-sha": ("esp", "aes128", "hmac-sha1"),
    "esp-aes256-hmac-sha": ("esp", "aes256", "hmac-sha1"),
}
DEFAULT_TRANSFORMS = ("esp-3des-hmac-sha",)  # [U] a tunnel with no transform set
DEFAULT_LIFETIME_S = 28800  # [U] the layout in the JunosE IPSec Service Module documentation shows 28800 seconds / unlimited
IKE_HASH = {"md5": "md5", "sha": "sha1"}
IKE_AUTH = {"pre-share": "psk", "rsa-sig": "rsa-sig"}
# [V] E3: on-demand check 30 s sent / 60 s nothing received; idle check after 2.5 min. The
# engine's DPD probes after an interval with nothing received: the idle check (the lab's
# tunnels carry no traffic unless `lab traffic` runs). Inquiries before "dead" are [U].
DPD_IDLE = 150.0
DPD_RETRY_INTERVAL = 10.0
DPD_RETRIES = 2  # engine count of resends after the first: 3 inquiries in all, dead 10 s after the third
# [U] IKE retransmissions every 10 s; the manager's 30 s phase-1 watchdog ends an attempt
RETRANSMIT = fixed(10, 2, "JunosE [U]: 10 s retransmissions, attempt ends at 30 s")


def ike_proposals(cfg: JunoseConfig) -> tuple[IkeProposal, ...]:
    """The policy rules IKE offers (by priority). Rules with rsa-sig need certificates, which
    this emulation does not configure on JunosE: they are left out of the offer."""
    out = []
    for r in cfg.rule_list():
        if r.authentication != "pre-share":
            continue
        out.append(IkeProposal("psk", IKE_HASH[r.hash], r.encryption, r.group, r.lifetime))
    return tuple(out)


def ipsec_proposals(cfg: JunoseConfig, t: TunnelInterface) -> tuple[IpsecProposal, ...]:
    names = cfg.transform_sets.get(t.transform_set or "", None) or list(DEFAULT_TRANSFORMS)
    life = t.lifetime_s or DEFAULT_LIFETIME_S
    return tuple(IpsecProposal(p, c, a, t.pfs_group, life, t.lifetime_kb or 0)
                 for p, c, a in (TRANSFORMS[n] for n in names))


def local_address(cfg: JunoseConfig, t: TunnelInterface) -> str | None:
    if t.source is not None:
        return t.source
    return cfg.local_endpoint[0] if cfg.local_endpoint is not None else None


def selectors(t: TunnelInterface) -> tuple[tuple[str, str], ...]:
    """What the interface carries: a static IPsec tunnel interface is a point-to-point link,
    so packets from its own address to the rest of its subnet go in (routes through the
    interface are not modelled, docs/junose.md). No address: nothing routed to it."""
    if t.address is None:
        return ()
    net = ipaddress.IPv4Interface(f"{t.address[0]}/{t.address[1]}")
    return ((f"{net.ip}/32", str(net.network)),)


def compile_specs(cfg: JunoseConfig) -> list[TunnelSpec]:
    """One spec per enabled tunnel interface with both endpoints, in creation order. A missing
    pre-shared key or no usable IKE rule gives a spec with no peer: it holds an ISM slot and
    its every rekey fails (policy mismatch), as on the router."""
    specs = []
    ike = ike_proposals(cfg)
    for t in cfg.interfaces.values():
        local = local_address(cfg, t)
        if t.shutdown or local is None or t.destination is None:
            continue
        key = cfg.keys.get(t.destination)
        dpd = DpdPolicy(DPD_IDLE, DPD_RETRY_INTERVAL, DPD_RETRIES, initiate=t.dpd, respond=True)
        peer = None
        if key and ike:
            peer = PeerConfig(t.destination, ike_proposals=ike, psk=key.encode(), dpd=dpd,
                              retransmit=RETRANSMIT)
        child = ChildConfig(t.ifname, ipsec_proposals(cfg, t))
        labels = {"interface": t.ifname, "remote": t.destination,
                  "reason": "" if peer is not None else ("no-pre-shared-key" if not key else "no-ike-policy")}
        specs.append(TunnelSpec(t.ifname, local, peer, child, backup=t.backup,
                                establish="immediately", selectors=selectors(t), labels=labels))
    return specs
