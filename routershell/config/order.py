"""Display order of configuration statements: schema order, and keys sorted the way people expect.

Lists the system orders (not `@ordered`) sort by a natural key: digit runs compare as numbers, so
`ge-0/0/2` < `ge-0/0/10`; IP addresses and prefixes compare numerically (10.0.0.0/8 after
9.0.0.0/8, 10.0.0.0/8 before 10.0.0.0/16), IPv4 before IPv6, and both before other names.
"""

from __future__ import annotations

import ipaddress
import re

from ..grammar.schema import Kind, Node
from .tree import ConfigNode

_RUNS = re.compile(r"(\d+)")


def natural_key(key: str | None) -> tuple:
    """Sort key for a list entry's key."""
    if key is None:
        return (0,)
    try:
        net = ipaddress.ip_interface(key)
        return (1, net.version, int(net.ip), net.network.prefixlen)
    except ValueError:
        pass
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _RUNS.split(key) if p)
    return (2, parts)


def ordered_children(cfg: ConfigNode, schema: Node | None) -> list[tuple[ConfigNode, Node | None]]:
    """Children of `cfg` in display order, each with its schema node (None if the schema lacks it).

    Schema order first; entries of one list in insertion order when the list is `@ordered`, else by
    natural key; statements the schema does not know come last in insertion order.
    """
    if schema is None:
        return [(c, None) for c in cfg.children.values()]
    buckets: dict[str, list[ConfigNode]] = {}
    for child in cfg.children.values():
        buckets.setdefault(child.name, []).append(child)
    out: list[tuple[ConfigNode, Node | None]] = []
    for sc in schema.all_children():
        entries = buckets.pop(sc.name, None)
        if not entries:
            continue
        if sc.kind is Kind.LIST and not sc.ordered:
            entries = sorted(entries, key=lambda c: natural_key(c.key))
        out.extend((c, sc) for c in entries)
    for entries in buckets.values():
        out.extend((c, None) for c in entries)
    return out
