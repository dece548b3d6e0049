"""Configuration-mode editing: several sibling statements in one `set` (issue 17 #4); delete,
deactivate and `load set` share one implementation, and `load set` deletes one leaf-list entry
(issue 10)."""

from __future__ import annotations

from routershell.grammar.parser import ParseError, parse_statements, statement_candidates, tokenize
from routershell.platforms.junos.grammar import grammar

from .harness import Transcript, lab

SCHEMA = grammar().schema
RULE = "services ipsec-vpn rule m term t then"


def test_parse_statements_continues_at_the_level_of_a_complete_statement():
    toks = tokenize(f"{RULE} manual direction bidirectional protocol esp spi 4000")
    matches = parse_statements(SCHEMA, (), toks)
    assert [(m.path[-1][0], m.value) for m in matches] == [("protocol", "esp"), ("spi", "4000")]
    assert matches[0].path[:-1] == matches[1].path[:-1]
    # a flag and a bracketed leaf-list are complete too; a container takes the words below it
    ms = parse_statements(SCHEMA, (), tokenize("services ipsec-vpn ike policy p proposals [ a b ] mode main"))
    assert [(m.path[-1][0], m.value, m.values) for m in ms] == [("proposals", None, ["a", "b"]), ("mode", "main", [])]
    ms = parse_statements(SCHEMA, (), tokenize(f"{RULE} syslog no-anti-replay tunnel-mtu 1400"))
    assert [m.path[-1][0] for m in ms] == ["syslog", "no-anti-replay", "tunnel-mtu"]


def test_parse_statements_errors():
    for line, kind in ((f"{RULE} tunnel-mtu 1400 spi", "syntax"), (f"{RULE} tunnel-mtu 1400 syslog remote-gateway", "missing-argument"),
                       (f"{RULE} tunnel-mtu", "missing-argument")):
        try:
            parse_statements(SCHEMA, (), tokenize(line))
        except ParseError as e:
            assert e.kind == kind, line
        else:
            raise AssertionError(line)


def test_help_after_a_complete_statement_offers_its_siblings():
    cands, complete = statement_candidates(SCHEMA, (), tokenize(f"{RULE} tunnel-mtu 1400"), siblings=True)
    words = {c.word for c in cands}
    assert complete and {"remote-gateway", "syslog", "manual"} <= words
    assert statement_candidates(SCHEMA, (), tokenize(f"{RULE} tunnel-mtu 1400")) == ([], True)


async def test_set_with_sibling_statements_through_a_session(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        assert await t.run(f"set {RULE} remote-gateway 10.1.1.2 manual direction bidirectional protocol esp spi 4000") == ""
        assert await t.run("set system host-name r9 domain-name example.net") == ""
        out = await t.run(f"show {RULE} manual")
        assert out == "direction bidirectional {\n    protocol esp;\n    spi 4000;\n}\n"
        assert await t.run(f"show {RULE} remote-gateway") == "remote-gateway 10.1.1.2;\n"
        assert await t.run("show system domain-name") == "domain-name example.net;\n"
        out = await t.run("set system host-name r9 bogus")
        assert out.endswith("syntax error.\n")


async def test_load_set_deletes_one_leaf_list_entry_and_deactivates_like_the_commands(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set services ipsec-vpn ike policy ike-hq proposals [ p2 p3 ]")
        lines = ["delete services ipsec-vpn ike policy ike-hq proposals p2",
                 "deactivate services ipsec-vpn ike policy ike-hq mode",
                 "set services ipsec-vpn ike policy ike-hq description d1 mode aggressive"]
        out = await t.run("load set terminal", answers=lines + ["\x04"])
        assert out.endswith("load complete\n")
        shown = await t.run("show services ipsec-vpn ike policy ike-hq")
        assert "proposals [ ike-3des-sha1 p3 ];\n" in shown
        assert "inactive: mode aggressive;\n" in shown and "description d1;\n" in shown


async def test_compare_after_annotate_shows_only_the_comment(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run('annotate interfaces "spare port"')
        assert await t.run("show | compare") == "[edit]\n+    /* spare port */\n     interfaces { ... }\n"
        await t.run("commit")
        await t.run('annotate interfaces "other"')
        await t.run('annotate system host-name "the name"')
        assert await t.run("show | compare") == (
            "[edit system]\n+    /* the name */\n     host-name r1;\n"
            "[edit]\n-    /* spare port */\n+    /* other */\n     interfaces { ... }\n")
        await t.run("set system host-name r7")
        assert "[edit system]\n+    /* the name */\n-    host-name r1;\n+    host-name r7;\n" in await t.run("show | compare")


async def test_commit_and_commit_confirmed_check_once(mock_clock, monkeypatch):
    from routershell.platforms.junos import cfg_commands

    calls = []
    real = cfg_commands.check_config
    monkeypatch.setattr(cfg_commands, "check_config", lambda *a: calls.append(a) or real(*a))
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set system host-name r5")
        assert await t.run("commit confirmed 5") == (
            "configuration check succeeds\ncommit confirmed will be automatically rolled back in 5 minutes unless confirmed\n"
            "commit complete\n")
        assert len(calls) == 1
        await t.run("set system host-name r6")
        assert await t.run("commit") == "commit complete\n"
        assert len(calls) == 2


def test_loaded_values_are_checked_by_the_parser_value_check(monkeypatch):
    from routershell.grammar import parser
    from routershell.platforms.junos import config_text

    seen = []
    real = parser._check_value
    monkeypatch.setattr(parser, "_check_value", lambda node, tok, abbreviate=True: seen.append((tok.text, abbreviate)) or real(node, tok, abbreviate))
    result = config_text.parse_load("services { ipsec-vpn { ike { policy p { mode mai; } } } }", SCHEMA)
    assert ("p", False) in seen and ("mai", False) in seen
    # typed commands abbreviate enum values, loaded text does not
    assert [e.kind for e in result.errors] == ["value"]
    assert parse_statements(SCHEMA, (), tokenize("services ipsec-vpn ike policy p mode mai"))[0].value == "main"


async def test_exit_returns_to_the_level_before_the_last_edit(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("edit interfaces ge-0/0/1 unit 0")
        await t.run("exit")
        assert t.session.edit == ()  # not [edit interfaces ge-0/0/1] as `up` would
        await t.run("edit interfaces")
        await t.run("edit ge-0/0/1")
        await t.run("edit unit 0")
        await t.run("up 2")
        assert t.session.prompt().startswith("\n[edit interfaces]\n")
        await t.run("exit")
        assert t.session.prompt().startswith("\n[edit interfaces ge-0/0/1]\n")
        await t.run("exit")
        assert t.session.prompt().startswith("\n[edit interfaces]\n")
        await t.run("exit")
        assert t.session.prompt().startswith("\n[edit]\n")
        assert (await t.run("exit")).startswith("Exiting configuration mode\n")
        assert t.session.mode == "operational"
