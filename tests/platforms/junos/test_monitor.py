"""`monitor start messages` shows new log lines live, batched per lab instant, until stopped;
`help apropos` searches the command and statement help."""

from __future__ import annotations

from .harness import Transcript, lab


async def test_monitor_shows_new_log_lines_until_stopped(autojump_clock):
    async with lab(autojump_clock) as app:
        t = Transcript(app)
        dev = app.devices["r1"]
        assert await t.run("monitor start messages") == ""
        assert t.session.take_pending() == []  # nothing old is replayed
        app.scheduler.call_at(30.0, lambda: (dev.syslog("kmd: ONE: first"), dev.syslog("kmd: TWO: second")))
        app.scheduler.call_at(40.0, lambda: dev.syslog("kmd: THREE: third"))
        await t.run("lab clock advance 45s")
        assert t.session.take_pending() == [
            "*** messages ***\n"
            "Jan  1 00:00:30  r1 kmd[1215]: ONE: first\n"
            "Jan  1 00:00:30  r1 kmd[1215]: TWO: second\n",
            "*** messages ***\nJan  1 00:00:40  r1 kmd[1215]: THREE: third\n"]
        assert await t.run("monitor list") == 'monitor start "messages" (Last changed Jan  1 00:00:40)\n'
        assert await t.run("monitor stop") == ""
        dev.syslog("kmd: FOUR: after stop")
        assert t.session.take_pending() == [] and await t.run("monitor list") == ""
        assert await t.run("monitor start nosuchfile") == "error: could not resolve file: nosuchfile\n"


async def test_a_closed_session_stops_watching(autojump_clock):
    async with lab(autojump_clock) as app:
        t = Transcript(app)
        dev = app.devices["r1"]
        before = len(dev.listeners)
        await t.run("monitor start messages")
        assert len(dev.listeners) == before + 1
        t.session.close()
        dev.syslog("kmd: X: nobody reads this")
        assert len(dev.listeners) == before


async def test_help_apropos_lists_commands_and_statements(autojump_clock):
    async with lab(autojump_clock) as app:
        out = await Transcript(app).run("help apropos dead-peer")
        assert ("set services ipsec-vpn rule <rule-name> term <term-name> then "
                "initiate-dead-peer-detection\n    Initiate dead peer detection\n") in out
        out = await Transcript(app).run('help apropos "IKE security"')
        assert "show services ipsec-vpn ike security-associations\n    Show IKE security associations\n" in out
        assert "  help                 Provide help information" in await Transcript(app).run("?")
