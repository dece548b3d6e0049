"""`routershell lab list|start|check|grade` and `routershell practice` from the command line."""

from __future__ import annotations

import json

from routershell.main import main

from .shipped import SOLUTIONS, lab_path


def test_lab_list_names_every_shipped_lab_with_its_platforms(capsys):
    assert main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    rows = {ln.split()[0]: ln for ln in out.splitlines()[1:]}
    for name, platform in [("junos-service-set", "junos"), ("junos-failover", "junos"),
                           ("junos-commit-errors", "junos"), ("junose-ism", "junose"),
                           ("staros-crypto-group", "staros"), ("alliedware-retry", "alliedware")]:
        assert rows[name].split()[1] == platform
    assert "Junos: add a backup remote gateway and survive a primary failure" in rows["junos-failover"]
    assert rows["pki-enrollment"].split()[1] == "junos" and "junos-pki" not in rows  # shipped now


def test_lab_check_reports_ok_and_errors_by_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[devices.r1]\nplatform = "junos"\nconfig = "system { host-name r1; }"\n'
                   '[[objectives]]\ncommand = "show version"\nexpect = "("\n')
    assert main(["lab", "check", str(lab_path("junos-failover")), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("junos-failover.toml: ok: 1 device, 2 tasks, 3 objectives (5 points), 2 events")
    assert out[1].startswith(f"{bad}:6: 'expect' is not a regular expression")
    assert main(["lab", "check", str(lab_path("junos-service-set"))]) == 0
    assert main(["lab", "check", "multivendor"]) == 0  # a shipped lab by name
    assert capsys.readouterr().out.endswith("multivendor: ok: 2 devices, 1 task, 3 objectives (6 points), 0 events\n")


def test_lab_grade_a_command_transcript_as_json(tmp_path, capsys):
    report = tmp_path / "r.json"
    assert main(["lab", "grade", "--transcript", str(SOLUTIONS / "junos-service-set.set"),
                 "--format", "json", "--output", str(report)]) == 0
    assert capsys.readouterr().out == f"Report written to {report}: 8 of 8 points (100%).\n"
    data = json.loads(report.read_text())
    assert data["lab"] == "junos-service-set" and data["percent"] == 100.0


def test_lab_grade_a_recorded_session_with_prompts(tmp_path, capsys):
    commands = "configure\nset services ipsec-vpn rule to-hq term lan-to-hq then backup-remote-gateway 203.0.113.1\n" \
               "commit\nexit\nlab clock advance-to 00:15:00\n"
    script = tmp_path / "in.txt"
    script.write_text(commands)
    import subprocess
    import sys

    rec = subprocess.run([sys.executable, "-m", "routershell", "--lab", "junos-failover", "--plain"],
                         input=commands, capture_output=True, text=True, check=True).stdout
    assert "user@r1# commit\ncommit complete\n" in rec
    recorded = tmp_path / "session.txt"
    recorded.write_text(rec)
    assert main(["lab", "grade", "--lab", "junos-failover", "--transcript", str(recorded)]) == 0
    out = capsys.readouterr().out
    assert out.endswith("3 of 3 objectives passed.\nScore: 5 of 5 points (100%).\n")
    # the same session without the backup gateway line fails the deadline objective
    recorded.write_text("\n".join(ln for ln in rec.splitlines() if "backup-remote-gateway" not in ln))
    assert main(["lab", "grade", "--lab", "junos-failover", "--transcript", str(recorded),
                 "--fail-under", "100"]) == 1
    assert "FAIL  0/3  tunnel on the backup within 60 s" in capsys.readouterr().out


def test_lab_grade_needs_to_know_the_lab(tmp_path, capsys):
    t = tmp_path / "t.txt"
    t.write_text("show version\n")
    assert main(["lab", "grade", "--transcript", str(t)]) == 2
    assert "which lab?" in capsys.readouterr().err
    assert main(["lab", "grade", "--transcript", str(tmp_path / "missing")]) == 1


def test_lab_start_runs_the_shell_on_a_shipped_lab(capsys):
    assert main(["lab", "start", "junos-failover", "--plain", "-c", "lab tasks"]) == 0
    assert "Task 1: Backup gateway" in capsys.readouterr().out
    assert main(["lab", "start", "no-such-lab"]) == 2


def test_the_old_options_still_work(capsys):
    assert main(["--lab", "junos-service-set", "--plain", "-c", "show configuration system host-name"]) == 0
    assert "host-name r1;" in capsys.readouterr().out


_ENROLL = ["request security pki ca-certificate enroll ca-profile lab-ca",
           "request security pki generate-key-pair certificate-id r1-cert",
           "request security pki local-certificate enroll certificate-id r1-cert ca-profile lab-ca"
           ' subject "CN=r1,O=example,C=US" ip-address 192.0.2.1',
           "lab clock advance 60s"]


def test_lab_grade_a_transcript_answers_questions_from_it(tmp_path, capsys):
    # `ca-certificate enroll` asks [yes,no]: the answer is the transcript's next line (command
    # list) or the text after the question (recorded session), not a command of its own
    listed = tmp_path / "listed.txt"
    listed.write_text("# lab: pki-enrollment\n" + "\n".join([_ENROLL[0], "yes", *_ENROLL[1:]]) + "\n")
    assert main(["lab", "grade", "--transcript", str(listed)]) == 0
    out = capsys.readouterr().out
    assert "PASS  1/1  r1 holds a certificate from the lab CA" in out and "syntax error" not in out
    import subprocess
    import sys

    rec = subprocess.run([sys.executable, "-m", "routershell", "--lab", "pki-enrollment", "--plain"],
                         input="\n".join([_ENROLL[0], "yes", *_ENROLL[1:]]) + "\n",
                         capture_output=True, text=True, check=True).stdout
    assert "[yes,no] (no) yes\n" in rec
    recorded = tmp_path / "session.txt"
    recorded.write_text(rec)
    assert main(["lab", "grade", "--lab", "pki-enrollment", "--transcript", str(recorded)]) == 0
    assert "PASS  1/1  r1 holds a certificate from the lab CA" in capsys.readouterr().out
