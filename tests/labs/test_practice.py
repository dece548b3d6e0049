"""Practice mode: the draw is deterministic per seed, the exam is solvable with the redrawn
values, the time limit is every objective's deadline, and scores are kept atomically."""

from __future__ import annotations

import json

from routershell.lab_cli import replay
from routershell.labs.practice import draw_exam, history_path, load_history
from routershell.main import main

from .shipped import SOLUTIONS

SOLUTION = (SOLUTIONS / "junos-service-set.set").read_text()


def test_draw_is_deterministic_and_seeds_differ():
    a, b = draw_exam(3, "junos-service-set"), draw_exam(3, "junos-service-set")
    assert a.mapping == b.mapping and a.spec == b.spec
    draws = {draw_exam(s, "junos-service-set").mapping for s in range(1, 6)}
    assert len(draws) > 1
    old = dict(a.mapping)
    assert set(old) == {"198.51.100.1", "vpn-hq", "lab-secret"}
    assert a.spec.peers[0].address == old["198.51.100.1"] and a.spec.peers[0].psk == old["lab-secret"]
    assert old["198.51.100.1"].startswith("198.51.100.")
    assert all(o.deadline == 1200.0 for o in a.spec.objectives)  # minutes = 20


def test_a_redrawn_exam_is_solved_with_the_redrawn_values_only():
    exam = draw_exam(3, "junos-service-set")
    good = replay(exam.spec, exam.substitute(SOLUTION), seed=3, until=exam.minutes * 60.0)
    assert good.percent == 100.0 and all(o.judged_at == 1200.0 for o in good.objectives)
    stale = replay(exam.spec, SOLUTION, seed=3, until=exam.minutes * 60.0)  # the shipped lab's values
    assert stale.percent < 100.0
    assert not next(o for o in stale.objectives if o.name == "tunnel to hq is up").passed


def test_practice_command_grades_answers_and_keeps_history(tmp_path, capsys):
    exam = draw_exam(3, "junos-service-set")
    answers = tmp_path / "answers.txt"
    answers.write_text(exam.substitute(SOLUTION))
    assert main(["practice", "--seed", "3", "--lab", "junos-service-set", "--answers", str(answers),
                 "--state", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Practice exam: junos-service-set (seed 3), 20 minutes of lab time.\n")
    assert "Score: 8 of 8 points (100%)." in out
    answers.write_text("show version\n")
    assert main(["practice", "--seed", "3", "--lab", "junos-service-set", "--answers", str(answers),
                 "--state", str(tmp_path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["points"] == 0
    scores = load_history(tmp_path / "practice-history.json")
    assert [(s["lab"], s["seed"], s["percent"]) for s in scores] == [
        ("junos-service-set", 3, 100.0), ("junos-service-set", 3, 0.0)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporaries left
    assert main(["practice", "--history", "--state", str(tmp_path)]) == 0
    assert capsys.readouterr().out.endswith("2 exams, best 100%.\n")


def test_history_location_follows_xdg_and_survives_damage(tmp_path):
    assert history_path(None, {"XDG_DATA_HOME": "/x"}).as_posix() == "/x/routershell/practice-history.json"
    assert history_path(None, {"HOME": "/h"}).as_posix() == "/h/.local/share/routershell/practice-history.json"
    broken = tmp_path / "practice-history.json"
    broken.write_text("{not json")
    assert load_history(broken) == []


def test_practice_refuses_a_lab_without_practice(capsys):
    assert main(["practice", "--seed", "1", "--lab", "default"]) == 2
    assert "no practice in lab 'default'" in capsys.readouterr().err


def test_interactive_practice_grades_when_the_shell_ends(tmp_path):
    import subprocess
    import sys

    exam = draw_exam(3, "junos-service-set")
    commands = "lab tasks\n" + exam.substitute(SOLUTION) + "exit\n"
    out = subprocess.run([sys.executable, "-m", "routershell", "practice", "--seed", "3", "--lab", "junos-service-set",
                          "--plain", "--state", str(tmp_path)], input=commands, capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("Practice exam: junos-service-set (seed 3), 20 minutes of lab time.\n")
    assert "Task 3: Service set" in out and "Score: 8 of 8 points (100%)." in out
    assert load_history(tmp_path / "practice-history.json")[0]["percent"] == 100.0
