"""Junos `[edit snmp]`: trap groups compiled into the device's trap targets, and the traps and
syslog lines Junos sends on commit.

`set snmp trap-group NAME targets ADDR` sends SNMPv2c traps to ADDR:162 (or the group's
`destination-port`) with the group name as community. `categories` limits what is sent
(configuration → jnxCmCfgChange, link → IF-MIB linkUp/linkDown, services → tunnel traps);
without it every category is sent. `version v1` groups get nothing: only v2c is implemented.
"""

from __future__ import annotations

from typing import Any

from ...runtime import notify
from ...runtime.device import Device
from ...runtime.notify import TrapTarget

JNX_CM_CFG_CHANGE = "1.3.6.1.4.1.2636.4.5.0.1"  # JUNIPER-CFGMGMT-MIB::jnxCmCfgChange
_CFG_EVENT = "1.3.6.1.4.1.2636.3.18.1.7.1"  # jnxCmCfgChgEventEntry
EVENT_TIME, EVENT_DATE, EVENT_SOURCE, EVENT_USER, EVENT_LOG = (f"{_CFG_EVENT}.{n}" for n in (2, 3, 4, 5, 6))
SOURCE_CLI = 2  # JnxCmCfChgSource: other(1) cli(2) junoscript(3) ...

CATEGORY_EVENTS = {
    "configuration": frozenset({"config-change"}),
    "link": frozenset({"link-up", "link-down"}),
    "services": frozenset({"tunnel-up", "tunnel-down", "ipsec-tunnel-up", "ipsec-tunnel-down",
                           "ipsec-dead-peer", "ipsec-failover", "ipsec-revert"}),  # ipsec/events.py
}

notify.register("junos", "config-change", JNX_CM_CFG_CHANGE)


def _active(node: Any, name: str) -> Any:
    """The child statement `name` unless it is absent or inactive (inactive statements do not apply)."""
    child = node.children.get((name, None)) if node is not None else None
    return None if child is None or child.inactive else child


def trap_targets(config: Any) -> list[TrapTarget]:
    """Trap targets of an active configuration tree; inactive statements are skipped."""
    snmp = _active(config, "snmp")
    if snmp is None:
        return []
    out: list[TrapTarget] = []
    for (name, group_name), group in snmp.children.items():
        if name != "trap-group" or group.inactive:
            continue
        version = _active(group, "version")
        if version is not None and version.value == "v1":
            continue
        port_node = _active(group, "destination-port")
        port = int(port_node.value) if port_node is not None and port_node.value else 162
        cats = _active(group, "categories")
        events: frozenset[str] | None = None
        active_cats = [c for (c, _), n in cats.children.items() if not n.inactive] if cats is not None else []
        if active_cats:
            events = frozenset().union(*(CATEGORY_EVENTS.get(c, frozenset()) for c in active_cats))
        targets = _active(group, "targets")
        if targets is None:
            continue
        for (_, addr), node in targets.children.items():
            if addr and not node.inactive:
                out.append(TrapTarget(addr, port, str(group_name), events))
    return out


def install(dev: Device) -> None:
    """Trap targets of the startup configuration."""
    dev.trap_targets = trap_targets(dev.store.active)


def committed(dev: Device) -> None:
    """After a commit: recompile the trap targets; log and trap the commit."""
    dev.trap_targets = trap_targets(dev.store.active)
    entry = dev.store.history[0] if dev.store.history else None
    user = entry.user if entry is not None else "root"
    comment = entry.comment if entry is not None and entry.comment else "none"
    dev.syslog(f"mgd: UI_COMMIT: User '{user}' requested 'commit' operation (comment: {comment})")
    seq = len(dev.store.history) or 1
    when = dev.clock.datetime() if dev.clock is not None else None
    date = _date_and_time(when) if when is not None else b""
    notify.emit(dev, "config-change", [
        (f"{EVENT_TIME}.{seq}", _ticks(dev)),
        (f"{EVENT_DATE}.{seq}", date),
        (f"{EVENT_SOURCE}.{seq}", SOURCE_CLI),
        (f"{EVENT_USER}.{seq}", user),
        (f"{EVENT_LOG}.{seq}", "" if comment == "none" else comment),
    ])


def _ticks(dev: Device) -> Any:
    from pysnmp.proto.api import v2c

    return v2c.TimeTicks(int(max(0.0, dev.now() - dev.booted_at) * 100) & 0xFFFFFFFF)


def _date_and_time(dt: Any) -> bytes:
    """SNMPv2-TC DateAndTime, 11 octets (UTC)."""
    return bytes([dt.year >> 8, dt.year & 0xFF, dt.month, dt.day, dt.hour, dt.minute, dt.second, 0,
                  ord("+"), 0, 0])
