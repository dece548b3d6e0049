"""SNMPv2c traps: encoding (decoded back with pysnmp) and real datagrams received by snmptrapd."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import textwrap
import time

import pytest

from routershell.labs.labfile import LabError, parse_lab
from routershell.platforms.junos import snmp as junos_snmp
from routershell.runtime import notify, snmp
from tests.conftest import require_tool

from .conftest import running


def test_trap_encodes_uptime_trap_oid_and_objects():
    from pyasn1.codec.ber import decoder
    from pysnmp.proto.api import v2c

    data = snmp.encode_trap("grp", 4200, notify.IF_MIB_LINK_DOWN, notify.link_varbinds(3, "ge-0/0/2", False), 9)
    msg, rest = decoder.decode(data, asn1Spec=v2c.Message())
    assert rest == b"" and str(v2c.apiMessage.get_community(msg)) == "grp"
    pdu = v2c.apiMessage.get_pdu(msg)
    assert int(v2c.apiTrapPDU.get_request_id(pdu)) == 9
    binds = [(str(o), v) for o, v in v2c.apiTrapPDU.get_varbinds(pdu)]
    assert binds[0] == (snmp.SYS_UPTIME, v2c.TimeTicks(4200))
    assert binds[1] == (snmp.SNMP_TRAP_OID, v2c.ObjectIdentifier(notify.IF_MIB_LINK_DOWN))
    assert (binds[2][0], int(binds[2][1])) == ("1.3.6.1.2.1.2.2.1.1.3", 3)
    assert (binds[4][0], int(binds[4][1])) == ("1.3.6.1.2.1.2.2.1.8.3", 2)  # ifOperStatus down


def test_junos_trap_groups_compile_to_targets():
    from routershell.platforms.junos import config_text
    from routershell.platforms.junos.grammar import grammar

    tree = config_text.parse(textwrap.dedent("""\
        snmp {
            community public { authorization read-only; }
            trap-group nms { version v2; destination-port 1162; categories { configuration; link; } targets { 192.0.2.9; 192.0.2.10; } }
            trap-group old { version v1; targets { 192.0.2.11; } }
            trap-group all { targets { 192.0.2.12; } }
        }
        """), grammar().schema)
    targets = junos_snmp.trap_targets(tree)
    ev = frozenset({"config-change", "link-up", "link-down"})
    assert targets == [notify.TrapTarget("192.0.2.9", 1162, "nms", ev), notify.TrapTarget("192.0.2.10", 1162, "nms", ev),
                       notify.TrapTarget("192.0.2.12", 162, "all", None)]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TrapReceiver:
    """snmptrapd in the foreground, one line per trap on stdout: `TRAP <varbinds>`."""

    def __init__(self, tmp_path) -> None:
        exe = require_tool("snmptrapd")
        conf = tmp_path / "snmptrapd.conf"
        conf.write_text("disableAuthorization yes\n")
        self.port = _free_udp_port()
        self.proc = subprocess.Popen(
            [exe, "-f", "-Lo", "-On", "-m", "", "-M", str(tmp_path), "-C", "-c", str(conf),
             "-F", "TRAP %v\\n", f"udp:127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "MIBS": ""})
        assert "NET-SNMP version" in self.line(10.0), "snmptrapd did not start"

    def line(self, timeout: float) -> str:
        """The next output line, waiting at most `timeout` wall seconds for the real process."""
        deadline = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return ""
            text = self.proc.stdout.readline()
            if text.startswith("TRAP") or "NET-SNMP version" in text or not text:
                return text

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture
def trapd(tmp_path):
    r = TrapReceiver(tmp_path)
    yield r
    r.close()


@pytest.mark.external
async def test_commit_and_link_traps_reach_snmptrapd(autojump_clock, trapd):
    lab = parse_lab(textwrap.dedent('''\
        [devices.r1]
        platform = "junos"
        config = "system { host-name r1; }"
        ports = ["ge-0/0/0", "ge-0/0/1"]
        [[peers]]
        address = "10.0.0.2"
        psk = "k"
        [[links]]
        name = "wan"
        endpoints = ["r1:ge-0/0/1", "10.0.0.2"]
        '''), "t.toml")
    async with running(autojump_clock, lab=lab) as (app, t):
        await t.run("lab clock advance 5s")
        await t.run("configure")
        await t.run("set snmp community public authorization read-only")
        await t.run("set snmp trap-group nms version v2")
        await t.run(f"set snmp trap-group nms destination-port {trapd.port}")
        await t.run("set snmp trap-group nms targets 127.0.0.1")
        assert "commit complete" in await t.run("commit comment snmp-on")
        trap = trapd.line(10.0)
        assert ".1.3.6.1.2.1.1.3.0 = Timeticks: (500)" in trap
        assert ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.2636.4.5.0.1" in trap
        assert '.1.3.6.1.4.1.2636.3.18.1.7.1.5.2 = STRING: "user"' in trap
        assert '.1.3.6.1.4.1.2636.3.18.1.7.1.6.2 = STRING: "snmp-on"' in trap
        await t.run("exit")
        await t.run("lab clock advance 1m")
        await t.run("lab link wan down")
        trap = trapd.line(10.0)
        assert ".1.3.6.1.2.1.1.3.0 = Timeticks: (6500)" in trap
        assert ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.3" in trap
        assert '.1.3.6.1.2.1.2.2.1.2.2 = STRING: "ge-0/0/1"' in trap


def test_traps_leave_only_for_loopback_or_allowed_targets(monkeypatch):
    """Issue 18: a configured target elsewhere gets nothing unless the lab file allows it."""
    from routershell.runtime.device import Device

    sent = []
    monkeypatch.setattr(snmp, "send_trap", lambda host, port, *a: sent.append((host, port)))
    dev = Device("r1", "test")
    dev.trap_targets = [notify.TrapTarget("127.0.0.1", 1162, "a"), notify.TrapTarget("192.0.2.9", 80, "b"),
                        notify.TrapTarget("198.51.100.7", 162, "c")]
    assert notify.emit(dev, "link-down", []) == 1 and sent == [("127.0.0.1", 1162)]
    dev.trap_allowed = frozenset({"198.51.100.7"})
    sent.clear()
    assert notify.emit(dev, "link-down", []) == 2
    assert sent == [("127.0.0.1", 1162), ("198.51.100.7", 162)]


def test_lab_file_lists_allowed_trap_targets():
    spec = parse_lab('trap_targets_allowed = ["198.51.100.7"]\n[devices.r1]\nplatform = "junos"\nconfig = ""\n')
    assert spec.trap_targets_allowed == ("198.51.100.7",)
    with pytest.raises(LabError, match="not an IP address"):
        parse_lab('trap_targets_allowed = ["nms.example"]\n[devices.r1]\nplatform = "junos"\nconfig = ""\n')
