"""Configuration objects an `IkeEndpoint` is built from (compiled by a platform from its config).

- `ChildConfig(name, proposals, local_ts=None, remote_ts=None)`: one phase-2 policy; the traffic
  selectors are "a.b.c.d/len" strings sent as IDci/IDcr (omitted when both are None).
- `PeerConfig(address, ...)`: remote gateway: IKE proposals, PSK or certificate + private key +
  trusted CA certificates, initiator mode ("main" | "aggressive"), identities, children,
  DPD policy (None: no DPD vendor ID sent), retransmission `Schedule`, soft-lifetime fraction,
  NAT traversal (RFC 3947): `nat_traversal` "on" (announce, float to the peer's `nat_port` when
  a NAT is detected), "force" (announce a fake local NAT-D so both sides float and ESP is
  UDP-encapsulated, as charon's `encap = yes` does) or "off" (no NAT-T vendor IDs);
  `certificate_check(cert) -> reason | None` for rsa-sig peers (expiry, revocation).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization

from .constants import IdType
from .dpd import DpdPolicy
from .proposals import IkeProposal, IpsecProposal
from .retransmit import Schedule, exponential

# strongSwan charon defaults: 4 s x 1.8^n, 5 retransmissions (RFC 2408/2409 and strongSwan's documented retransmission defaults)
DEFAULT_SCHEDULE = exponential(4.0, 1.8, 5, source="strongSwan charon defaults")


@functools.lru_cache(maxsize=1024)
def subnet_id(ts: str) -> tuple[int, bytes]:
    net = ipaddress.ip_network(ts, strict=False)
    if net.version == 4:
        return IdType.IPV4_ADDR_SUBNET, net.network_address.packed + net.netmask.packed
    return IdType.IPV6_ADDR_SUBNET, net.network_address.packed + net.netmask.packed


@functools.lru_cache(maxsize=1024)
def address_id(addr: str) -> tuple[int, bytes]:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return IdType.FQDN, addr.encode()
    return (IdType.IPV4_ADDR if ip.version == 4 else IdType.IPV6_ADDR), ip.packed


@dataclass(frozen=True)
class ChildConfig:
    name: str
    proposals: tuple[IpsecProposal, ...] = (IpsecProposal(),)
    local_ts: str | None = None
    remote_ts: str | None = None

    def __post_init__(self) -> None:
        if not self.proposals:
            raise ValueError("a child needs at least one proposal")
        if len(self.proposals) > 1 and len({p.pfs_group for p in self.proposals}) != 1:
            raise ValueError("all proposals of a child use one PFS group (one KE payload)")
        if (self.local_ts is None) != (self.remote_ts is None):
            raise ValueError("give both traffic selectors or neither")
        # the IDs every quick mode of this child sends: parsed once (not a field)
        ids = None if self.local_ts is None or self.remote_ts is None else \
            (subnet_id(self.local_ts), subnet_id(self.remote_ts))
        object.__setattr__(self, "_ids", ids)

    @property
    def pfs_group(self) -> int | None:
        return self.proposals[0].pfs_group

    def ids(self) -> tuple[tuple[int, bytes], tuple[int, bytes]] | None:
        return self._ids


@dataclass(frozen=True)
class PeerConfig:
    address: str
    port: int = 500
    ike_proposals: tuple[IkeProposal, ...] = (IkeProposal(),)
    psk: bytes | None = None
    mode: str = "main"
    certificate: Any = None  # cryptography.x509.Certificate
    private_key: Any = None  # RSA private key
    trusted_cas: tuple[Any, ...] = ()
    local_id: tuple[int, bytes] | None = None
    remote_id: tuple[int, bytes] | None = None
    children: tuple[ChildConfig, ...] = ()
    dpd: DpdPolicy | None = None
    retransmit: Schedule = DEFAULT_SCHEDULE
    soft_fraction: float = 0.9
    nat_traversal: str = "on"
    nat_port: int = 4500
    # rsa-sig: asked about a peer certificate that chains to a trusted CA and whose signature
    # verified; returns None (accept) or a reason code that fails phase 1 (the runtime's
    # validity-on-the-lab-clock and CRL check: the engine itself reads no clock)
    certificate_check: Any = None

    def __post_init__(self) -> None:
        if self.nat_traversal not in ("on", "force", "off"):
            raise ValueError("nat_traversal is on, force or off")
        if self.mode not in ("main", "aggressive"):
            raise ValueError("mode is main or aggressive")
        if not self.ike_proposals:
            raise ValueError("at least one IKE proposal")
        auths = {p.auth for p in self.ike_proposals}
        if "psk" in auths and not self.psk:
            raise ValueError("pre-shared key proposal without a key")
        if "rsa-sig" in auths and (self.certificate is None or self.private_key is None):
            raise ValueError("rsa-sig proposal without certificate and private key")
        if self.mode == "aggressive" and len({p.dh_group for p in self.ike_proposals}) != 1:
            raise ValueError("aggressive mode offers a single DH group (KE in message 1)")

    @property
    def addr(self) -> tuple[str, int]:
        return (self.address, self.port)

    def child(self, name: str) -> ChildConfig | None:
        """The first child called `name` (a table made on first use: a gateway carrying
        thousands of children is asked for one per quick mode)."""
        return self._children_by_name.get(name)

    @functools.cached_property
    def child_without_ids(self) -> ChildConfig | None:
        """The child a quick mode without IDs is for: the first without traffic selectors,
        else the first child (None: no children)."""
        return next((c for c in self.children if c.ids() is None),
                    self.children[0] if self.children else None)

    @functools.cached_property
    def _children_by_name(self) -> dict[str, ChildConfig]:
        out: dict[str, ChildConfig] = {}
        for c in self.children:
            out.setdefault(c.name, c)
        return out

    def identity(self, local_address: str, auth: str) -> tuple[int, bytes]:
        if self.local_id is not None:
            return self.local_id
        if auth == "rsa-sig" and self.certificate is not None:
            return IdType.DER_ASN1_DN, self.certificate.subject.public_bytes()
        return address_id(local_address)

    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)
