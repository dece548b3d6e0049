"""asyncio host with trio as a guest in the same thread (our measurements of prompt_toolkit with trio as guest).

asyncio owns the terminal (prompt_toolkit, later asyncssh); trio owns the simulation. Because
both run in one thread, the completer, `?` help and the toolbar read simulation state
synchronously without locks; commands cross over with `call()` (~80 µs a round trip).
"""

from __future__ import annotations

import asyncio
import contextvars
import signal
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import trio

T = TypeVar("T")

#: Returned by `run_interruptible` when Ctrl-C cancelled the command.
INTERRUPTED = object()


class TrioGuest:
    """Runs a trio nursery as a guest of the running asyncio loop."""

    def __init__(self, clock: trio.abc.Clock | None = None) -> None:
        self._clock = clock
        self.nursery: trio.Nursery | None = None
        self.token: trio.lowlevel.TrioToken | None = None
        self.done: asyncio.Future[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._host_ctx: contextvars.Context | None = None

    async def start(self, setup: Callable[[trio.Nursery], Awaitable[T]]) -> T:
        """Start trio and run `setup(nursery)` inside it; return what setup returned."""
        loop = self._loop = asyncio.get_running_loop()
        self._host_ctx = contextvars.copy_context()
        ready: asyncio.Future[T] = loop.create_future()
        self.done = loop.create_future()

        async def trio_main() -> None:
            async with trio.open_nursery() as nursery:
                self.nursery, self.token = nursery, trio.lowlevel.current_trio_token()
                try:
                    result = await setup(nursery)
                except BaseException as exc:
                    if not ready.done():
                        ready.set_exception(exc if isinstance(exc, Exception)
                                            else RuntimeError(f"trio stopped during start: {exc!r}"))
                    raise
                ready.set_result(result)
                # Keep the nursery open: once trio_main returns, later run_sync_soon calls
                # from the host can hang (our measurements of prompt_toolkit with trio as guest).
                await trio.sleep_forever()

        def on_done(outcome: Any) -> None:
            if not ready.done():
                ready.set_exception(RuntimeError("trio stopped during start"))
            self.done.set_result(outcome)  # type: ignore[union-attr]

        trio.lowlevel.start_guest_run(
            trio_main,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            run_sync_soon_not_threadsafe=loop.call_soon,
            done_callback=on_done,
            host_uses_signal_set_wakeup_fd=True,
            clock=self._clock,
        )
        return await ready

    async def call(self, afn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Await a trio coroutine function from asyncio; cancelling this cancels it in trio."""
        assert self.token is not None and self.nursery is not None and self._loop is not None
        fut: asyncio.Future[T] = self._loop.create_future()
        scope = trio.CancelScope()

        async def runner() -> None:
            with scope:
                try:
                    res = await afn(*args)
                except Exception as exc:
                    if not fut.done():
                        fut.set_exception(exc)
                    return
                if not fut.done():
                    fut.set_result(res)
            if not fut.done():
                fut.cancel()

        self.token.run_sync_soon(self.nursery.start_soon, runner)
        try:
            return await fut
        except asyncio.CancelledError:
            if not self.done.done():  # type: ignore[union-attr]
                self.token.run_sync_soon(scope.cancel)
            raise

    async def on_host(self, afn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """From a trio task, await an asyncio coroutine function (a prompt, a key read).

        Cancelling the trio side cancels the asyncio task."""
        assert self.token is not None and self._loop is not None and self._host_ctx is not None
        done = trio.Event()
        token = self.token
        task = self._loop.create_task(afn(*args), context=self._host_ctx.copy())

        def finished(_: asyncio.Task[T]) -> None:
            try:
                token.run_sync_soon(done.set)
            except trio.RunFinishedError:
                pass

        task.add_done_callback(finished)
        try:
            await done.wait()
        finally:
            if not task.done():
                task.cancel()
        return task.result()

    async def aclose(self) -> Any:
        """Cancel everything in trio and return trio's Outcome."""
        assert self.done is not None and self.token is not None and self.nursery is not None
        if not self.done.done():
            self.token.run_sync_soon(self.nursery.cancel_scope.cancel)
        return await self.done


async def run_interruptible(aw: Awaitable[T],
                            on_start: Callable[[asyncio.Task[T]], None] | None = None
                            ) -> T | object:
    """Await `aw`, letting SIGINT (Ctrl-C on a cooked tty) cancel only it, not the shell.

    asyncio.run's own SIGINT handler would cancel the main task and end the shell with 130
    (our measurements of prompt_toolkit with trio as guest). Returns INTERRUPTED when the command was cancelled."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(aw)
    if on_start is not None:
        on_start(task)
    prev = signal.getsignal(signal.SIGINT)
    installed = False
    try:
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        installed = True
    except (RuntimeError, ValueError, NotImplementedError):
        pass  # not the main thread (tests, servers): Ctrl-C is a key there
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if task.cancelled() and not (current is not None and current.cancelling()):
            return INTERRUPTED
        raise
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)  # leaves default_int_handler behind...
            signal.signal(signal.SIGINT, prev)          # ...so restore asyncio.run's handler
