"""JunosE value types for the grammar: tunnel interface names (`ipsec:NAME`)."""

from __future__ import annotations

import re

from ...grammar.types import ValueType, ValueTypeError, register_type

# [V] E7/E8: the name is at most 80 characters
_TUNNEL = re.compile(r"ipsec:[A-Za-z0-9_][A-Za-z0-9_.\-]{0,79}")


def check_tunnel_interface(t: ValueType, token: str) -> str:
    if not _TUNNEL.fullmatch(token):
        raise ValueTypeError("interface", token)
    return token


register_type("junose-tunnel", check_tunnel_interface)
