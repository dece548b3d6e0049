"""The shipped junose-ism lab: found by name, loads, and its 00:05:00 event shows the seed."""

from __future__ import annotations

from pathlib import Path

from routershell.labs.labfile import load_lab
from routershell.main import main
from tests.platforms.junos.harness import Transcript, lab

LAB = Path(__file__).parents[3] / "routershell" / "labs" / "junose-ism.toml"


def test_lab_file_describes_three_isms_and_thirty_interfaces_to_both_sides():
    spec = load_lab(LAB)
    (dev,) = spec.devices
    assert (dev.platform, dev.model) == ("junose", "ERX-1440")
    assert [(m.slot, m.kind) for m in dev.modules] == [("2", "ism"), ("3", "ism"), ("4", "ism")]
    router = 0x0A000064  # 10.0.0.100
    addrs = [int.from_bytes(bytes(int(x) for x in p.address.split(".")), "big") for p in spec.peers]
    assert len(addrs) == 30
    assert sum(a < router for a in addrs) == 15 and sum(a > router for a in addrs) == 15
    assert not any(p.initiates for p in spec.peers)


def test_lab_is_found_by_name(capsys):
    assert main(["--lab", "junose-ism", "--plain", "-c", "enable; show hardware"]) == 0
    out = capsys.readouterr().out
    assert "host1#show hardware" in out and "3     ISM    running         10        16" in out


async def test_ism_fails_at_five_minutes_and_the_lower_peers_wait_three(mock_clock):
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("enable")
        await app.world.clock.advance(299)
        assert "failed" not in await t.run("show hardware")
        await app.world.clock.advance(1)
        assert "3     ISM    failed           0        16" in await t.run("show hardware")
        down = (await t.run("show ipsec tunnel | include down")).splitlines()
        assert [ln.split()[0] for ln in down] == ["to-lo06", "to-lo07", "to-lo08", "to-lo09", "to-lo10"]
        await app.world.clock.advance(179)
        assert len((await t.run("show ipsec tunnel | include down")).splitlines()) == 5
        await app.world.clock.advance(2)
        assert await t.run("show ipsec tunnel | include down") == ""
        assert "PASS" in await t.run("lab grade")



async def test_an_interface_restarted_by_a_change_still_hears_its_peer_die(mock_clock):
    """A changed tunnel restarts; the restarted one must be found again for its gateway's
    events. Before the fix the TunnelManager's gateway index was rebuilt without it during
    the teardown: the peer's death went unheard and no rekey was ever scheduled."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("enable", "configure terminal", "interface tunnel ipsec:to-lo01",
                     "tunnel lifetime seconds 3600", "end", "lab peer 10.0.0.10 down",
                     "lab clock advance 10m"):
            await t.run(line)
        out = await t.run("show ipsec tunnel name to-lo01")
        assert "is down" in out and "Next rekey attempt" in out and "Failed rekey attempts" in out


async def test_traffic_crosses_a_tunnel_interface_both_ways(mock_clock):
    """Review finding 3: a flow between the two ends of a tunnel interface's subnet moved no
    packets (the interface carried nothing and the lab peer had no selectors)."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("enable")
        await t.run("lab traffic start u from 192.168.23.1 to 192.168.23.2")
        await app.world.clock.advance(10)
        out = await t.run("show interfaces tunnel ipsec:to-hi12")
        counts = [int(ln.split()[-1]) for ln in out.splitlines() if "packets" in ln.lower() and ln.split()[-1].isdigit()]
        assert counts and all(c > 0 for c in counts), out


async def test_include_takes_the_rest_of_the_line_as_its_regex(mock_clock):
    """Review finding 5: `| include down|not` and `| include slot 2` were refused."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("enable")
        await app.world.clock.advance(300)  # slot 3 fails: five down, five rekeyed
        either = (await t.run("show ipsec tunnel | include down|not")).splitlines()
        assert len(either) == 5 and all("down" in ln for ln in either)
        slot2 = await t.run("show ipsec tunnel detail | include slot 2")
        assert slot2 and all("slot 2" in ln for ln in slot2.splitlines())
        assert "slot 2" not in await t.run("show ipsec tunnel detail | exclude slot 2|slot 4")
        # `| count` after include is part of the regex (to-hi01 followed by a blank, or " count")
        assert [ln.split()[0] for ln in (await t.run("show ipsec tunnel | include to-hi01 | count")).splitlines()] == ["to-hi01"]
        assert (await t.run("show ipsec tunnel | count")).startswith("Count: ")


async def test_the_lab_files_try_list_runs_as_written(mock_clock):
    """Review finding 7: the comment named the wrong peer and ran `clear` in config mode."""
    lines = []
    for ln in LAB.read_text().splitlines():
        if ln.startswith("#   "):
            lines.append(ln[4:].split("  (")[0].split("/")[0].strip())
    assert "lab peer 10.0.0.200 down" in lines and "clear ipsec tunnel to-hi01" in lines
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in lines:
            out = await t.run(line)
            assert "%" not in out and "error" not in out.lower(), (line, out)
        await app.world.clock.advance(5)
        assert "Failed rekey attempts: 1" in await t.run("show ipsec tunnel name to-hi01")


async def test_show_startup_config_is_what_the_router_booted_from_until_saved(mock_clock):
    """Review finding 10: a fresh lab said `% No startup configuration saved` though the
    router booted from junose-ism_host1.conf."""
    booted = (LAB.parent / "junose-ism_host1.conf").read_text(encoding="utf-8")
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("enable")
        assert await t.run("show startup-config") == booted
        for line in ("configure terminal", "hostname edge", "end", "write memory"):
            await t.run(line)
        saved = await t.run("show startup-config")
        assert saved != booted and "hostname edge" in saved


async def test_write_alone_saves_and_an_empty_slot_cannot_be_disabled(mock_clock):
    """Review (smaller): `write` alone said % Incomplete command; `slot disable 9` was accepted
    for a slot with no module."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("enable")
        assert await t.run("write") == await t.run("write memory") != ""
        assert "Incomplete" not in await t.run("write")
        await t.run("configure terminal")
        assert await t.run("slot disable 9") == "% Slot 9 is empty\n"
        assert await t.run("slot disable 3") == ""
        await t.run("end")
        assert "slot disable 9" not in await t.run("show running-config")


async def test_do_runs_a_privileged_command_from_configuration_modes(mock_clock):
    """Review (smaller): `do …` was missing (only `run …`); the sub-mode stays."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("enable", "configure terminal", "interface tunnel ipsec:to-hi01"):
            await t.run(line)
        out = await t.run("do show ipsec tunnel name to-hi01")
        assert out == await t.run("run show ipsec tunnel name to-hi01")
        assert out.startswith("IPSec tunnel to-hi01 is up")
        assert t.session.prompt().endswith("(config-if)#")


async def test_a_change_that_restarts_an_up_interface_logs_it_down_first(mock_clock):
    """Review (smaller): the restart logged "assigned" and "rekeying" with no "is down"."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("enable", "configure terminal", "interface tunnel ipsec:to-hi01",
                     "tunnel lifetime seconds 3600", "end"):
            await t.run(line)
        log = [ln.split("ipsec:to-hi01 ")[1] for ln in (await t.run("show log data | include to-hi01")).splitlines()]
        assert log[3:] == ["is down (reconfigured)", "assigned to ISM in slot 2", "rekeying on ISM in slot 2", "is up"]


async def test_copy_startup_config_running_config_merges_the_boot_configuration(mock_clock):
    """Review (smaller): `copy startup-config running-config` was missing."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        for line in ("enable", "configure terminal", "no interface tunnel ipsec:to-hi01", "end"):
            await t.run(line)
        assert await t.run("show ipsec tunnel | include to-hi01") == ""
        assert await t.run("copy startup-config running-config") == ""
        assert t.session.starts_exchanges("copy startup-config running-config")
        assert (await t.run("show ipsec tunnel | include to-hi01")).split()[-1] == "up"


async def test_a_new_ism_inserted_from_the_lab_takes_the_interfaces_without_one(mock_clock):
    """Review (smaller): no lab command inserted an ISM (seed 000: "not present until an ISM
    becomes available")."""
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        await t.run("enable")
        await t.run("lab module host1 4 fail")
        await t.run("lab module host1 3 fail")
        waiting = (await t.run("show ipsec tunnel | include not present")).splitlines()
        assert len(waiting) == 14  # 20 interfaces, 6 free places in slot 2
        assert await t.run("lab module host1 5 insert capacity 16") == "Module 5 of host1 inserted (16 tunnels).\n"
        assert "5     ISM    running         14        16" in await t.run("show hardware")
        assert await t.run("show ipsec tunnel | include not present") == ""
        assert "already has a module" in await t.run("lab module host1 5 insert")
