"""Rich front-end: prompt_toolkit on asyncio, the simulation on trio as a guest.

Only used on a real terminal (see main.wants_plain). CPR is off (a pty without CPR replies
would stall every prompt by 1 s, our measurements of prompt_toolkit with trio as guest). Ctrl-C drops the line being typed or cancels
the running command; Ctrl-D on an empty operational line logs out as `exit` does (the line reads
`user@r1> exit`, as if typed) and is ignored in configuration mode (leave that with `exit`).

Each mode keeps its own history (Up at `user@r1>` never recalls a `set …`). The prompt is
re-read from the session at every redraw, so a broadcast that changes it (the commit-confirmed
rollback ends the `# commit confirmed will be rolled back` banner) shows at once. The pager
follows the window (rows, width, resizes) until `set cli screen-length/width` fixes a value, as
a Junos terminal session does. The pager reads single keys in raw mode straight from the
terminal input (no nested Application: cancelling one mid-exit left the terminal detached).
NO_COLOR (https://no-color.org) turns colours off.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import sys
from datetime import timedelta
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import (
    create_app_session,
    get_app,
    get_app_session,
    run_in_terminal,
)
from prompt_toolkit.application.current import _current_app_session
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.input.typeahead import get_typeahead
from prompt_toolkit.key_binding import KeyBindings, KeyPress, KeyPressEvent, merge_key_bindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output.color_depth import ColorDepth
from prompt_toolkit.output.vt100 import Vt100_Output
from prompt_toolkit.shortcuts import print_formatted_text
from prompt_toolkit.styles import Style

from routershell.shell.completer import RouterCompleter
from routershell.shell.guest import INTERRUPTED, TrioGuest, run_interruptible
from routershell.shell.keys import router_key_bindings
from routershell.shell.lexer import RouterLexer

log = logging.getLogger(__name__)

STYLE = Style.from_dict({
    "pygments.keyword": "bold",
    "pygments.keyword.pseudo": "ansiblue bold",
    "pygments.operator": "ansiblue",
    "pygments.name.constant": "ansicyan",
    "pygments.name.variable": "ansigreen",
    "pygments.literal.number": "ansimagenta",
    "pygments.literal.string": "ansiyellow",
    "bottom-toolbar": "noreverse bg:ansiblack ansiwhite",
})


def toolbar_text(clock: Any) -> str:
    """Clock mode and lab time: the lab's date when the clock has an epoch, else the time
    since boot, e.g. ` clock: x60   lab time: 2024-01-01 01:02:03 UTC`."""
    mode = getattr(clock, "mode", "?")
    mode = getattr(mode, "value", mode)  # an Enum or a plain string
    try:
        now = clock.now() if hasattr(clock, "now") else clock.trio_clock.current_time()
        epoch = getattr(clock, "epoch", None)
        if epoch is not None:
            when = (epoch + timedelta(seconds=now)).strftime("%Y-%m-%d %H:%M:%S UTC")
        else:
            d, rem = divmod(int(now), 86400)
            h, rem = divmod(rem, 3600)
            m, s = divmod(rem, 60)
            when = f"{d}d {h:02d}:{m:02d}:{s:02d}"
    except Exception:  # the toolbar must never take the prompt down
        return f" clock: {mode}"
    return f" clock: {mode}   lab time: {when}"


def key_text(kp: KeyPress) -> str:
    """A pager key as the session's read_key reports it: Enter is "\\n", Ctrl-C and Ctrl-D
    are "q" (stop the listing, back to the prompt), a printable key is itself."""
    if kp.key in (Keys.ControlM, Keys.ControlJ):
        return "\n"
    if kp.key in (Keys.ControlC, Keys.ControlD):
        return "q"
    return kp.data if isinstance(kp.key, Keys) else kp.key


class RichIO:
    """SessionIO over prompt_toolkit: a prompt for question lines, raw single keys for the pager."""

    interactive = True

    def __init__(self, guest: TrioGuest, cancel_command: Any, hold: Any = None) -> None:
        self._guest = guest
        self._cancel_command = cancel_command
        # the lab clock's holding(): no virtual time passes while the person reads or answers
        self._hold = hold if hold is not None else contextlib.nullcontext
        self._typeahead: list[str] = []
        self._host_reads: set[asyncio.Task[Any]] = set()  # prompts and key reads in flight
        # The terminal this shell runs on: commands run in trio tasks (and questions in host
        # tasks) whose context is not the shell's, and a served lab has one per connection.
        self._app_session = get_app_session()
        #: follow the window's rows / columns (False once `set cli` fixed one)
        self.follow_rows = True
        self.follow_cols = True

    def write(self, text: str) -> None:
        out = self._app_session.output
        out.write_raw(text)
        out.flush()

    def terminal_size(self) -> tuple[int | None, int | None]:
        """(rows, columns) of the window where they are followed, None where fixed."""
        size = self._app_session.output.get_size()
        return (size.rows if self.follow_rows else None,
                size.columns if self.follow_cols else None)

    async def read_line(self, prompt: str = "") -> str | None:
        with self._hold():
            return await self._guest.on_host(self._read_line, prompt)

    async def read_key(self, prompt: str = "") -> str:
        with self._hold():
            return await self._guest.on_host(self._read_key, prompt)

    def _track(self) -> Any:
        task = asyncio.current_task()
        assert task is not None
        self._host_reads.add(task)
        return task

    async def quiesce(self) -> None:
        """Wait until no read of an interrupted command is left on the terminal. A key reader
        that outlived its command (Ctrl-C reached it through trio a moment late) would
        otherwise restore the terminal mode and input reader *under* the next prompt."""
        pending = [t for t in self._host_reads if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _read_line(self, prompt: str) -> str | None:
        _current_app_session.set(self._app_session)  # this host task's own context
        task = self._track()
        try:
            return await PromptSession().prompt_async(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:
            self._cancel_command()
            return None
        finally:
            self._host_reads.discard(task)

    async def _read_key(self, prompt: str) -> str:
        _current_app_session.set(self._app_session)  # this host task's own context
        task = self._track()
        try:
            if prompt:
                self.write(prompt)
            inp = self._app_session.input
            self._typeahead += [key_text(k) for k in get_typeahead(inp)]
            if not self._typeahead:
                self._typeahead += await read_keys(inp)
            return self._typeahead.pop(0)
        finally:
            self._host_reads.discard(task)


async def read_keys(inp: Input) -> list[str]:
    """Wait for keys on the terminal in raw mode (Ctrl-C is a key here, not SIGINT). Raw mode
    and the reader are context managers, so a cancelled wait leaves the terminal as it was."""
    loop = asyncio.get_running_loop()
    got: asyncio.Future[list[str]] = loop.create_future()

    def ready() -> None:
        keys = [key_text(k) for k in inp.read_keys() + inp.flush_keys()]
        if keys and not got.done():
            got.set_result(keys)
        elif inp.closed and not got.done():
            got.set_result(["q"])

    with inp.raw_mode(), inp.attach(ready):
        return await got


class RichShell:
    """The prompt loop of one session on the rich front-end."""

    def __init__(self, app: Any, session: Any, guest: TrioGuest) -> None:
        self.app = app
        self.session = session
        self.guest = guest
        self._running: asyncio.Task[Any] | None = None
        self.io = RichIO(guest, self.cancel_command, getattr(app.clock, "holding", None))
        self._prompts: dict[str, PromptSession[str]] = {}
        self._top_mode = getattr(session, "mode", None)  # the mode a login starts in
        self._auto_size: tuple[int, int] = (session.screen_length, session.screen_width)
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()

        def show(msg: str) -> None:
            run_in_terminal(lambda: print_formatted_text(msg.rstrip("\n")))

        def notify(msg: str) -> None:  # called from trio tasks; same thread, but be safe
            loop.call_soon_threadsafe(ctx.run, show, msg)

        self._notify = notify
        session.set_notifier(notify)

    def _mode(self) -> str:
        mode = getattr(self.session, "mode", None)
        if isinstance(mode, str):
            return mode
        return "operational" if self._operational() else "configuration"

    @property
    def prompt_session(self) -> PromptSession[str]:
        """The prompt of the session's current mode: each mode has its own history."""
        mode = self._mode()
        ps = self._prompts.get(mode)
        if ps is None:
            ps = self._prompts[mode] = PromptSession(
                completer=RouterCompleter(self.session),
                complete_while_typing=False,
                lexer=None if os.environ.get("NO_COLOR") else PygmentsLexer(RouterLexer),
                history=InMemoryHistory(),
                # `set cli complete-on-space` lives in the session (Junos default on).
                key_bindings=merge_key_bindings([
                    router_key_bindings(self.session, lambda: bool(
                        getattr(self.session, "complete_on_space", False))),
                    self._eof_bindings()]),
                style=STYLE,
                bottom_toolbar=lambda: toolbar_text(self.app.clock),
                refresh_interval=1.0,
                reserve_space_for_menu=0,  # Tab lists candidates above the prompt, no menu
            )
        return ps

    def _eof_bindings(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add("c-d", filter=Condition(lambda: not get_app().current_buffer.text))
        def _logout(event: KeyPressEvent) -> None:
            # Ctrl-D on an empty line: `exit` at the login mode's prompt (the line then reads
            # `user@r1> exit` as if typed); nothing in configuration (or any entered) mode.
            if self._operational():
                event.current_buffer.text = "exit"
                event.current_buffer.validate_and_handle()

        return kb

    def cancel_command(self) -> None:
        if self._running is not None:
            self._running.cancel()

    def _operational(self) -> bool:
        """At the mode the session logged in to, nothing entered on top (Junos `user@r1>`,
        IOS-style `host1>`, StarOS `[local]asr5k#`): where Ctrl-D logs out."""
        stack = getattr(self.session, "mode_stack", None)
        if stack is not None:
            return len(stack) == 1 and stack[0][0] == self._top_mode
        return not self.session.prompt().rstrip().endswith("#")

    def follow_terminal(self) -> None:
        """Give the session the window's size unless `set cli screen-length/width` changed
        the value we gave it last (then that value stays, as on the device)."""
        s, io = self.session, self.io
        io.follow_rows = io.follow_rows and s.screen_length == self._auto_size[0]
        io.follow_cols = io.follow_cols and s.screen_width == self._auto_size[1]
        rows, cols = io.terminal_size()
        if rows is not None:
            s.screen_length = rows
        if cols is not None:
            s.screen_width = cols
        self._auto_size = (s.screen_length, s.screen_width)

    async def run(self) -> int:
        while not self.session.closed:
            try:
                line = await self.prompt_session.prompt_async(lambda: self.session.prompt())
            except KeyboardInterrupt:
                continue  # Ctrl-C drops the line being typed
            except EOFError:  # the terminal went away
                return 0
            await self.execute(line)
        return 0

    async def execute(self, line: str) -> None:
        def started(task: asyncio.Task[Any]) -> None:
            self._running = task

        self.follow_terminal()
        try:
            res = await run_interruptible(
                self.guest.call(self.app.run, self.session, line, self.io),
                started)
        except Exception:  # the session reports its own errors; this is a bug
            log.exception("command failed: %r", line)
            print_formatted_text(f"routershell: internal error while running {line!r}")
            return
        finally:
            self._running = None
            await self.io.quiesce()  # the next prompt owns the terminal alone
        if res is INTERRUPTED:
            self.io.write("\n")
        if getattr(self.session, "switch_to", None) is not None:  # `lab attach NAME`
            old = self.session
            self.session = self.app.new_session()
            old.close()
            self._prompts.clear()
            self._top_mode = getattr(self.session, "mode", None)
            self.io.follow_rows = self.io.follow_cols = True
            self._auto_size = (self.session.screen_length, self.session.screen_width)
            self.session.set_notifier(self._notify)


def boot_status(app: Any) -> str:
    """One line on how far the lab's boot is: tunnels up of all, lab time."""
    from routershell.runtime.clock import format_hms

    up = total = 0
    for dev in getattr(app, "devices", {}).values():
        tunnels = getattr(dev, "tunnels", None)
        if tunnels is None:
            continue
        for t in tunnels.tunnels():
            total += 1
            up += t.state == "up"
    name = getattr(getattr(app, "spec", None), "name", "") or "lab"
    return (f"routershell: starting lab {name}: {up} of {total} tunnel{'s' if total != 1 else ''}"
            f" up, lab time {format_hms(app.clock.now())}")


BOOT_QUIET = 0.5  # wall seconds of boot before progress shows (small labs never show it)


async def show_boot_progress(app: Any, write: Any, quiet: float = BOOT_QUIET,
                             every: float = 0.25) -> None:
    """While the lab boots (trio runs as a guest of this loop), redraw one status line on the
    terminal; cancelled when the first prompt is due, which erases it."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        await asyncio.sleep(quiet)
        while True:
            # the wall seconds so far: tunnels of a big lab advance in step (all 0, then all
            # up), so the count alone would look frozen
            write(f"\r{boot_status(app)} ({loop.time() - start:.0f} s)\x1b[K")
            await asyncio.sleep(every)
    finally:
        write("\r\x1b[K")


async def rich_main(app: Any) -> int:
    """Boot the app as a trio guest, run the prompt loop, shut down cleanly."""
    guest = TrioGuest(app.clock.trio_clock)

    async def setup(nursery: Any) -> Any:
        await app.start(nursery)
        return app.new_session()

    def write(text: str) -> None:
        out = get_app_session().output
        out.write_raw(text)
        out.flush()

    progress = asyncio.ensure_future(show_boot_progress(app, write))
    try:
        session = await guest.start(setup)
    finally:
        progress.cancel()
        try:
            await progress
        except asyncio.CancelledError:
            pass
    shell = RichShell(app, session, guest)
    loop_task = asyncio.ensure_future(shell.run())
    assert guest.done is not None
    await asyncio.wait([loop_task, guest.done], return_when=asyncio.FIRST_COMPLETED)
    if not loop_task.done():  # trio stopped under us: tear the UI down, report why
        loop_task.cancel()
        try:
            await loop_task
        except (asyncio.CancelledError, Exception):
            pass
        guest.done.result().unwrap()
        return 1
    rc = loop_task.result()
    try:
        await guest.call(app.aclose)
    finally:
        (await guest.aclose()).unwrap()
    return rc


class _NoCprOutput(Vt100_Output):
    """Vt100 output that never asks for the cursor position.

    Without CPR prompt_toolkit does not know the rows below the cursor and hides the bottom
    toolbar; claiming one row lets it draw the layout at its natural height (toolbar right
    under the prompt) without the 1 s CPR stall or scrolling the screen."""

    def get_rows_below_cursor_position(self) -> int:
        return 1

    @property
    def responds_to_cpr(self) -> bool:
        return False


def run_rich(app: Any) -> int:
    """Entry used by main(): stdin and stdout are terminals here."""
    os.environ.setdefault("PROMPT_TOOLKIT_NO_CPR", "1")
    # from_env: NO_COLOR (or PROMPT_TOOLKIT_COLOR_DEPTH) as prompt_toolkit's own outputs do
    output = _NoCprOutput.from_pty(sys.stdout, term=os.environ.get("TERM"),
                                   default_color_depth=ColorDepth.from_env())
    output.enable_cpr = False

    async def with_output() -> int:
        with create_app_session(output=output):
            return await rich_main(app)

    return asyncio.run(with_output())
