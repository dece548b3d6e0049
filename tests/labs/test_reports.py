"""Reports: the JSON schema is stable, grading is deterministic for a seed, the HTML page holds
the timeline of tunnel states per peer with the transitions the lab went through."""

from __future__ import annotations

import json
import re

from routershell.lab_cli import replay
from routershell.labs.labfile import load_lab
from routershell.labs.report import SCHEMA, ObjectiveResult, Report
from routershell.labs.report_html import render_html
from routershell.labs.timeline import Transition

from .shipped import lab_path

FAILOVER = """configure
set services ipsec-vpn rule to-hq term lan-to-hq then backup-remote-gateway 203.0.113.1
commit
exit
lab clock advance-to 00:15:00
"""

TOP_KEYS = ["schema", "lab", "title", "seed", "lab_time", "points", "max_points", "percent", "passed",
            "objectives_total", "objectives", "events", "timeline"]
OBJECTIVE_KEYS = ["name", "device", "check", "points", "max_points", "passed", "deadline", "met_at",
                  "judged_at", "hints_used", "task", "detail"]


def test_json_schema_keys_are_stable():
    report = Report("l", "t", 7, 12.5, [ObjectiveResult("o", "r1", "show x", 2, True, 60.0, 3.0, 60.0, 1, 1, "seen")],
                    [(5.0, "peer 1.2.3.4 down", "Peer 1.2.3.4 is down.")], [Transition(0.0, "r1", "1.2.3.4", "up")])
    d = json.loads(report.to_json())
    assert d["schema"] == SCHEMA == "routershell-lab-report/1"
    assert list(d) == TOP_KEYS
    assert list(d["objectives"][0]) == OBJECTIVE_KEYS
    assert d["objectives"][0]["points"] == 2 and d["percent"] == 100.0
    assert d["events"] == [{"at": 5.0, "do": "peer 1.2.3.4 down", "result": "Peer 1.2.3.4 is down."}]
    assert d["timeline"] == [{"at": 0.0, "device": "r1", "peer": "1.2.3.4", "state": "up"}]


def test_grading_is_deterministic_for_a_seed():
    spec = load_lab(lab_path("junos-failover"))
    a = replay(spec, FAILOVER, seed=11).to_json()
    b = replay(spec, FAILOVER, seed=11).to_json()
    assert a == b
    assert json.loads(a)["points"] == 5


def test_html_report_draws_the_failover_timeline():
    report = replay(load_lab(lab_path("junos-failover")), FAILOVER, seed=3)
    html = render_html(report)
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    bars = re.findall(r'<rect class="state [\w-]+" data-peer="([\d.]+)" data-device="r1" data-state="([\w-]+)" '
                      r'data-from="([\d.]+)" data-to="([\d.]+)"', html)
    backup = [(state, float(a), float(b)) for peer, state, a, b in bars if peer == "203.0.113.1"]
    primary = [(state, float(a), float(b)) for peer, state, a, b in bars if peer == "198.51.100.1"]
    # the primary was up until r1 declared it dead after the 00:05:00 failure; the backup then
    # negotiated and carries the tunnel to the end (900 s)
    assert primary[-1][0] == "down" and 300 < primary[-1][1] < 360
    assert [s for s, _, _ in backup][-2:] == ["negotiating", "up"]
    assert backup[-1][1] == primary[-1][1] or backup[-2][1] == primary[-1][1]
    assert backup[-1][2] == 900.0
    # every bar starts where the previous one of its row ended
    for row in (primary, backup):
        assert all(row[i][2] == row[i + 1][1] for i in range(len(row) - 1))
    # the two fired events are drawn as dashed lines at 300 s and 720 s of 900 s
    assert len(re.findall(r'<line class="event"', html)) == 2
    assert "00:05:00 lab peer 198.51.100.1 down" in html and "00:12:00 lab peer 198.51.100.1 up" in html
    assert "Score: 5 of 5 points (100%)" in html


def test_html_report_without_tunnels_says_so():
    html = render_html(Report("l", "", 0, 0.0, []))
    assert "No tunnels were recorded during this lab." in html


def test_timeline_keeps_the_newest_transitions_only(monkeypatch):
    from types import SimpleNamespace

    from routershell.labs import timeline as tl

    monkeypatch.setattr(tl, "MAX_TRANSITIONS", 3)
    now = [0.0]
    state = ["up"]

    class Tunnels:
        def subscribe(self, cb):
            return lambda: None

        def tunnels(self):
            return [SimpleNamespace(spec=SimpleNamespace(gateways=("10.0.0.2",)), active_gateway="10.0.0.2",
                                    state=state[0])]

    line = tl.TunnelTimeline({"r1": SimpleNamespace(tunnels=Tunnels())}, lambda: now[0])
    for i in range(5):
        now[0] = float(i)
        state[0] = "up" if i % 2 == 0 else "down"
        line.sample("r1")
    assert [(t.at, t.state) for t in line.transitions] == [(2.0, "up"), (3.0, "down"), (4.0, "up")]
    assert line.dropped == 2
