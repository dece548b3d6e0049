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
