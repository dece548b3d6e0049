"""The commands automation calls first: show system users, request system logout, show route
summary, show chassis hardware/routing-engine, file list — output from the device's state."""

from __future__ import annotations

import re

from .harness import Transcript, lab


async def test_show_system_users_lists_sessions_and_logout_closes_them(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        other = app.new_session("alice", "ssh")
        other.origin = "192.0.2.77"
        logged_out = []
        other.on_logout = lambda: logged_out.append(True)
        out = await t.run("show system users")
        assert re.search(r"up 0 mins, 2 users, load averages", out)
        assert re.search(r"^user +d0 +- +12:00AM +- -cli \(cli\)$", out, re.M), out
        assert re.search(rf"^alice +p{other.sid} +192\.0\.2\.77 ", out, re.M), out
        assert "<user>alice</user>" in await t.run("show system users | display xml")
        out = await t.run("request system logout user nobody")
        assert out == "error: no login sessions found for user nobody\n"
        assert await t.run("request system logout user alice") == ""
        assert other.closed and logged_out == [True]
        assert "alice" not in await t.run("show system users")


async def test_route_summary_counts_the_route_table(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        out = await t.run("show route summary")
        routes = await t.run("show route")
        total = int(re.search(r"inet\.0: \d+ destinations, (\d+) routes", routes).group(1))
        counts = [int(n) for n in re.findall(r"^ +\w+: +(\d+) routes", out, re.M)]
        assert out.startswith("Router ID: 10.255.0.1\n") and sum(counts) == total
        assert re.findall(r"^ +(\w+):", out, re.M) == ["Direct", "Local", "Static"]


async def test_chassis_hardware_is_stable_and_follows_the_modules(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        first = await t.run("show chassis hardware")
        assert first == await t.run("show chassis hardware")  # serials do not change
        assert re.search(r"^  PIC 2 .* Adaptive Services PIC$", first, re.M)  # sp-1/2/0
        serial = re.search(r"^Chassis +(\d+) ", first, re.M).group(1)
        re_status = await t.run("show chassis routing-engine")
        assert f"Serial ID                      {serial}RE0" in re_status
        assert "<mastership-state>master</mastership-state>" in await t.run(
            "show chassis routing-engine | display xml")


async def test_file_list_shows_the_home_directory(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        t.session.client = "ssh"  # a served session: names stay in the device's home
        await t.run("show version | save ver.txt")
        out = await t.run("file list")
        assert out.startswith("/var/home/user/:\n") and "ver.txt\n" in out
        assert 'root-path="/var/home/user/"' in await t.run("file list ~ | display xml")
        assert "No such file or directory" in await t.run("file list nothere")
