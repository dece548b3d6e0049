"""Junos curly rendering, `| display set`, `| display json` and `show | compare`."""

from __future__ import annotations

import json

from routershell.config.tree import ConfigNode
from routershell.platforms.junos.config_text import compare, quote, render, render_json, render_set
from tests.config.sample_schema import build_schema

SCHEMA = build_schema()
IF = "<interface-name>"


def _set(tree: ConfigNode, path: str, value: str | list[str] | None = None) -> ConfigNode:
    """`a b=k c` → steps (a,None) (b,k) (c,None)."""
    steps = tuple((w.split("=", 1)[0], w.split("=", 1)[1] if "=" in w else None) for w in path.split())
    node = tree.ensure(steps)
    if isinstance(value, list):
        node.values = value
    elif value is not None:
        node.value = value
    return node


def sample() -> ConfigNode:
    t = ConfigNode()
    _set(t, "system host-name", "r1")
    _set(t, "system login user=bob uid", "2001")
    _set(t, "system login user=bob class", "super-user")
    _set(t, "system login user=bob authentication encrypted-password", "$6$salt$hash")
    for ifname in ("ge-0/0/10", "ge-0/0/2"):
        _set(t, f"interfaces {IF}={ifname} unit=0 family inet address=10.0.0.1/24")
    _set(t, f"interfaces {IF}=ge-0/0/2 description", "to peer A")
    _set(t, "routing-options static route=10.0.0.0/8 next-hop", ["1.1.1.1", "2.2.2.2"])
    _set(t, "routing-options static route=0.0.0.0/0 next-hop", ["10.0.0.254"])
    _set(t, "routing-options static route=9.0.0.0/8 next-hop", ["10.0.0.254"])
    _set(t, "routing-options static route=9.0.0.0/8 preference", "5")
    _set(t, "services ipsec-vpn clear-ike-sas-on-pic-restart")
    _set(t, "services ipsec-vpn ike policy=P1 proposals", ["A"])
    _set(t, "services ipsec-vpn ike policy=P1 pre-shared-key ascii-text", "$9$abc")
    _set(t, "policy proposals", ["a", "b"])
    return t


EXPECTED = """\
system {
    host-name r1;
    login {
        user bob {
            uid 2001;
            class super-user;
            authentication {
                encrypted-password "$6$salt$hash"; ## SECRET-DATA
            }
        }
    }
}
interfaces {
    ge-0/0/2 {
        description "to peer A";
        unit 0 {
            family inet {
                address 10.0.0.1/24;
            }
        }
    }
    ge-0/0/10 {
        unit 0 {
            family inet {
                address 10.0.0.1/24;
            }
        }
    }
}
routing-options {
    static {
        route 0.0.0.0/0 next-hop 10.0.0.254;
        route 9.0.0.0/8 {
            next-hop 10.0.0.254;
            preference 5;
        }
        route 10.0.0.0/8 next-hop [ 1.1.1.1 2.2.2.2 ];
    }
}
services {
    ipsec-vpn {
        clear-ike-sas-on-pic-restart;
        ike {
            policy P1 {
                proposals A;
                pre-shared-key ascii-text "$9$abc"; ## SECRET-DATA
            }
        }
    }
}
policy {
    proposals [ a b ];
}
"""


def test_render_curly_form() -> None:
    assert render(sample(), SCHEMA) == EXPECTED


def test_render_without_secret_suffix_and_subtree() -> None:
    t = sample()
    text = render(t, SCHEMA, secret_suffix=False)
    assert "SECRET-DATA" not in text
    assert 'encrypted-password "$6$salt$hash";\n' in text
    sub = render(t.get((("routing-options", None),)), SCHEMA.child("routing-options"))
    assert sub.startswith("static {\n    route 0.0.0.0/0 next-hop 10.0.0.254;\n")


def test_inactive_annotation_and_empty_entries() -> None:
    t = ConfigNode()
    _set(t, f"interfaces {IF}=ge-0/0/0 unit=0")
    _set(t, f"interfaces {IF}=ge-0/0/1 unit=0 family inet6")
    t.get((("interfaces", None), (IF, "ge-0/0/0"))).inactive = True
    t.get((("interfaces", None),)).annotation = "uplinks"
    assert render(t, SCHEMA) == (
        "/* uplinks */\n"
        "interfaces {\n"
        "    inactive: ge-0/0/0 {\n"
        "        unit 0;\n"
        "    }\n"
        "    ge-0/0/1 {\n"
        "        unit 0 {\n"
        "            family inet6;\n"
        "        }\n"
        "    }\n"
        "}\n"
    )
    hidden = render(t, SCHEMA, show_inactive=False)
    assert "ge-0/0/0" not in hidden and "ge-0/0/1" in hidden


def test_ordered_list_keeps_insertion_order_and_unordered_sorts() -> None:
    t = ConfigNode()
    for term in ("t9", "t10", "t1"):
        _set(t, f"services ipsec-vpn rule=R term={term} then clear-dont-fragment-bit")
    text = render(t, SCHEMA)
    assert text.index("term t9") < text.index("term t10") < text.index("term t1 ")
    t2 = ConfigNode()
    for ifname in ("xe-0/0/0", "ge-1/0/0", "ge-0/0/10", "ge-0/0/9"):
        _set(t2, f"interfaces {IF}={ifname}")
    order = [ln.strip(" ;") for ln in render(t2, SCHEMA).splitlines()[1:-1]]
    assert order == ["ge-0/0/9", "ge-0/0/10", "ge-1/0/0", "xe-0/0/0"]


def test_quote() -> None:
    assert quote("plain-1/2.3") == "plain-1/2.3"
    assert quote("a b") == '"a b"'
    assert quote('say "hi"') == '"say \\"hi\\""'
    assert quote("") == '""'
    assert quote("a;b") == '"a;b"'
    assert quote("inactive:") == '"inactive:"'


def test_render_set() -> None:
    t = sample()
    t.get((("routing-options", None), ("static", None), ("route", "9.0.0.0/8"))).inactive = True
    lines = render_set(t, SCHEMA).splitlines()
    assert lines[0] == "set system host-name r1"
    assert 'set system login user bob authentication encrypted-password "$6$salt$hash"' in lines
    assert 'set interfaces ge-0/0/2 description "to peer A"' in lines
    assert "set interfaces ge-0/0/2 unit 0 family inet address 10.0.0.1/24" in lines
    assert lines.index("set interfaces ge-0/0/2 unit 0 family inet address 10.0.0.1/24") < lines.index(
        "set interfaces ge-0/0/10 unit 0 family inet address 10.0.0.1/24"
    )
    assert "set routing-options static route 10.0.0.0/8 next-hop 1.1.1.1" in lines
    assert "set routing-options static route 10.0.0.0/8 next-hop 2.2.2.2" in lines
    assert "set services ipsec-vpn clear-ike-sas-on-pic-restart" in lines
    assert "set policy proposals a" in lines and "set policy proposals b" in lines
    assert lines[-1] == "deactivate routing-options static route 9.0.0.0/8"
    assert not any("SECRET" in ln for ln in lines)


def test_render_json_shape() -> None:
    t = sample()
    t.get((("system", None), ("host-name", None))).inactive = True
    doc = json.loads(render_json(t, SCHEMA))
    conf = doc["configuration"]
    assert conf["system"]["host-name"] == "r1"
    assert conf["system"]["@host-name"] == {"inactive": True}
    assert conf["interfaces"]["interface"][0]["name"] == "ge-0/0/2"
    assert conf["interfaces"]["interface"][0]["unit"][0]["family"]["inet"]["address"] == [{"name": "10.0.0.1/24"}]
    assert conf["routing-options"]["static"]["route"][0] == {"name": "0.0.0.0/0", "next-hop": ["10.0.0.254"]}
    assert conf["services"]["ipsec-vpn"]["clear-ike-sas-on-pic-restart"] == [None]
    assert conf["system"]["login"]["user"][0]["uid"] == "2001"
    assert '"host-name" : "r1"' in render_json(t, SCHEMA)


def test_compare_equal_is_empty() -> None:
    assert compare(sample(), sample(), SCHEMA) == ""


def test_compare_added_changed_removed() -> None:
    old = sample()
    new = sample()
    _set(new, "system host-name", "r2")
    _set(new, f"interfaces {IF}=ge-0/0/1 unit=0 family inet address=192.0.2.1/24")
    new.remove((("policy", None),))
    _set(new, "routing-options static route=0.0.0.0/0 next-hop", ["10.0.0.253"])
    assert compare(old, new, SCHEMA) == (
        "[edit system]\n"
        "-    host-name r1;\n"
        "+    host-name r2;\n"
        "[edit interfaces]\n"
        "+    ge-0/0/1 {\n"
        "+        unit 0 {\n"
        "+            family inet {\n"
        "+                address 192.0.2.1/24;\n"
        "+            }\n"
        "+        }\n"
        "+    }\n"
        "[edit routing-options static route 0.0.0.0/0]\n"
        "-    next-hop 10.0.0.254;\n"
        "+    next-hop 10.0.0.253;\n"
        "[edit]\n"
        "-    policy {\n"
        "-        proposals [ a b ];\n"
        "-    }\n"
    )


def test_compare_flat_container_children_show_with_keyword() -> None:
    old = ConfigNode()
    _set(old, f"interfaces {IF}=ge-0/0/0 unit=0 family inet address=10.0.0.1/24")
    new = old.copy()
    _set(new, f"interfaces {IF}=ge-0/0/0 unit=0 family inet6 address=2001:db8::1/64")
    _set(new, f"interfaces {IF}=ge-0/0/0 unit=0 family inet address=10.0.0.2/24")
    assert compare(old, new, SCHEMA) == (
        "[edit interfaces ge-0/0/0 unit 0 family inet]\n"
        "+    address 10.0.0.2/24;\n"
        "[edit interfaces ge-0/0/0 unit 0]\n"
        "+    family inet6 {\n"
        "+        address 2001:db8::1/64;\n"
        "+    }\n"
    )


def test_compare_deactivation_marked() -> None:
    old = sample()
    new = sample()
    new.get((("interfaces", None), (IF, "ge-0/0/2"))).inactive = True
    assert compare(old, new, SCHEMA) == "[edit interfaces]\n!   inactive: ge-0/0/2 { ... }\n"
