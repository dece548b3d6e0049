"""The lab clock: one trio `MockClock` per lab, switchable at run time between four modes.

Modes (our measurements of prompt_toolkit with trio as guest):

- ``real``: lab time follows wall time (rate 1).
- ``x<N>`` (``x60``, ``x0.5``): scaled, N lab seconds per wall second.
- ``frozen``: lab time stands still. Only an explicit wait (`advance`, `advance_to`,
  `wait_until`, `boot`) moves it, and a command that itself sleeps (a ping) is given the
  lab time it asks for so it cannot hang; exchanges a command starts are not waited for.
- ``virtual``: lab time stands still while idle and jumps from deadline to deadline while
  something waits: a command run through `run_command` (then its settle wait), `advance`,
  `wait_until`, `boot`. Idle time at the prompt never moves it, so the same seed and the
  same commands give the same output, timestamps included.

Jumping is trio's autojump (`autojump_threshold = 0` with rate 0). It is switched on and
off only from inside trio (a task, or a `run_sync_soon` callback when the call comes from
the asyncio host): switching it from the host lets one in-flight jump through, and a rate
change made from the host does not shorten a wait trio is already in unless trio is poked
(our measurements of prompt_toolkit with trio as guest). `set_mode` does both right.

Lab seconds: `now()` is seconds since boot, i.e. trio time minus `origin` (the trio time
at which the LabClock was created or adopted; 0.0 for a fresh clock). Wall timestamps are
`epoch + now()`; the epoch is fixed (2026-01-01 00:00:00 UTC) unless a lab sets one.

Everything that waits "until settled" re-checks its predicate whenever `notify()` is
called (the scheduler calls it after every batch of timers) and, as a safety net, every
`poll` lab seconds. Before giving up at a timeout, and before `advance` returns, it lets
every task that is runnable at that instant finish (`wait_all_tasks_blocked`), so work due
exactly at the boundary is always included: trio may run simultaneous wake-ups in either
order, and output must not depend on that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import trio

if TYPE_CHECKING:
    from trio.testing import MockClock


def _trio_testing() -> ModuleType:
    """trio's public home of MockClock and wait_all_tasks_blocked, imported when first needed
    (with pytest installed, importing trio.testing also imports pytest: tens of ms)."""
    import sys

    if "trio.testing" not in sys.modules and "pytest" not in sys.modules:
        # trio.testing imports pytest, when installed, only to borrow a class for its
        # RaisesGroup helper (80-150 ms of startup here); outside a test run we use none of it
        sys.modules["pytest"] = None  # type: ignore[assignment]  # makes that import fail fast
        try:
            import trio.testing
        finally:
            del sys.modules["pytest"]
    import trio.testing

    return trio.testing

__all__ = [
    "DEFAULT_EPOCH",
    "ClockError",
    "LabClock",
    "default_mode",
    "format_hms",
    "parse_duration",
    "parse_mode",
    "parse_offset",
]

DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

T = TypeVar("T")

# Which modes let each kind of wait jump the clock.
_ALL = frozenset({"real", "scaled", "frozen", "virtual"})
_EXPLICIT = _ALL  # advance / advance_to / boot: the user asked for time to move
_COMMAND = frozenset({"frozen", "virtual"})  # a command's own sleeps (never hang)
_WAIT = frozenset({"frozen", "virtual"})  # lab wait until ...
_SETTLE = frozenset({"virtual"})  # waiting for the exchanges a command started


class ClockError(ValueError):
    """Bad mode, duration or target time (the message is fit to show a user)."""


def parse_mode(mode: str) -> tuple[str, float]:
    """Canonical mode name and MockClock rate: 'real'->1, 'x60'->60, 'frozen'/'virtual'->0."""
    text = str(mode).strip().lower()
    if text in ("real", "frozen", "virtual"):
        return text, 1.0 if text == "real" else 0.0
    m = re.fullmatch(r"x(\d+(?:\.\d*)?|\.\d+)", text)
    if m:
        rate = float(m.group(1))
        if rate > 0 and math.isfinite(rate):
            return f"x{rate:g}", rate
    raise ClockError(f"unknown clock mode {mode!r} (real, x<rate>, frozen, virtual)")


def default_mode(interactive: bool) -> str:
    """`real` for a human at a terminal; `virtual` for -c, pipes, scripts and tests."""
    return "real" if interactive else "virtual"


_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_UNIT_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|d|h|m|s)")


def parse_duration(text: str) -> float:
    """Seconds in `text`: '90', '90s', '10m', '1h30m', '1d2h', '250ms', '01:00:00', '05:30'.

    Colon forms are [[H:]M:]S with H unbounded ('26:00:00' is 26 hours); 'MM:SS' is minutes
    and seconds, as in a stopwatch.
    """
    s = str(text).strip().lower().replace(" ", "")
    if not s:
        raise ClockError("empty duration")
    try:
        if ":" in s:
            parts = s.split(":")
            if len(parts) > 3 or any(p == "" for p in parts):
                raise ClockError(f"bad time {text!r} (use HH:MM:SS)")
            nums = [float(p) for p in parts]
            if any(n < 0 for n in nums) or any(n >= 60 for n in nums[1:]):
                raise ClockError(f"bad time {text!r} (use HH:MM:SS)")
            total = 0.0
            for n in nums:
                total = total * 60 + n
            return total
        if re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", s):
            return float(s)
        pos, total = 0, 0.0
        for m in _UNIT_RE.finditer(s):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _UNITS[m.group(2)]
            pos = m.end()
        if pos != len(s) or pos == 0:
            raise ClockError(f"bad duration {text!r} (e.g. 90s, 10m, 1h30m, 01:00:00)")
        return total
    except ValueError as exc:
        if isinstance(exc, ClockError):
            raise
        raise ClockError(f"bad duration {text!r}") from None


def parse_offset(text: str) -> float:
    """Lab time since boot for `advance-to` and lab events (`at = "00:05:00"`)."""
    return parse_duration(text)


def format_hms(seconds: float) -> str:
    """Lab time as HH:MM:SS (hours unbounded), the neutral form used by `lab` commands."""
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _in_trio_task() -> bool:
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


class LabClock:
    """One lab's clock. Pass `trio_clock` to `trio.run(..., clock=)` / `start_guest_run(clock=)`.

    `LabClock(mode)` makes its own MockClock; `LabClock(mode, trio_clock=existing)` adopts
    one (e.g. pytest-trio's `mock_clock`/`autojump_clock` fixtures) and takes over its rate
    and autojump threshold from then on.
    """

    def __init__(
        self,
        mode: str = "virtual",
        *,
        trio_clock: MockClock | None = None,
        epoch: datetime | None = None,
        origin: float | None = None,
        poll: float = 1.0,
    ) -> None:
        self._mode, self._rate = parse_mode(mode)
        self.trio_clock: MockClock = (trio_clock if trio_clock is not None
                                      else _trio_testing().MockClock())
        self.origin: float = self.trio_clock.current_time() if origin is None else float(origin)
        if epoch is None:
            epoch = DEFAULT_EPOCH
        elif epoch.tzinfo is None:
            epoch = epoch.replace(tzinfo=UTC)
        self.epoch: datetime = epoch
        if poll <= 0:
            raise ClockError("poll interval must be positive")
        self.poll = float(poll)
        self._jumps: dict[frozenset[str], int] = {}
        self._holds = 0  # commands waiting for the person at the terminal (see holding())
        self._token: trio.lowlevel.TrioToken | None = None
        self._lot = trio.lowlevel.ParkingLot()
        self._settling = 0
        self._apply()

    # ----- mode -------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """'real', 'x<N>', 'frozen' or 'virtual'."""
        return self._mode

    @property
    def rate(self) -> float:
        """Lab seconds per wall second of the current mode (0 for frozen and virtual)."""
        return self._rate

    @property
    def _kind(self) -> str:
        return "scaled" if self._mode.startswith("x") else self._mode

    @property
    def jumping(self) -> bool:
        """True while some wait lets the clock jump to the next deadline."""
        if self._holds:
            return False
        kind = self._kind
        return any(n and kind in modes for modes, n in self._jumps.items())

    @contextmanager
    def holding(self) -> Any:
        """While a command waits for the person at the terminal (a pager key, the answer to
        a question), lab time stands still in virtual and frozen mode: waiting for input is
        idle time, as at the prompt. Enter from inside trio (the command's task)."""
        self._holds += 1
        self._apply()
        try:
            yield
        finally:
            self._holds -= 1
            self._apply()

    def set_mode(self, mode: str) -> None:
        """Switch mode now. Safe from a trio task, from the asyncio host in guest mode, or
        before trio runs. A wait already in progress follows the new mode at once."""
        self._mode, self._rate = parse_mode(mode)
        if _in_trio_task():
            self._apply()
            return
        token = self._token
        if token is None:
            try:
                token = trio.lowlevel.current_trio_token()
            except RuntimeError:
                token = None
        if token is None:
            self._apply()  # trio not running: start_clock() picks the settings up
            return
        try:
            # Runs inside trio's loop (never lets a stray autojump through) and wakes the
            # loop so a sleep computed with the old rate is recomputed.
            token.run_sync_soon(self._apply)
        except trio.RunFinishedError:
            self._token = None
            self._apply()

    def attach(self) -> None:
        """Remember the running trio loop so `set_mode` from the host can reach it."""
        self._token = trio.lowlevel.current_trio_token()

    def _apply(self) -> None:
        clock = self.trio_clock
        if self.jumping:
            rate, threshold = 0.0, 0.0
        else:
            rate, threshold = self._rate, math.inf
        if clock.rate != rate:
            clock.rate = rate
        if clock.autojump_threshold != threshold:
            clock.autojump_threshold = threshold

    @contextmanager
    def _jumping(self, modes: frozenset[str]) -> Any:
        self._jumps[modes] = self._jumps.get(modes, 0) + 1
        self._apply()
        try:
            yield
        finally:
            self._jumps[modes] -= 1
            self._apply()

    # ----- reading ----------------------------------------------------------------------

    def now(self) -> float:
        """Lab seconds since boot."""
        return self.trio_clock.current_time() - self.origin

    def datetime(self) -> datetime:
        """Wall-clock time of the lab: epoch + now(), UTC."""
        return self.epoch + timedelta(seconds=self.now())

    def to_trio(self, lab_seconds: float) -> float:
        """trio time (for trio.sleep_until / CancelScope deadlines) of a lab time."""
        return self.origin + lab_seconds

    # ----- settling ---------------------------------------------------------------------

    def notify(self) -> None:
        """Something in the lab changed: waiters re-check their predicates."""
        if self._lot:
            self._lot.unpark_all()

    async def _settle_instant(self) -> None:
        # Let everything runnable at this lab instant finish before deciding anything.
        self._settling += 1
        try:
            await _trio_testing().wait_all_tasks_blocked()
        finally:
            self._settling -= 1

    def may_fast_forward(self) -> bool:
        """True if a scheduler may jump the clock itself instead of sleeping in trio.

        That is exactly what autojump would do next (the caller also checks that no other
        task is runnable and no other trio deadline comes first), and is only allowed while
        the clock is jumping and nobody waits for the current instant to settle.
        """
        clock = self.trio_clock
        return (
            not self._settling
            and clock.autojump_threshold == 0
            and clock.rate == 0
            and trio.lowlevel.current_clock() is clock
        )

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        if predicate():
            return True
        with trio.move_on_after(max(0.0, timeout)):
            while True:
                with trio.move_on_after(self.poll):
                    await self._lot.park()
                if predicate():
                    return True
        await self._settle_instant()
        return bool(predicate())

    # ----- waiting ----------------------------------------------------------------------

    async def run_command(
        self,
        afn: Callable[..., Awaitable[T]],
        *args: Any,
        settle: Callable[[], bool] | None = None,
        max_wait: float = 30.0,
    ) -> T:
        """Run one shell command, then wait for the exchanges it started.

        virtual: lab time jumps while the command runs and then while waiting until
        `settle()` is true or `max_wait` lab seconds have passed, and stops jumping when this
        returns. real/scaled: the same waits in (scaled) wall time. frozen: the command's own
        sleeps jump, the settle wait is skipped.
        """
        self.attach()
        with self._jumping(_COMMAND):
            result = await afn(*args)
        if settle is not None and self._kind != "frozen":
            with self._jumping(_SETTLE):
                await self._wait(settle, max_wait)
        return result

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of lab time (a command's own pace, e.g. one ping a lab second):
        real in real time, scaled when scaled, a jump in virtual mode while a command runs."""
        await trio.sleep_until(self.to_trio(self.now() + max(0.0, seconds)))

    async def advance(self, seconds: float) -> None:
        """Move lab time forward by `seconds`, firing every timer on the way (any mode)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ClockError("time can't go backwards")
        await self.advance_to(self.now() + seconds)

    async def advance_to(self, lab_seconds: float) -> None:
        """Move lab time forward to `lab_seconds` since boot (any mode)."""
        if not math.isfinite(lab_seconds) or lab_seconds < self.now():
            raise ClockError(
                f"lab time is already {format_hms(self.now())}; time can't go backwards"
            )
        self.attach()
        with self._jumping(_EXPLICIT):
            await trio.sleep_until(self.to_trio(lab_seconds))
            await self._settle_instant()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until `predicate()` holds or `timeout` lab seconds pass; True if it holds.

        Jumps in virtual and frozen mode (the user asked to wait); flows in real/scaled.
        """
        self.attach()
        with self._jumping(_WAIT):
            return await self._wait(predicate, timeout)

    async def boot(self, settle: Callable[[], bool], max_wait: float = 60.0) -> bool:
        """Run the world to a settled state (or `max_wait` lab seconds) before the first
        prompt, jumping in every mode. True if it settled."""
        self.attach()
        with self._jumping(_EXPLICIT):
            return await self._wait(settle, max_wait)

    def __repr__(self) -> str:
        return f"<LabClock {self._mode} now={self.now():.3f}>"
