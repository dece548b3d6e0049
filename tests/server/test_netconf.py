"""NETCONF: the `netconf` subsystem (and `--listen netconf:PORT`) proven with PyEZ and ncclient."""

from __future__ import annotations

import re

import pytest
from jnpr.junos import Device
from jnpr.junos.exception import CommitError, ConfigLoadError
from jnpr.junos.utils.config import Config
from ncclient import manager
from ncclient.operations.rpc import RPCError

from .conftest import PASSWORD, USER


def _pyez(srv, proto="netconf"):
    dev = Device(host="127.0.0.1", port=srv.port(proto), user=USER, password=PASSWORD,
                 gather_facts=True)
    dev.open()
    return dev


def test_pyez_facts_and_operational_rpcs(server):
    dev = _pyez(server)
    try:
        assert dev.facts["hostname"] == "r1"
        assert dev.facts["model"] == "M7I"
        assert dev.facts["version"] == "9.3R4.4"
        assert dev.facts["serialnumber"]  # from show chassis hardware's record
        assert dev.facts["master"] == "RE0" and dev.facts["RE0"]["status"] == "OK"
        assert dev.facts["HOME"] == "/var/home/user"  # file list ~
        sw = dev.rpc.get_software_information()
        assert sw.findtext("host-name") == "r1"
        # the same record the CLI renders as `| display xml`
        terse = dev.rpc.get_interface_information(terse=True)
        names = [e.findtext("name").strip() for e in terse.findall(".//physical-interface")]
        assert "ge-0/0/0" in names
        assert "Hostname: r1" in dev.cli("show version", warning=False)
    finally:
        dev.close()


def test_pyez_config_load_set_check_commit_rollback(fresh_netconf):
    dev = _pyez(fresh_netconf)
    try:
        cu = Config(dev)
        cu.lock()
        cu.load("set snmp location pyez\nset snmp contact noc", format="set")
        assert "+        location pyez;" in cu.diff()
        assert cu.commit_check() is True
        assert cu.commit(comment="from pyez") is True
        cu.unlock()
        assert "location pyez;" in dev.cli("show configuration snmp", warning=False)
        assert "from pyez" in dev.cli("show system commit", warning=False)
        cu.rollback(1)
        cu.commit()
        assert "location pyez" not in dev.cli("show configuration snmp", warning=False)
        with pytest.raises(ConfigLoadError):
            cu.load("set snmp nonsense here", format="set")
        cu.rollback(0)
        cu.load("system { host-name pz; }", format="text", merge=True)
        assert cu.commit() is True
        assert dev.rpc.get_software_information().findtext("host-name") == "pz"
    finally:
        dev.close()


def test_commit_error_is_an_rpc_error(fresh_netconf):
    dev = _pyez(fresh_netconf)
    try:
        cu = Config(dev)
        cu.load("set services ipsec-vpn rule nope term t then remote-gateway 1.2.3.4", format="set")
        with pytest.raises(CommitError):
            cu.commit()
        cu.rollback(0)
    finally:
        dev.close()


def test_ncclient_junos_handler(server):
    with manager.connect(host="127.0.0.1", port=server.port("ssh"), username=USER,
                         password=PASSWORD, hostkey_verify=False, allow_agent=False,
                         look_for_keys=False, device_params={"name": "junos"}) as m:
        assert "http://xml.juniper.net/netconf/junos/1.0" in m.server_capabilities
        text = m.get_configuration(format="text").xpath("//configuration-text")[0].text
        assert "host-name r1;" in text
        sets = m.get_configuration(format="set").xpath("//configuration-set")[0].text
        assert "set system host-name r1" in sets
        xml = m.get_configuration(format="xml")
        assert xml.xpath("//configuration/system/host-name")[0].text == "r1"
        out = m.command("show route summary", format="text").xpath("//output")[0].text
        assert "inet.0:" in out
        m.lock()
        m.load_configuration(action="set", config=["set snmp location nc"])
        m.discard_changes()
        m.unlock()
        with pytest.raises(RPCError):
            m.rpc("<get-no-such-information/>")


def test_netconf_port_refuses_a_shell(server):
    import asyncio

    import asyncssh

    async def go():
        async with asyncssh.connect("127.0.0.1", server.port("netconf"), username=USER,
                                    password=PASSWORD, known_hosts=None) as c:
            r = await c.run("show version", check=False)
            return r.exit_status

    with pytest.raises(asyncssh.ChannelOpenError):
        asyncio.run(go())


def test_pyez_load_xml_round_trips_get_configuration(fresh_netconf):
    from lxml import etree

    dev = _pyez(fresh_netconf)
    try:
        cu = Config(dev)
        cu.load(etree.fromstring(
            "<configuration><snmp><location>xml lab</location><contact>noc</contact></snmp>"
            "<interfaces><interface><name>ge-0/0/2</name><unit><name>0</name><family><inet>"
            "<address><name>10.7.7.1/24</name></address></inet></family></unit></interface>"
            "</interfaces></configuration>"), format="xml")
        assert cu.commit() is True
        conf = dev.rpc.get_config()
        assert conf.findtext("snmp/location") == "xml lab"
        addrs = conf.xpath("interfaces/interface[name='ge-0/0/2']/unit/family/inet/address/name")
        assert [a.text for a in addrs] == ["10.7.7.1/24"]
        terse = dev.cli("show interfaces terse ge-0/0/2", warning=False)
        assert "10.7.7.1/24" in terse
    finally:
        dev.close()


def test_garbage_rpcs_get_errors_and_the_session_goes_on(server):
    import asyncio

    import asyncssh

    async def go():
        async with asyncssh.connect("127.0.0.1", server.port("netconf"), username=USER,
                                    password=PASSWORD, known_hosts=None, client_keys=None) as c:
            w, r, _ = await c.open_session(subsystem="netconf", encoding=None)
            hello = await r.readuntil(b"]]>]]>")
            w.write(b"<hello><capabilities/></hello>]]>]]>")
            replies = []
            for junk in (b"<rpc", b"\xff\xfe<<>>", b"<rpc message-id='1'><get-nothing/></rpc>",
                         b"<rpc message-id='2'><get-software-information/></rpc>"):
                w.write(junk + b"]]>]]>")
                replies.append(await asyncio.wait_for(r.readuntil(b"]]>]]>"), 10))
            w.write(b"<rpc message-id='3'><close-session/></rpc>]]>]]>")
            replies.append(await asyncio.wait_for(r.readuntil(b"]]>]]>"), 10))
            return hello, replies

    hello, replies = asyncio.run(go())
    assert b"<capability>http://xml.juniper.net/netconf/junos/1.0</capability>" in hello
    assert all(b"<rpc-error>" in x for x in replies[:3])
    assert b'message-id="2"' in replies[3] and b"<host-name>r1</host-name>" in replies[3]
    assert b"<ok/>" in replies[4]


def test_every_rpc_display_xml_rpc_names_is_answered_with_its_record(server):
    import asyncio

    import asyncssh
    from lxml import etree

    from routershell.platforms.junos.rpcs import RPCS

    async def cli(cmd):
        async with asyncssh.connect("127.0.0.1", server.port("ssh"), username=USER,
                                    password=PASSWORD, known_hosts=None, client_keys=None) as c:
            return (await c.run(cmd, check=False)).stdout

    with manager.connect(host="127.0.0.1", port=server.port("netconf"), username=USER,
                         password=PASSWORD, hostkey_verify=False, allow_agent=False,
                         look_for_keys=False, device_params={"name": "junos"}) as m:
        named = 0
        for rpc, command, tag in RPCS:
            shown = asyncio.run(cli(f"{command} | display xml rpc"))
            if "<rpc>" in shown:  # a record-backed show: the CLI names the RPC
                assert f"<{rpc}/>" in shown or f"<{rpc}>" in shown, (command, shown)
                named += 1
            reply = m.dispatch(etree.Element(rpc))
            assert reply.xpath(f"//*[local-name()='{tag}']"), (rpc, reply.xml[:300])
        assert named == len(RPCS)


def test_commit_confirmed_over_netconf_rolls_back_on_the_lab_clock(fresh_netconf):
    from lxml import etree

    with manager.connect(host="127.0.0.1", port=fresh_netconf.port("netconf"), username=USER,
                         password=PASSWORD, hostkey_verify=False, allow_agent=False,
                         look_for_keys=False, device_params={"name": "junos"}) as m:
        m.load_configuration(action="set", config=["set snmp location confirmed"])
        rpc = etree.fromstring("<commit-configuration><confirmed/>"
                               "<confirm-timeout>2</confirm-timeout><log>try it</log>"
                               "</commit-configuration>")
        reply = m.dispatch(rpc)
        assert reply.xpath("//*[local-name()='commit-success']")

        def show(cmd):
            return m.command(cmd, format="text").xpath("//output")[0].text

        history = show("show system commit")
        assert re.search(r"^0 .* commit confirmed, rollback in 2mins$", history, re.M), history
        assert "try it" in history
        show("lab clock advance 3m")  # nobody confirmed: Junos rolls it back
        assert "location confirmed" not in show("show configuration snmp")


def _exec(port: int, command: str) -> str:
    import asyncio

    import asyncssh

    async def go() -> str:
        async with asyncssh.connect("127.0.0.1", port, username=USER, password=PASSWORD,
                                    known_hosts=None, client_keys=None) as c:
            return (await c.run(command, check=False)).stdout

    return asyncio.run(go())


def _ended(m, limit: float = 20.0) -> bool:
    """Whether ncclient sees its session end (polls until it does or `limit` runs out)."""
    import time

    end = time.monotonic() + limit
    while m.connected and time.monotonic() < end:
        time.sleep(0.02)
    return not m.connected


def _nc(srv):
    return manager.connect(host="127.0.0.1", port=srv.port("netconf"), username=USER,
                           password=PASSWORD, hostkey_verify=False, allow_agent=False,
                           look_for_keys=False, device_params={"name": "junos"})


def test_a_netconf_session_is_logged_out_by_the_pid_its_lock_names(fresh_netconf):
    """Junos lists terminal logins in `show system users` (a NETCONF subsystem session has no
    terminal, so it is not there), but the lock message names the session's pid and
    `request system logout pid` ends it, lock and all."""
    port = fresh_netconf.port("ssh")
    m = _nc(fresh_netconf)
    m.lock()
    m.load_configuration(action="set", config=["set snmp location half-done"])
    users = _exec(port, "show system users")
    assert "netconf" not in users and len(users.splitlines()) == 3  # header, titles, this exec
    locked = _exec(port, "configure exclusive")
    found = re.search(r"user netconf p\d+ \(pid (\d+)\)", locked)
    assert found, locked
    assert _exec(port, f"request system logout pid {found.group(1)}") == ""
    assert _ended(m)
    after = _exec(port, "configure exclusive")
    assert "locked" not in after and "Entering configuration mode" in after
    assert "half-done" not in _exec(port, "show configuration snmp")


def test_logging_a_user_out_ends_their_netconf_sessions(fresh_netconf):
    m = _nc(fresh_netconf)
    m.lock()
    assert _exec(fresh_netconf.port("ssh"), "request system logout user nobody") == \
        "error: no login sessions found for user nobody\n"
    assert not _ended(m, limit=0)
    _exec(fresh_netconf.port("ssh"), f"request system logout user {USER}")
    assert _ended(m)
