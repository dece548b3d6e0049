"""Scheduler: one heap, deadline order, repeating timers without drift, engines, cancel."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from routershell.runtime.clock import LabClock
from routershell.runtime.scheduler import Scheduler, SchedulerError


class FakeEngine:
    """A sans-IO engine whose deadline the test moves, recording when it was driven."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.calls: list[float] = []
        self.then: list[float | None] = []

    def get_timer(self) -> float | None:
        return self.deadline

    def handle_timer(self, now: float) -> None:
        self.calls.append(now)
        self.deadline = self.then.pop(0) if self.then else None


async def _lab(mock_clock: trio.testing.MockClock, **kw: object) -> tuple[LabClock, Scheduler]:
    lab = LabClock("virtual", trio_clock=mock_clock)
    return lab, Scheduler(lab, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("fast_forward", [True, False])
async def test_24h_repeating_timer_has_zero_drift(
    mock_clock: trio.testing.MockClock, fast_forward: bool
) -> None:
    lab, sched = await _lab(mock_clock, fast_forward=fast_forward)
    times: list[float] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        timer = sched.every(10, lambda: times.append(lab.now()))
        await lab.advance(24 * 3600)
        n.cancel_scope.cancel()
    assert len(times) == 8640
    assert times == [10.0 * k for k in range(1, 8641)]
    assert timer.deadline == 86410 and timer.active


async def test_scaled_mode_wakeup_latency_does_not_accumulate(
    mock_clock: trio.testing.MockClock,
) -> None:
    """Pitfall 4: at high rates sleep(period) loses ticks; absolute deadlines do not."""
    lab = LabClock("x2000", trio_clock=mock_clock)
    sched = Scheduler(lab)
    times: list[float] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.every(1, lambda: times.append(lab.now()), first=1)
        await trio.sleep(200.5)  # 0.1 s of wall time
        lab.set_mode("frozen")
        end = lab.now()
        await trio.testing.wait_all_tasks_blocked()  # let the scheduler catch up to `end`
        n.cancel_scope.cancel()
    assert len(times) == int(end)  # no tick lost to wake-up latency
    # each at/after its deadline, in order (how late depends on how busy the machine is: the
    # lateness itself is measured in scripts/bench_scheduler.py, not asserted here)
    assert all(k + 1 <= t <= end for k, t in enumerate(times)) and times == sorted(times)


async def test_deadline_order_and_equal_deadlines_fifo(mock_clock: trio.testing.MockClock) -> None:
    lab, sched = await _lab(mock_clock)
    out: list[str] = []
    for name, at in [("c", 3), ("a1", 1), ("b", 2), ("a2", 1), ("a3", 1)]:
        sched.call_at(at, lambda name=name: out.append(name))
    eng = FakeEngine(1)
    sched.add_engine(eng, "ike")
    sched.call_at(1, lambda: out.append("a4"))
    got = [(p.deadline, p.kind) for p in sched.pending()]
    assert got == [(1, "timer")] * 3 + [(1, "engine"), (1, "timer"), (2, "timer"), (3, "timer")]
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.advance(3)
        n.cancel_scope.cancel()
    assert out == ["a1", "a2", "a3", "a4", "b", "c"]
    assert eng.calls == [1]


async def test_cancel(mock_clock: trio.testing.MockClock) -> None:
    lab, sched = await _lab(mock_clock)
    out: list[float] = []
    t1 = sched.call_at(5, lambda: out.append(5))
    t2 = sched.call_at(6, lambda: out.append(6))
    rep = sched.every(2, lambda: out.append(lab.now()), first=1)
    t1.cancel()
    t1.cancel()  # idempotent
    assert not t1.active and len(sched) == 2
    sched.call_at(4, rep.cancel)  # a callback cancels the repeating timer
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.advance(10)
        n.cancel_scope.cancel()
    assert out == [1, 3, 6]
    assert len(sched) == 0 and sched.next_deadline() is None and not t2.active


async def test_engine_with_changing_deadlines(mock_clock: trio.testing.MockClock) -> None:
    lab, sched = await _lab(mock_clock)
    eng = FakeEngine(10)
    eng.then = [12, None]
    other = FakeEngine(None)
    sched.add_engine(eng)
    sched.add_engine(other)
    with pytest.raises(SchedulerError):
        sched.add_engine(eng)
    assert sched.next_deadline() == 10
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.advance(2)
        eng.deadline = 4  # a datagram arrived: the engine wants to act earlier
        sched.reschedule(eng)
        other.deadline = 3
        sched.reschedule(other)
        await lab.advance(3)  # to 5
        assert other.calls == [3] and eng.calls == [4]
        # handle_timer set 12; external input moves it later, the stale 12 must not fire
        eng.deadline = 20
        sched.reschedule(eng)
        await lab.advance(10)  # to 15
        assert eng.calls == [4]
        eng.then = [None]
        await lab.advance(10)  # to 25
        assert eng.calls == [4, 20]
        assert sched.next_deadline() is None
        # removing an engine drops its deadline
        eng.deadline = 30
        sched.reschedule(eng)
        sched.remove_engine(eng)
        await lab.advance(10)
        assert eng.calls == [4, 20] and len(sched) == 0
        n.cancel_scope.cancel()
    with pytest.raises(SchedulerError):
        sched.reschedule(eng)


async def test_stale_entries_are_compacted(mock_clock: trio.testing.MockClock) -> None:
    lab, sched = await _lab(mock_clock)
    eng = FakeEngine(1000)
    sched.add_engine(eng)
    for k in range(5000):
        eng.deadline = 1000 + k
        sched.reschedule(eng)
    assert len(sched) == 1
    assert sched.next_deadline() == 5999
    assert len(sched._heap) < 200  # lazy invalidation does not grow without bound


async def test_earlier_deadline_wakes_sleeping_scheduler(
    mock_clock: trio.testing.MockClock,
) -> None:
    lab, sched = await _lab(mock_clock)
    out: list[float] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_at(100, lambda: out.append(lab.now()))
        await trio.testing.wait_all_tasks_blocked()  # scheduler sleeps until 100
        await lab.advance(10)
        sched.call_at(20, lambda: out.append(lab.now()))
        await lab.advance(95)
        n.cancel_scope.cancel()
    assert out == [20, 100]


async def test_due_callbacks_added_while_firing_run_in_same_instant(
    mock_clock: trio.testing.MockClock,
) -> None:
    lab, sched = await _lab(mock_clock)
    out: list[tuple[str, float]] = []

    def first() -> None:
        out.append(("first", lab.now()))
        sched.call_later(0, lambda: out.append(("chained", lab.now())))

    sched.call_at(3, first)
    sched.call_at(3, lambda: out.append(("second", lab.now())))
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.advance(3)
        n.cancel_scope.cancel()
    assert out == [("first", 3), ("second", 3), ("chained", 3)]


async def test_fast_forward_never_overtakes_other_tasks(
    mock_clock: trio.testing.MockClock,
) -> None:
    """Another task's wake-up sees exactly the timers due before it, none after."""
    lab, sched = await _lab(mock_clock)
    fired: list[float] = []
    seen: dict[float, list[float]] = {}
    for k in range(1, 200):
        sched.call_at(k * 0.5, lambda: fired.append(lab.now()))

    async def observer() -> None:
        for t in (7.25, 33.75, 80.1):
            await trio.sleep_until(lab.to_trio(t))
            seen[t] = list(fired)
            assert lab.now() == t

    async with trio.open_nursery() as n:
        await n.start(sched.run)
        n.start_soon(observer)
        await lab.advance(100)
        n.cancel_scope.cancel()
    for t, got in seen.items():
        assert got == [k * 0.5 for k in range(1, 200) if k * 0.5 <= t]
    assert len(fired) == 199


async def test_callback_waking_a_task_is_seen_before_later_timers(
    mock_clock: trio.testing.MockClock,
) -> None:
    lab, sched = await _lab(mock_clock)
    ev = trio.Event()
    woke: list[float] = []

    async def waiter() -> None:
        await ev.wait()
        woke.append(lab.now())

    sched.call_at(5, ev.set)
    sched.call_at(6, lambda: woke.append(-1))
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        n.start_soon(waiter)
        await lab.advance(10)
        n.cancel_scope.cancel()
    assert woke == [5, -1]


async def test_pending_and_errors(mock_clock: trio.testing.MockClock) -> None:
    lab, sched = await _lab(mock_clock)
    sched.every(30, lambda: None, name="dpd r2")
    t = sched.call_at(7, lambda: None, name="commit confirmed")
    sched.add_engine(FakeEngine(9), "ike 10.0.0.2")
    got = [(p.deadline, p.kind, p.name) for p in sched.pending()]
    assert got == [
        (7, "timer", "commit confirmed"),
        (9, "engine", "ike 10.0.0.2"),
        (30, "every", "dpd r2"),
    ]
    assert [p.name for p in sched.pending(limit=1)] == ["commit confirmed"]
    t.cancel()
    assert sched.next_deadline() == 9
    for bad in (float("nan"), float("inf")):
        with pytest.raises(SchedulerError):
            sched.call_at(bad, lambda: None)
    with pytest.raises(SchedulerError):
        sched.every(0, lambda: None)
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        with pytest.raises(SchedulerError):
            await sched.run()
        n.cancel_scope.cancel()


async def test_without_labclock_uses_trio_time(autojump_clock: trio.testing.MockClock) -> None:
    sched = Scheduler(origin=trio.current_time())
    out: list[float] = []
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        sched.call_later(2.5, lambda: out.append(sched.now()))
        sched.every(1, lambda: out.append(-sched.now()), first=1)
        await trio.sleep(3)
        await trio.testing.wait_all_tasks_blocked()  # a simultaneous wake-up may come after us
        n.cancel_scope.cancel()
    assert out == [-1, -2, 2.5, -3]


class _StepCount(trio.abc.Instrument):
    def __init__(self) -> None:
        self.steps = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self.steps += 1


def _fast_forward_steps(fast: bool) -> tuple[int, int]:
    """(timer firings, trio task steps) for 6 lab hours of 20 timers every 10 s."""
    lab = LabClock("virtual")
    count = [0]
    steps = _StepCount()

    async def main() -> None:
        sched = Scheduler(lab)
        sched.fast_forward = fast
        async with trio.open_nursery() as n:
            await n.start(sched.run)
            for i in range(20):
                sched.every(10, lambda: count.__setitem__(0, count[0] + 1), first=i * 0.37 + 0.1)
            trio.lowlevel.add_instrument(steps)
            await lab.advance(6 * 3600)
            trio.lowlevel.remove_instrument(steps)
            n.cancel_scope.cancel()

    trio.run(main, clock=lab.trio_clock)
    return count[0], steps.steps


def test_fast_forward_is_fast() -> None:
    """The fast path jumps the clock itself: far fewer trio steps than timer firings, where
    falling back to one trio sleep per event costs at least one step per firing. (Wall time:
    scripts/bench_scheduler_steps.py.)"""
    fired, steps = _fast_forward_steps(True)
    assert fired == 20 * 2160
    assert steps * 20 < fired, steps
    slow_fired, slow_steps = _fast_forward_steps(False)
    assert slow_fired == fired and slow_steps >= slow_fired


async def test_posted_calls_fire_in_timer_order_and_are_listed(
    mock_clock: trio.testing.MockClock,
) -> None:
    """`post` (the network's datagrams) takes the place a Timer would: equal deadlines fire in
    the order they were added, timers and posts mixed, and a reserved seq keeps its place."""
    lab, sched = await _lab(mock_clock)
    order: list[str] = []
    sched.call_at(5, lambda: order.append("t1"))
    sched.post(5, order.append, ("p1",), "datagram")
    reserved = sched.reserve()
    sched.call_at(5, lambda: order.append("t2"))
    sched.post(3, order.append, ("p0",))
    sched.post(5, order.append, ("p-reserved",), "datagram", seq=reserved)
    assert len(sched) == 5
    listed = sched.pending()
    assert [(p.deadline, p.kind) for p in listed] == [(3.0, "timer")] + [(5.0, "timer")] * 4
    assert [listed[2].name, listed[3].name] == ["datagram", "datagram"]
    with pytest.raises(SchedulerError):
        sched.post(float("nan"), order.append, ("x",))
    with pytest.raises(SchedulerError):
        sched.post(float("inf"), order.append, ("x",))
    async with trio.open_nursery() as n:
        await n.start(sched.run)
        await lab.advance(10)
        n.cancel_scope.cancel()
    assert order == ["p0", "t1", "p1", "p-reserved", "t2"]
    assert len(sched) == 0 and sched.next_deadline() is None


async def test_unchanged_deadlines_touch_nothing_and_slot_of_shows_the_heaps(
    mock_clock: trio.testing.MockClock,
) -> None:
    """reschedule() of an engine whose deadline did not move (kept, or still none) changes no
    heap entry and no count; slot_of() gives the deadline the heap holds, which a caller may
    compare with (RemotePeer does, after every datagram) before calling reschedule()."""
    lab, sched = await _lab(mock_clock)
    eng = FakeEngine(None)
    sched.add_engine(eng)
    slot = sched.slot_of(eng)
    counts = (len(sched._heap), len(sched), sched._stale, sched._seq)
    for _ in range(3):
        sched.reschedule(eng)  # no timer, still none
    assert (len(sched._heap), len(sched), sched._stale, sched._seq) == counts
    assert slot.deadline is None and sched.next_deadline() is None
    eng.deadline = 7.0
    sched.reschedule(eng)
    assert slot.deadline == 7.0 and sched.next_deadline() == 7.0 and len(sched) == 1
    counts = (len(sched._heap), len(sched), sched._stale, sched._seq)
    sched.reschedule(eng)  # kept
    assert (len(sched._heap), len(sched), sched._stale, sched._seq) == counts
    sched.remove_engine(eng)
    assert slot.deadline is None and len(sched) == 0
    with pytest.raises(SchedulerError):
        sched.slot_of(eng)
    with pytest.raises(SchedulerError):
        sched.reschedule(eng)
