"""JunosE, StarOS and AlliedWare have no stock drivers: netmiko `generic` / `terminal_server`
and scrapli with the prompt patterns the README documents, over SSH and telnet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from netmiko import ConnectHandler

import routershell.labs as labs
from routershell.app import App
from routershell.server.host import ServerThread

LABS = Path(labs.__file__).parent
# (lab, login, password, prompt regex, a show command and what it prints)
CASES = {
    "junose": ("junose-ism.toml", "admin", "junose", r"host1[>#]", "show version", r"Edge Routing Switch"),
    "staros": ("staros-crypto-group.toml", "admin", "starent", r"\[local\]asr5k[>#]",
               "show clock", r"2026"),
    "alliedware": ("alliedware-retry.toml", "manager", "friend", r"Manager r1>",
                   "show system", r"(?i)router|system"),
}


@pytest.fixture(scope="module", params=list(CASES))
def served(request):
    lab, user, password, prompt, cmd, expect = CASES[request.param]
    app = App(clock_mode="virtual", lab=LABS / lab)
    with ServerThread(app, ["ssh:0", "telnet:0"]) as srv:
        yield srv, user, password, prompt, cmd, expect


def test_netmiko_generic_over_ssh(served):
    srv, user, password, prompt, cmd, expect = served
    conn = ConnectHandler(device_type="generic", host="127.0.0.1", port=srv.port("ssh"),
                          username=user, password=password)
    try:
        assert re.fullmatch(prompt, conn.find_prompt())
        out = conn.send_command(cmd, expect_string=prompt)
        assert re.search(expect, out), out
    finally:
        conn.disconnect()


def test_pexpect_telnet_with_the_platform_prompts(served):
    import pexpect

    from tests.conftest import require_tool

    require_tool("telnet")
    srv, user, password, prompt, cmd, expect = served
    child = pexpect.spawn("telnet", ["127.0.0.1", str(srv.port("telnet"))], encoding="utf-8",
                          timeout=15)
    try:
        child.expect(r"(?i)login: ")  # JunosE prints "Login: ", the others "login: "
        child.sendline(user)
        child.expect(r"(?i)password: ?")
        child.sendline(password)
        child.expect(prompt + " ?$")
        child.sendline(cmd)
        child.expect("\r\n" + prompt + " ?$")
        assert re.search(expect, child.before)
    finally:
        child.close()


def test_scrapli_default_definition(served):
    from scrapli import AuthOptions, Cli, TransportSsh2Options

    srv, user, password, prompt, cmd, expect = served
    with Cli("127.0.0.1", port=srv.port("ssh"),
             auth_options=AuthOptions(username=user, password=password),
             transport_options=TransportSsh2Options()) as conn:
        assert re.fullmatch(prompt, conn.get_prompt().result)
        assert re.search(expect, conn.send_input(cmd).result)


def test_wrong_password_and_unknown_user_refused(served):
    import asyncio

    import asyncssh

    srv, user, password, *_ = served

    async def go(name, secret):
        async with asyncssh.connect("127.0.0.1", srv.port("ssh"), username=name,
                                    password=secret, known_hosts=None, client_keys=None):
            pass

    for name, secret in ((user, password + "x"), ("nobody", password)):
        with pytest.raises(asyncssh.PermissionDenied):
            asyncio.run(go(name, secret))
