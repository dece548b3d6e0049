"""The shipped TextFSM templates parse the emulator's own output, in several lab states, and
netmiko finds them through NET_TEXTFSM."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest
from textfsm import clitable

from routershell.app import App
from routershell.server.host import ServerThread
from routershell.textfsm import TEMPLATES

from .conftest import PASSWORD, USER

COMMANDS = [
    "show version", "show interfaces", "show interfaces terse", "show route",
    "show route summary", "show system users", "show system uptime", "show system commit",
    "show chassis hardware", "show chassis fpc pic-status", "show chassis routing-engine",
    "show services ipsec-vpn ike security-associations",
    "show services ipsec-vpn ipsec security-associations",
    "show services ipsec-vpn ipsec statistics", "show services service-sets summary",
]


def _exec(port: int, *commands: str) -> list[str]:
    async def go():
        async with asyncssh.connect("127.0.0.1", port, username=USER, password=PASSWORD,
                                    known_hosts=None, client_keys=None) as c:
            out = []
            for cmd in commands:
                r = await c.run(cmd, check=False)
                assert r.exit_status == 0, (cmd, r.stdout)
                out.append(r.stdout)
            return out

    return asyncio.run(go())


async def _session_lines(app, lines):
    from .test_ssh import _Sink

    s = app.new_session(USER, "ssh")
    io = _Sink()
    for line in lines:
        await app.run(s, line, io)
    s.close()
    assert "error" not in io.text, io.text


def _parse(command: str, text: str) -> list[dict]:
    table = clitable.CliTable("index", TEMPLATES)
    table.ParseCmd(text, {"Command": command, "Platform": "juniper_junos"})
    return [dict(zip(table.header, row, strict=True)) for row in table]


@pytest.fixture(scope="module")
def lab():
    app = App(clock_mode="virtual")
    with ServerThread(app, ["ssh:0"]) as srv:
        yield srv


STATES = {
    "booted": [],
    "primary down": ["lab peer 198.51.100.1 down", "lab clock advance 5m"],
    "changed": ["lab peer 198.51.100.1 up", "lab clock advance 5m",
                "configure; set interfaces ge-0/0/2 unit 0 family inet address 10.9.9.1/24; "
                "set routing-options static route 10.8.0.0/16 next-hop 10.9.9.254; "
                "commit comment parse-me; exit"],
}


@pytest.mark.parametrize("state", list(STATES))
def test_every_template_parses_every_state(lab, state):
    for cmd in STATES[state]:
        if cmd.startswith("configure"):
            lab.run(_session_lines, lab.host.app, cmd.split("; "))  # one session for the edit
        else:
            _exec(lab.port("ssh"), cmd)
    outputs = _exec(lab.port("ssh"), *COMMANDS)
    parsed = {c: _parse(c, o) for c, o in zip(COMMANDS, outputs, strict=True)}
    assert parsed["show version"][0]["HOSTNAME"] == "r1"
    assert parsed["show version"][0]["JUNOS_VERSION"] == "9.3R4.4"
    ifaces = {r["INTERFACE"]: r for r in parsed["show interfaces"]}
    assert ifaces["lo0"]["MTU"] == "Unlimited" and ifaces["ge-0/0/0"]["LOCAL"] == ["192.0.2.1"]
    terse = {r["INTERFACE"] for r in parsed["show interfaces terse"]}
    assert {"ge-0/0/0", "ge-0/0/0.0", "lo0.0"} <= terse
    routes = {r["DESTINATION"]: r for r in parsed["show route"]}
    assert routes["0.0.0.0/0"]["NEXT_HOP"] == "192.0.2.254"
    summary = {r["PROTOCOL"]: r for r in parsed["show route summary"]}
    assert int(summary["Direct"]["PROTOCOL_ROUTES"]) >= 2
    assert sum(int(r["PROTOCOL_ROUTES"]) for r in summary.values()) == len(routes)
    assert parsed["show chassis hardware"][0]["SERIAL"]
    assert parsed["show chassis fpc pic-status"][0]["DESCRIPTION"] == "Adaptive Services PIC"
    engine = parsed["show chassis routing-engine"][0]
    assert engine["MODEL"] == "RE-850" and engine["SERIAL"].startswith(
        parsed["show chassis hardware"][0]["SERIAL"])
    ike = parsed["show services ipsec-vpn ike security-associations"]
    sas = parsed["show services ipsec-vpn ipsec security-associations"]
    stats = parsed["show services ipsec-vpn ipsec statistics"]
    assert stats and stats[0]["PIC"] == "sp-1/2/0"
    if state == "primary down":
        assert all(r["REMOTE_ADDRESS"] != "198.51.100.1" or r["STATE"] != "Matured" for r in ike)
        assert {r["REMOTE_GATEWAY"] for r in sas} == {"203.0.113.1"}  # failed over to the backup
    else:  # booted: the primary; changed: whichever gateway the tunnel stayed on
        want = {"198.51.100.1"} if state == "booted" else {"198.51.100.1", "203.0.113.1"}
        assert any(r["REMOTE_ADDRESS"] in want and r["STATE"] == "Matured" for r in ike), ike
        assert {r["DIRECTION"] for r in sas} == {"inbound", "outbound"}
    if state == "changed":
        assert "10.8.0.0/16" in routes and "10.9.9.1" in [
            loc for r in parsed["show interfaces"] for loc in r["LOCAL"]]
        assert parsed["show system commit"][0]["COMMENT"] == "parse-me"


def test_netmiko_use_textfsm_through_net_textfsm(lab, monkeypatch):
    from netmiko import ConnectHandler

    monkeypatch.setenv("NET_TEXTFSM", TEMPLATES)
    conn = ConnectHandler(device_type="juniper_junos", host="127.0.0.1", port=lab.port("ssh"),
                          username=USER, password=PASSWORD)
    try:
        users = conn.send_command("show system users", use_textfsm=True)
        assert isinstance(users, list) and users[0]["user"] == USER
        ike = conn.send_command("show services ipsec-vpn ike security-associations",
                                use_textfsm=True)
        assert isinstance(ike, list) and "remote_address" in ike[0]
    finally:
        conn.disconnect()


async def _lines(app, lines):
    from .test_ssh import _Sink

    s = app.new_session()
    out = []
    for line in lines:
        io = _Sink()
        await app.run(s, line, io)
        out.append(io.text)
    s.close()
    return out


def _parse_platform(platform: str, command: str, text: str) -> list[dict]:
    table = clitable.CliTable("index", TEMPLATES)
    table.ParseCmd(text, {"Command": command, "Platform": platform})
    return [dict(zip(table.header, row, strict=True)) for row in table]


def test_staros_show_crypto_group_through_a_failover():
    from pathlib import Path

    import routershell.labs as labs

    app = App(clock_mode="virtual", lab=Path(labs.__file__).parent / "staros-crypto-group.toml")
    with ServerThread(app, ["ssh:0"]) as srv:
        before, after = srv.run(_lines, app, ["context ipsec", "show crypto group",
                                              "lab clock advance 5m", "show crypto group"])[1::2]
    rows = {r["GROUP"]: r for r in _parse_platform("staros", "show crypto group", before)}
    assert set(rows) == {"cg-auto", "cg-manual"}
    assert rows["cg-auto"]["PRIMARY_ROLE"] == "Active" and rows["cg-auto"]["SWITCHOVERS"] == "0"
    rows = {r["GROUP"]: r for r in _parse_platform("staros", "show crypto group", after)}
    assert rows["cg-auto"]["SECONDARY_ROLE"] == "Active"  # the lab's primaries fail at 00:02:00
    assert int(rows["cg-auto"]["SWITCHOVERS"]) >= 1


def test_alliedware_show_isakmp_and_ipsec_sa_once_up():
    from pathlib import Path

    import routershell.labs as labs

    app = App(clock_mode="virtual", lab=Path(labs.__file__).parent / "alliedware-retry.toml")
    with ServerThread(app, ["ssh:0"]) as srv:
        down, _, isakmp, ipsec = srv.run(_lines, app, ["show isakmp sa", "lab clock advance 15m",
                                                       "show isakmp sa", "show ipsec sa"])
    assert _parse_platform("alliedware", "show isakmp sa", down) == []
    sa = _parse_platform("alliedware", "show isakmp sa", isakmp)
    assert sa and sa[0]["PEER"] == "203.0.113.2" and sa[0]["MODE"] == "MAIN"
    ips = _parse_platform("alliedware", "show ipsec sa", ipsec)
    assert ips and ips[0]["STATE"] == "Valid" and ips[0]["PROTOCOL"] == "ESP"
