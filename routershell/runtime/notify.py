"""Notifications leaving a device: SNMP traps for neutral lab events, on top of syslog.

Neutral event names ("link-down", "link-up", "config-change", "tunnel-up", "tunnel-down") map
to trap OIDs. The standard ones (IF-MIB linkDown/linkUp) are here; enterprise-specific ones
are registered by each platform (`register(platform, event, oid)`): Junos maps config-change
to jnxCmCfgChange and, later, tunnel up/down to its IPsec traps.

`emit(device, event, varbinds)` sends one SNMPv2c trap to every target in
`device.trap_targets` ((host, port, community) tuples the platform's commit compiles).
`attach(device)` subscribes to the device's tunnel manager, when it has one, so tunnel
events become traps without the platform asking.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from . import snmp

log = logging.getLogger(__name__)

__all__ = ["STANDARD", "TrapTarget", "attach", "emit", "register", "trap_oid"]


class TrapTarget(NamedTuple):
    """Where a device sends traps; `events` limits which (None: every event)."""

    host: str
    port: int = 162
    community: str = "public"
    events: frozenset[str] | None = None

IF_MIB_LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
IF_MIB_LINK_UP = "1.3.6.1.6.3.1.1.5.4"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1"  # ifIndex.N
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"

STANDARD: dict[str, str] = {"link-down": IF_MIB_LINK_DOWN, "link-up": IF_MIB_LINK_UP}
_PLATFORM: dict[str, dict[str, str]] = {}
_DETAIL: dict[str, dict[str, str]] = {}


def register(platform: str, event: str, oid: str, detail_oid: str | None = None) -> None:
    """A platform's enterprise-specific trap OID for a neutral event; `detail_oid` names the
    object that carries the event's detail (a tunnel name, a user) when one is given."""
    _PLATFORM.setdefault(platform, {})[event] = oid
    if detail_oid is not None:
        _DETAIL.setdefault(platform, {})[event] = detail_oid


def trap_oid(platform: str, event: str) -> str | None:
    return _PLATFORM.get(platform, {}).get(event) or STANDARD.get(event)


def emit(device: Any, event: str, varbinds: list[tuple[str, Any]] | None = None,
         detail: str | None = None) -> int:
    """Send the trap for `event` to the device's targets; the number of datagrams sent."""
    oid = trap_oid(device.platform, event)
    varbinds = list(varbinds or [])
    detail_oid = _DETAIL.get(device.platform, {}).get(event)
    if detail is not None and detail_oid is not None:
        varbinds.append((detail_oid, detail))
    targets = [t for t in device.trap_targets
               if (len(t) < 4 or t[3] is None or event in t[3]) and _may_send(device, t[0])]
    if oid is None or not targets:
        return 0
    uptime = int(max(0.0, device.now() - device.booted_at) * 100)  # sysUpTime: centiseconds
    sent = 0
    for host, port, community, *_ in targets:
        try:
            snmp.send_trap(host, port, community, uptime, oid, varbinds)
            sent += 1
        except (OSError, snmp.SnmpError) as e:  # an unreachable manager never stops the device
            log.debug("trap %s to %s:%s failed: %s", event, host, port, e)
    return sent


_refused: set[tuple[str, str]] = set()


def _may_send(device: Any, host: str) -> bool:
    """Traps go to loopback receivers, and elsewhere only where the lab file allows
    (`trap_targets_allowed`): a configuration typed by anyone must not aim UDP at the world."""
    import ipaddress

    try:
        if ipaddress.ip_address(host).is_loopback or host in device.trap_allowed:
            return True
    except ValueError:
        return False
    if (device.name, host) not in _refused:
        _refused.add((device.name, host))
        log.warning("%s: trap target %s not sent to (not loopback, not in the lab's "
                    "trap_targets_allowed)", device.name, host)
    return False


def link_varbinds(index: int, name: str, up: bool) -> list[tuple[str, Any]]:
    """IF-MIB linkUp/linkDown objects for interface `index`."""
    status = 1 if up else 2
    return [(f"{IF_INDEX}.{index}", index), (f"{IF_ADMIN_STATUS}.{index}", 1),
            (f"{IF_OPER_STATUS}.{index}", status), (f"{IF_DESCR}.{index}", name)]


def attach(device: Any) -> None:
    """Tunnel events of the device's TunnelManager (if any) become tunnel-up/down traps."""
    from ..engine.events import Phase2Down, Phase2Up

    tunnels = device.tunnels
    if tunnels is None:
        return

    def on_event(name: str, ev: Any) -> None:
        if isinstance(ev, Phase2Up):
            emit(device, "tunnel-up", detail=name)
        elif isinstance(ev, Phase2Down):
            emit(device, "tunnel-down", detail=name)

    tunnels.subscribe(on_event)
