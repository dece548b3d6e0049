"""SNMPv2c traps as real UDP datagrams (encoded with pysnmp, imported on first use).

`encode_trap(community, uptime_cs, trap_oid, varbinds, request_id)` builds the message bytes:
sysUpTime.0 (lab uptime in centiseconds) and snmpTrapOID.0 first, then the trap's objects.
`send_trap(host, port, …)` sends it from an ephemeral UDP socket. Request ids count up from 1
per process so the bytes of a lab run do not depend on chance.
"""

from __future__ import annotations

import itertools
import socket
from typing import Any

__all__ = ["SNMP_TRAP_OID", "SYS_UPTIME", "SnmpError", "encode_trap", "send_trap"]

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"

_request_ids = itertools.count(1)


class SnmpError(RuntimeError):
    """pysnmp missing or a value it can't encode."""


def _value(v2c: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return v2c.Integer(int(value))
    if isinstance(value, int):
        return v2c.Integer(value)
    if isinstance(value, str):
        return v2c.OctetString(value.encode())
    if isinstance(value, bytes):
        return v2c.OctetString(value)
    return value  # already an ASN.1 value


def encode_trap(community: str, uptime_cs: int, trap_oid: str,
                varbinds: list[tuple[str, Any]], request_id: int | None = None) -> bytes:
    try:
        from pyasn1.codec.ber import encoder
        from pysnmp.proto.api import v2c
    except ImportError as e:  # reported, never a traceback: traps are optional
        raise SnmpError(f"pysnmp is not installed ({e})") from None
    try:
        pdu = v2c.TrapPDU()
        v2c.apiTrapPDU.set_defaults(pdu)
        v2c.apiTrapPDU.set_request_id(pdu, next(_request_ids) if request_id is None else request_id)
        binds = [(v2c.ObjectIdentifier(SYS_UPTIME), v2c.TimeTicks(uptime_cs & 0xFFFFFFFF)),
                 (v2c.ObjectIdentifier(SNMP_TRAP_OID), v2c.ObjectIdentifier(trap_oid))]
        binds += [(v2c.ObjectIdentifier(oid), _value(v2c, val)) for oid, val in varbinds]
        v2c.apiTrapPDU.set_varbinds(pdu, binds)
        msg = v2c.Message()
        v2c.apiMessage.set_defaults(msg)
        v2c.apiMessage.set_community(msg, community)
        v2c.apiMessage.set_pdu(msg, pdu)
        return bytes(encoder.encode(msg))
    except Exception as e:  # pyasn1 raises its own error types for bad values
        raise SnmpError(f"can't encode trap {trap_oid}: {e}") from None


def send_trap(host: str, port: int, community: str, uptime_cs: int, trap_oid: str,
              varbinds: list[tuple[str, Any]]) -> None:
    data = encode_trap(community, uptime_cs, trap_oid, varbinds)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        s.sendto(data, (host, int(port)))
