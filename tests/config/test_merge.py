"""load merge / override / replace and the private-commit three-way merge."""

from __future__ import annotations

from routershell.config.merge import merge, merge3, override, replace
from routershell.config.tree import ConfigNode
from tests.config.sample_schema import build_schema

SCHEMA = build_schema()


def put(tree: ConfigNode, path: str, value: str | list[str] | None = None) -> ConfigNode:
    steps = tuple((w.split("=", 1)[0], w.split("=", 1)[1] if "=" in w else None) for w in path.split())
    node = tree.ensure(steps)
    if isinstance(value, list):
        node.values = value
    elif value is not None:
        node.value = value
    return node


def val(tree: ConfigNode, path: str) -> str | list[str] | None:
    steps = tuple((w.split("=", 1)[0], w.split("=", 1)[1] if "=" in w else None) for w in path.split())
    node = tree.get(steps)
    if node is None:
        return None
    return node.values or node.value


def test_merge_adds_overwrites_and_unions_leaf_lists() -> None:
    base = ConfigNode()
    put(base, "system host-name", "r1")
    put(base, "policy proposals", ["a", "b"])
    put(base, "routing-options static route=0.0.0.0/0 next-hop", ["1.1.1.1"])
    inc = ConfigNode()
    put(inc, "system host-name", "r2")
    put(inc, "policy proposals", ["b", "c"])
    put(inc, "routing-options static route=10.0.0.0/8 next-hop", ["2.2.2.2"])
    before = base.copy()
    out = merge(base, inc, SCHEMA)
    assert base == before  # inputs untouched
    assert val(out, "system host-name") == "r2"
    assert val(out, "policy proposals") == ["a", "b", "c"]
    assert val(out, "routing-options static route=0.0.0.0/0 next-hop") == ["1.1.1.1"]
    assert val(out, "routing-options static route=10.0.0.0/8 next-hop") == ["2.2.2.2"]


def test_merge_choice_group_displaces_rival() -> None:
    base = ConfigNode()
    put(base, "services ipsec-vpn ike policy=P pre-shared-key hexadecimal", "0a0b")
    inc = ConfigNode()
    put(inc, "services ipsec-vpn ike policy=P pre-shared-key ascii-text", "secret")
    out = merge(base, inc, SCHEMA)
    assert val(out, "services ipsec-vpn ike policy=P pre-shared-key ascii-text") == "secret"
    assert val(out, "services ipsec-vpn ike policy=P pre-shared-key hexadecimal") is None


def test_override_replaces_everything() -> None:
    base = ConfigNode()
    put(base, "system host-name", "r1")
    inc = ConfigNode()
    put(inc, "policy proposals", ["x"])
    out = override(base, inc)
    assert out == inc and out is not inc
    assert val(out, "system host-name") is None


def test_replace_tagged_subtree_only() -> None:
    base = ConfigNode()
    put(base, "routing-options static route=0.0.0.0/0 next-hop", ["1.1.1.1"])
    put(base, "routing-options static route=0.0.0.0/0 preference", "5")
    put(base, "system host-name", "r1")
    put(base, "system login user=bob uid", "2001")
    inc = ConfigNode()
    put(inc, "routing-options static route=0.0.0.0/0 next-hop", ["9.9.9.9"])
    put(inc, "system login user=amy uid", "2002")
    tagged = {(("routing-options", None), ("static", None), ("route", "0.0.0.0/0"))}
    out = replace(base, inc, tagged, SCHEMA)
    assert val(out, "routing-options static route=0.0.0.0/0 next-hop") == ["9.9.9.9"]
    assert val(out, "routing-options static route=0.0.0.0/0 preference") is None  # replaced whole
    assert val(out, "system login user=bob uid") == "2001"  # untagged: merged
    assert val(out, "system login user=amy uid") == "2002"


def test_merge3_applies_only_my_changes() -> None:
    base = ConfigNode()
    put(base, "system host-name", "r1")
    put(base, "policy proposals", ["a"])
    put(base, "system login user=old uid", "2000")
    mine = base.copy()
    put(mine, "system login user=bob uid", "2001")  # I add
    mine.remove((("policy", None),))  # I delete
    theirs = base.copy()
    put(theirs, "system host-name", "r9")  # they change
    put(theirs, "system login user=amy uid", "2002")  # they add
    theirs.remove((("system", None), ("login", None), ("user", "old")))  # they delete
    out = merge3(base, mine, theirs)
    assert val(out, "system host-name") == "r9"
    assert val(out, "system login user=bob uid") == "2001"
    assert val(out, "system login user=amy uid") == "2002"
    assert val(out, "system login user=old uid") is None
    assert val(out, "policy proposals") is None
