"""Configuration -> TunnelSpecs (one per ready ISAKMP crypto map) and crypto group definitions.

A crypto map is ready when it has a peer, a pre-shared key and a transform set, and is applied to
an interface of its context that has an address (the local gateway). The two maps of a crypto
group whose maps are both ready come up at once and are kept up by the group's controller
(groups.py); they carry a `GroupKey` in `TunnelSpec.failover`, so a change of the group's
membership restarts both. Other ready maps negotiate when traffic matches them.

No spec carries DPD: the controllers give the engine the context's *effective* DPD setting
(`engine_dpd`), which groups.py latches (a change made while tunnels are up applies once they
have all been cleared, seed 003) without restarting a tunnel.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ...engine.cryptogroup import CryptoGroupPolicy, default_reconnect
from ...engine.dpd import DpdPolicy
from ...engine.peer import ChildConfig, PeerConfig
from ...engine.proposals import IkeProposal, IpsecProposal
from ...engine.retry import Backoff
from ...runtime.ipsec import TunnelSpec
from .model import Config, Context, CryptoMap, Dpd

_IKE_CIPHER = {"3des-cbc": "3des", "aes-cbc-128": "aes128", "aes-cbc-256": "aes256", "des-cbc": "des"}
_ESP_CIPHER = {"3des-cbc": "3des", "aes-cbc-128": "aes128", "aes-cbc-256": "aes256", "des-cbc": "des",
               "null": None}
_HMAC = {"md5-96": "hmac-md5", "sha1-96": "hmac-sha1", "none": None}
DEFAULT_PHASE2_LIFETIME = 3600


def spec_name(context: str, map_name: str) -> str:
    return f"{context}/{map_name}"


@dataclass(frozen=True)
class GroupKey:
    """Identifies a group and its two maps (spec names); in both maps' specs."""

    context: str
    name: str
    primary: str
    secondary: str


@dataclass(frozen=True)
class GroupDef:
    context: str
    name: str
    primary: str  # spec names
    secondary: str
    policy: CryptoGroupPolicy

    @property
    def key(self) -> GroupKey:
        return GroupKey(self.context, self.name, self.primary, self.secondary)


@dataclass(frozen=True)
class Compiled:
    specs: tuple[TunnelSpec, ...]
    groups: tuple[GroupDef, ...]


def dpd_policy(dpd: Dpd | None) -> DpdPolicy | None:
    """Defaults table: probe after `interval` s of silence, retry every `timeout` s `num-retry`
    times, dead `timeout` s after the last retry (engine DpdPolicy: retries resends)."""
    if dpd is None:
        return None
    return DpdPolicy(interval=float(dpd.interval), retry_interval=float(dpd.timeout),
                     retries=dpd.num_retry, initiate=True, respond=True)


def reconnect(dpd: Dpd | None) -> Backoff:
    """A down group tunnel is renegotiated every DPD `interval` (our choice), else every 60 s."""
    if dpd is None:
        return default_reconnect()
    return Backoff((float(dpd.interval),), "our choice: every DPD interval (seed 003 is silent)")


def local_address(ctx: Context, map_name: str) -> str | None:
    for itf in ctx.interfaces.values():
        if map_name in itf.crypto_maps and itf.address:
            return itf.address.split("/")[0]
    return None


def selectors(ctx: Context, acl: str | None) -> tuple[str, str] | None:
    """The first permit rule of the crypto ACL as (local, remote) prefixes."""
    for rule in ctx.acls.get(acl or "", []):
        if rule.action == "permit":
            return rule.src, rule.dst
    return None


def map_acl(ctx: Context, mp: CryptoMap) -> str | None:
    if mp.match_address:
        return mp.match_address
    g = ctx.groups.get(mp.group or "")
    return g.match_address if g is not None else None


def ike_proposals(ctx: Context) -> tuple[IkeProposal, ...]:
    if not ctx.ike_policies:
        return (IkeProposal(cipher="3des", hash="sha1", dh_group=2),)
    return tuple(IkeProposal(auth="psk", hash=p.hash, cipher=_IKE_CIPHER[p.encryption], dh_group=p.group,
                             lifetime_s=p.lifetime)
                 for _, p in sorted(ctx.ike_policies.items()))


def ipsec_proposals(ctx: Context, mp: CryptoMap) -> tuple[IpsecProposal, ...]:
    out: list[IpsecProposal] = []
    for name in mp.transform_sets:
        ts = ctx.transform_sets.get(name)
        if ts is None:
            continue
        p = IpsecProposal("esp", _ESP_CIPHER[ts.encryption], _HMAC[ts.hmac], ts.group,
                          mp.lifetime or DEFAULT_PHASE2_LIFETIME, encap=ts.mode)
        if out and p.pfs_group != out[0].pfs_group:
            continue  # one KE payload per quick mode: the first set's PFS group wins
        out.append(p)
    return tuple(out)


def ready(ctx: Context, mp: CryptoMap) -> bool:
    return bool(mp.peer and mp.psk and ipsec_proposals(ctx, mp) and local_address(ctx, mp.name))


class _ContextMemo:
    """What the maps of one context share, made once per context and compile: the IKE
    proposals, the IPsec proposals of each (transform sets, lifetime), the local address of
    each map, one PeerConfig per (gateway, key). 6400 maps are 6400 specs, not 6400 copies of
    the same proposals and peer configs."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._ike: tuple[IkeProposal, ...] | None = None
        self._ipsec: dict[tuple[tuple[str, ...], int | None], tuple[IpsecProposal, ...]] = {}
        self._peers: dict[tuple[str, str], PeerConfig] = {}
        self._local: dict[str, str] = {}  # map -> the first interface address carrying it
        for itf in ctx.interfaces.values():
            if itf.address:
                for name in itf.crypto_maps:
                    self._local.setdefault(name, itf.address.split("/")[0])

    def local(self, mp: CryptoMap) -> str | None:
        return self._local.get(mp.name)  # local_address(ctx, mp.name)

    def ipsec(self, mp: CryptoMap) -> tuple[IpsecProposal, ...]:
        key = (tuple(mp.transform_sets), mp.lifetime)
        got = self._ipsec.get(key)
        if got is None:
            got = self._ipsec[key] = ipsec_proposals(self.ctx, mp)
        return got

    def ready(self, mp: CryptoMap) -> bool:
        return bool(mp.peer and mp.psk and self.ipsec(mp) and self.local(mp))

    def peer(self, mp: CryptoMap) -> PeerConfig:
        assert mp.peer is not None and mp.psk is not None
        got = self._peers.get((mp.peer, mp.psk))
        if got is None:
            if self._ike is None:
                self._ike = ike_proposals(self.ctx)
            got = self._peers[(mp.peer, mp.psk)] = PeerConfig(
                mp.peer, ike_proposals=self._ike, psk=mp.psk.encode())
        return got


def _spec(memo: _ContextMemo, mp: CryptoMap, group: GroupKey | None) -> TunnelSpec:
    ctx = memo.ctx
    local = memo.local(mp)
    assert local is not None and mp.peer is not None and mp.psk is not None
    sel = selectors(ctx, map_acl(ctx, mp))
    name = spec_name(ctx.name, mp.name)
    # named after the spec: the tunnel manager negotiates each spec's child under its name
    child = ChildConfig(name, memo.ipsec(mp), sel[0] if sel else None, sel[1] if sel else None)
    labels = {"context": ctx.name, "map": mp.name}
    if group is not None and mp.role:
        labels |= {"group": group.name, "role": mp.role}
    return TunnelSpec(name, local, memo.peer(mp), child,
                      establish="immediately" if group is not None else "on-traffic",
                      failover=group, selectors=(sel,) if sel else (), labels=labels)


def compile_config(cfg: Config, dpd: dict[str, Dpd | None]) -> Compiled:
    """`dpd`: the effective DPD setting per context (missing: the configured one); it only sets
    the groups' reconnect interval here."""
    specs: list[TunnelSpec] = []
    groups: list[GroupDef] = []
    for ctx in cfg.contexts.values():
        memo = _ContextMemo(ctx)
        eff = dpd.get(ctx.name, ctx.dpd)
        ready_maps = [mp for mp in ctx.maps.values() if memo.ready(mp)]
        grouped: dict[str, dict[str, CryptoMap]] = {}
        for mp in ready_maps:
            if mp.group in ctx.groups and mp.role:
                grouped.setdefault(mp.group, {})[mp.role] = mp
        keys: dict[str, GroupKey] = {}
        for gname, g in ctx.groups.items():
            roles = grouped.get(gname, {})
            if len(roles) == 2:
                gd = GroupDef(ctx.name, gname, spec_name(ctx.name, roles["primary"].name),
                              spec_name(ctx.name, roles["secondary"].name),
                              CryptoGroupPolicy(revert=g.revert, reconnect=reconnect(eff)))
                groups.append(gd)
                keys[gname] = gd.key
        for mp in ready_maps:
            specs.append(_spec(memo, mp, keys.get(mp.group or "")))
    return Compiled(tuple(specs), tuple(groups))


def interface_addresses(cfg: Config) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ctx in cfg.contexts.values():
        for itf in ctx.interfaces.values():
            if itf.address:
                out.setdefault(f"{ctx.name}/{itf.name}", []).append(str(ipaddress.ip_interface(itf.address)))
    return out


__all__ = ["Compiled", "GroupDef", "GroupKey", "compile_config", "dpd_policy", "interface_addresses",
           "reconnect", "spec_name"]
