"""Configuration-mode `?` and Tab as Junos offers them (issue 17, the interactive shell): the
names a reference may take, numbered rollback entries with their dates, value ranges, and the
sibling statements a `set` may go on with."""

from __future__ import annotations

from .harness import Transcript, lab

THEN = "set services ipsec-vpn rule to-hq term lan-to-hq then"


def _body(help_text: str) -> list[str]:
    return help_text.splitlines()[1:]  # without the echoed line


async def test_reference_values_are_offered_and_completed(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set services ipsec-vpn ike policy ike-dr pre-shared-key ascii-text k2")
        s = t.session
        assert _body(s.help(f"{THEN} dynamic ike-policy ")) == [
            "Possible completions:", "  <policy-name>        Name of the IKE policy", "  ike-dr", "  ike-hq"]
        assert [w for w, _, _ in s.platform_complete(f"{THEN} dynamic ike-policy ike-h")] == ["ike-hq"]
        await t.run("deactivate services ipsec-vpn ike policy ike-dr")
        assert "  ike-dr" not in _body(s.help(f"{THEN} dynamic ike-policy "))


async def test_rollback_lists_numbered_entries_with_dates(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("lab clock advance 90s")
        await t.run("set system host-name r2")
        await t.run("commit")
        body = _body(t.session.help("rollback "))
        assert body == ["Possible completions:", "  <[Enter]>            Execute this command",
                        "  0                    2026-01-01 00:01:30 UTC by user via cli",
                        "  1                    2026-01-01 00:00:00 UTC by root via other",
                        "  |                    Pipe through a command"]


async def test_ranges_and_siblings_in_help(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        s = t.session
        assert "  <bytes>              Maximum transmit packet size (256..9192)" in _body(s.help(f"{THEN} tunnel-mtu "))
        body = _body(s.help(f"{THEN} tunnel-mtu 1400 "))
        assert body[1] == "  <[Enter]>            Execute this command"
        assert "  syslog               Generate system log messages for this term" in body
        # delete takes one statement: nothing follows a complete one
        assert "syslog" not in s.help("delete services ipsec-vpn rule to-hq term lan-to-hq then tunnel-mtu 1400 ")
