"""Parsing the Junos curly form, load error reporting, and the render/parse round trip."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routershell.config.merge import replace
from routershell.config.tree import ConfigNode
from routershell.grammar.schema import Kind, Node
from routershell.platforms.junos.config_text import (
    ConfigSyntaxError,
    compare,
    parse,
    parse_load,
    render,
)
from tests.platforms.junos.test_config_render import EXPECTED, SCHEMA, sample


def test_parse_reads_what_render_writes() -> None:
    tree = parse(EXPECTED, SCHEMA)
    assert compare(sample(), tree, SCHEMA) == ""
    assert render(tree, SCHEMA) == EXPECTED


def test_parse_comments_annotations_tags_quotes_and_forms() -> None:
    text = """\
# a comment line
/* the box */
system {
    host-name "r1";  # trailing comment
}
interfaces {
    inactive: ge-0/0/0 {
        description "say \\"hi\\" \\\\ ok";
        unit 0 {
            family inet {
                address 10.0.0.1/24;
            }
            family inet6;
        }
    }
}
routing-options {
    static {
        route 10.1.0.0/16 next-hop [ 10.0.0.1 10.0.0.2 ];
        replace: route 0.0.0.0/0 next-hop 10.0.0.254;
    }
}
services { ipsec-vpn { clear-ike-sas-on-pic-restart; ike { policy P { pre-shared-key ascii-text "$9$x"; ## SECRET-DATA
} } } }
"""
    res = parse_load(text, SCHEMA)
    assert res.errors == []
    t = res.tree
    system = t.get((("system", None),))
    assert system is not None and system.annotation == "the box"
    assert t.get((("system", None), ("host-name", None))).value == "r1"
    ge0 = t.get((("interfaces", None), ("<interface-name>", "ge-0/0/0")))
    assert ge0.inactive and ge0.children[("description", None)].value == 'say "hi" \\ ok'
    unit = ge0.children[("unit", "0")]
    assert ("address", "10.0.0.1/24") in unit.children[("family", None)].children[("inet", None)].children
    assert ("inet6", None) in unit.children[("family", None)].children
    static = (("routing-options", None), ("static", None))
    assert t.get(static + (("route", "10.1.0.0/16"), ("next-hop", None))).values == ["10.0.0.1", "10.0.0.2"]
    assert t.get(static + (("route", "0.0.0.0/0"), ("next-hop", None))).values == ["10.0.0.254"]
    assert res.replace_paths == {static + (("route", "0.0.0.0/0"),)}
    psk = t.get((("services", None), ("ipsec-vpn", None), ("ike", None), ("policy", "P"), ("pre-shared-key", None), ("ascii-text", None)))
    assert psk.value == "$9$x"


def test_values_are_checked_and_canonicalised() -> None:
    t = parse("routing-options { static { route 10.1.2.3/16 next-hop 10.0.0.1; } }", SCHEMA)
    assert ("route", "10.1.0.0/16") in t.get((("routing-options", None), ("static", None))).children
    with pytest.raises(ConfigSyntaxError) as ei:
        parse("system {\n    login {\n        user bob {\n            uid 99999;\n", SCHEMA)
    err = ei.value
    assert (err.line, err.column, err.end_column, err.token, err.kind) == (4, 16, 21, "99999", "value")
    assert err.detail is not None and err.detail.kind == "range"
    assert err.path == ("system", "login", "user", "bob") and err.statement == "uid 99999;"
    with pytest.raises(ConfigSyntaxError):
        parse("services { ipsec-vpn { ike { policy P { mode sideways; } } } }", SCHEMA)


def test_load_error_message_and_recovery_like_junos() -> None:
    text = "system {\n    login {\n        user bob {\n            shell csh;\n            uid 2001;\n        }\n    }\n    bogus {\n        x;\n    }\n}\n"
    res = parse_load(text, SCHEMA)
    assert [e.format() for e in res.errors] == [
        "terminal:4:(17) syntax error: shell",
        "terminal:8:(9) syntax error: bogus",
        "terminal:10:(5) error recovery ignores input until this point: }",
    ]
    assert res.errors[0].path == ("system", "login", "user", "bob") and res.errors[0].statement == "shell csh;"
    assert res.errors[1].format("/var/home/x.conf").startswith("/var/home/x.conf:8:(9) ")
    # the valid statements around the errors are kept
    assert res.tree.get((("system", None), ("login", None), ("user", "bob"), ("uid", None))).value == "2001"


def test_block_emptied_by_errors_is_dropped_with_warning() -> None:
    res = parse_load("policy {\n    wrong 1;\n}\nsystem { host-name r1; }\n", SCHEMA)
    assert len(res.errors) == 1
    assert [(w.path, w.statement) for w in res.warnings] == [((), "policy")]
    assert render(res.tree, SCHEMA) == "system {\n    host-name r1;\n}\n"


@pytest.mark.parametrize(
    "text",
    ["system {", "system { host-name r1 }", "}", 'system { host-name "r1; }', "/* open", "system { host-name; }", "[ a ]"],
)
def test_bad_input_raises_only_syntax_errors(text: str) -> None:
    with pytest.raises(ConfigSyntaxError):
        parse(text, SCHEMA)
    assert parse_load(text, SCHEMA).errors


def test_replace_tags_drive_load_replace() -> None:
    base = parse("routing-options { static { route 0.0.0.0/0 { next-hop 1.1.1.1; preference 5; } } }", SCHEMA)
    res = parse_load("routing-options { static { replace: route 0.0.0.0/0 next-hop 2.2.2.2; } }", SCHEMA)
    out = replace(base, res.tree, res.replace_paths, SCHEMA)
    assert "route 0.0.0.0/0 next-hop 2.2.2.2;" in render(out, SCHEMA)
    assert "preference" not in render(out, SCHEMA)


# ---- round trip on generated trees ---------------------------------------------------------
_TEXT = st.text(alphabet=st.sampled_from(list("ab Z09-_/.;{}[]#$\"'\\:*")), min_size=1, max_size=8)
_SAMPLES = {
    "int": lambda t: st.integers(t.lo or 0, t.hi if t.hi is not None else 99999).map(str),
    "name": lambda t: st.sampled_from(["a", "b-1", "P_2", "x.y", "n10", "n9"]),
    "interface": lambda t: st.sampled_from(["ge-0/0/0", "ge-0/0/10", "ge-0/0/2", "xe-1/2/3", "lo0"]),
    "ipv4": lambda t: st.sampled_from(["10.0.0.1", "10.0.0.254", "192.0.2.9"]),
    "ip": lambda t: st.sampled_from(["10.0.0.1", "2001:db8::1"]),
    "ipv4prefix": lambda t: st.sampled_from(["10.0.0.1/24", "192.0.2.1/32", "10.0.0.1/8"]),
    "ipv6prefix": lambda t: st.sampled_from(["2001:db8::1/64", "fe80::1/10"]),
    "ipv4network": lambda t: st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "9.0.0.0/8", "10.0.0.0/16"]),
}


def _values(sc: Node) -> st.SearchStrategy[str]:
    if sc.kind is Kind.ENUM:
        return st.sampled_from(sorted(sc.choices))
    assert sc.arg is not None and sc.arg.type is not None
    return _SAMPLES.get(sc.arg.type.base, lambda t: _TEXT)(sc.arg.type)


_ANNOT = st.none() | st.text(alphabet=st.sampled_from(list("ab c;{}#")), min_size=1, max_size=6).map(str.strip).filter(bool)


def _fill(draw: st.DrawFn, cfg: ConfigNode, sc: Node, depth: int) -> None:
    for csc in sc.all_children():
        if not draw(st.booleans()):
            continue
        kind = csc.kind
        keys: list[str | None] = [None]
        if kind is Kind.LIST:
            keys = draw(st.lists(_values(csc), min_size=1, max_size=3, unique=True))
        for key in keys:
            node = ConfigNode(csc.name, key)
            if kind in (Kind.LEAF, Kind.ENUM):
                node.value = draw(_values(csc))
            elif kind is Kind.LEAF_LIST:
                node.values = draw(st.lists(_values(csc), min_size=1, max_size=3, unique=True))
            elif kind in (Kind.CONTAINER, Kind.LIST) and depth < 6:
                _fill(draw, node, csc, depth + 1)
            if "flat" not in csc.attrs:  # a flat container's tags are written on its children
                node.inactive = draw(st.booleans())
                node.annotation = draw(_ANNOT)
            cfg.children[node.ident] = node


@st.composite
def trees(draw: st.DrawFn) -> ConfigNode:
    root = ConfigNode()
    _fill(draw, root, SCHEMA, 0)
    return root


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_round_trip_render_parse_render(tree: ConfigNode) -> None:
    text = render(tree, SCHEMA)
    back = parse(text, SCHEMA)
    assert render(back, SCHEMA) == text
    assert compare(tree, back, SCHEMA) == ""


_JUNK = st.text(alphabet=st.sampled_from(list('ab \n;{}[]"\\#/*:')), max_size=60)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["system", "{", "}", ";", "host-name", "r1", "interfaces", "ge-0/0/0", "unit", "0", "family", "inet", "/* x */", "inactive:", '"q', "[", "]", "routing-options", "static", "route", "0.0.0.0/0", "next-hop", "10.0.0.1"]), max_size=30).map(" ".join) | _JUNK)
def test_arbitrary_input_only_yields_syntax_errors(text: str) -> None:
    res = parse_load(text, SCHEMA)
    assert all(isinstance(e, ConfigSyntaxError) and e.line >= 1 for e in res.errors)
    render(res.tree, SCHEMA)
    try:
        parse(text, SCHEMA)
    except ConfigSyntaxError:
        pass
