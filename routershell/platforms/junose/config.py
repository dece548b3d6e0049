"""The JunosE configuration as the router holds it: every command applies at once (no candidate,
no commit), `show running-config` renders it, `write memory` saves that text, and a startup
configuration is that text replayed line by line in configuration mode.

Plain dataclasses, no wording beyond the configuration syntax itself (render()).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

MAX_POLICY_RULES = 10  # the JunosE IPSec Service Module documentation [V] E5: at most 10 IKE policies + the built-in default
MAX_TRANSFORMS = 6  # [V] E9: up to 6 transforms per set
DEFAULT_VR = "default"


@dataclass
class PolicyRule:
    """`ipsec isakmp-policy-rule N` (defaults: the built-in rule's values, [U])."""

    priority: int
    encryption: str = "3des"
    hash: str = "sha"
    authentication: str = "pre-share"
    group: int = 2
    lifetime: int = 28800


#: the built-in default rule, used only while no rule is configured ([V] E5)
DEFAULT_RULE = PolicyRule(0)


@dataclass
class TunnelInterface:
    """`interface tunnel ipsec:NAME [transport-virtual-router VR]`."""

    name: str  # NAME (without "ipsec:")
    operational_vr: str = DEFAULT_VR
    transport_vr: str | None = None  # None: the operational VR ([V] E7)
    address: tuple[str, str] | None = None  # (address, mask)
    source: str | None = None
    destination: str | None = None
    backup: str | None = None
    transform_set: str | None = None
    pfs_group: int | None = None
    lifetime_s: int | None = None
    lifetime_kb: int | None = None
    mtu: int | None = None
    dpd: bool = True
    shutdown: bool = False

    @property
    def ifname(self) -> str:
        return f"ipsec:{self.name}"

    @property
    def transport(self) -> str:
        return self.transport_vr or self.operational_vr


@dataclass
class JunoseConfig:
    hostname: str = "host1"
    virtual_routers: list[str] = field(default_factory=list)  # besides "default"
    transform_sets: dict[str, list[str]] = field(default_factory=dict)
    rules: dict[int, PolicyRule] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # peer address -> pre-shared key
    local_endpoint: tuple[str, str] | None = None  # (address, transport VR)
    interfaces: dict[str, TunnelInterface] = field(default_factory=dict)  # creation order
    disabled_slots: set[int] = field(default_factory=set)
    trap_hosts: dict[str, tuple[str, int]] = field(default_factory=dict)  # host -> (community, port)
    users: dict[str, str] = field(default_factory=dict)  # name -> password (login over telnet/SSH)

    def rule_list(self) -> list[PolicyRule]:
        """The rules IKE offers, by priority; the built-in default only when none is set."""
        return [self.rules[p] for p in sorted(self.rules)] or [DEFAULT_RULE]

    def vrs(self) -> list[str]:
        return [DEFAULT_VR] + self.virtual_routers


def mask_len(mask: str) -> int | None:
    """Prefix length of a contiguous dotted mask (None when not contiguous)."""
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return None


def mask_key(key: str) -> str:
    """The key as `show running-config` prints it (`masked-key` reads it back): reversible,
    not readable at a glance -- the clear text is never printed."""
    return "".join(f"{(b ^ 0x5A):02x}" for b in key.encode())


def unmask_key(masked: str) -> str | None:
    try:
        data = bytes.fromhex(masked)
    except ValueError:
        return None
    try:
        return bytes(b ^ 0x5A for b in data).decode()
    except UnicodeDecodeError:
        return None


def render(cfg: JunoseConfig, only_interface: str | None = None) -> str:
    """`show running-config` text; replaying it in configuration mode rebuilds `cfg`."""
    lines: list[str] = []
    if only_interface is None:
        lines += ["!", f"hostname {cfg.hostname}"]
        for vr in cfg.virtual_routers:
            lines.append(f"virtual-router {vr}")
        for slot in sorted(cfg.disabled_slots):
            lines.append(f"slot disable {slot}")
        for name, password in cfg.users.items():
            lines.append(f"username {name} masked-password {mask_key(password)}")
        for host, (community, port) in cfg.trap_hosts.items():
            lines.append(f"snmp-server host {host} community {community} udp-port {port}")
        lines.append("!")
        for name, transforms in cfg.transform_sets.items():
            lines.append(f"ipsec transform-set {name} transform {' '.join(transforms)}")
        for p in sorted(cfg.rules):
            r = cfg.rules[p]
            lines += [f"ipsec isakmp-policy-rule {p}", f" encryption {r.encryption}", f" hash {r.hash}",
                      f" authentication {r.authentication}", f" group {r.group}",
                      f" lifetime {r.lifetime}"]
        for peer, key in cfg.keys.items():
            lines += [f"ipsec key manual pre-share {peer}", f" masked-key {mask_key(key)}"]
        if cfg.local_endpoint is not None:
            addr, vr = cfg.local_endpoint
            lines.append(f"ipsec local-endpoint {addr} transport-virtual-router {vr}")
        lines.append("!")
    # declaring a VR makes it the context of the lines after it (as typing it would)
    vr = cfg.virtual_routers[-1] if cfg.virtual_routers and only_interface is None else DEFAULT_VR
    for t in cfg.interfaces.values():
        if only_interface is not None and t.ifname != only_interface:
            continue
        if t.operational_vr != vr and only_interface is None:
            vr = t.operational_vr  # the context the following interfaces are created in
            lines.append(f"virtual-router {vr}")
        head = f"interface tunnel {t.ifname}"
        if t.transport_vr is not None:
            head += f" transport-virtual-router {t.transport_vr}"
        lines.append(head)
        if t.address is not None:
            lines.append(f" ip address {t.address[0]} {t.address[1]}")
        if t.source is not None:
            lines.append(f" tunnel source {t.source}")
        if t.destination is not None:
            lines.append(f" tunnel destination {t.destination}")
        if t.backup is not None:
            lines.append(f" tunnel destination backup {t.backup}")
        if t.transform_set is not None:
            lines.append(f" tunnel transform-set {t.transform_set}")
        if t.pfs_group is not None:
            lines.append(f" tunnel pfs group {t.pfs_group}")
        if t.lifetime_s is not None:
            kb = f" kilobytes {t.lifetime_kb}" if t.lifetime_kb else ""
            lines.append(f" tunnel lifetime seconds {t.lifetime_s}{kb}")
        if t.mtu is not None:
            lines.append(f" tunnel mtu {t.mtu}")
        if not t.dpd:
            lines.append(" no tunnel dead-peer-detection")
        if t.shutdown:
            lines.append(" shutdown")
        lines.append("!")
    if only_interface is None:
        lines.append("end")
    return "\n".join(lines) + "\n"
