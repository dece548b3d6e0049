"""ConfigNode.copy: a deep, independent copy that carries every field."""

from __future__ import annotations

import dataclasses

from routershell.config.tree import ConfigNode


def sample() -> ConfigNode:
    root = ConfigNode()
    unit = root.ensure((("interfaces", None), ("<interface-name>", "ge-0/0/0"), ("unit", "0")))
    unit.annotation = "uplink"
    unit.ensure((("description", None),)).value = "to core"
    unit.ensure((("vlan-tags", None),)).values = ["10", "20"]
    root.ensure((("system", None), ("host-name", None))).value = "r1"
    root.children[("system", None)].inactive = True
    return root


def test_copy_carries_every_field_and_is_equal() -> None:
    tree = sample()
    copy = tree.copy()
    assert copy == tree and copy is not tree
    for (_, a), (_, b) in zip(tree.walk(), copy.walk(), strict=True):
        for f in dataclasses.fields(ConfigNode):  # a field added later must be copied too
            if f.name != "children":
                assert getattr(b, f.name) == getattr(a, f.name), f.name
        assert a is not b and a.values is not b.values and a.children is not b.children


def test_copy_is_independent() -> None:
    tree = sample()
    copy = tree.copy()
    unit = copy.get((("interfaces", None), ("<interface-name>", "ge-0/0/0"), ("unit", "0")))
    assert unit is not None
    unit.children[("vlan-tags", None)].values.append("30")
    unit.ensure((("mtu", None),)).value = "9000"
    copy.children[("system", None)].inactive = False
    leaf = tree.get((("interfaces", None), ("<interface-name>", "ge-0/0/0"), ("unit", "0"), ("vlan-tags", None)))
    assert leaf is not None and leaf.values == ["10", "20"]
    assert tree == sample() and copy != tree
    assert copy.copy() == copy
