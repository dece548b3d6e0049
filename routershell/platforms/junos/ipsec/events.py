"""Tunnel events as Junos syslog lines (kmd) and SNMP traps.

Subscribes to the device's TunnelManager (`attach`). Message tags: KMD_PM_SA_ESTABLISHED,
KMD_VPN_UP_ALARM_USER and KMD_VPN_DOWN_ALARM_USER are kmd tags of the Junos System Log
Messages Reference (their wording here is reconstructed); KMD_DPD_PEER_DEAD, KMD_VPN_FAILOVER,
KMD_VPN_SWITCHBACK and KMD_VPN_REVERT are plausible tags of our own (the 9.x reference lists
no message for the AS/MS PIC backup-gateway machinery). README.md ("SNMP traps and syslog lines") lists the traps.

Traps: the vendors' MIB documentation names no Junos IPsec notification of that era, so tunnel
events use IF-MIB linkUp/linkDown for the service set's sp- unit (its SNMP ifIndex as `show
interfaces` numbers it): tunnel up -> linkUp; tunnel down, dead peer, failover, revert ->
linkDown. They are sent to trap groups with category `services` (or no categories).
"""

from __future__ import annotations

from typing import Any

from ....runtime import notify

KMD = "kmd[1263]"

# neutral event name -> IF-MIB notification (registered for the junos platform)
TRAPS = {
    "ipsec-tunnel-up": notify.IF_MIB_LINK_UP,
    "ipsec-tunnel-down": notify.IF_MIB_LINK_DOWN,
    "ipsec-dead-peer": notify.IF_MIB_LINK_DOWN,
    "ipsec-failover": notify.IF_MIB_LINK_DOWN,
    "ipsec-revert": notify.IF_MIB_LINK_DOWN,
}
for _event, _oid in TRAPS.items():
    notify.register("junos", _event, _oid)


def _spec(device: Any, name: str) -> Any:
    for s in device.driver.ipsec_specs:
        if s.name == name:
            return s
    return None


def _unit(spec: Any) -> str:
    """The sp- unit carrying the tunnel ("sp-1/2/0" -> "sp-1/2/0.0")."""
    itf = spec.labels.get("inside-interface") or spec.labels.get("module") or ""
    return itf if "." in itf or not itf else f"{itf}.0"


def _trap(device: Any, event: str, spec: Any, up: bool) -> None:
    from ..interfaces import snmp_index

    unit = _unit(spec) if spec is not None else ""
    index = snmp_index(device, unit) if unit else None
    varbinds = notify.link_varbinds(index, unit, up) if index is not None else []
    notify.emit(device, event, varbinds)


def _vpn(name: str) -> str:
    return name


def on_event(device: Any, name: str, ev: Any) -> None:
    """One TunnelManager event (engine event or failover action) of tunnel `name`."""
    kind = type(ev).__name__
    spec = _spec(device, name)
    local = spec.local if spec is not None else ""
    log = device.syslog
    if kind == "Phase2Up":
        if spec is None:
            return
        gw = ev.peer[0]
        lts, rts = spec.selectors[0] if spec.selectors else ("0.0.0.0/0", "0.0.0.0/0")
        for direction, spi in (("inbound", ev.inbound_spi), ("outbound", ev.outbound_spi)):
            log(f"{KMD}: KMD_PM_SA_ESTABLISHED: Local gateway: {local}, Remote gateway: {gw}, "
                f"Local ID: ipv4_subnet(any:0,[0..7]={lts}), Remote ID: ipv4_subnet(any:0,[0..7]={rts}), "
                f"Direction: {direction}, SPI: {spi:#x}, AUX-SPI: 0, Mode: tunnel, Type: dynamic")
        log(f"{KMD}: KMD_VPN_UP_ALARM_USER: VPN {_vpn(name)} from {gw} is up. Local-ip: {local}, "
            f"gateway name: {gw}, vpn name: {_vpn(name)}, tunnel-id: {ev.inbound_spi}")
        _trap(device, "ipsec-tunnel-up", spec, True)
    elif kind == "Phase2Down":
        if spec is None:
            return
        gw = ev.peer[0]
        log(f"{KMD}: KMD_VPN_DOWN_ALARM_USER: VPN {_vpn(name)} from {gw} is down. Local-ip: {local}, "
            f"gateway name: {gw}, vpn name: {_vpn(name)}, tunnel-id: {ev.inbound_spi}, reason: {ev.reason}")
        _trap(device, "ipsec-tunnel-down", spec, False)
    elif kind == "PeerDeclaredDead":
        log(f"{KMD}: KMD_DPD_PEER_DEAD: Dead peer detected: remote gateway {ev.gateway} did not answer "
            f"DPD hellos (local gateway {local}, VPN {_vpn(name)})")
        _trap(device, "ipsec-dead-peer", spec, False)
    elif kind == "Activated" and not ev.manual and spec is not None:
        if ev.role.value == "backup":
            log(f"{KMD}: KMD_VPN_FAILOVER: VPN {_vpn(name)}: switching from remote gateway "
                f"{spec.peer.address} to backup remote gateway {ev.gateway}")
            _trap(device, "ipsec-failover", spec, False)
        else:
            log(f"{KMD}: KMD_VPN_SWITCHBACK: VPN {_vpn(name)}: backup remote gateway {spec.backup} "
                f"timed out, switching to remote gateway {ev.gateway}")
    elif kind == "Activated" and spec is not None:
        log(f"{KMD}: KMD_VPN_FAILOVER: VPN {_vpn(name)}: switched by request to remote gateway {ev.gateway}")
    elif kind == "Reverted":
        log(f"{KMD}: KMD_VPN_REVERT: VPN {_vpn(name)}: remote gateway {ev.primary} and backup remote gateway "
            f"{ev.backup} unreachable; reverting to remote gateway {ev.primary}, no further failover")
        _trap(device, "ipsec-revert", spec, False)
    elif kind == "NegotiationFailed" and ev.phase == 1 and spec is not None:
        log(f"{KMD}: KMD_PM_PHASE1_NEGOTIATION_FAILED: Local gateway: {local}, Remote gateway: {ev.peer[0]}, "
            f"reason: {ev.reason}")
    elif kind in ("ModuleDown", "ModuleUp"):
        _pic_restart(device, name, ev, spec)


def _pic_restart(device: Any, name: str, ev: Any, spec: Any) -> None:
    """A services PIC went away / came back. With clear-ike-sas-on-pic-restart the IKE SAs
    with the PIC's gateways are deleted when it returns (Delete sent: both sides start over);
    without it the IKE SA survives on the Routing Engine and the tunnel renegotiates only its
    IPsec SA. (IPsec SAs lived on the PIC: they are gone either way.)"""
    if type(ev).__name__ != "ModuleUp" or spec is None:
        return
    from .config import read

    cfg = read(device.store.active)
    tm = device.tunnels
    if cfg.clear_ike_on_restart and tm is not None:
        for gw in spec.gateways:
            tm.clear_ike(gw, device.now())


def attach(device: Any) -> None:
    """Subscribe once to the device's TunnelManager."""
    tm = device.tunnels
    if tm is None or device.driver.events_attached:
        return
    device.driver.events_attached = True
    tm.subscribe(lambda name, ev: on_event(device, name, ev))
