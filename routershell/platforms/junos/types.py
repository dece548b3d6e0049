"""Junos value types for the grammar: interface names, with and without a unit; OSPF area IDs."""

from __future__ import annotations

import re

from ...grammar.types import ValueType, ValueTypeError, register_type

# Junos physical names (type-fpc/pic/port[:channel]) and the fixed/virtual ones.
_IFNAME = re.compile(r"(?:[a-z][a-z0-9]{1,3}-\d+/\d+/\d+(?::\d+)?|lo\d+|fxp\d+|em\d+|me\d+|irb|vlan|st\d+|ae\d+|reth\d+)")
_IFUNIT = re.compile(_IFNAME.pattern + r"\.\d+")


def check_interface(t: ValueType, token: str) -> str:
    if not _IFNAME.fullmatch(token):
        raise ValueTypeError("interface", token)
    return token


def check_interface_unit(t: ValueType, token: str) -> str:
    """`ge-0/0/0.1`, or a bare name meaning its unit 0 (Junos's default unit)."""
    if not _IFUNIT.fullmatch(token) and not _IFNAME.fullmatch(token):
        raise ValueTypeError("interface", token)
    return token if "." in token else token + ".0"


def check_area_id(t: ValueType, token: str) -> str:
    """An OSPF area: dotted quad, or a number that Junos stores as one (`area 1` -> 0.0.0.1)."""
    if re.fullmatch(r"\d+", token) and int(token) < 2**32:
        n = int(token)
        return ".".join(str((n >> s) & 255) for s in (24, 16, 8, 0))
    parts = token.split(".")
    if len(parts) == 4 and all(re.fullmatch(r"\d{1,3}", p) and int(p) < 256 for p in parts):
        return ".".join(str(int(p)) for p in parts)
    raise ValueTypeError("address", token)


register_type("interface", check_interface)
register_type("areaid", check_area_id)
register_type("interface-unit", check_interface_unit)
