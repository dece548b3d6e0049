"""The course keys of a lab file ([[tasks]], points, hints, deadline, tunnel checks, events
after objectives, [practice]) validate with errors by line."""

from __future__ import annotations

import pytest

from routershell.labs.labfile import LabError, parse_lab

HEAD = '[devices.r1]\nplatform = "junos"\nconfig = "system { host-name r1; }"\n'


def _error(text: str) -> LabError:
    with pytest.raises(LabError) as e:
        parse_lab(HEAD + text, "x.toml")
    return e.value


def test_a_full_course_lab_loads():
    spec = parse_lab('title = "T"\n' + HEAD + '''[[tasks]]
title = "One"
text = "Do it."
[[objectives]]
name = "up"
task = 1
points = 4
hints = ["a", "b"]
deadline = "00:01:00"
tunnel = "10.0.0.2"
state = "negotiating"
[[events]]
after = "up"
at = "10s"
do = "peer 10.0.0.2 psk other"
[practice]
psk = "k"
minutes = 5
[practice.addresses]
"10.0.0.2" = "10.0.0.0/24"
[practice.names]
r1 = ["r1", "edge"]
''', "x.toml")
    (o,) = spec.objectives
    assert (o.points, o.hints, o.deadline, o.tunnel, o.state, o.task) == (4, ("a", "b"), 60.0, "10.0.0.2", "negotiating", 1)
    assert o.check_text() == "tunnel to 10.0.0.2 is negotiating"
    assert spec.events[0].after == "up" and spec.events[0].at == 10.0
    assert spec.title == "T" and spec.tasks[0].title == "One"


@pytest.mark.parametrize("text, line, message", [
    ('[[objectives]]\ncommand = "show version"\nexpect = "x"\npoints = -1\n', 7, "'points' must be an integer (0..1000)"),
    ('[[objectives]]\ncommand = "show version"\nexpect = "x"\ndeadline = "soon"\n', 7, "'deadline':"),
    ('[[objectives]]\ntunnel = "10.0.0.2"\ncommand = "show version"\n', 6, "either 'tunnel' (live state) or 'command'"),
    ('[[objectives]]\ntunnel = "10.0.0.2"\nstate = "happy"\n', 6, "'state' is one of: up, down"),
    ('[[objectives]]\ncommand = "show version"\nexpect = "x"\nhints = [1]\n', 7, "'hints' must be a list of strings"),
    ('[[objectives]]\ncommand = "show version"\nexpect = "x"\ntask = 1\n', 7, "this lab has none"),
    ('[[tasks]]\ntext = "a"\n[[objectives]]\ncommand = "show version"\nexpect = "x"\ntask = 2\n', 9, "'task' must be an integer (1..1)"),
    ('[[events]]\nafter = "nope"\ndo = "peer 10.0.0.2 down"\n', 5, "'after': no objective named 'nope'"),
    ('[[tasks]]\ntitle = "x"\n', 4, "task needs 'text'"),
    ('[practice]\nminutes = 0\n', 5, "'minutes' must be an integer (1..600)"),
    ('[practice.addresses]\n"10.0.0.2" = "nowhere"\n', 4, "is not an address prefix"),
])
def test_errors_by_line(text, line, message):
    e = _error(text)
    assert e.line == line, str(e)
    assert message in e.message, str(e)
    assert str(e).startswith(f"x.toml:{line}: ")
