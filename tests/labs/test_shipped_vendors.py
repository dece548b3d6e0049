"""The shipped StarOS and AlliedWare training labs: solved by a scripted solution (full marks)
and by a wrong one (the expected objectives fail), on the virtual clock."""

from __future__ import annotations

from .shipped import SOLUTIONS, failed, grade, load_terminal, shipped


async def test_staros_switch_back_by_hand_after_the_primaries_return(autojump_clock):
    async with shipped(autojump_clock, "staros-switchover") as (app, t):
        await t.run("context ipsec")
        await t.run("lab clock advance-to 00:11:00")
        assert "\ncg-manual  do-not-revert  secondary  " in await t.run("show crypto group summary")
        await t.run("crypto-group cg-manual switchover")
        await t.run("lab clock advance-to 00:16:00")
        report = await grade(t)
        assert failed(report) == [] and report["points"] == 5
        manual = [(x["at"], x["state"]) for x in report["timeline"] if x["peer"] == "192.0.2.30"]
        # up at boot, down while the primary is gone, up again once it answers (00:10:00)
        assert manual[0][1] in ("negotiating", "up") and manual[-1][1] == "up"
        assert any(s == "down" and 120 < at < 600 for at, s in manual) and 600 <= manual[-1][0] < 660


async def test_staros_without_the_switchover_cg_manual_stays_on_its_secondary(autojump_clock):
    async with shipped(autojump_clock, "staros-switchover") as (app, t):
        await t.run("context ipsec")
        await t.run("lab clock advance-to 00:16:00")
        assert failed(await grade(t)) == ["cg-manual is back on its primary by 00:15:00"]


async def test_staros_a_late_switchover_does_not_count(autojump_clock):
    async with shipped(autojump_clock, "staros-switchover") as (app, t):
        await t.run("context ipsec")
        await t.run("lab clock advance-to 00:15:30")
        await t.run("crypto-group cg-manual switchover")
        await t.run("lab clock advance 1m")
        report = await grade(t)
        assert failed(report) == ["cg-manual is back on its primary by 00:15:00"]
        assert report["objectives"][1]["judged_at"] == 900.0


async def test_alliedware_retry_with_a_short_constant_backoff_gets_full_marks(autojump_clock):
    async with shipped(autojump_clock, "alliedware-retry-training") as (app, t):
        assert "Info (1082003)" in await t.run("set isakmp policy=vpn retryikeattempts=continuous msgbackoff=none msgtimeout=1")
        await t.run("lab clock advance-to 00:12:00")
        report = await grade(t)
        assert failed(report) == [] and report["points"] == 5
        up = [x["at"] for x in report["timeline"] if x["state"] == "up"]
        assert len(up) == 1 and 600 < up[0] < 612


async def test_alliedware_retry_alone_comes_up_too_late_and_no_retry_never(autojump_clock):
    async with shipped(autojump_clock, "alliedware-retry-training") as (app, t):
        await t.run("set isakmp policy=vpn retryikeattempts=continuous")
        await t.run("lab clock advance-to 00:12:00")
        assert failed(await grade(t)) == ["the VPN is up by 00:10:12"]
    async with shipped(autojump_clock, "alliedware-retry-training") as (app, t):
        await t.run("lab clock advance-to 00:12:00")
        assert "Tunnel State .............................. Down" in await t.run("show ipsec policy=vpn")
        assert failed(await grade(t)) == ["policy vpn retries continuously", "the VPN to hq is up",
                                          "the VPN is up by 00:10:12"]


MULTIVENDOR = (SOLUTIONS / "multivendor.conf").read_text()


async def test_multivendor_junos_and_staros_peer_each_other(autojump_clock):
    async with shipped(autojump_clock, "multivendor") as (app, t):
        assert failed(await grade(t)) == ["r1's IKE SA to asr5k is matured", "r1's tunnel to asr5k is up",
                                          "asr5k sees the tunnel from its side"]
        await t.run("configure")
        await load_terminal(t, MULTIVENDOR)
        assert await t.run("commit") == "commit complete\n"
        await t.run("exit")
        report = await grade(t)
        assert failed(report) == [] and report["points"] == 6
        ends = {(x["device"], x["peer"]): x["state"] for x in report["timeline"]}
        assert ends[("r1", "192.0.2.2")] == "up" and ends[("asr5k", "192.0.2.1")] == "up"
        await t.run("lab attach asr5k")
        await t.run("context ipsec")
        assert "192.0.2.1        ESTABLISHED" in await t.run("show crypto isakmp security-associations summary")


async def test_multivendor_with_proposals_asr5k_does_not_accept(autojump_clock):
    wrong = MULTIVENDOR.replace("aes-128-cbc", "3des-cbc")
    async with shipped(autojump_clock, "multivendor") as (app, t):
        await t.run("configure")
        await load_terminal(t, wrong)
        assert await t.run("commit") == "commit complete\n"
        await t.run("exit")
        await t.run("lab clock advance 1m")
        assert failed(await grade(t)) == ["r1's IKE SA to asr5k is matured", "r1's tunnel to asr5k is up",
                                          "asr5k sees the tunnel from its side"]


async def test_junose_lower_peers_wait_three_minutes_before_the_grade_is_full(autojump_clock):
    async with shipped(autojump_clock, "junose-ism") as (app, t):
        await t.run("enable")
        await t.run("lab clock advance-to 00:06:00")  # five tunnels still wait for their peers
        report = await grade(t)
        assert failed(report) == ["every tunnel interface is up again"] and report["points"] == 1
        assert "lab hint 1" in await t.run("lab tasks")
        await t.run("lab clock advance-to 00:08:01")
        report = await grade(t)
        assert failed(report) == [] and report["points"] == 3
        # the timeline holds the five lower peers' tunnels going down at 00:05:00 and up at 00:08:00
        lower = {x["peer"]: [] for x in report["timeline"]}
        for x in report["timeline"]:
            lower[x["peer"]].append((x["at"], x["state"]))
        waited = [p for p, states in lower.items() if any(s == "down" and at >= 300 for at, s in states)]
        assert len(waited) == 5
        assert all(180 <= states[-1][0] - 300 < 182 and states[-1][1] == "up" for p, states in lower.items() if p in waited)
