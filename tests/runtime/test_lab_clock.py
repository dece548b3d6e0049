"""LabClock: modes, switching while a timer is pending, virtual-time waits, parsing."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime

import pytest
import trio
import trio.testing

from routershell.runtime.clock import (
    DEFAULT_EPOCH,
    ClockError,
    LabClock,
    default_mode,
    format_hms,
    parse_duration,
    parse_mode,
)
from routershell.runtime.scheduler import Scheduler

# ----- parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("90", 90),
        ("90s", 90),
        ("10m", 600),
        ("1h30m", 5400),
        ("1d2h", 93600),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("01:00:00", 3600),
        ("26:00:00", 93600),
        ("05:30", 330),
        (" 1h 30m ", 5400),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "1:2:3:4", "00:61:00", "m10", "1h-3m", "::"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ClockError):
        parse_duration(text)


def test_parse_mode_and_default() -> None:
    assert parse_mode("real") == ("real", 1.0)
    assert parse_mode("X60") == ("x60", 60.0)
    assert parse_mode("x0.5") == ("x0.5", 0.5)
    assert parse_mode("frozen") == ("frozen", 0.0)
    assert parse_mode("virtual") == ("virtual", 0.0)
    for bad in ("x0", "x", "fast", "x-1", "xinf"):
        with pytest.raises(ClockError):
            parse_mode(bad)
    assert default_mode(interactive=True) == "real"
    assert default_mode(interactive=False) == "virtual"
    assert format_hms(3725.9) == "01:02:05"
    assert format_hms(93600) == "26:00:00"


def test_mode_sets_mockclock_outside_trio() -> None:
    lab = LabClock("x60")
    assert (lab.trio_clock.rate, lab.trio_clock.autojump_threshold) == (60.0, math.inf)
    lab.set_mode("virtual")
    assert (lab.trio_clock.rate, lab.trio_clock.autojump_threshold) == (0.0, math.inf)
    lab.set_mode("real")
    assert lab.mode == "real" and lab.trio_clock.rate == 1.0
    with pytest.raises(ClockError):
        lab.set_mode("sometimes")
    assert lab.mode == "real"


def test_epoch_and_datetime() -> None:
    lab = LabClock("frozen")
    assert lab.epoch == DEFAULT_EPOCH == datetime(2026, 1, 1, tzinfo=UTC)
    lab.trio_clock.jump(3661.5)
    assert lab.datetime() == datetime(2026, 1, 1, 1, 1, 1, 500000, tzinfo=UTC)
    other = LabClock("frozen", epoch=datetime(2024, 2, 29, 23, 59, 59))
    other.trio_clock.jump(1)
    assert other.datetime() == datetime(2024, 3, 1, tzinfo=UTC)


def test_adopted_clock_counts_from_adoption() -> None:
    from trio.testing import MockClock

    mc = MockClock()
    mc.jump(500)
    lab = LabClock("virtual", trio_clock=mc)
    assert lab.now() == 0 and lab.origin == 500
    mc.jump(2)
    assert lab.now() == 2 and lab.to_trio(2) == 502


# ----- virtual time ------------------------------------------------------------------


async def test_virtual_idle_does_not_move_time(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    fired: list[float] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(5, lambda: fired.append(lab.now()))
        # Idle at the prompt = waiting for input from outside trio (a real 50 ms wait).
        await trio.to_thread.run_sync(time.sleep, 0.05)
        await trio.testing.wait_all_tasks_blocked()
        assert lab.now() == 0 and fired == []
        await lab.advance(5)
        assert fired == [5] and lab.now() == 5
        n.cancel_scope.cancel()


async def test_run_command_advances_by_what_ran(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    fired: list[float] = []

    async def ping() -> str:
        await trio.sleep(3)
        return "3 packets"

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(10, lambda: fired.append(lab.now()))
        assert await lab.run_command(ping) == "3 packets"
        assert lab.now() == 3 and fired == []
        # No jumping afterwards: the pending timer stays pending.
        await trio.testing.wait_all_tasks_blocked()
        assert lab.now() == 3 and mock_clock.autojump_threshold == math.inf
        n.cancel_scope.cancel()


async def test_run_command_settles_on_scheduler_event(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    state = {"up": False}

    async def commit() -> str:
        sched.call_later(0.5, lambda: None)  # an unrelated retransmission on the way
        sched.call_later(7.25, lambda: state.update(up=True))
        sched.call_later(20, lambda: None)  # later traffic must not be run
        return "commit complete"

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        out = await lab.run_command(commit, settle=lambda: state["up"])
        assert out == "commit complete"
        assert lab.now() == 7.25
        assert [p.deadline for p in sched.pending()] == [20]
        n.cancel_scope.cancel()


async def test_run_command_stops_at_max_wait(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    hellos: list[float] = []

    async def request() -> None:
        sched.every(10, lambda: hellos.append(lab.now()))

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.run_command(request, settle=lambda: False)
        assert lab.now() == 30
        assert hellos == [10, 20, 30]  # the one due exactly at the bound is included
        await lab.run_command(request, settle=lambda: False, max_wait=5)
        assert lab.now() == 35
        n.cancel_scope.cancel()


async def test_settle_already_true_costs_no_time(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)

    async def noop() -> int:
        return 7

    assert await lab.run_command(noop, settle=lambda: True) == 7
    assert lab.now() == 0


async def test_boot_runs_to_settled_state(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    negotiated: list[str] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(4, lambda: negotiated.append("r2"))
        sched.call_at(12.5, lambda: negotiated.append("r3"))
        assert await lab.boot(lambda: len(negotiated) == 2)
        assert lab.now() == 12.5
        # A world that never settles boots after 60 lab seconds.
        assert not await lab.boot(lambda: False)
        assert lab.now() == 72.5
        n.cancel_scope.cancel()


async def test_wait_until_and_advance_to(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    box = {"n": 0}
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.every(1, lambda: box.update(n=box["n"] + 1), first=1)
        assert await lab.wait_until(lambda: box["n"] >= 42, timeout=3600)
        assert lab.now() == 42
        assert not await lab.wait_until(lambda: box["n"] < 0, timeout=8)
        assert lab.now() == 50 and box["n"] == 50
        await lab.advance_to(parse_duration("01:00:00"))
        assert lab.now() == 3600 and box["n"] == 3600
        with pytest.raises(ClockError):
            await lab.advance_to(10)
        with pytest.raises(ClockError):
            await lab.advance(-1)
        n.cancel_scope.cancel()


async def test_wait_until_polls_state_outside_scheduler(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock, poll=0.5)
    box = {"ok": False}

    async def other_task() -> None:
        await trio.sleep(2.2)  # changes state without notifying
        box["ok"] = True

    async with trio.open_nursery() as n:
        n.start_soon(other_task)
        assert await lab.wait_until(lambda: box["ok"], timeout=10)
        assert lab.now() == 2.5  # seen at the next poll


# ----- frozen, real, scaled ----------------------------------------------------------


async def test_frozen(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("frozen", trio_clock=mock_clock)
    sched = Scheduler(lab)
    fired: list[float] = []

    async def ping() -> None:
        await trio.sleep(2)

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(5, lambda: fired.append(lab.now()))
        await trio.testing.wait_all_tasks_blocked()
        assert lab.now() == 0 and fired == []
        # A command's own sleep does not hang; the exchanges it starts are not waited for.
        await lab.run_command(ping, settle=lambda: False)
        assert lab.now() == 2 and fired == []
        await lab.advance(3)
        assert fired == [5]
        assert lab.trio_clock.rate == 0 and lab.trio_clock.autojump_threshold == math.inf
        n.cancel_scope.cancel()


async def test_real_mode_advance_jumps_then_flows_again(mock_clock: trio.testing.MockClock) -> None:
    lab = LabClock("real", trio_clock=mock_clock)
    sched = Scheduler(lab)
    fired: list[float] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(3600, lambda: fired.append(lab.now()))
        await lab.advance(3600)  # jumps (how fast is measured in scripts/, not asserted here)
        assert fired and 3600 <= fired[0] < 3600.5
        assert mock_clock.rate == 1 and mock_clock.autojump_threshold == math.inf
        n.cancel_scope.cancel()


async def test_switch_virtual_to_scaled_during_command(mock_clock: trio.testing.MockClock) -> None:
    """A wait in progress follows a mode switch: jumps stop, scaled time flows."""
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)

    async def long_command() -> None:
        await trio.sleep(100)

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        switched: list[float] = []
        sched.call_at(50, lambda: (switched.append(lab.now()), lab.set_mode("x1000")))
        await lab.run_command(long_command)
        # the jump stopped exactly at the switch; the rest flowed at x1000 with no autojump
        # (how long that took in wall time is measured in scripts/bench_clock_switch.py)
        assert switched == [50.0] and lab.now() >= 100 and lab.mode == "x1000"
        assert mock_clock.rate == 1000 and mock_clock.autojump_threshold == math.inf
        n.cancel_scope.cancel()


async def test_switch_scaled_to_virtual_while_timer_pending(
    mock_clock: trio.testing.MockClock,
) -> None:
    lab = LabClock("x1000", trio_clock=mock_clock)
    sched = Scheduler(lab)
    fired: list[float] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(20, lambda: fired.append(lab.now()))
        await trio.sleep(2)  # ~2 ms of wall time at x1000
        lab.set_mode("virtual")
        stopped_at = lab.now()
        await trio.testing.wait_all_tasks_blocked()
        assert fired == [] and lab.now() == stopped_at
        await lab.advance(20 - stopped_at)
        assert fired == [20]
        n.cancel_scope.cancel()


async def test_freezing_from_a_timer_stops_a_settle_wait(
    mock_clock: trio.testing.MockClock,
) -> None:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    ticks: list[float] = []
    frozen = trio.Event()

    async def commit() -> None:
        sched.every(1, lambda: ticks.append(lab.now()), first=1)
        sched.call_at(10, lambda: (lab.set_mode("frozen"), frozen.set()))

    async def user() -> None:
        await frozen.wait()
        await trio.testing.wait_all_tasks_blocked()  # nothing moves any more
        assert lab.now() == 10 and ticks == [float(k) for k in range(1, 11)]
        lab.set_mode("virtual")  # the wait resumes jumping up to max_wait

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        n.start_soon(user)
        await lab.run_command(commit, settle=lambda: False, max_wait=30)
        assert lab.now() == 30 and len(ticks) == 30
        n.cancel_scope.cancel()


def test_set_mode_from_asyncio_host_wakes_guest() -> None:
    """Pitfall 1: a host-side switch must reach a trio wait already in progress (guest mode)."""
    lab = LabClock("frozen")
    sched = Scheduler(lab)
    fired: list[float] = []

    async def host() -> str:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[object] = loop.create_future()

        async def trio_main() -> None:
            async with trio.open_nursery() as n:
                await n.start(sched.run)
                sched.call_at(100, lambda: (fired.append(lab.now()), n.cancel_scope.cancel()))

        trio.lowlevel.start_guest_run(
            trio_main,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            run_sync_soon_not_threadsafe=loop.call_soon,
            done_callback=done.set_result,
            host_uses_signal_set_wakeup_fd=True,
            clock=lab.trio_clock,
        )
        await asyncio.sleep(0.03)  # trio is now asleep with a frozen clock
        assert fired == []
        lab.set_mode("x1000")  # from the host, not from a trio task
        outcome = await asyncio.wait_for(done, 30)  # a hang, not a speed limit
        outcome.unwrap()  # type: ignore[attr-defined]
        return lab.mode

    mode = asyncio.run(host())
    # the host-side switch woke the guest's wait: its timer fired once, at or after its deadline
    # (the wake-up latency is measured in scripts/bench_clock_switch.py, not asserted here)
    assert len(fired) == 1 and fired[0] >= 100 and mode == "x1000"


# ----- determinism -------------------------------------------------------------------


def test_same_seed_same_commands_same_output() -> None:
    import random

    def run(seed: int) -> list[str]:
        lab = LabClock("virtual")
        log: list[str] = []

        async def main() -> None:
            sched = Scheduler(lab)
            rnd = random.Random(seed)
            async with trio.open_nursery() as n:
                await n.start(sched.run)

                def reply(i: int) -> None:
                    log.append(f"{lab.datetime():%H:%M:%S.%f} reply {i}")

                async def commit() -> None:
                    for i in range(5):
                        sched.call_later(rnd.uniform(0.01, 3), lambda i=i: reply(i))

                await lab.run_command(commit, settle=lambda: len(log) >= 5)
                log.append(f"{lab.datetime():%H:%M:%S.%f} prompt")
                await lab.advance(parse_duration("10m"))
                log.append(f"{lab.datetime():%H:%M:%S.%f} after")
                n.cancel_scope.cancel()

        trio.run(main, clock=lab.trio_clock)
        return log

    a, b = run(7), run(7)
    assert a == b and len(a) == 7
    assert a[-1] == "00:10:0" + a[-1][7:] and a != run(8)
