"""JunosE show commands as pure functions of (configuration, runtime views, chassis, time).

Layouts follow the JunosE IPSec Service Module documentation where it gives one (`show ipsec tunnel [detail]`, marked
[U] there); the others are in the same style and equally [U]. Nothing here reads a clock or a
manager: the driver builds the `TunnelView`s and passes `now` and a time formatter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...runtime.device import Module
from .compile import DEFAULT_LIFETIME_S, DEFAULT_TRANSFORMS, local_address
from .config import DEFAULT_RULE, JunoseConfig, TunnelInterface

TimeText = Callable[[float], str]


@dataclass(frozen=True)
class TunnelView:
    """What the runtime knows of one tunnel interface (built by the driver)."""

    state: str  # TunnelState.state, or "unconfigured" (no spec: endpoints missing / shutdown)
    slot: str | None = None
    next_attempt: float | None = None
    failures: int = 0
    last_failure: str | None = None
    ike_sa: Any = None
    ipsec_sas: list[Any] = field(default_factory=list)
    established_at: float | None = None
    destination: str | None = None  # the one in use (primary or backup)


STATUS = {"up": "up", "down": "down", "negotiating": "down", "not-present": "not present",
          "standby": "down", "unconfigured": "down"}


def status_word(t: TunnelInterface, v: TunnelView | None) -> str:
    if t.shutdown:
        return "disabled"
    return STATUS.get(v.state if v is not None else "unconfigured", "down")


def _hms(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _failure_text(reason: str | None) -> str:
    return {
        "timeout": "peer unreachable",
        "peer-dead": "peer unreachable",
        "no-proposal-chosen": "policy mismatch",
        "authentication-failed": "authentication failed",
        "no-pre-shared-key": "no pre-shared key",
        "no-ike-policy": "no usable IKE policy rule",
        "policy-mismatch": "policy mismatch",
    }.get(reason or "", (reason or "").replace("-", " "))


def tunnel_table(cfg: JunoseConfig, views: dict[str, TunnelView]) -> str:
    lines = [f"{'Tunnel Name':<16} {'Source':<16} {'Destination':<16} Status",
             f"{'-' * 15}  {'-' * 15}  {'-' * 15}  {'-' * 11}"]
    for t in cfg.interfaces.values():
        src = local_address(cfg, t) or "-"
        lines.append(f"{t.name:<16} {src:<16} {t.destination or '-':<16} "
                     f"{status_word(t, views.get(t.ifname))}")
    return "\n".join(lines) + "\n"


def tunnel_detail(cfg: JunoseConfig, t: TunnelInterface, v: TunnelView | None, now: float,
                  at: TimeText) -> str:
    src = local_address(cfg, t) or "not configured"
    dst = t.destination or "not configured"
    backup = f" (backup {t.backup})" if t.backup else ""
    ts = t.transform_set or f"default ({', '.join(DEFAULT_TRANSFORMS)})"
    pfs = f"PFS group {t.pfs_group}" if t.pfs_group else "no PFS"
    kb = f"{t.lifetime_kb} kbytes" if t.lifetime_kb else "unlimited kbytes"
    lines = [
        f"IPSec tunnel {t.name} is {status_word(t, v)}",
        f"  Tunnel source {src}, destination {dst}{backup}",
        f"  Operational virtual router: {t.operational_vr}, transport virtual router: {t.transport}",
        f"  Transform set {ts}, {pfs}, lifetime {t.lifetime_s or DEFAULT_LIFETIME_S} seconds / {kb}",
        f"  Tunnel mtu {t.mtu or 1500}, DPD {'enabled' if t.dpd else 'disabled'}",
    ]
    if v is not None and t.backup and v.destination == t.backup:
        lines.append(f"  Using backup destination {t.backup}")
    if v is not None and v.slot is not None:
        lines.append(f"  Assigned to ISM in slot {v.slot}")
    elif v is not None and v.state == "not-present":
        lines.append("  Not assigned to an ISM (no ISM available)")
    if v is not None and v.state == "up" and v.established_at is not None:
        lines.append(f"  Up since {at(v.established_at)} ({_hms(now - v.established_at)})")
    if v is not None and v.next_attempt is not None:
        lines.append(f"  Next rekey attempt at {at(v.next_attempt)} (in {_hms(v.next_attempt - now)})")
    elif v is not None and v.state == "negotiating":
        lines.append("  Rekey in progress")
    if v is not None and v.failures:
        lines.append(f"  Failed rekey attempts: {v.failures}, last failure: {_failure_text(v.last_failure)}")
    return "\n".join(lines) + "\n"


def tunnel_details(cfg: JunoseConfig, views: dict[str, TunnelView], now: float, at: TimeText,
                   only: str | None = None) -> str:
    out = [tunnel_detail(cfg, t, views.get(t.ifname), now, at)
           for t in cfg.interfaces.values() if only is None or t.name == only]
    return "\n".join(out)


def ike_sas(sas: Sequence[tuple[str, Any]], now: float) -> str:
    """(local address, engine IkeSa) pairs."""
    lines = ["IKE Phase 1 SA's:",
             f"  {'Local':<21} {'Remote':<21} {'State':<12} {'Role':<10} {'Lifetime':>8}",
             f"  {'-' * 21} {'-' * 21} {'-' * 12} {'-' * 10} {'-' * 8}"]
    for local, sa in sas:
        remote = f"{sa.peer[0]}:{sa.peer[1]}"
        left = "-"
        if sa.established_at is not None and sa.lifetime_s:
            left = str(max(0, int(sa.established_at + sa.lifetime_s - now)))
        state = "established" if sa.state == "established" else "negotiating"
        lines.append(f"  {local + ':500':<21} {remote:<21} {state:<12} {sa.role:<10} {left:>8}")
    if not sas:
        lines.append("  No IKE SAs")
    return "\n".join(lines) + "\n"


def policy_rules(cfg: JunoseConfig, only: int | None = None) -> str:
    rules = [cfg.rules[p] for p in sorted(cfg.rules) if only is None or p == only]
    out = []
    if not cfg.rules and only is None:
        rules = [DEFAULT_RULE]
    for r in rules:
        head = f"IKE Policy Rule {r.priority}:" if r.priority else "IKE Policy Rule (built-in default):"
        out.append("\n".join([
            head,
            f"    Encryption:     {r.encryption}",
            f"    Hash:           {r.hash}",
            f"    Authentication: {r.authentication}",
            f"    DH group:       {r.group}",
            f"    Lifetime:       {r.lifetime} seconds",
        ]))
    return "\n\n".join(out) + "\n" if out else ""


def transform_sets(cfg: JunoseConfig, only: str | None = None) -> str:
    out = []
    for name, transforms in cfg.transform_sets.items():
        if only is not None and name != only:
            continue
        out.append(f"Transform set {name}\n  Transforms: {', '.join(transforms)}")
    return "\n".join(out) + "\n" if out else ""


def local_endpoint(cfg: JunoseConfig) -> str:
    if cfg.local_endpoint is None:
        return "IPSec local endpoint: not configured\n"
    addr, vr = cfg.local_endpoint
    return f"IPSec local endpoint: {addr}, transport virtual router {vr}\n"


def interface_tunnel(cfg: JunoseConfig, t: TunnelInterface, v: TunnelView | None) -> str:
    word = status_word(t, v)
    oper = "Up" if word == "up" else ("Not present" if word == "not present" else "Down")
    admin = "Down" if t.shutdown else "Up"
    pin = sum(s.packets_in for s in v.ipsec_sas) if v else 0
    pout = sum(s.packets_out for s in v.ipsec_sas) if v else 0
    bin_ = sum(s.bytes_in for s in v.ipsec_sas) if v else 0
    bout = sum(s.bytes_out for s in v.ipsec_sas) if v else 0
    addr = f"{t.address[0]}/{t.address[1]}" if t.address else "not configured"
    lines = [
        f"{t.ifname} is {oper}, Administrative status is {admin}",
        f"  Operational virtual router {t.operational_vr}, transport virtual router {t.transport}",
        f"  Internet address {addr}",
        f"  Tunnel source {local_address(cfg, t) or 'not configured'}, "
        f"destination {t.destination or 'not configured'}",
        f"  MTU {t.mtu or 1500}",
        f"  In:  packets {pin}, bytes {bin_}",
        f"  Out: packets {pout}, bytes {bout}",
    ]
    return "\n".join(lines) + "\n"


def hardware(modules: Sequence[Module], load: dict[str, int], disabled: set[int],
             short: bool) -> str:
    row = "{:<4}  {:<5}  {:<9}  {:>7}  {:>8}"
    lines = [row.format("Slot", "Type", "State", "Tunnels", "Capacity"),
             row.format("-" * 4, "-" * 5, "-" * 9, "-" * 7, "-" * 8)]
    for m in sorted(modules, key=lambda m: int(m.slot) if m.slot.isdigit() else 99):
        if m.slot.isdigit() and int(m.slot) in disabled:
            state = "disabled"
        else:
            state = "running" if m.up else "failed"
        kind = m.kind.upper() if m.kind == "ism" else m.kind
        lines.append(row.format(m.slot, kind, state, load.get(m.slot, 0), m.capacity))
    if short:
        lines.append("")
        lines.append("Warning: the installed ISMs cannot absorb the tunnels of one failed ISM")
    return "\n".join(lines) + "\n"


def version(model: str, hostname: str, uptime: float, modules: Sequence[Module]) -> str:
    isms = [m for m in modules if m.kind == "ism"]
    up = sum(1 for m in isms if m.up)
    return "\n".join([
        f"Juniper Edge Routing Switch {model}",
        "Copyright (c) 1999-2012 Juniper Networks, Inc.  All rights reserved.",
        "System Release: 11.2.0 (routershell emulation)",
        f"System running for: {_uptime(uptime)}",
        f"IPsec Service Modules: {len(isms)} installed, {up} running",
        f"Host name: {hostname}",
    ]) + "\n"


def _uptime(seconds: float) -> str:
    s = int(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{d} days, {h} hours, {m} minutes, {s} seconds"


def log_data(lines: Sequence[tuple[float, str]], at: TimeText) -> str:
    return "".join(f"{at(when)} {text}\n" for when, text in lines)
