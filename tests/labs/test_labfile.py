"""Lab files: the default lab, schema and syntax errors with file:line, nothing half-loaded."""

from __future__ import annotations

import textwrap

import pytest

from routershell.app import App
from routershell.labs.labfile import LabError, default_lab, load_lab, parse_lab

GOOD = textwrap.dedent('''\
    name = "two"
    seed = 7
    epoch = 2024-03-01T12:00:00Z

    [devices.r1]
    platform = "junos"
    model = "m7i"
    ports = ["ge-0/0/0", "ge-0/0/1"]
    config = """
    system {
        host-name r1;
    }
    """

    [[devices.r1.modules]]
    slot = "1"
    name = "sp-1/0/0"
    kind = "services"
    capacity = 500

    [devices.r2]
    platform = "junos"
    config = "system { host-name r2; }"

    [[peers]]
    name = "gw"
    address = "10.0.0.2"
    psk = "secret"

    [[events]]
    at = "00:05:00"
    do = "peer 10.0.0.2 down"

    [[events]]
    at = "00:01:00"
    do = "lab loss 5"

    [[objectives]]
    name = "host"
    device = "r2"
    command = "show version"
    expect = "Hostname: r2"
    ''')


def test_good_lab_parses_into_a_spec_tree():
    spec = parse_lab(GOOD, "two.toml")
    assert [d.name for d in spec.devices] == ["r1", "r2"]
    assert spec.seed == 7 and spec.epoch.isoformat() == "2024-03-01T12:00:00+00:00"
    assert spec.devices[0].modules[0].capacity == 500
    assert spec.peers[0].psk == "secret" and spec.peers[0].ike_proposals[0].auth == "psk"
    assert [(e.at, e.do) for e in spec.events] == [(60.0, "loss 5"), (300.0, "peer 10.0.0.2 down")]
    assert spec.objectives[0].device == "r2"


def test_default_lab_has_r1_and_both_gateways():
    spec = default_lab()
    assert [d.name for d in spec.devices] == ["r1"]
    assert "host-name r1;" in spec.devices[0].config
    assert {p.name: p.address for p in spec.peers} == {"primary": "198.51.100.1", "backup": "203.0.113.1"}
    assert spec.devices[0].modules and spec.devices[0].modules[0].kind == "services"


def _error(text: str) -> str:
    with pytest.raises(LabError) as exc:
        parse_lab(text, "bad.toml")
    return str(exc.value)


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_toml_syntax_error_reports_tomllibs_line():
    msg = _error(_replace('model = "m7i"', 'model = "m7i'))
    assert msg.startswith("bad.toml:7: ")


def test_unknown_key_reports_its_line():
    msg = _error(_replace('capacity = 500', 'capacity = 500\ncolour = "red"'))
    assert msg.startswith("bad.toml:20: ") and "unknown key 'colour'" in msg


def test_bad_peer_address_reports_its_line():
    msg = _error(_replace('address = "10.0.0.2"', 'address = "10.0.0.999"'))
    assert msg.startswith("bad.toml:27: ") and "not an IP address" in msg


def test_bad_event_command_reports_its_line():
    msg = _error(_replace('do = "peer 10.0.0.2 down"', 'do = "peer 10.0.0.2 sideways"'))
    assert msg.startswith("bad.toml:32: ") and "sideways" in msg


def test_event_that_cannot_be_timed_is_refused():
    msg = _error(_replace('do = "lab loss 5"', 'do = "lab grade"'))
    assert msg.startswith("bad.toml:36: ") and "can't be a timed event" in msg


def test_bad_startup_configuration_reports_the_lab_file_line():
    msg = _error(_replace("    host-name r1;", "    host-name r1;\n    bogus-statement;"))
    assert msg.startswith("bad.toml:12: ") and "startup configuration" in msg


def test_unknown_platform_and_objective_device():
    assert _error(_replace('platform = "junos"\nconfig = "sys', 'platform = "ios"\nconfig = "sys')).startswith("bad.toml:22: ")
    assert "no device 'r9'" in _error(_replace('device = "r2"', 'device = "r9"'))


def test_bad_regex_and_duplicate_peer():
    assert "regular expression" in _error(_replace('expect = "Hostname: r2"', 'expect = "("'))
    dup = GOOD + '\n[[peers]]\naddress = "10.0.0.2"\npsk = "x"\n'
    assert "duplicate peer address" in _error(dup)


def test_missing_file_and_config_file(tmp_path):
    with pytest.raises(LabError, match="can't read lab file"):
        load_lab(tmp_path / "nope.toml")
    lab = tmp_path / "lab.toml"
    lab.write_text('[devices.r1]\nplatform = "junos"\nconfig_file = "r1.conf"\n')
    with pytest.raises(LabError, match=r"lab.toml:3: .*can't read 'r1.conf'"):
        load_lab(lab)
    (tmp_path / "r1.conf").write_text("system {\n    host-name x;\n    nonsense;\n}\n")
    with pytest.raises(LabError, match=r"r1.conf:3: "):
        load_lab(lab)


def test_app_refuses_a_bad_lab_before_building_anything(tmp_path):
    lab = tmp_path / "lab.toml"
    lab.write_text(GOOD.replace('psk = "secret"', 'psk = 3'))
    with pytest.raises(LabError, match=r"lab.toml:28: 'psk' must be a string"):
        App(lab=lab)


def test_a_copied_lab_says_where_it_looked_for_its_config_file(tmp_path):
    copy = tmp_path / "mylab.toml"
    copy.write_text(default_lab_text())
    with pytest.raises(LabError) as e:
        load_lab(copy)
    msg = str(e.value)
    assert msg.startswith(f"{copy}:") and "can't read 'default_r1.conf'" in msg
    assert f"looked for {tmp_path / 'default_r1.conf'}" in msg
    assert "read from the lab file's directory" in msg


@pytest.mark.parametrize("text", ["system {\n    host-name r1;\n}\n", '{"devices": {}}\n',
                                  "name: lab\ndevices:\n  - r1\n", "\x00\x01binary"])
def test_a_file_that_is_not_toml_is_not_a_lab_file(tmp_path, text):
    f = tmp_path / "r1.conf"
    f.write_text(text)
    with pytest.raises(LabError) as e:
        load_lab(f)
    assert str(e.value).startswith(f"{f}: not a lab file (a lab file is TOML")


def default_lab_text() -> str:
    import importlib.resources

    return importlib.resources.files("routershell.labs").joinpath("default.toml").read_text()
