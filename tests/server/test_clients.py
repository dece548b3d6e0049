"""The stock automation clients, unchanged, against the served lab: netmiko, scrapli, pexpect."""

from __future__ import annotations

import re

import pexpect
import pytest
from netmiko import ConnectHandler, SSHDetect

from tests.conftest import require_tool

from .conftest import PASSWORD, USER


def _netmiko(server, device_type="juniper_junos", proto="ssh", **kw):
    return ConnectHandler(device_type=device_type, host="127.0.0.1", port=server.port(proto),
                          username=kw.pop("username", USER), password=PASSWORD, **kw)


def test_netmiko_juniper_junos_over_ssh(fresh_server):
    conn = _netmiko(fresh_server)
    try:
        assert conn.find_prompt() == "user@r1>"
        assert conn.send_command("show version").startswith("Hostname: r1\nModel: m7i\n")
        out = conn.send_config_set(["set system host-name nm1", "set snmp location lab"],
                                   exit_config_mode=False)
        assert "syntax error" not in out and conn.check_config_mode()
        assert "commit complete" in conn.commit()
        assert conn.find_prompt() == "user@nm1#"
        out = conn.commit(confirm=True, confirm_delay=5)
        assert "commit confirmed will be automatically rolled back in 5 minutes" in out
        out = conn.send_config_set(["set snmp contact ops"], exit_config_mode=False)
        assert "commit complete" in conn.commit(and_quit=True)
        assert not conn.check_config_mode()
        commits = conn.send_command("show system commit")
        assert re.search(r"^0 +\S+ \S+ UTC by user via cli", commits, re.M), commits
        conn.config_mode()
        conn.send_config_set(["set snmp location elsewhere"], exit_config_mode=False)
        conn.exit_config_mode()  # answers "Exit with uncommitted changes?"
        assert not conn.check_config_mode()
        assert "location lab;" in conn.send_command("show configuration snmp")
    finally:
        conn.disconnect()


def test_netmiko_autodetect_says_juniper_junos(server):
    guess = SSHDetect(device_type="autodetect", host="127.0.0.1", port=server.port("ssh"),
                      username=USER, password=PASSWORD)
    assert guess.autodetect() == "juniper_junos"


def test_netmiko_juniper_junos_over_telnet(server):
    conn = _netmiko(server, "juniper_junos_telnet", "telnet")
    try:
        assert conn.find_prompt() == "user@r1>"
        assert "Hostname: r1" in conn.send_command("show version")
        conn.config_mode()
        assert conn.check_config_mode()
        conn.exit_config_mode()
        assert not conn.check_config_mode()
    finally:
        conn.disconnect()


def test_netmiko_generic_driver_on_another_device_by_login(multi_server):
    conn = _netmiko(multi_server, "generic", username=f"{USER}@r2")
    try:
        assert conn.find_prompt() == "user@r2>"
        assert conn.send_command("show version", expect_string=r"user@r2> ?").startswith(
            "Hostname: r2")
    finally:
        conn.disconnect()


@pytest.mark.parametrize("transport", ["bin", "ssh2", "telnet"])
def test_scrapli_juniper_junos(server, transport):
    from scrapli import (
        AuthOptions,
        Cli,
        TransportBinOptions,
        TransportSsh2Options,
        TransportTelnetOptions,
    )

    if transport == "bin":
        require_tool("ssh")
        topt, port = TransportBinOptions(enable_strict_key=False), server.port("ssh")
    elif transport == "ssh2":
        topt, port = TransportSsh2Options(), server.port("ssh")
    else:
        topt, port = TransportTelnetOptions(), server.port("telnet")
    conn = Cli("127.0.0.1", port=port, definition_file_or_name="juniper_junos",
               auth_options=AuthOptions(username=USER, password=PASSWORD), transport_options=topt)
    conn.open()
    try:
        assert conn.get_prompt().result == "user@r1>"
        r = conn.send_input("show version")
        assert r.result.startswith("Hostname: r1\nModel: m7i\n")
        r = conn.send_inputs(["set snmp location scrapli", "show snmp location", "commit"],
                             requested_mode="configuration")
        assert [x.strip().splitlines()[0] for x in r.results[1:]] == ["location scrapli;",
                                                                        "commit complete"]
        conn.enter_mode("configuration_exclusive")
        assert conn.get_prompt().result == "user@r1#"
        assert "[edit]" in conn.send_input("show | compare", requested_mode="configuration_exclusive").result
        conn.enter_mode("exec")
        assert conn.get_prompt().result == "user@r1>"
        bad = conn.send_input("show nonsense")
        assert "unknown command." in bad.result
    finally:
        conn.close()


def test_scrapli_async(server):
    import asyncio

    from scrapli import AuthOptions, Cli, TransportSsh2Options

    async def go():
        conn = Cli("127.0.0.1", port=server.port("ssh"), definition_file_or_name="juniper_junos",
                   auth_options=AuthOptions(username=USER, password=PASSWORD),
                   transport_options=TransportSsh2Options())
        await conn.open_async()
        try:
            return (await conn.send_input_async("show route summary")).result
        finally:
            await conn.close_async()

    out = asyncio.run(go())
    assert "inet.0:" in out and "Router ID: 10.255.0.1" in out


PROMPT = r"\r\n[\w.-]+@[\w.-]+[>#] $"  # the documented prompt regex (README)


def test_pexpect_over_ssh_a_whole_lab_script(server):
    require_tool("ssh")
    child = pexpect.spawn(
        "ssh", ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "PubkeyAuthentication=no", "-p", str(server.port("ssh")),
                f"{USER}@127.0.0.1"], encoding="utf-8", timeout=15)
    try:
        child.expect("assword:")
        child.sendline(PASSWORD)
        child.expect(r"user@r1> $")
        for line in ("show services ipsec-vpn ike security-associations", "lab show",
                     "configure private", "set snmp location pexpect", "commit and-quit"):
            child.sendline(line)
            child.expect(PROMPT)
        assert "commit complete" in child.before
        child.sendline("show configuration snmp")
        child.expect(PROMPT)
        assert "location pexpect;" in child.before
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()


def test_pexpect_over_telnet(server):
    require_tool("telnet")
    child = pexpect.spawn("telnet", ["127.0.0.1", str(server.port("telnet"))], encoding="utf-8",
                          timeout=15)
    try:
        child.expect("login: ")
        child.sendline(USER)
        child.expect("Password:")
        child.sendline(PASSWORD)
        child.expect(r"user@r1> $")
        child.sendline("show system users")
        child.expect(PROMPT)
        assert re.search(r"^user +p\d+ +127\.0\.0\.1 ", child.before, re.M)
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
