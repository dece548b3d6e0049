"""`show ... | display inheritance defaults` for [edit services ipsec-vpn]: the Table 55 values a
proposal or policy leaves out are shown filled in, each under a comment naming its source."""

from __future__ import annotations

from ....config.tree import ConfigNode
from . import defaults as d
from .config import IPSEC_VPN

# (container under ipsec-vpn, list name, statements of Table 55 that apply to its entries)
_TARGETS = (
    ("ike", "proposal", ("authentication-method", "authentication-algorithm", "dh-group", "encryption-algorithm", "lifetime-seconds")),
    ("ike", "policy", ("mode",)),
    ("ipsec", "proposal", ("protocol", "authentication-algorithm", "encryption-algorithm", "lifetime-seconds")),
)


def with_defaults(tree: ConfigNode) -> ConfigNode:
    """A copy of `tree` with the omitted Table 55 statements added (annotated)."""
    out = tree.copy()
    vpn = out.get(IPSEC_VPN)
    if vpn is None:
        return out
    for container, kind, stmts in _TARGETS:
        parent = vpn.children.get((container, None))
        if parent is None:
            continue
        for (name, _key), entry in parent.children.items():
            if name != kind:
                continue
            for stmt in stmts:
                if (stmt, None) in entry.children:
                    continue
                default = next(x for x in d.TABLE_55 if x.path == f"{container} {kind} {stmt}")
                entry.children[(stmt, None)] = ConfigNode(stmt, None, default.value,
                                                           annotation=f"inherited from defaults: {default.source}")
    epfs = vpn.children.get(("ipsec", None))
    for (name, _key), entry in (epfs.children.items() if epfs is not None else ()):
        pfs = entry.children.get(("perfect-forward-secrecy", None)) if name == "policy" else None
        if pfs is not None and ("keys", None) not in pfs.children:
            default = next(x for x in d.TABLE_55 if x.path == "ipsec policy perfect-forward-secrecy keys")
            pfs.children[("keys", None)] = ConfigNode("keys", None, default.value, annotation=f"inherited from defaults: {default.source}")
    if ("establish-tunnels", None) not in vpn.children:
        default = next(x for x in d.TABLE_55 if x.path == "establish-tunnels")
        vpn.children[("establish-tunnels", None)] = ConfigNode("establish-tunnels", None, default.value,
                                                               annotation=f"inherited from defaults: {default.source}")
    return out
