"""One timer heap for the whole lab, driven by a single trio task.

Every sans-IO engine (`get_timer() -> deadline | None`, `handle_timer(now)`) and every plain
timer lives in one heap of ``(deadline, seq, entry)``; the `run` task sleeps until the
earliest deadline and fires everything due in deadline order (equal deadlines in the order
they were scheduled). One task per peer was measured 13x slower and 10x heavier at 10k peers
(our measurements of prompt_toolkit with trio as guest).

Deadlines are lab seconds since boot. With a `LabClock` the scheduler reads `clock.now()`
and sleeps until `clock.to_trio(deadline)`; without one, lab time is `trio.current_time()
- origin`.

Entries are invalidated lazily: cancelling a timer or rescheduling an engine leaves the old
heap entry in place, marked stale, and the heap is rebuilt when stale entries outnumber
live ones.

Time budget: one trio step never runs callbacks for much longer than `step_budget` wall
seconds (20 ms; measured with time.perf_counter, which is fine here and never read by an
engine). When the budget runs out with entries still due, `run` yields to trio and carries on
with the *same* lab instant: the heap keeps the order (deadline, seq) and the remaining entries
get the `now` the batch started with, so yielding changes neither the order of firings nor the
lab time they see, and waiters are notified only once the instant is drained. Only a host action
that lands during such a yield can interleave with the instant (as it could between instants).

Fast forward: while the LabClock is jumping (virtual time, `advance`), sleeping in trio only
to be autojumped costs ~17 us per wake-up. Once every other task is blocked
(`wait_all_tasks_blocked`), and as long as no other task becomes runnable and no other trio
deadline comes first, the scheduler jumps the MockClock to its next deadline itself, which
is exactly what autojump would do, and goes back through trio every `yield_every` jumps so
the host and other tasks are never starved. Caveat: a task of someone else's waiting in
`wait_all_tasks_blocked` with a cushion > 0 may see time move before it wakes.
"""

from __future__ import annotations

import gc
import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import trio

if TYPE_CHECKING:
    from .clock import LabClock

__all__ = ["Engine", "Pending", "Scheduler", "SchedulerError", "Timer"]


class SchedulerError(RuntimeError):
    """Misuse of the scheduler (bad deadline, run twice, unknown engine)."""


class Engine(Protocol):
    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> Any: ...


class Timer:
    """A scheduled callback. `cancel()` is idempotent; a repeating timer keeps its handle."""

    __slots__ = ("deadline", "callback", "period", "name", "seq", "_sched")

    def __init__(
        self,
        sched: Scheduler,
        deadline: float,
        callback: Callable[[], Any],
        period: float | None,
        name: str,
    ) -> None:
        self._sched: Scheduler | None = sched
        self.deadline = deadline
        self.callback = callback
        self.period = period
        self.name = name
        self.seq = -1

    @property
    def active(self) -> bool:
        return self._sched is not None

    def cancel(self) -> None:
        sched, self._sched = self._sched, None
        if sched is not None:
            sched._stale += 1
            sched._live -= 1

    def __repr__(self) -> str:
        state = "" if self.active else " cancelled"
        return f"<Timer {self.name or self.callback!r} at {self.deadline}{state}>"


# A one-shot `fn(*args)` that is never cancelled (a datagram in flight, see `post`) is the
# heap entry's third item as the plain tuple (fn, args, name): lighter than a Timer, which a
# datagram would build, keep live and check like a cancellable one, and than an object of its
# own (no __init__ call per datagram). Its (deadline, seq) are the heap tuple's.
_Call = tuple[Callable[..., Any], tuple, str]


class _EngineSlot:
    __slots__ = ("engine", "deadline", "seq", "name")

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.deadline: float | None = None
        self.seq = -1
        self.name = name


@dataclass(frozen=True)
class Pending:
    """One live entry, for `lab events`."""

    deadline: float
    kind: str  # "timer", "every" or "engine"
    name: str


class Scheduler:
    def __init__(
        self,
        clock: LabClock | None = None,
        *,
        origin: float = 0.0,
        fast_forward: bool = True,
        yield_every: int = 1024,
        step_budget: float | None = 0.020,
        gc_freeze: bool = False,
    ) -> None:
        self.clock = clock
        self.origin = clock.origin if clock is not None else float(origin)
        self.fast_forward = fast_forward and clock is not None
        self.yield_every = max(1, yield_every)
        # wall seconds of callbacks per trio step (None: unbounded, the old behaviour)
        self.step_budget = step_budget
        # Opt-in: gc.freeze() after each drained batch. CPython's full (gen 2) collection walks
        # every live object in one go (~0.5 s at 10k tunnels), the one pause the budget cannot
        # split; frozen objects are skipped by it. Cost: reference cycles that become garbage
        # after being frozen are never collected (plain refcounted garbage still is).
        self.gc_freeze = gc_freeze
        self._behind = False  # the last fire_due stopped on its budget with entries still due
        self.yields = 0  # times run() yielded mid-instant on the budget (for benchmarks/tests)
        self._heap: list[tuple[float, int, Any]] = []  # (deadline, seq, Timer/_EngineSlot/_Call)
        self._seq = 0
        self._live = 0
        self._stale = 0
        self._engines: dict[int, _EngineSlot] = {}
        self._scope: trio.CancelScope | None = None
        self._wake_at = math.inf  # lab deadline the sleeping run() waits for
        self._running = False
        self.fired = 0  # callbacks and handle_timer calls so far (for benchmarks)
        # the lab's trio MockClock, read directly by now() while it stands still (see there)
        self._mock = clock.trio_clock if clock is not None and _readable(clock.trio_clock) else None

    # ----- time -------------------------------------------------------------------------

    def now(self) -> float:
        """Lab seconds since boot.

        Read several times per datagram. While the MockClock stands still between jumps
        (rate 0: virtual and frozen mode) its time is its virtual base, exactly: current_time()
        is `virtual_base + rate * (perf_counter() - real_base)` and that product is +0.0, so
        the base plus 0.0 is the same float, read without the three calls and the
        perf_counter(). Any other rate goes through the clock."""
        mock = self._mock
        if mock is not None and mock._rate == 0.0:
            return mock._virtual_base + 0.0 - self.origin
        if self.clock is not None:
            return self.clock.now()
        return trio.current_time() - self.origin

    # ----- heap -------------------------------------------------------------------------

    def _push(self, deadline: float, entry: Timer | _EngineSlot) -> None:
        seq = self._seq
        self._seq = seq + 1
        entry.seq = seq
        heapq.heappush(self._heap, (deadline, seq, entry))
        scope = self._scope
        if scope is not None and deadline < self._wake_at:
            self._wake_at = deadline
            scope.deadline = self.origin + deadline  # wake the sleeping run() early

    @staticmethod
    def _check(deadline: float) -> float:
        deadline = float(deadline)
        if math.isnan(deadline) or math.isinf(deadline):
            raise SchedulerError(f"bad deadline {deadline!r}")
        return deadline

    def call_at(self, deadline: float, callback: Callable[[], Any], name: str = "") -> Timer:
        """Call `callback()` at lab time `deadline` (at once if already past)."""
        t = Timer(self, self._check(deadline), callback, None, name)
        self._live += 1
        self._push(t.deadline, t)
        return t

    def post(self, deadline: float, fn: Callable[..., Any], args: tuple = (), name: str = "",
             seq: int | None = None) -> None:
        """`call_at` for a callback nobody cancels: `fn(*args)` at lab time `deadline`, in the
        same place in the firing order a Timer would take (the network's datagrams); `seq`,
        from `reserve()`, gives it the place among equal deadlines it had when reserved.

        One per datagram: `_check` and `_push` inline (a finite float passes `d - d == 0.0`;
        anything else goes through `_check`, which converts or refuses it)."""
        if type(deadline) is not float or deadline - deadline != 0.0:
            deadline = self._check(deadline)
        if seq is None:
            seq = self._seq
            self._seq = seq + 1
        self._live += 1
        heapq.heappush(self._heap, (deadline, seq, (fn, args, name)))
        if self._scope is not None and deadline < self._wake_at:
            self._wake_at = deadline
            self._scope.deadline = self.origin + deadline  # wake the sleeping run() early

    def reserve(self) -> int:
        """A place in the firing order, for an entry that may be added later (`post(seq=)`):
        the network holds back datagrams nothing may ever receive this way."""
        seq = self._seq
        self._seq = seq + 1
        return seq

    def call_later(self, delay: float, callback: Callable[[], Any], name: str = "") -> Timer:
        """Call `callback()` `delay` lab seconds from now."""
        return self.call_at(self.now() + max(0.0, self._check(delay)), callback, name)

    def every(
        self,
        period: float,
        callback: Callable[[], Any],
        first: float | None = None,
        name: str = "",
    ) -> Timer:
        """Call `callback()` every `period` lab seconds from `first` (default now + period).

        Deadlines are absolute (first + k * period, accumulated as deadline += period), so a
        late wake-up never shifts later firings: no drift over any run length.
        """
        period = self._check(period)
        if period <= 0:
            raise SchedulerError("period must be positive")
        start = self.now() + period if first is None else self._check(first)
        t = Timer(self, start, callback, period, name)
        self._live += 1
        self._push(start, t)
        return t

    # ----- engines ----------------------------------------------------------------------

    def add_engine(self, engine: Engine, name: str = "") -> None:
        """Drive `engine`: call `handle_timer(now)` whenever its `get_timer()` is due."""
        key = id(engine)
        if key in self._engines:
            raise SchedulerError(f"engine {name or engine!r} already added")
        self._engines[key] = _EngineSlot(engine, name or type(engine).__name__)
        self.reschedule(engine)

    def remove_engine(self, engine: Engine) -> None:
        slot = self._engines.pop(id(engine), None)
        if slot is not None and slot.deadline is not None:
            slot.deadline = None
            self._stale += 1
            self._live -= 1

    def reschedule(self, engine: Engine) -> None:
        """Re-read `engine.get_timer()` after input outside the scheduler changed it."""
        slot = self._engines.get(id(engine))
        if slot is None:
            raise SchedulerError(f"unknown engine {engine!r}")
        # _reslot's unchanged cases inline (a deadline kept, or still none: a tunnel whose
        # controller has no timer, after each of its inputs)
        deadline = engine.get_timer()
        if deadline == slot.deadline:
            return
        self._reslot(slot, deadline)

    def slot_of(self, engine: Engine) -> _EngineSlot:
        """The heap slot of an added engine: its `deadline` is the one the heap holds (None:
        none). A caller that re-reads its engine's timer after every datagram compares with it
        and calls `reschedule` only when the deadline moved or is gone (a call fewer on the
        usual, unchanged case); `reschedule` still refuses an engine removed since."""
        slot = self._engines.get(id(engine))
        if slot is None:
            raise SchedulerError(f"unknown engine {engine!r}")
        return slot

    def _reslot(self, slot: _EngineSlot, deadline: float | None) -> None:
        """Move `slot` to `deadline`, its engine's new one (None: off the heap)."""
        if slot.deadline is not None:
            self._stale += 1
            self._live -= 1
        if deadline is None:
            slot.deadline = None
            return
        slot.deadline = self._check(deadline)
        self._live += 1
        self._push(slot.deadline, slot)

    # ----- queries ----------------------------------------------------------------------

    @staticmethod
    def _is_live(seq: int, entry: Timer | _EngineSlot | _Call) -> bool:
        if type(entry) is tuple:  # a posted call: never cancelled
            return True
        if entry.seq != seq:
            return False
        if isinstance(entry, Timer):
            return entry._sched is not None
        return entry.deadline is not None

    def _prune(self) -> None:
        heap = self._heap
        while heap and not self._is_live(heap[0][1], heap[0][2]):
            heapq.heappop(heap)
            self._stale -= 1
        if self._stale > 64 and self._stale > self._live:
            self._heap = [e for e in heap if self._is_live(e[1], e[2])]
            heapq.heapify(self._heap)
            self._stale = 0

    def next_deadline(self) -> float | None:
        """Earliest live deadline, or None if nothing is scheduled."""
        self._prune()
        return self._heap[0][0] if self._heap else None

    def pending(self, limit: int | None = None) -> list[Pending]:
        """Live entries in firing order (at most `limit`)."""
        live = sorted(e for e in self._heap if self._is_live(e[1], e[2]))
        if limit is not None:
            live = live[:limit]
        out = []
        for deadline, _, entry in live:
            if type(entry) is tuple:
                kind, name = "timer", entry[2]
            elif isinstance(entry, Timer):
                kind = "every" if entry.period is not None else "timer"
                name = entry.name or getattr(entry.callback, "__qualname__", repr(entry.callback))
            else:
                kind, name = "engine", entry.name
            out.append(Pending(deadline, kind, name))
        return out

    def __len__(self) -> int:
        return self._live

    # ----- firing -----------------------------------------------------------------------

    def fire_due(self, now: float, until: float | None = None) -> int:
        """Fire every entry due at or before `now`, in deadline order; return how many.

        Entries added by callbacks that are already due fire in the same call. With `until`
        (a time.perf_counter() value) it stops after the first firing that ends past it,
        leaving the rest due (`behind` is then True); the next call with the same `now`
        continues exactly where this one stopped. An exception from a callback or engine
        propagates (and ends `run`): engine bugs must not be hidden.
        """
        heap = self._heap
        fired = 0
        pop = heapq.heappop
        clock = time.perf_counter
        self._behind = False
        while heap and heap[0][0] <= now:
            if until is not None and fired and clock() >= until:
                self._behind = True
                break
            deadline, seq, entry = pop(heap)
            if type(entry) is tuple:  # a posted call: never cancelled, always live
                fired += 1
                self._live -= 1
                entry[0](*entry[1])
                continue
            # _is_live, inline (every engine firing and every stale entry asks it)
            if entry.seq != seq:
                self._stale -= 1
                continue
            if type(entry) is _EngineSlot:
                if entry.deadline is None:
                    self._stale -= 1
                    continue
                fired += 1
                entry.deadline = None
                self._live -= 1
                engine = entry.engine
                engine.handle_timer(now)
                if entry.deadline is None:  # not re-added by a reentrant reschedule()
                    nd = engine.get_timer()  # _reslot, inline
                    if nd is not None:
                        if type(nd) is not float or nd - nd != 0.0:
                            nd = self._check(nd)
                        entry.deadline = nd
                        self._live += 1
                        self._push(nd, entry)
                continue
            if entry._sched is None:  # a Timer, cancelled
                self._stale -= 1
                continue
            fired += 1
            if entry.period is not None:
                entry.deadline = deadline + entry.period
                self._push(entry.deadline, entry)
            else:
                entry._sched = None
                self._live -= 1
            entry.callback()
        self.fired += fired
        if fired and not self._behind:
            if self.gc_freeze:
                gc.freeze()
            if self.clock is not None:
                self.clock.notify()  # waiters look at whole instants only
        return fired

    @property
    def behind(self) -> bool:
        """True when the last `fire_due` ran out of budget with entries still due."""
        return self._behind

    def _until(self) -> float | None:
        budget = self.step_budget
        return None if budget is None else time.perf_counter() + budget

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The scheduler task: start it once in the lab's nursery; runs until cancelled."""
        import trio.testing  # public home of wait_all_tasks_blocked; costly, so not at import

        if self._running:
            raise SchedulerError("scheduler already running")
        self._running = True
        clock = self.clock
        if clock is not None:
            clock.attach()
        wakeups = _Wakeups()
        if self.fast_forward:
            trio.lowlevel.add_instrument(wakeups)
        task_status.started()
        origin = self.origin
        now = self.now()
        try:
            while True:
                self.fire_due(now, self._until())
                if self._behind:
                    # budget spent mid-instant: let trio run (the prompt), then go on with
                    # the same `now`; nothing sleeps, so lab time cannot move meanwhile
                    self.yields += 1
                    await trio.lowlevel.checkpoint()
                    continue
                nd = self.next_deadline()
                if (
                    nd is not None
                    and self.fast_forward
                    and clock is not None
                    and clock.may_fast_forward()
                ):
                    # Tasks woken together with us are in trio's current batch, invisible
                    # to current_statistics(); wait until every other task is blocked
                    # (this also lets the host and I/O in), then we are alone.
                    await trio.testing.wait_all_tasks_blocked()
                    wakeups.woken = False
                    if clock.may_fast_forward():
                        now = self._fast_forward(clock, wakeups)
                        if self._behind:
                            # budget spent mid-instant: yield before the rest of it (going
                            # straight back to fire_due would start a second budget in
                            # the same trio step)
                            self.yields += 1
                            await trio.lowlevel.checkpoint()
                            continue
                        if wakeups.woken or not clock.may_fast_forward():
                            continue  # someone else must run now; we go back through trio
                    else:
                        now = self.now()
                    nd = self.next_deadline()
                self._wake_at = math.inf if nd is None else nd
                with trio.CancelScope(deadline=origin + self._wake_at) as scope:
                    self._scope = scope
                    try:
                        await trio.sleep_forever()
                    finally:
                        self._scope = None
                now = self.now()
                if scope.cancelled_caught:
                    now = max(now, self._wake_at)
                self._wake_at = math.inf
        finally:
            self._running = False
            if self.fast_forward:
                trio.lowlevel.remove_instrument(wakeups)

    def _fast_forward(self, clock: LabClock, wakeups: _Wakeups) -> float:
        """Jump from deadline to deadline while we are the only task that could run and
        no other trio deadline comes first; return the lab time reached.

        Stops when a callback wakes a task (seen by the instrument at once), before another
        task's deadline (re-read every `_REFRESH` firings, and whenever we stop), or after
        `yield_every` firings or `step_budget` wall seconds so trio can serve the host and I/O
        (mid-instant if need be: `behind` then tells `run` to finish the instant first).
        """
        until = self._until()
        trio_clock = clock.trio_clock
        origin = self.origin
        heap = self._heap
        now = self.now()
        horizon = -math.inf
        for n in range(self.yield_every):
            if n % _REFRESH == 0:
                stats = trio.lowlevel.current_statistics()
                if stats.tasks_runnable:
                    break
                horizon = trio_clock.current_time() + stats.seconds_to_next_deadline
            self._prune()
            if not heap:
                break
            nd = heap[0][0]
            if origin + nd >= horizon:
                break  # another task's deadline comes first (or ties): trio decides
            if nd > now:
                trio_clock.jump(origin + nd - trio_clock.current_time())
                # Float rounding in the jump must not leave `nd` a hair in the future.
                now = max(self.now(), nd)
            self.fire_due(now, until)
            if self._behind or (until is not None and time.perf_counter() >= until):
                break  # out of budget: back through trio
            if wakeups.woken or trio_clock.autojump_threshold != 0 or trio_clock.rate != 0:
                break  # a task to run, or a callback changed the clock mode
        return now


_REFRESH = 32


def _readable(clock: object) -> bool:
    """`clock` is a trio MockClock (a final class: its current_time() is trio's own) with the
    fields Scheduler.now() reads; any other clock is asked."""
    from .clock import _trio_testing  # the scheduler's run() needs trio.testing anyway

    return (type(clock) is _trio_testing().MockClock
            and type(getattr(clock, "_rate", None)) is float
            and type(getattr(clock, "_virtual_base", None)) is float)


class _Wakeups(trio.abc.Instrument):
    """Notices any task becoming runnable while the scheduler fast-forwards."""

    def __init__(self) -> None:
        self.woken = False

    def task_scheduled(self, task: trio.lowlevel.Task) -> None:
        self.woken = True
