"""Crypto group notifications (seed 003) as SNMPv2c traps in the Starent enterprise tree.

The STARENT-MIB is not available to us (the StarOS 'Redundant IPSec Tunnel Fail-over' chapter), so the numbers below are OURS,
chosen under the Starent enterprise arc (1.3.6.1.4.1.8164) well above the MIB's own trap numbers;
docs/staros.md and the README list them. Every trap carries the context, crypto group, crypto map
and peer address; the two fail-over traps also carry the map traffic moved (or was to move) from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...engine.cryptogroup import Condition
from ...runtime import notify

PLATFORM = "staros"
STARENT = "1.3.6.1.4.1.8164"
TRAPS = f"{STARENT}.2"  # starentTraps
OBJECTS = f"{STARENT}.1.9001"  # our crypto group notification objects

# condition -> (trap number, trap name, event-log text)
TRAP_INFO: dict[Condition, tuple[int, str, str]] = {
    Condition.PRIMARY_DOWN: (9001, "CryptoGroupPriTunnelDown", "Primary Tunnel is down"),
    Condition.PRIMARY_UP: (9002, "CryptoGroupPriTunnelUp", "Primary Tunnel is up"),
    Condition.SECONDARY_DOWN: (9003, "CryptoGroupSecTunnelDown", "Secondary Tunnel is down"),
    Condition.SECONDARY_UP: (9004, "CryptoGroupSecTunnelUp", "Secondary Tunnel is up"),
    Condition.FAILOVER_SUCCESSFUL: (9005, "CryptoGroupFailoverSuccess", "Fail-over successful"),
    Condition.FAILOVER_UNSUCCESSFUL: (9006, "CryptoGroupFailoverFailure", "Unsuccessful fail-over"),
}

# event-log severity: the seed calls a tunnel going down and an unsuccessful fail-over "an error
# condition"; the tunnels coming up and a successful fail-over are informational
ERRORS = frozenset({Condition.PRIMARY_DOWN, Condition.SECONDARY_DOWN, Condition.FAILOVER_UNSUCCESSFUL})

OBJ_CONTEXT = f"{OBJECTS}.1"  # starCryptoGroupContext
OBJ_GROUP = f"{OBJECTS}.2"  # starCryptoGroupName
OBJ_MAP = f"{OBJECTS}.3"  # starCryptoMapName
OBJ_PEER = f"{OBJECTS}.4"  # starCryptoMapPeerAddr
OBJ_FROM_MAP = f"{OBJECTS}.5"  # starCryptoGroupFromMapName (fail-over traps only)


def event_name(c: Condition) -> str:
    return f"crypto-group-{c.value}"


def trap_oid(c: Condition) -> str:
    return f"{TRAPS}.{TRAP_INFO[c][0]}"


for _c in Condition:
    notify.register(PLATFORM, event_name(_c), trap_oid(_c))


@dataclass(frozen=True)
class Notification:
    when: float  # lab seconds
    condition: Condition
    context: str
    group: str
    map: str
    peer: str
    from_map: str | None = None

    @property
    def number(self) -> int:
        return TRAP_INFO[self.condition][0]

    @property
    def name(self) -> str:
        return TRAP_INFO[self.condition][1]

    @property
    def text(self) -> str:
        return TRAP_INFO[self.condition][2]

    def varbinds(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = [(OBJ_CONTEXT, self.context), (OBJ_GROUP, self.group),
                                      (OBJ_MAP, self.map), (OBJ_PEER, self.peer)]
        if self.from_map is not None:
            out.append((OBJ_FROM_MAP, self.from_map))
        return out

    def information(self) -> str:
        """The `show snmp trap history` text."""
        s = (f"Internal trap notification {self.number} ({self.name}) context {self.context} "
             f"crypto-group {self.group} crypto-map {self.map} peer {self.peer}")
        if self.from_map is not None:
            s += f" from crypto-map {self.from_map}"
        return s

    def log_line(self) -> str:
        severity = "error" if self.condition in ERRORS else "info"
        s = f"[ipsec 55001 {severity}] crypto-group {self.group} (context {self.context}): {self.text}: crypto-map {self.map} peer {self.peer}"
        if self.from_map is not None:
            s += f" (from crypto-map {self.from_map})"
        return s


def send(device: Any, n: Notification) -> int:
    """The SNMPv2c trap to every target of the device; the number of datagrams sent."""
    return notify.emit(device, event_name(n.condition), n.varbinds())


__all__ = ["OBJ_CONTEXT", "OBJ_FROM_MAP", "OBJ_GROUP", "OBJ_MAP", "OBJ_PEER", "TRAP_INFO",
           "Notification", "event_name", "send", "trap_oid"]
