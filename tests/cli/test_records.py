"""Record tree and its XML / JSON renderings (layouts as Junos prints them)."""

import json
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from routershell.cli.records import Record, to_json, to_xml
from routershell.platforms.junos import display


def sample() -> Record:
    root = Record("route-information", attrs={"xmlns": "http://example/routing"})
    table = root.add("route-table")
    table.add("table-name", "inet.0")
    table.add("active-route-count", 2)
    for dest, age in (("10.0.0.0/24", "69"), ("10.0.1.0/24", "3997")):
        rt = table.add("rt", **{"junos:style": "brief"})
        rt.add("rt-destination", dest)
        entry = rt.add("rt-entry")
        entry.add("current-active")
        entry.add("age", "00:01:09", **{"junos:seconds": age})
    return root


def test_helpers() -> None:
    r = sample()
    assert r.find("route-table/table-name").text == "inet.0"
    assert r.findtext("route-table/active-route-count") == "2"
    assert [x.text for x in r.findall("route-table/rt/rt-destination")] == [
        "10.0.0.0/24",
        "10.0.1.0/24",
    ]
    assert r.find("nothing") is None
    assert r.findtext("nothing", "-") == "-"
    assert r.findtext("route-table/rt/rt-entry/current-active", "x") == "x"
    assert r.find("route-table/rt").attrs == {"junos:style": "brief"}


def test_defaults_are_not_shared() -> None:
    a, b = Record("a"), Record("b")
    a.add("x")
    a.attrs["k"] = "v"
    assert b.children == [] and b.attrs == {}


def test_json_layout_exact() -> None:
    r = Record("information", attrs={"xmlns": "http://n", "junos:style": "terse"})
    item = r.add("item")
    item.add("name", "ge-0/0/0")
    item.add("up")
    r.add("item").add("name", "ge-0/0/1")
    r.add("age", "1d", **{"junos:seconds": "86400"})
    assert to_json(r) == (
        "{\n"
        '    "information" : [\n'
        "    {\n"
        '        "attributes" : {"xmlns" : "http://n",\n'
        '                        "junos:style" : "terse"\n'
        "                       },\n"
        '        "item" : [\n'
        "        {\n"
        '            "name" : [\n'
        "            {\n"
        '                "data" : "ge-0/0/0"\n'
        "            }\n"
        "            ],\n"
        '            "up" : [\n'
        "            {\n"
        '                "data" : [null]\n'
        "            }\n"
        "            ]\n"
        "        },\n"
        "        {\n"
        '            "name" : [\n'
        "            {\n"
        '                "data" : "ge-0/0/1"\n'
        "            }\n"
        "            ]\n"
        "        }\n"
        "        ],\n"
        '        "age" : [\n'
        "        {\n"
        '            "data" : "1d",\n'
        '            "attributes" : {"junos:seconds" : "86400"}\n'
        "        }\n"
        "        ]\n"
        "    }\n"
        "    ]\n"
        "}\n"
    )


def test_json_parses_and_keeps_structure() -> None:
    data = json.loads(to_json(sample()))
    rts = data["route-information"][0]["route-table"][0]["rt"]
    assert [rt["rt-destination"][0]["data"] for rt in rts] == ["10.0.0.0/24", "10.0.1.0/24"]
    assert rts[0]["attributes"] == {"junos:style": "brief"}
    assert rts[1]["rt-entry"][0]["current-active"] == [{"data": [None]}]
    assert rts[1]["rt-entry"][0]["age"][0]["attributes"] == {"junos:seconds": "3997"}


def test_empty_container_with_attributes() -> None:
    r = Record("ike-security-associations-information", attrs={"junos:style": "brief"})
    assert json.loads(to_json(r)) == {
        "ike-security-associations-information": [{"attributes": {"junos:style": "brief"}}]
    }
    assert to_xml(r) == (
        '<ike-security-associations-information junos:style="brief">\n'
        "</ike-security-associations-information>\n"
    )


def test_junos_xml_envelope_exact() -> None:
    r = Record("software-information")
    r.add("host-name", "r1")
    r.add("flag")
    r.add("comment", 'a<b & "c"')
    assert display.to_xml(r, "18.2R2") == (
        '<rpc-reply xmlns:junos="http://xml.juniper.net/junos/18.2R2/junos">\n'
        "    <software-information>\n"
        "        <host-name>r1</host-name>\n"
        "        <flag/>\n"
        '        <comment>a&lt;b &amp; "c"</comment>\n'
        "    </software-information>\n"
        "    <cli>\n"
        "        <banner></banner>\n"
        "    </cli>\n"
        "</rpc-reply>\n"
    )


def test_xml_attribute_escaping_parses_back() -> None:
    r = Record("x", attrs={"a": 'q"<&>'})
    r.add("y", "<&>")
    parsed = ET.fromstring(to_xml(r))
    assert parsed.attrib == {"a": 'q"<&>'}
    assert parsed.find("y").text == "<&>"


_tags = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
_texts = st.none() | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12
)


@st.composite
def records(draw, depth: int = 3) -> Record:
    rec = Record(draw(_tags), draw(_texts))
    rec.attrs = draw(st.dictionaries(_tags, st.text(max_size=8).filter(str.isprintable), max_size=2))
    if depth and rec.text is None:
        rec.children = draw(st.lists(records(depth - 1), max_size=3))
    return rec


def _from_json(tag: str, obj: dict) -> Record:
    rec = Record(tag)
    for key, value in obj.items():
        if key == "data":
            rec.text = None if value == [None] else value
        elif key == "attributes":
            rec.attrs = value
        else:
            rec.children += [_from_json(key, v) for v in value]
    return rec


def _grouped(rec: Record) -> Record:
    """The record with siblings of one tag gathered at the first one (JSON groups them)."""
    order: dict[str, list[Record]] = {}
    for c in rec.children:
        order.setdefault(c.tag, []).append(_grouped(c))
    return Record(rec.tag, rec.text, [c for cs in order.values() for c in cs], dict(rec.attrs))


@given(records())
def test_json_round_trips(rec: Record) -> None:
    (tag, [obj]), = json.loads(to_json(rec)).items()
    assert _from_json(tag, obj) == _grouped(rec)


@given(records())
def test_xml_is_well_formed(rec: Record) -> None:
    parsed = ET.fromstring(display.to_xml(rec, "21.4R1"))
    assert parsed.tag == "rpc-reply"
    assert parsed[0].tag == rec.tag
    assert parsed[0].attrib == rec.attrs
