"""The shipped Junos labs: each solved by a scripted solution (full marks) and by a wrong one
(the objectives it misses fail), on the virtual clock."""

from __future__ import annotations

from .shipped import SOLUTIONS, failed, grade, load_terminal, shipped, ticket

SERVICE_SET = (SOLUTIONS / "junos-service-set.conf").read_text()


async def test_service_set_solution_gets_full_marks(autojump_clock):
    async with shipped(autojump_clock, "junos-service-set") as (app, t):
        before = await grade(t)
        assert before["points"] == 0 and before["max_points"] == 8
        await t.run("configure")
        assert (await load_terminal(t, SERVICE_SET)).endswith("load complete\n")
        assert await t.run("commit") == "commit complete\n"
        report = await grade(t)
        assert failed(report) == [] and report["percent"] == 100.0
        up = [x for x in report["timeline"] if x["peer"] == "198.51.100.1"]
        assert [x["state"] for x in up] == ["negotiating", "up"]


async def test_service_set_with_a_wrong_key_and_3des_fails_the_tunnel(autojump_clock):
    wrong = SERVICE_SET.replace("pre-shared-key ascii-text lab-secret", "pre-shared-key ascii-text wrong-secret")
    wrong = wrong.replace("encryption-algorithm aes-128-cbc;\n            }\n            policy ike-hq",
                          "encryption-algorithm 3des-cbc;\n            }\n            policy ike-hq")
    async with shipped(autojump_clock, "junos-service-set") as (app, t):
        await t.run("configure")
        await load_terminal(t, wrong)
        assert await t.run("commit") == "commit complete\n"
        report = await grade(t)
        assert failed(report) == ["IKE proposal uses AES-128", "IKE SA to hq is matured", "tunnel to hq is up"]
        assert report["points"] == 2


async def test_failover_solution_moves_to_the_backup_within_the_deadline(autojump_clock):
    async with shipped(autojump_clock, "junos-failover") as (app, t):
        await t.run("configure")
        await t.run("set services ipsec-vpn rule to-hq term lan-to-hq then backup-remote-gateway 203.0.113.1")
        assert await t.run("commit") == "commit complete\n"
        await t.run("exit")
        await t.run("lab clock advance-to 00:15:00")
        report = await grade(t)
        assert failed(report) == [] and report["points"] == 5
        o = report["objectives"][1]
        assert o["deadline"] == 360.0 and o["judged_at"] == 360.0
        assert 300 < o["met_at"] < 360  # the backup came up after the failure, before the deadline
        backup = [(x["at"], x["state"]) for x in report["timeline"] if x["peer"] == "203.0.113.1"]
        assert [s for _, s in backup][-2:] == ["negotiating", "up"] and backup[-1][0] == o["met_at"]
        assert [e["do"] for e in report["events"]] == ["peer 198.51.100.1 down", "peer 198.51.100.1 up"]


async def test_failover_without_a_backup_fails_and_a_late_fix_does_not_count(autojump_clock):
    async with shipped(autojump_clock, "junos-failover") as (app, t):
        await t.run("lab clock advance-to 00:07:00")
        await t.run("configure")
        await t.run("set services ipsec-vpn rule to-hq term lan-to-hq then backup-remote-gateway 203.0.113.1")
        await t.run("commit")
        await t.run("exit")
        await t.run("lab clock advance-to 00:15:00")
        report = await grade(t)
        # configured (late), but the deadline objective was judged at 00:06:00 and stays failed
        assert failed(report) == ["tunnel on the backup within 60 s of the primary failing"]
        assert "[due 00:06:00, judged" in await t.run("lab grade")


async def test_commit_errors_solution(autojump_clock):
    async with shipped(autojump_clock, "junos-commit-errors") as (app, t):
        await t.run("configure")
        for line in ticket():
            assert await t.run(line) == "", line
        refused = await t.run("commit")
        assert "des-cbc key is a weak key" in refused
        assert "Invalid key length for hmac-sha1-96: 64 bits, must be 160 bits (20 ASCII characters)" in refused
        assert failed(await grade(t)) == [o for o in [
            "the manual SA rule is committed", "encryption stays DES, with a key that is not weak",
            "authentication stays HMAC-SHA1-96, with a 160-bit key", "the manual SAs are installed"]]
        base = "set services ipsec-vpn rule manual-rule term t1 then manual direction bidirectional"
        await t.run(f"{base} authentication key ascii-text 12345678901234567890")
        await t.run(f"{base} encryption key hexadecimal 0123456789abcdef")
        assert await t.run("commit") == "commit complete\n"
        report = await grade(t)
        assert failed(report) == [] and report["points"] == 7


async def test_commit_errors_dodged_with_3des_loses_the_des_objective(autojump_clock):
    async with shipped(autojump_clock, "junos-commit-errors") as (app, t):
        await t.run("configure")
        for line in ticket():
            await t.run(line)
        base = "set services ipsec-vpn rule manual-rule term t1 then manual direction bidirectional"
        await t.run(f"{base} authentication key ascii-text 12345678901234567890")
        await t.run(f"{base} encryption algorithm 3des-cbc")
        await t.run(f"{base} encryption key hexadecimal 0123456789abcdef23456789abcdef01456789abcdef0123")
        assert await t.run("commit") == "commit complete\n"
        assert failed(await grade(t)) == ["encryption stays DES, with a key that is not weak"]


async def test_failover_reset_replays_the_scenario_against_the_configuration(autojump_clock):
    async with shipped(autojump_clock, "junos-failover") as (app, t):
        await t.run("lab peer 203.0.113.1 psk wrong-key")  # a fault the student added by hand
        await t.run("lab clock advance-to 00:07:00")  # the primary went silent at 00:05:00
        assert "198.51.100.1" in app.control.peer_down
        await t.run("configure")
        await t.run("set services ipsec-vpn rule to-hq term lan-to-hq then backup-remote-gateway 203.0.113.1")
        await t.run("commit")
        await t.run("exit")
        assert (await t.run("lab reset")).startswith("Lab junos-failover reset at lab time 00:07:")
        assert app.control.peer_down == set()
        assert app.world.peer("203.0.113.1").spec.psk == b"lab-secret"
        events = await t.run("lab events")
        assert "  00:12:" in events and "peer 198.51.100.1 down" in events
        await t.run("lab clock advance 15m")
        report = await grade(t)
        # the kept configuration has the backup, and the tunnel was already on it at the reset (it
        # does not move back to the primary by itself): met at once, judged 6 minutes after the reset
        assert failed(report) == [] and report["objectives"][1]["judged_at"] == 360.0
        assert report["objectives"][1]["met_at"] < 1


def _enroll(dev: str, addr: str) -> list[str]:
    return ["request security pki ca-certificate enroll ca-profile lab-ca", "yes",
            f"request security pki generate-key-pair certificate-id {dev}-cert",
            f"request security pki local-certificate enroll certificate-id {dev}-cert ca-profile lab-ca"
            f' subject "CN={dev},O=example,C=US" ip-address {addr}',
            "lab clock advance 60s"]


def test_pki_enrollment_solution_gets_full_marks_and_r1_alone_does_not(tmp_path, capsys):
    import json

    from routershell.main import main

    both = [*_enroll("r1", "192.0.2.1"), "lab attach r2", *_enroll("r2", "192.0.2.2"),
            "lab clock advance 60s"]
    for lines, expect_failed in [(both, []), (_enroll("r1", "192.0.2.1") + ["lab clock advance 120s"],
                                             ["r1-r2 tunnel authenticated with rsa-signatures"])]:
        t = tmp_path / "t.txt"
        t.write_text("# lab: pki-enrollment\n" + "\n".join(lines) + "\n")
        main(["lab", "grade", "--transcript", str(t), "--format", "json"])
        assert failed(json.loads(capsys.readouterr().out)) == expect_failed


async def test_pki_enrollment_has_tasks_and_hints(autojump_clock):
    async with shipped(autojump_clock, "pki-enrollment") as (app, t):
        tasks = await t.run("lab tasks")
        assert "Task 1: Enroll r1" in tasks and "Task 2: Certificate-based IKE" in tasks
        assert "(1 point, 2 hints: lab hint 1)" in tasks
        assert (await t.run("lab hint")).startswith("Hint 1 of 2 for objective 1")
