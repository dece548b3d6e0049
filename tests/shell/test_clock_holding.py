"""Lab time stands still in virtual mode while a command waits for the person at the terminal
(LabClock.holding, used by both front-ends' read_line/read_key)."""

from __future__ import annotations

import math

import trio

from routershell.runtime.clock import LabClock
from routershell.shell.plain import PlainIO, ScriptLines


async def test_holding_stops_a_commands_jumping(mock_clock):
    clock = LabClock("virtual", trio_clock=mock_clock)
    seen = {}

    async def command():
        assert clock.jumping
        with clock.holding():
            seen["jumping"] = clock.jumping
            seen["threshold"] = mock_clock.autojump_threshold
            seen["rate"] = mock_clock.rate
        seen["after"] = clock.jumping
        await trio.sleep(5)  # the command's own sleep still jumps

    await clock.run_command(command)
    assert seen == {"jumping": False, "threshold": math.inf, "rate": 0.0, "after": True}
    assert clock.now() == 5


async def test_plain_questions_read_inside_a_hold(mock_clock):
    clock = LabClock("virtual", trio_clock=mock_clock)
    states = []

    class Source(ScriptLines):
        async def next_line(self):
            states.append(clock.jumping)
            return await super().next_line()

    io = PlainIO(lambda text: None, Source(["yes"]), echo=False, interactive=False,
                 hold=clock.holding)

    async def command():
        return await io.read_line("Continue? ")

    assert await clock.run_command(command) == "yes"
    assert states == [False]
