"""lab tasks / hint / grade / reset, deadlines and objective-triggered events, on the mock clock
with the fake world (the shipped labs run the real world: test_shipped_*.py)."""

from __future__ import annotations

import json
import textwrap

from routershell.labs.labfile import parse_lab

from .conftest import running

COURSE = parse_lab(textwrap.dedent('''\
    name = "course"
    title = "Rename the router"
    [devices.r1]
    platform = "junos"
    config = "system { host-name r1; }"
    [[peers]]
    address = "10.0.0.2"
    psk = "k"
    [[tasks]]
    title = "Rename"
    text = """
    Rename r1 to core1 and commit."""
    [[tasks]]
    title = "Describe"
    text = "Set the domain name lab.example."
    [[objectives]]
    name = "renamed"
    task = 1
    points = 3
    command = "show configuration system host-name"
    expect = "host-name core1;"
    hints = ["set system host-name core1", "then commit"]
    [[objectives]]
    name = "renamed in time"
    task = 1
    points = 2
    deadline = "00:02:00"
    command = "show configuration system host-name"
    expect = "host-name core1;"
    [[objectives]]
    name = "domain"
    task = 2
    command = "show configuration system domain-name"
    expect = "domain-name lab.example;"
    hints = ["set system domain-name lab.example"]
    [[events]]
    after = "renamed"
    at = "30s"
    do = "peer 10.0.0.2 psk wrong-key"
    [[events]]
    at = "00:10:00"
    do = "peer 10.0.0.2 down"
    '''), "course.toml")


async def _rename(t, name="core1"):
    await t.run("configure")
    await t.run(f"set system host-name {name}")
    assert await t.run("commit") == "commit complete\n"
    await t.run("exit")


async def test_tasks_list_objectives_by_task_with_points_deadlines_and_hints(autojump_clock):
    async with running(autojump_clock, lab=COURSE) as (app, t):
        assert await t.run("lab tasks") == (
            "Lab course: Rename the router\n"
            "Lab time 00:00:00.\n"
            "\n"
            "Task 1: Rename\n"
            "  Rename r1 to core1 and commit.\n"
            "  1. renamed (3 points, 2 hints: lab hint 1)\n"
            "  2. renamed in time (2 points, due 00:02:00)\n"
            "\n"
            "Task 2: Describe\n"
            "  Set the domain name lab.example.\n"
            "  3. domain (1 point, 1 hint: lab hint 3)\n")


async def test_hints_come_one_at_a_time_and_are_counted_in_the_grade(autojump_clock):
    async with running(autojump_clock, lab=COURSE) as (app, t):
        assert await t.run("lab hint") == "Hint 1 of 2 for objective 1 (renamed): set system host-name core1\n"
        assert await t.run("lab hint 1") == "Hint 2 of 2 for objective 1 (renamed): then commit\n"
        assert await t.run("lab hint renamed") == "Hint 2 of 2 for objective 1 (renamed): then commit\n"
        assert await t.run("lab hint 2") == "Objective 2 has no hints.\n"
        assert await t.run("lab hint 9") == "lab: no objective '9' (lab tasks lists them by number)\n"
        await _rename(t)
        # objective 1 is met: the next open objective with hints is 3
        assert await t.run("lab hint") == "Hint 1 of 1 for objective 3 (domain): set system domain-name lab.example\n"
        report = json.loads(await t.run("lab grade json"))
        assert [o["hints_used"] for o in report["objectives"]] == [2, 0, 1]
        assert "[2 hints]" in await t.run("lab grade")


async def test_deadline_is_judged_at_its_time_and_final(autojump_clock):
    async with running(autojump_clock, lab=COURSE) as (app, t):
        await t.run("lab clock advance 3m")
        await _rename(t)
        report = json.loads(await t.run("lab grade json"))
        by = {o["name"]: o for o in report["objectives"]}
        assert by["renamed"]["passed"] and not by["renamed in time"]["passed"]
        assert by["renamed in time"]["judged_at"] == 120.0
        assert (report["points"], report["max_points"], report["percent"]) == (3, 6, 50.0)


async def test_deadline_met_in_time_stays_passed_after_a_later_change(autojump_clock):
    async with running(autojump_clock, lab=COURSE) as (app, t):
        await t.run("lab clock advance 1m")
        await _rename(t)
        await t.run("lab clock advance 2m")
        await _rename(t, "other")  # breaks it after the deadline: the judged result stands
        by = {o["name"]: o for o in json.loads(await t.run("lab grade json"))["objectives"]}
        assert not by["renamed"]["passed"] and by["renamed in time"]["passed"]
        assert by["renamed in time"]["met_at"] == 60.0


async def test_event_fires_after_its_objective_is_met(autojump_clock):
    async with running(autojump_clock, lab=COURSE) as (app, t):
        assert "peer 10.0.0.2 psk" not in await t.run("lab events")
        await t.run("lab clock advance 45s")
        await _rename(t)
        assert "  00:01:15  in 00:00:30  peer 10.0.0.2 psk wrong-key\n" in await t.run("lab events")
        await t.run("lab clock advance 1m")
        calls = [c for c in app.world.calls if c[1] == "peer_config"]
        assert [c[0] for c in calls] == [75.0] and "wrong-key" in repr(calls)
        assert "00:01:15  done  peer 10.0.0.2 psk wrong-key" in await t.run("lab events")


async def test_reset_restores_the_world_and_restarts_the_timeline(autojump_clock):
    async with running(autojump_clock, lab=COURSE) as (app, t):
        await t.run("lab hint")
        await t.run("lab clock advance 11m")  # the timed event took the peer down at 00:10:00
        assert "10.0.0.2" in app.control.peer_down
        await t.run("lab loss 5")
        out = await t.run("lab reset")
        assert out == ("Lab course reset at lab time 00:11:00: the scenario starts over "
                       "(device configurations are kept).\n")
        assert app.control.peer_down == set() and app.control.loss == {}
        assert ("peer_up", "10.0.0.2") in [c[1:] for c in app.world.calls[-3:]]
        assert "  00:21:00  in 00:10:00  peer 10.0.0.2 down\n" in await t.run("lab events")
        report = json.loads(await t.run("lab grade json"))
        assert report["lab_time"] == 0.0 and report["events"] == []
        assert all(o["hints_used"] == 0 for o in report["objectives"])
        await t.run("lab clock advance 1m")
        await _rename(t)
        await t.run("lab clock advance 2m")  # the deadline counts from the reset: 00:13:00
        by = {o["name"]: o for o in json.loads(await t.run("lab grade json"))["objectives"]}
        assert by["renamed in time"]["passed"] and by["renamed in time"]["judged_at"] == 120.0


async def test_grade_writes_json_and_html_to_the_home_directory(autojump_clock):
    async with running(autojump_clock, lab=COURSE) as (app, t):
        out = await t.run("lab grade json to grade.json")
        assert out == "Report written to grade.json: 0 of 6 points (0%).\n"
        home = app.devices["r1"].home
        assert json.loads((home / "grade.json").read_text())["schema"] == "routershell-lab-report/1"
        assert await t.run("lab grade html") == "lab: an HTML report goes to a file: lab grade html to FILE\n"
        await t.run("lab grade html to r.html")
        assert (home / "r.html").read_text().startswith("<!DOCTYPE html>")
        assert "outside the device's home directory" in await t.run("lab grade json to ../../x.json")
