"""Rich front-end: prompt_toolkit on asyncio, the simulation on trio as a guest.

Only used on a real terminal (see main.wants_plain). CPR is off (a pty without CPR replies
would stall every prompt by 1 s, stack.md §5.1). Ctrl-C drops the line being typed or cancels
the running command; Ctrl-D on an empty line leaves the shell at the operational prompt and is
ignored in configuration mode (leave that with `exit`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sys
from datetime import timedelta
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import (
    Application,
    create_app_session,
    get_app_session,
    run_in_terminal,
)
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout import Layout, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.lexers import PygmentsLexer
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


class RichIO:
    """SessionIO over prompt_toolkit: nested prompt for lines, a one-key app for the pager."""

    interactive = True

    def __init__(self, guest: TrioGuest, cancel_command: Any) -> None:
        self._guest = guest
        self._cancel_command = cancel_command

    def write(self, text: str) -> None:
        out = get_app_session().output
        out.write_raw(text)
        out.flush()

    async def read_line(self, prompt: str = "") -> str | None:
        return await self._guest.on_host(self._read_line, prompt)

    async def read_key(self, prompt: str = "") -> str:
        return await self._guest.on_host(self._read_key, prompt)

    async def _read_line(self, prompt: str) -> str | None:
        try:
            return await PromptSession().prompt_async(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:
            self._cancel_command()
            return None

    async def _read_key(self, prompt: str) -> str:
        kb = KeyBindings()

        @kb.add(Keys.Any)
        def _any(event: KeyPressEvent) -> None:
            event.app.exit(result=event.data)

        @kb.add("enter")
        def _enter(event: KeyPressEvent) -> None:
            event.app.exit(result="\n")

        @kb.add("c-d")
        def _eof(event: KeyPressEvent) -> None:
            event.app.exit(result="q")

        @kb.add("c-c")
        def _cancel(event: KeyPressEvent) -> None:
            self._cancel_command()
            event.app.exit(result="q")

        app: Application[str] = Application(
            layout=Layout(Window(FormattedTextControl(prompt), dont_extend_height=True)),
            key_bindings=kb, full_screen=False, erase_when_done=True)
        return await app.run_async()


class RichShell:
    """The prompt loop of one session on the rich front-end."""

    def __init__(self, app: Any, session: Any, guest: TrioGuest) -> None:
        self.app = app
        self.session = session
        self.guest = guest
        self._running: asyncio.Task[Any] | None = None
        self.io = RichIO(guest, self.cancel_command)
        self.prompt_session: PromptSession[str] = PromptSession(
            completer=RouterCompleter(session),
            complete_while_typing=False,
            lexer=PygmentsLexer(RouterLexer),
            history=InMemoryHistory(),
            # `set cli complete-on-space` lives in the session (Junos default on).
            key_bindings=router_key_bindings(
                session, lambda: bool(getattr(session, "complete_on_space", False))),
            style=STYLE,
            bottom_toolbar=lambda: toolbar_text(app.clock),
            refresh_interval=1.0,
            reserve_space_for_menu=0,  # Tab lists candidates above the prompt, no menu
        )
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()

        def show(msg: str) -> None:
            run_in_terminal(lambda: print_formatted_text(msg.rstrip("\n")))

        def notify(msg: str) -> None:  # called from trio tasks; same thread, but be safe
            loop.call_soon_threadsafe(ctx.run, show, msg)

        self._notify = notify
        session.set_notifier(notify)

    def cancel_command(self) -> None:
        if self._running is not None:
            self._running.cancel()

    def _operational(self) -> bool:
        return not self.session.prompt().rstrip().endswith("#")

    async def run(self) -> int:
        while not self.session.closed:
            try:
                line = await self.prompt_session.prompt_async(self.session.prompt())
            except KeyboardInterrupt:
                continue  # Ctrl-C drops the line being typed
            except EOFError:
                if self._operational():
                    return 0
                continue
            await self.execute(line)
        return 0

    async def execute(self, line: str) -> None:
        def started(task: asyncio.Task[Any]) -> None:
            self._running = task

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
        if res is INTERRUPTED:
            self.io.write("\n")
        if getattr(self.session, "switch_to", None) is not None:  # `lab attach NAME`
            old = self.session
            self.session = self.app.new_session()
            old.close()
            self.prompt_session.completer = RouterCompleter(self.session)
            self.prompt_session.key_bindings = router_key_bindings(
                self.session, lambda: bool(getattr(self.session, "complete_on_space", False)))
            self.session.set_notifier(self._notify)


async def rich_main(app: Any) -> int:
    """Boot the app as a trio guest, run the prompt loop, shut down cleanly."""
    guest = TrioGuest(app.clock.trio_clock)

    async def setup(nursery: Any) -> Any:
        await app.start(nursery)
        return app.new_session()

    session = await guest.start(setup)
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
    output = _NoCprOutput.from_pty(sys.stdout, term=os.environ.get("TERM"))
    output.enable_cpr = False

    async def with_output() -> int:
        with create_app_session(output=output):
            return await rich_main(app)

    return asyncio.run(with_output())
