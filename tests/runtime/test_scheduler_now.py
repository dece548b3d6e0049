"""Scheduler.now() reads a standing MockClock's time from its fields (no perf_counter, no call
chain): the value must be exactly what the clock's own current_time() gives, in every mode, and a
clock whose current_time() is its own is always asked."""

from __future__ import annotations

import math

import trio
import trio.testing

from routershell.runtime.clock import LabClock
from routershell.runtime.scheduler import Scheduler


def _exact(sched: Scheduler, lab: LabClock) -> None:
    """The same float as the clock's (standing clock), or bracketed by two reads (flowing)."""
    a = sched.now()
    b = lab.trio_clock.current_time() - lab.origin
    c = sched.now()
    if lab.trio_clock.rate == 0:
        assert a == b == c and math.copysign(1, a) == math.copysign(1, b), (a, b)
    else:
        assert a <= b <= c and a < c, (a, b, c)


async def test_now_is_the_clock_exactly_in_every_mode(mock_clock: trio.testing.MockClock) -> None:
    mock_clock.jump(1234.56789)
    lab = LabClock("virtual", trio_clock=mock_clock, origin=0.1)
    sched = Scheduler(lab)
    assert sched._mock is mock_clock  # the direct read is taken
    seen = []
    for step in (0.0, 1e-9, 0.0, 0.3, 86400.7, 1 / 3):
        mock_clock.jump(step)
        _exact(sched, lab)
        seen.append(sched.now())
    assert seen == sorted(seen) and len(set(seen)) == 5  # a jump of 1e-9 is seen too
    for mode in ("frozen", "x60000", "real", "virtual"):
        lab.set_mode(mode)
        _exact(sched, lab)
        await trio.sleep(0)
        _exact(sched, lab)
    lab.set_mode("x1000")
    before = sched.now()
    await trio.sleep(5)  # scaled: time flows, read through the clock
    assert sched.now() > before
    _exact(sched, lab)


async def test_fired_callbacks_read_the_clock(mock_clock: trio.testing.MockClock) -> None:
    """Inside a batch of callbacks, now() is the clock's time, before and after a callback
    switches the mode (the read never caches a value)."""
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    reads: list[tuple[float, float]] = []

    def read() -> None:
        reads.append((sched.now(), lab.now()))

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(7.25, read)
        sched.call_at(7.25, lambda: lab.set_mode("x1000"))
        sched.call_at(7.25, read)
        await lab.advance(8)
        n.cancel_scope.cancel()
    assert len(reads) == 2 and reads[0] == (7.25, 7.25)
    assert reads[1][0] <= reads[1][1] and reads[1][0] >= 7.25


async def test_another_clock_is_asked(mock_clock: trio.testing.MockClock) -> None:
    class Clock:  # a LabClock's trio clock need only have these
        rate, autojump_threshold = 0.0, math.inf
        _rate = _virtual_base = 0.0  # look-alike fields must not be read

        def current_time(self) -> float:
            return 100.0

    lab = LabClock("virtual", trio_clock=Clock(), origin=0.0)  # type: ignore[arg-type]
    sched = Scheduler(lab)
    assert sched._mock is None
    assert sched.now() == lab.now() == 100.0
