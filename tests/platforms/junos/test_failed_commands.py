"""A command that fails prints its error and nothing else: no pipe runs over it (no `Count: 0
lines` after `error: …`), and the session counts the failure (scripts exit non-zero)."""

from __future__ import annotations

from .harness import Transcript, lab


async def test_no_pipe_runs_over_an_error_and_the_session_counts_it(autojump_clock):
    async with lab(autojump_clock) as app:
        t = Transcript(app)
        assert await t.run("show interfaces xe-9/9/9 | count") == "error: device xe-9/9/9 not found\n"
        assert t.session.failed and t.session.errors == 1
        assert await t.run("show interfaces ge-0/0/0 terse | count") == "Count: 3 lines\n"
        assert not t.session.failed and t.session.errors == 1
        await t.run("show bogus | count")
        assert t.session.errors == 2
        assert await t.run("lab link nowhere down | count") == "lab: no link 'nowhere' in this lab\n"
        assert t.session.errors == 3
        await t.run("configure")
        out = await t.run("load merge /nonexistent/x.conf | count")
        assert out.startswith("error: could not open") and "Count" not in out
        assert t.session.errors == 4
        await t.run("show | count")
        assert t.session.errors == 4


async def test_lab_is_listed_at_the_top_of_question_mark_in_every_mode(autojump_clock):
    async with lab(autojump_clock) as app:
        t = Transcript(app)
        out = await t.run("?")
        assert "  lab                  Control the lab (routershell)\n" in out
        lines = [ln.split()[0] for ln in out.splitlines()[1:]]
        assert lines == sorted(lines)
        assert [w for w, _, _ in t.session.complete("l")] == ["lab"]
        await t.run("configure")
        assert "> lab                  Control the lab (routershell)\n" in await t.run("?")
        out = await t.run("lab clock ?")
        assert out == ("Possible completions:\n"
                       "  advance              Move lab time forward\n"
                       "  advance-to           Move lab time forward to a time since boot\n"
                       "  mode                 Switch the clock mode\n"
                       "  show                 Show the clock mode and lab time\n")
