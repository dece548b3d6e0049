"""Issue 18: what would fail at run time is refused when the lab file loads, as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from routershell.app import App
from routershell.labs.labfile import LabError, parse_lab

BASE = '[devices.r1]\nplatform = "junos"\nconfig = ""\n'
PEER = '[[peers]]\nname = "p"\naddress = "192.0.2.1"\npsk = "k"\n'
CASES = {
    "at_inf": (PEER + BASE + '[[events]]\nat = inf\ndo = "peer 192.0.2.1 down"\n', 9, "not a time"),
    "at_nan": (BASE + PEER + '[[events]]\nat = nan\ndo = "peer 192.0.2.1 down"\n', 9, "not a time"),
    "at_negative": (BASE + PEER + '[[events]]\nat = -3600\ndo = "peer 192.0.2.1 down"\n', 9, "not a time"),
    "latency_nan": (BASE + PEER + "latency = nan\n", 8, "finite"),
    "latency_inf": (BASE + PEER + "latency = inf\n", 8, "finite"),
    "lifetime_s_negative": (BASE + PEER + "ike = [{ lifetime_s = -5 }]\n", 8, "lifetime_s"),
    "lifetime_kb_negative": (BASE + PEER + "ipsec = [{ lifetime_kb = -5 }]\n", 8, "lifetime_kb"),
    "dpd_interval_zero": (BASE + PEER + "dpd_interval = 0\n", 8, "more than 0"),
    "epoch_far_future": ("epoch = 9999-12-31T23:59:00Z\n" + BASE, 1, "between 1970 and 2200"),
    "unknown_top_table": ('name = "x"\n\n[notdevices.r1]\nplatform = "junos"\n', 3, "unknown key 'notdevices'"),
    "huge_capacity": (BASE + '[[devices.r1.modules]]\nslot = "1/2"\nname = "sp-1/2/0"\ncapacity = 99999999999999999999\n', 7, "capacity"),
    "startup_fails_commit_check": ('[devices.r1]\nplatform = "junos"\nconfig = """\nservices { service-set s { ipsec-vpn-rules nope; } }\n"""\n', 4, "commit check"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_at_load_with_its_line(name):
    text, line, words = CASES[name]
    with pytest.raises(LabError) as e:
        parse_lab(text, "x.toml")
    assert e.value.line == line and words in str(e.value)


def test_a_config_file_that_is_not_a_configuration_is_not_quoted_back(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(LabError) as e:
        parse_lab(f'[devices.r1]\nplatform = "junos"\nconfig_file = "{secret}"\n', "x.toml", Path("/"))
    assert "root:x" not in str(e.value) and ":1:" in str(e.value)


def test_a_peer_on_the_device_own_address_is_refused_with_its_line():
    conf = Path(__file__).resolve().parents[2] / "routershell" / "labs" / "default_r1.conf"
    spec = parse_lab(f'[devices.r1]\nplatform = "junos"\nconfig_file = "{conf}"\n\n'
                     '[[peers]]\nname = "me"\naddress = "192.0.2.1"\npsk = "x"\n', "own.toml")
    with pytest.raises(LabError, match=r"own.toml:7: peer 'me': 192.0.2.1 is an address of device 'r1'"):
        App("virtual", lab=spec)


def test_a_timed_capture_outside_the_home_is_refused_at_load():
    text = BASE + '[[events]]\nat = 5\ndo = "capture start /tmp/x.pcap"\n'
    with pytest.raises(LabError, match="device's home") as e:
        parse_lab(text, "x.toml")
    assert e.value.line == 6
    parse_lab(BASE + '[[events]]\nat = 5\ndo = "capture start x.pcap"\n', "x.toml")
