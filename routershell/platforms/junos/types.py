"""Junos value types for the grammar: interface names, with and without a unit."""

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


register_type("interface", check_interface)
register_type("interface-unit", check_interface_unit)
