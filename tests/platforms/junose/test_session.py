"""The JunosE shell on the shipped junose-ism lab: modes and prompts, changes that apply at once,
`no` forms, `slot disable`, persistence with `write memory`, startup checks, DPD and traps."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from routershell.platforms import registry
from tests.platforms.junos.harness import Transcript, lab

LAB = Path(__file__).parents[3] / "routershell" / "labs" / "junose-ism.toml"


async def session(app, *lines: str) -> Transcript:
    t = Transcript(app)
    for line in lines:
        await t.run(line)
    return t


async def test_prompts_follow_the_mode_stack(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        seen = [t.session.prompt()]
        for line in ("enable", "configure terminal", "interface tunnel ipsec:to-lo01",
                     "ipsec isakmp-policy-rule 1", "ipsec key manual pre-share 10.0.0.10",
                     "exit", "end", "disable"):
            await t.run(line)
            seen.append(t.session.prompt())
    assert seen == ["host1>", "host1#", "host1(config)#", "host1(config-if)#",
                    "host1(config-ike-policy-rule)#", "host1(config-manual-key)#",
                    "host1(config)#", "host1#", "host1>"]


async def test_errors_use_the_caret_and_never_a_traceback(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = await session(app, "enable")
        assert await t.run("show ipsec tunnle") == " " * len("host1#show ipsec ") + "^\n% Invalid input detected at '^' marker.\n"
        assert await t.run("configure") == "% Incomplete command.\n"
        assert await t.run("show ipsec tunnel name nosuch") == "% IPsec tunnel nosuch not found\n"
        await t.run("configure terminal")
        out = await t.run("interface tunnel gre:x")
        assert out.endswith("% Invalid input detected at '^' marker.\n")
        assert out.index("^") == len("host1(config)#interface tunnel ")


async def test_configuration_applies_at_once_without_commit(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        await app.world.clock.advance(1)
        from routershell.engine.proposals import IkeProposal, IpsecProposal
        from routershell.runtime.peers import PeerSpec

        app.world.add_peer(PeerSpec("new", "10.0.0.250", psk=b"s3cret",
                                    ike_proposals=(IkeProposal(cipher="3des"),),
                                    ipsec_proposals=(IpsecProposal(cipher="3des"),)))
        t = await session(app, "enable", "configure terminal", "ipsec key manual pre-share 10.0.0.250",
                          "key s3cret", "interface tunnel ipsec:new", "tunnel source 10.0.0.100",
                          "tunnel destination 10.0.0.250", "tunnel transform-set ts-3des-sha", "end")
        out = await t.run("show ipsec tunnel name new")
        assert out.startswith("IPSec tunnel new is up\n")
        assert "Assigned to ISM in slot" in out
        dev = app.devices["host1"]
        assert dev.driver.ism.load() == {"2": 11, "3": 10, "4": 10}
        await t.run("configure terminal")
        await t.run("no interface tunnel ipsec:new")
        assert dev.driver.ism.load() == {"2": 10, "3": 10, "4": 10}
        assert dev.tunnels.tunnel("ipsec:new") is None
        assert "new" not in await t.run("show running-config")


async def test_slot_disable_takes_the_ism_out_like_a_failure(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = await session(app, "enable", "configure terminal", "slot disable 4", "end")
        out = await t.run("show hardware")
        assert "4     ISM    disabled         0        16" in out
        assert "Warning: the installed ISMs cannot absorb" in out
        dev = app.devices["host1"]
        assert dev.driver.ism.load() == {"2": 15, "3": 15, "4": 0}
        assert "slot disable 4\n" in await t.run("show running-config")
        await t.run("configure terminal")
        await t.run("no slot disable 4")
        out = await t.run("run show hardware")
        assert "4     ISM    running          0        16" in out  # back, empty: no rebalancing
        assert "Warning" not in out


async def test_write_memory_survives_a_restart_with_state(mock_clock, tmp_path):
    async with lab(mock_clock, lab=LAB, state_dir=tmp_path) as app:
        t = await session(app, "enable", "configure terminal", "hostname er7", "end")
        assert t.session.prompt() == "er7#"
        assert await t.run("write memory") == "Configuration saved to startup-config\n"
        saved = (tmp_path / "host1" / "config" / "startup-config").read_text()
        assert "hostname er7\n" in saved and "interface tunnel ipsec:to-hi15" in saved
        assert "lab-secret" not in saved  # keys are stored masked
    async with lab(mock_clock, lab=LAB, state_dir=tmp_path) as app:
        t = Transcript(app)
        assert t.session.prompt() == "er7>"
        await t.run("enable")
        assert await t.run("show running-config") == saved


async def test_running_config_replays_to_the_same_configuration():
    from routershell.platforms.junose.actions import replay
    from routershell.platforms.junose.config import JunoseConfig, render

    cfg = JunoseConfig()
    assert replay(cfg, (LAB.parent / "junose-ism_host1.conf").read_text()) == []
    text = render(cfg)
    again = JunoseConfig()
    assert replay(again, text) == [] and render(again) == text
    assert len(cfg.interfaces) == 30 and len(cfg.keys) == 30


def test_startup_check_reports_the_first_bad_line():
    platform = registry.get("junose")
    assert platform.check_startup("hostname a\ninterface tunnel ipsec:x\n tunnel mtu 9\n") == \
        (3, "% Invalid input detected at '^' marker.")
    assert platform.check_startup("hostname a\n") is None


@pytest.mark.parametrize("n", [10])
def test_at_most_ten_ike_policy_rules(n):
    from routershell.platforms.junose.actions import replay
    from routershell.platforms.junose.config import JunoseConfig

    cfg = JunoseConfig()
    text = "".join(f"ipsec isakmp-policy-rule {p}\n" for p in range(1, n + 2))
    assert replay(cfg, text) == [(n + 1, "% Maximum number of IKE policy rules (10) reached")]
    assert len(cfg.rules) == n


async def test_dead_peer_takes_the_interface_down_and_sends_a_trap(mock_clock):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    port = rx.getsockname()[1]
    try:
        async with lab(mock_clock, lab=LAB) as app:
            t = await session(app, "enable", "configure terminal",
                              f"snmp-server host 127.0.0.1 community lab udp-port {port}", "end")
            app.world.peer_down("10.0.0.200")  # to-hi01, slot 2; DPD idle check 150 s
            await app.world.clock.advance(149)
            assert (await t.run("show ipsec tunnel name to-hi01")).startswith("IPSec tunnel to-hi01 is up")
            await app.world.clock.advance(45)  # 150 s + 3 inquiries 10 s apart + 10 s
            out = await t.run("show ipsec tunnel name to-hi01")
            assert out.startswith("IPSec tunnel to-hi01 is down")
            log = await t.run("show log data | include to-hi01")
            assert "is down (peer-dead)" in log and "rekeying on ISM in slot 2" in log
            data = rx.recv(4096)
        assert b"lab" in data and b"ipsec:to-hi01" in data
    finally:
        rx.close()


async def test_local_users_log_in_and_are_shown_masked(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        platform = registry.get("junose")
        dev = app.devices["host1"]
        assert platform.authenticate(dev, "admin", "junose")
        assert not platform.authenticate(dev, "admin", "wrong")
        assert not platform.authenticate(dev, "nobody", "junose")
        assert platform.login_prompts(dev) == ("Login: ", "Password: ")
        t = await session(app, "enable", "configure terminal", "username ops password s3cret", "end")
        assert platform.authenticate(dev, "ops", "s3cret")
        text = await t.run("show running-config")
        assert "s3cret" not in text and "username ops masked-password " in text
        await t.run("configure terminal")
        await t.run("no username ops")
        assert not platform.authenticate(dev, "ops", "s3cret")


async def test_odd_input_in_every_mode_never_reaches_the_internal_error(mock_clock):
    import random

    words = ["show", "ipsec", "tunnel", "interface", "tunnel", "ipsec:x", "no", "ip", "address",
             "1.2.3.4", "255.255.255.0", "?", "|", "include", "\"", "exit", "end", "run",
             "transform-set", "isakmp-policy-rule", "0", "99999", "key", "slot", "disable",
             "detail", "name", "-", "ipsec:", "x" * 90, "write", "clear", "username", "password"]
    rng = random.Random(7)
    async with lab(mock_clock, lab=LAB) as app:
        t = await session(app, "enable")
        for mode_entry in ([], ["configure terminal"], ["configure terminal", "interface tunnel ipsec:f"],
                           ["configure terminal", "ipsec isakmp-policy-rule 3"],
                           ["configure terminal", "ipsec key manual pre-share 10.9.9.9"]):
            for line in mode_entry:
                await t.run(line)
            for _ in range(60):
                line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
                out = await t.run(line)
                assert "Internal error" not in out, line
            await t.run("end")
            if t.session.closed:
                t = await session(app, "enable")


async def test_virtual_router_context_owns_the_interfaces_created_in_it(mock_clock):
    from routershell.platforms.junose.actions import replay
    from routershell.platforms.junose.config import JunoseConfig, render

    async with lab(mock_clock, lab=LAB) as app:
        t = await session(app, "enable", "configure terminal", "virtual-router vr1")
        assert t.session.prompt() == "host1:vr1(config)#"
        await t.run("interface tunnel ipsec:v1")
        assert t.session.prompt() == "host1:vr1(config-if)#"
        await t.run("end")
        assert t.session.prompt() == "host1#"
        cfg = app.devices["host1"].driver.cfg
        assert (cfg.interfaces["v1"].operational_vr, cfg.interfaces["v1"].transport) == ("vr1", "vr1")
        await t.run("configure terminal")
        assert await t.run("interface tunnel ipsec:v1") == \
            "% Interface ipsec:v1 belongs to virtual router vr1\n"
        await t.run("interface tunnel ipsec:d1")  # default VR again
        assert cfg.interfaces["d1"].operational_vr == "default"
        text = render(cfg)
        again = JunoseConfig()
        assert replay(again, text) == [] and render(again) == text
        assert [(t.name, t.operational_vr) for t in again.interfaces.values()][-2:] == \
            [("v1", "vr1"), ("d1", "default")]


async def test_clear_ipsec_tunnel_rekeys_at_once_and_backs_off_if_that_fails(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = await session(app, "enable")
        assert await t.run("clear ipsec tunnel nosuch") == "% IPsec tunnel nosuch not found\n"
        await app.world.clock.advance(10)
        await t.run("clear ipsec tunnel to-hi01")
        assert (await t.run("show ipsec tunnel name to-hi01")).startswith("IPSec tunnel to-hi01 is up")
        app.world.peer_down("10.0.0.200")
        await t.run("clear ipsec tunnel to-hi01")  # returns once the attempt settled: 30 s
        assert 40 <= app.world.now() < 41
        out = await t.run("show ipsec tunnel name to-hi01")
        assert out.startswith("IPSec tunnel to-hi01 is down")
        assert "Next rekey attempt at 01/01/2026 00:01:40 (in 00:01:00)" in out
        assert "Failed rekey attempts: 1, last failure: peer unreachable" in out
