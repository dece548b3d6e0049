"""Junos configuration text on a large configuration: render, parse, display set, compare."""

from __future__ import annotations

import time

from routershell.config.tree import ConfigNode
from routershell.platforms.junos.config_text import compare, parse, render, render_set
from routershell.platforms.junos.grammar import grammar


def build_schema():
    return grammar().schema  # the real Junos schema the device uses


def big_tree(n: int) -> ConfigNode:
    t = ConfigNode()
    t.ensure((("system", None), ("host-name", None))).value = "r1"
    for i in range(n):
        ifname = f"ge-{i // 400}/{(i // 40) % 10}/{i % 40}"
        unit = t.ensure((("interfaces", None), ("<interface-name>", ifname), ("unit", "0")))
        unit.ensure((("description", None),)).value = f"link {i}"
        unit.ensure((("family", None), ("inet", None), ("address", f"10.{i // 250}.{i % 250}.1/24")))
        t.ensure((("routing-options", None), ("static", None), ("route", f"172.{i // 250}.{i % 250}.0/24"), ("next-hop", None))).values = ["10.0.0.1"]
    return t


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main() -> None:
    schema = build_schema()
    tree = big_tree(2000)
    text = render(tree, schema)
    other = parse(text, schema)
    other.ensure((("system", None), ("host-name", None))).value = "r2"
    print(f"config_lines: {text.count(chr(10))} lines")
    print(f"render_2000_interfaces: {timed(lambda: render(tree, schema)):.1f} ms")
    print(f"parse_2000_interfaces: {timed(lambda: parse(text, schema)):.1f} ms")
    print(f"display_set_2000_interfaces: {timed(lambda: render_set(tree, schema)):.1f} ms")
    print(f"compare_2000_interfaces: {timed(lambda: compare(tree, other, schema)):.1f} ms")


if __name__ == "__main__":
    main()
