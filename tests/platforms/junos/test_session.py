"""Junos session behaviour on the lab clock: commit models, locks, questions, help, secrets."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routershell.app import App
from routershell.platforms.junos.secrets import decrypt9

from .harness import Transcript, lab


async def test_commit_confirmed_rolls_back_with_broadcast(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        seen: list[str] = []
        t.session.set_notifier(seen.append)
        await t.run("configure")
        await t.run("set system host-name temp")
        out = await t.run("commit confirmed 2")
        assert out == (
            "configuration check succeeds\n"
            "commit confirmed will be automatically rolled back in 2 minutes unless confirmed\n"
            "commit complete\n"
        )
        assert "# commit confirmed will be rolled back in 2 minutes\n" in t.session.prompt()
        assert t.session.hostname == "temp"
        await app.clock.advance(119)
        assert seen == [] and t.session.hostname == "temp"
        await app.clock.advance(2)
        assert seen == [
            "\nBroadcast Message from root@r1\n        (no tty) at 00:02:00 UTC...\n\n"
            "Commit was not confirmed; automatic rollback complete.\n"
        ]
        assert t.session.hostname == "r1"
        history = await t.run("run show system commit")
        assert history.splitlines()[0].startswith("0   2026-01-01 00:02:00 UTC by root via other")
        assert "commit confirmed" not in t.session.prompt()


async def test_plain_commit_confirms(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        seen: list[str] = []
        t.session.set_notifier(seen.append)
        await t.run("configure")
        await t.run("set system host-name keep")
        await t.run("commit confirmed 1")
        await app.clock.advance(30)
        assert await t.run("commit") == "commit complete\n"
        await app.clock.advance(600)
        assert seen == [] and t.session.hostname == "keep"


async def test_exclusive_lock_blocks_other_sessions(mock_clock):
    async with lab(mock_clock) as app:
        a, b = Transcript(app), Transcript(app)
        assert (await a.run("configure exclusive")).startswith("warning: uncommitted changes will be discarded on exit\nEntering configuration mode\n")
        await b.run("configure")
        out = await b.run("set system host-name nope")
        assert out.startswith("error: configuration database locked by:\n  user terminal p1 (pid 1001) on since 2026-01-01 00:00:00 UTC\n      exclusive [edit]\n")
        out = await b.run("run show configuration system host-name")
        assert "host-name r1;" in out
        await a.run("set system host-name mine")
        await a.run("exit", answers=["yes"])  # exclusive: uncommitted changes are discarded
        assert await b.run("set system host-name now") == ""


async def test_private_refused_while_shared_candidate_modified(mock_clock):
    async with lab(mock_clock) as app:
        a, b = Transcript(app), Transcript(app)
        await a.run("configure")
        await a.run("set system host-name shared")
        out = await b.run("configure private")
        assert out.startswith("error: shared configuration database modified\nUsers currently editing the configuration:\n")
        assert b.session.mode == "operational"


async def test_exit_question_and_shared_candidate_survives(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set system host-name pending")
        out = await t.run("exit configuration-mode", answers=["no"])
        assert "The configuration has been changed but not committed\nExit with uncommitted changes? [yes,no] (yes) no\n" in out
        assert t.session.mode == "configuration"
        out = await t.run("exit", answers=["yes"])
        assert out.endswith("Exiting configuration mode\n\n") and t.session.mode == "operational"
        # as on Junos (and as netmiko's send_config_set + commit relies on): the change is kept
        await t.run("configure")
        assert "+    host-name pending;" in await t.run("show | compare")
        await t.run("commit and-quit")
        assert t.session.prompt() == "user@pending> "


async def test_help_lists_completions_as_junos(mock_clock):
    async with lab(mock_clock) as app:
        s = Transcript(app).session
        text = s.help("show ")
        assert text.startswith("user@r1> show ?\nPossible completions:\n")
        assert "  version              Show software process revision levels\n" in text
        text = s.help("show version ")
        assert "  <[Enter]>            Execute this command\n" in text and "  |                    Pipe through a command\n" in text
        assert s.help("show ver").count("\n") == 3  # echo, header, one completion
        assert "No valid completions" in s.help("show xyz")
        await Transcript(app).run("configure")  # another session; this one is still operational
        s2 = Transcript(app).session
        await s2.execute("configure", __import__("routershell.cli.io", fromlist=["BufferIO"]).BufferIO())
        text = s2.help("set system ")
        assert "> login                Configure user access to this router\n" in text
        assert "  host-name            Hostname for this router\n" in text
        assert "  <host-name>          Hostname for this router\n" in s2.help("set system host-name ")


async def test_tab_completion(mock_clock):
    async with lab(mock_clock) as app:
        s = Transcript(app).session
        assert [c[0] for c in s.complete("sh")] == ["show"]
        assert [c[0] for c in s.complete("show ver")] == ["version"]
        assert [c[0] for c in s.complete("s")] == ["set", "show"]
        assert s.complete("show xyz") == []


async def test_secret_is_stored_as_junos_type9(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run('set system radius-server 192.0.2.10 secret "s3cret key"')
        out = await t.run("show system radius-server")
        line = next(ln for ln in out.splitlines() if "secret" in ln)
        assert line.endswith('; ## SECRET-DATA') and "s3cret" not in out
        assert decrypt9(line.split('"')[1]) == "s3cret key"
        # a pasted $9$ value is kept as it is
        await t.run('set system radius-server 192.0.2.11 secret "$9$LbHX-wg4Z"')
        assert '"$9$LbHX-wg4Z"; ## SECRET-DATA' in await t.run("show system radius-server 192.0.2.11")


async def test_load_terminal_save_and_file_confinement(mock_clock):
    """A served session (SSH, telnet, lab events) keeps its files inside the device home."""
    async with lab(mock_clock) as app:
        t = Transcript(app)
        t.session.close()
        t.session = app.new_session(client="ssh")
        await t.run("configure")
        out = await t.run("load merge terminal", answers=["system {", "    domain-name example.net;", "}", "\x04"])
        assert out.endswith("load complete\n")
        assert "+    domain-name example.net;" in await t.run("show | compare")
        out = await t.run("load set terminal", answers=["set system time-zone UTC", "delete system domain-name", "\x04"])
        assert out.endswith("load complete\n")
        cmp = await t.run("show | compare")
        assert "time-zone UTC" in cmp and "domain-name" not in cmp
        assert (await t.run("save lab.conf")).startswith("Wrote ")
        assert (app.devices["r1"].home / "lab.conf").read_text().startswith("version 9.3R4.4;\nsystem {")
        assert (await t.run("save ../../escape.conf")).startswith("error: invalid filename")
        assert (await t.run("save /tmp/escape.conf")).startswith("error: invalid filename")
        await t.run("rollback 0")
        assert await t.run("load override lab.conf") == "load complete\n"
        assert "time-zone UTC" in await t.run("show | compare")
        out = await t.run("load merge terminal", answers=["system {", "    host-name;", "}", "\x04"])
        assert "syntax error" in out or "missing" in out


async def test_a_person_at_their_terminal_names_their_own_files(mock_clock, tmp_path, monkeypatch):
    """Issue 17 #3: absolute paths as they are, relative ones from the starting directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set system domain-name example.net")
        assert (await t.run(f"save {tmp_path}/abs.conf")).startswith("Wrote ")
        assert (await t.run("save sub/rel.conf")).startswith("Wrote ")
        assert "domain-name example.net;" in (tmp_path / "abs.conf").read_text()
        assert "domain-name example.net;" in (tmp_path / "sub" / "rel.conf").read_text()
        assert not (app.devices["r1"].home / "sub").exists()
        await t.run("rollback 0")
        assert await t.run(f"load merge {tmp_path}/abs.conf") == "load complete\n"
        assert "domain-name example.net" in await t.run("show | compare")


async def test_state_dir_keeps_commits_across_restarts(tmp_path, mock_clock):
    async with lab(mock_clock, state_dir=tmp_path) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set system host-name persisted")
        await t.run("commit")
    async with lab(mock_clock, state_dir=tmp_path) as app2:
        t2 = Transcript(app2)
        assert t2.session.prompt() == "user@persisted> "
        assert "1   " in await t2.run("show system commit")


def test_fresh_start_without_state_dir():
    assert App("virtual").devices["r1"].store.active.get((("system", None), ("host-name", None))).value == "r1"


LINES = st.lists(
    st.sampled_from(
        ["show", "set", "configure", "commit", "delete", "edit", "exit", "up", "top", "run", "|", "match", "?",
         "interfaces", "ge-0/0/0", "unit", "0", "system", "host-name", '"', "x", "999999999999", "[", "]",
         "display", "json", "rollback", "load", "terminal", "private", "exclusive", "annotate", "rename", "to"]
    )
    | st.text(max_size=6),
    max_size=8,
).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINES, min_size=1, max_size=6))
async def test_random_input_never_escapes(lines, mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        for line in lines:
            out = await t.run(line, answers=["yes", "\x04"])
            assert "internal error" not in out and "Traceback" not in out


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])


async def test_delete_forms(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set routing-options static route 10.9.0.0/16 next-hop [ 192.0.2.253 192.0.2.254 ]")
        await t.run("delete routing-options static route 10.9.0.0/16 next-hop 192.0.2.253")
        assert "route 10.9.0.0/16 next-hop 192.0.2.254;" in await t.run("show routing-options static")
        assert await t.run("delete routing-options static route 10.9.0.0/16 next-hop 192.0.2.1") == "warning: statement not found\n"
        await t.run("edit interfaces ge-0/0/1")
        out = await t.run("delete", answers=["no"])
        assert out == "Delete everything under this level? [yes,no] (no) no\n"
        assert "description" in await t.run("show")
        await t.run("delete", answers=["yes"])
        assert await t.run("show") == ""
        await t.run("top")
        shown = await t.run("show interfaces")
        assert "ge-0/0/0 {" in shown and "172.16.1.1" not in shown
        await t.run("delete interfaces ge-0/0/0 unit")
        assert "unit" not in await t.run("show interfaces ge-0/0/0")
        assert "+> ge-0/0/0" not in t.session.help("set interfaces ")
        assert "> ge-0/0/0" in t.session.help("set interfaces ")


async def test_ping_is_answered_by_the_lab_network(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        start = app.clock.now()
        out = await t.run("ping 198.51.100.1 count 2")
        # default network latency 2 ms + the primary peer's 10 ms, each way
        assert "64 bytes from 198.51.100.1: icmp_seq=1 ttl=64 time=24.000 ms" in out
        assert "2 packets transmitted, 2 packets received, 0% packet loss" in out
        assert app.clock.now() - start >= 1.0  # one second between requests, on the lab clock
        await t.run("lab peer 198.51.100.1 down")
        out = await t.run("ping 198.51.100.1 count 1")
        assert "Request timeout for icmp_seq 0" in out and "100% packet loss" in out
        out = await t.run("ping 203.0.113.9 count 1")  # routed, but nothing owns it
        assert "Request timeout for icmp_seq 0" in out
        assert "time=0.030 ms" in await t.run("ping 192.0.2.1 count 1")
        await t.run("configure")
        await t.run("delete routing-options static")
        await t.run("commit and-quit")
        assert "ping: sendto: No route to host" in await t.run("ping 8.8.8.8 count 1")


async def test_confirmed_rollback_reapplies_the_restored_configuration(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        dev = app.devices["r1"]
        await t.run("configure")
        await t.run("set snmp trap-group ops targets 10.9.9.9")
        await t.run("commit confirmed 1")
        assert any(tg.host == "10.9.9.9" for tg in dev.trap_targets)
        await app.clock.advance(61)
        assert not any(tg.host == "10.9.9.9" for tg in dev.trap_targets)


async def test_insert_before_itself_keeps_the_term(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set policy-options policy-statement p term a then accept")
        out = await t.run("insert policy-options policy-statement p term a before term a")
        assert "internal error" not in out
        assert "term a {" in await t.run("show policy-options")


async def test_reference_to_a_keyless_list_resolves(mock_clock):
    from routershell.config.tree import ConfigNode
    from routershell.platforms.junos.check import _ref_exists
    from routershell.platforms.junos.grammar import grammar

    tree = ConfigNode()
    tree.ensure((("routing-instances", None), ("<instance-name>", "vr1")))
    schema = grammar().schema
    assert _ref_exists(tree, schema, ("routing-instances",), "vr1")
    assert not _ref_exists(tree, schema, ("routing-instances",), "vr2")


async def test_only_commands_that_negotiate_wait_for_the_world(mock_clock):
    """Issue 17 #2 side effect: `clear log messages` is not an exchange; commit, clear ike/ipsec
    and the request commands are (also through `run` in configuration mode)."""
    async with lab(mock_clock) as app:
        s = app.new_session()
        assert not s.starts_exchanges("clear log messages")
        assert not s.starts_exchanges("show services ipsec-vpn ike security-associations")
        assert s.starts_exchanges("clear services ipsec-vpn ike security-associations")
        assert s.starts_exchanges("request services ipsec-vpn ipsec switch tunnel local-gateway 192.0.2.1 remote-gateway 198.51.100.1")
        s.mode = "configuration"
        assert s.starts_exchanges("commit") and s.starts_exchanges("commit and-quit")
        assert s.starts_exchanges("run clear services ipsec-vpn ipsec security-associations")
        assert not s.starts_exchanges("run clear log messages") and not s.starts_exchanges("set system host-name x")


async def test_tab_after_a_pipe_offers_pipe_names_not_the_command_words(mock_clock):
    """Review: `show cli |` + space completed to `show cli history`."""
    async with lab(mock_clock) as app:
        s = app.new_session()
        assert [w for w, _, _ in s.complete("show cli | ")][:3] == ["count", "display", "except"]
        assert [w for w, _, _ in s.complete("show cli | ma")] == ["match"]
        assert s.complete("show cli | match scr") == []
        assert [w for w, _, _ in s.complete("show cli h")] == ["history"]
