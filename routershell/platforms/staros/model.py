"""The StarOS configuration as the device holds it: global settings and contexts.

StarOS applies each configuration command at once (no candidate, no commit); this model is the
running configuration. `configure.py` mutates it, `config_text.py` renders and replays it,
`compile.py` turns it into tunnels. Nothing here knows about sessions or the runtime.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

MAX_CRYPTO_GROUPS = 32  # per context (seed 003: "a maximum of 32 crypto groups per context")


@dataclass
class Dpd:
    """`ikev1 keepalive dpd interval N timeout N num-retry N` (context-wide)."""

    interval: int
    timeout: int
    num_retry: int


@dataclass
class CryptoGroup:
    name: str
    match_address: str | None = None
    preference: int | None = None
    pool: str | None = None
    switchover: str = "manual"  # "manual" | "auto" | "auto-do-not-revert"

    @property
    def revert(self) -> bool:
        return self.switchover == "auto"


@dataclass
class CryptoMap:
    name: str
    seq: int | None = None
    peer: str | None = None
    transform_sets: list[str] = field(default_factory=list)
    psk: str | None = None
    match_address: str | None = None
    match_priority: int | None = None
    group: str | None = None
    role: str | None = None  # "primary" | "secondary"
    lifetime: int | None = None  # phase-2 lifetime, seconds


@dataclass
class IkePolicy:
    priority: int
    encryption: str = "3des-cbc"
    hash: str = "sha1"
    group: int = 2
    lifetime: int = 86400
    authentication: str = "pre-shared-key"


@dataclass
class TransformSet:
    name: str
    encryption: str = "3des-cbc"
    hmac: str = "sha1-96"
    mode: str = "tunnel"
    group: int | None = None  # PFS group, None: no PFS


@dataclass
class AclRule:
    action: str  # "permit" | "deny"
    src: str  # "a.b.c.d/len" ("0.0.0.0/0" = any)
    dst: str


@dataclass
class IpPool:
    name: str
    prefix: str


@dataclass
class Interface:
    name: str
    address: str | None = None  # "a.b.c.d/len"
    crypto_maps: list[str] = field(default_factory=list)


@dataclass
class Administrator:
    """`administrator NAME [encrypted] password SECRET` (Context Configuration mode): a
    Security Administrator who may log in to the chassis. `password` None is `nopassword`
    (public-key logins only)."""

    name: str
    password: str | None = None


@dataclass
class Context:
    name: str
    administrators: dict[str, Administrator] = field(default_factory=dict)
    dpd: Dpd | None = None
    interfaces: dict[str, Interface] = field(default_factory=dict)
    acls: dict[str, list[AclRule]] = field(default_factory=dict)
    pools: dict[str, IpPool] = field(default_factory=dict)
    ike_policies: dict[int, IkePolicy] = field(default_factory=dict)
    transform_sets: dict[str, TransformSet] = field(default_factory=dict)
    groups: dict[str, CryptoGroup] = field(default_factory=dict)
    maps: dict[str, CryptoMap] = field(default_factory=dict)


@dataclass
class SnmpTarget:
    name: str
    address: str
    port: int = 162
    community: str = "public"


@dataclass
class Config:
    hostname: str = "asr5000"
    contexts: dict[str, Context] = field(default_factory=lambda: {"local": Context("local")})
    snmp_targets: dict[str, SnmpTarget] = field(default_factory=dict)
    snmp_community: str | None = None

    def copy(self) -> Config:
        return copy.deepcopy(self)

    def context(self, name: str) -> Context:
        return self.contexts[name]


__all__ = [
    "MAX_CRYPTO_GROUPS",
    "AclRule",
    "Administrator",
    "Config",
    "Context",
    "CryptoGroup",
    "CryptoMap",
    "Dpd",
    "IkePolicy",
    "Interface",
    "IpPool",
    "SnmpTarget",
    "TransformSet",
]
