"""Plain line front-end: pipes, `-c`, `--plain`, TERM=dumb. Pure trio, no prompt_toolkit.

Output is exactly what a device prints: the prompt text as the session gives it (trailing
space included), no escape codes, "\\n" line ends (a pty's ONLCR turns them into CRLF).

Echo rule: when input does not come from a terminal (pipe, file, `-c`) the shell echoes each
line after the prompt so the transcript reads like a device session::

    user@r1> show version
    <output>
    user@r1>

On a terminal (`--plain` on a TTY) the terminal's own echo does that. Stdin mode prints a last
prompt before it sees end of input (a device shows its prompt before the session ends), then a
newline; `-c` mode stops after the last command's output, with no trailing prompt, so the
output of `routershell -c 'show version'` is the prompt line, the command and its output.

A line ending in `?` (outside quotes) prints the session's help for the text before it, once,
after the echoed line, and is not executed: line mode cannot keep a half-typed line the way a
keystroke `?` does. Broadcasts print as "\n<msg>\n" followed by the prompt again while the prompt
waits, and after the output when they arrive during a command. `-c` lines double as answers: a
question asked by a command reads the next `-c` command.

Exit status: a script (`-c`, or lines piped in) exits 1 when any of its commands printed an
error (a parse error, a command the device refused, a failed `lab` command; the session tells),
so a CI job driving the shell fails with its script; otherwise, and on a terminal, 0.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

import trio

from routershell.shell.words import help_request

log = logging.getLogger(__name__)


class LineSource(Protocol):
    async def next_line(self) -> str | None:
        """The next input line without its terminator; None at end of input."""

    def may_have_more(self) -> bool:
        """False once it is known that no further line will come."""


class ScriptLines:
    """Lines given up front (`-c`): commands, and the answers to their questions."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = list(lines)

    async def next_line(self) -> str | None:
        await trio.lowlevel.checkpoint()
        return self._lines.pop(0) if self._lines else None

    def may_have_more(self) -> bool:
        return bool(self._lines)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape").rstrip("\r")


class FdLines:
    """Lines from a file descriptor, read by one background task with os.read in a thread.

    os.read (not sys.stdin) so an abandoned thread holds no Python buffer lock at exit, and
    one persistent reader so a cancelled wait (Ctrl-C) never loses a line already read.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = b""
        self._eof = False
        self._changed = trio.Event()
        # Reads and discards are stamped in one order: a read the thread finished before a
        # Ctrl-C at the prompt was typed before it, even if trio hears of it after the
        # signal (under load the line came in after the discard and ran uninterrupted)
        self._stamps = itertools.count()
        self._discard_below = -1

    def _read(self) -> tuple[bytes, int]:
        """In the reader thread: one read, stamped when it returned."""
        data = os.read(self._fd, 65536)
        return data, next(self._stamps)

    async def reader(self) -> None:
        while not self._eof:
            try:
                data, stamp = await trio.to_thread.run_sync(self._read, abandon_on_cancel=True)
            except OSError:
                data, stamp = b"", next(self._stamps)
            self._deliver(data, stamp)

    def _deliver(self, data: bytes, stamp: int) -> None:
        if data:
            if stamp < self._discard_below:
                return  # typed before a Ctrl-C at the prompt: discarded with the rest
            self._buf += data
        else:
            self._eof = True
        self._changed.set()
        self._changed = trio.Event()

    async def next_line(self) -> str | None:
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                raw, self._buf = self._buf[:i], self._buf[i + 1:]
                return _decode(raw)
            if self._eof:
                raw, self._buf = self._buf, b""
                return _decode(raw) if raw else None
            await self._changed.wait()

    def may_have_more(self) -> bool:
        return not (self._eof and not self._buf)

    def discard(self) -> None:
        """Ctrl-C at the prompt: drop what was typed ahead, as the terminal driver flushes its
        input on an interrupt (a line typed before the ^C must not run after it)."""
        self._buf = b""
        self._discard_below = next(self._stamps)  # and what the reader thread holds already
        try:
            import termios

            if os.isatty(self._fd):
                termios.tcflush(self._fd, termios.TCIFLUSH)
        except (ImportError, OSError):
            pass


class PlainIO:
    """SessionIO over a line source and a text writer."""

    def __init__(self, write: Callable[[str], None], source: LineSource, *, echo: bool,
                 interactive: bool, hold: Callable[[], Any] | None = None) -> None:
        self._write = write
        self._source = source
        self.echo = echo
        self.interactive = interactive
        # the lab clock's holding(): waiting for an answer is idle time (no virtual time)
        self._hold = hold if hold is not None else contextlib.nullcontext

    def write(self, text: str) -> None:
        self._write(text)

    async def read_line(self, prompt: str = "") -> str | None:
        if prompt:
            self._write(prompt)
        with self._hold():
            line = await self._source.next_line()
        if line is not None and self.echo:
            self._write(line + "\n")
        return line

    async def read_key(self, prompt: str = "") -> str:
        # Line-buffered on purpose: a raw-mode read would race the line reader for the
        # same fd. Enter = "\n", "q" + Enter quits, " " + Enter = next page.
        line = await self.read_line(prompt)
        if line is None:
            return "q"
        return line[:1] or "\n"


class PlainShell:
    """The prompt/read/execute loop shared by stdin and `-c` modes."""

    def __init__(self, app: object, session: object, source: LineSource,
                 write: Callable[[str], None], *, echo: bool, interactive: bool,
                 final_prompt: bool) -> None:
        self.app = app
        self.session = session
        self.source = source
        self.write = write
        self.io = PlainIO(write, source, echo=echo, interactive=interactive,
                          hold=getattr(getattr(app, "clock", None), "holding", None))
        self.final_prompt = final_prompt
        self._at_prompt = ""
        self._pending: list[str] = []
        self._cmd_scope: trio.CancelScope | None = None
        self._stopped = False
        self.failures = 0  # commands that printed an error
        session.set_notifier(self.notify)  # type: ignore[attr-defined]

    def notify(self, msg: str) -> None:
        """Broadcast from the simulation: at the prompt print it and redraw the prompt;
        during a command keep it until the command's output is complete."""
        text = msg.rstrip("\n")
        if self._at_prompt:
            self.write(f"\n{text}\n{self._at_prompt}")
        else:
            self._pending.append(text)

    def stop(self) -> None:
        """End the session after the running command (cancelled) — output has nowhere to go."""
        self._stopped = True
        if self._cmd_scope is not None:
            self._cmd_scope.cancel()

    def interrupt(self) -> None:
        """Ctrl-C on a terminal: cancel the running command, or drop the line being typed."""
        if self._cmd_scope is not None:
            self._cmd_scope.cancel()
        elif self._at_prompt:
            discard = getattr(self.source, "discard", None)
            if discard is not None:
                discard()
            self.write("\n" + self._at_prompt)

    async def run(self) -> int:
        while not self.session.closed and not self._stopped:  # type: ignore[attr-defined]
            sess = self.session  # `lab attach` replaces it
            for text in self._pending:
                self.write(f"\n{text}\n")
            self._pending.clear()
            if not self.final_prompt and not self.source.may_have_more():
                break
            prompt = sess.prompt()  # type: ignore[attr-defined]
            self.write(prompt)
            self._at_prompt = prompt
            try:
                line = await self.read_command()
            finally:
                self._at_prompt = ""
            if line is None:
                self.write("\n")
                break
            if self.io.echo:
                self.write(line + "\n")
            asked = help_request(line)
            if asked is not None:
                self.write(self.help(prompt, asked))
                continue
            await self.execute(line)
        return 0

    async def read_command(self) -> str | None:
        """The next command line at the prompt (a served terminal also answers `?` here)."""
        return await self.source.next_line()

    def help(self, prompt: str, text: str) -> str:
        try:
            return self.session.help_body(text)  # type: ignore[attr-defined]
        except Exception:  # help must never end the session
            log.exception("help failed: %r", text)
            return ""

    async def execute(self, line: str) -> None:
        with trio.CancelScope() as scope:
            self._cmd_scope = scope
            try:
                await self.app.run(self.session, line, self.io)  # type: ignore[attr-defined]
            except Exception:  # the session reports its own errors; this is a bug
                log.exception("command failed: %r", line)
                print(f"routershell: internal error while running {line!r}", file=sys.stderr)
            finally:
                self._cmd_scope = None
        if scope.cancelled_caught:
            self.write("\n")
        if getattr(self.session, "failed", False):
            self.failures += 1
        self.switch_if_asked()

    def switch_if_asked(self) -> None:
        """`lab attach NAME`: this terminal continues on a new session of that device."""
        target = getattr(self.session, "switch_to", None)
        if target is None:
            return
        old = self.session
        self.session = self.app.new_session()  # type: ignore[attr-defined]
        old.close()  # type: ignore[attr-defined]
        self.session.set_notifier(self.notify)  # type: ignore[attr-defined]

    async def watch_sigint(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with trio.open_signal_receiver(signal.SIGINT) as signals:
            task_status.started()
            async for _ in signals:
                self.interrupt()

    interrupted = False

    async def watch_sigint_script(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Ctrl-C on a script (`-c`, piped input): stop the running command and the script,
        as an interrupted shell script stops (exit status 130)."""
        with trio.open_signal_receiver(signal.SIGINT) as signals:
            task_status.started()
            async for _ in signals:
                self.interrupted = True
                self.stop()


class StdoutWriter:
    """Writes and flushes sys.stdout; a reader that went away (`| head`) ends the session
    quietly instead of raising into the command that happened to be writing."""

    def __init__(self, on_broken: Callable[[], None] = lambda: None) -> None:
        self.broken = False
        self.on_broken = on_broken
        try:
            sys.stdout.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass

    def __call__(self, text: str) -> None:
        if self.broken:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            self.broken = True
            # Keep the interpreter's final flush from reporting the same broken pipe.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            self.on_broken()


async def plain_main(app: object, commands: list[str] | None, *, stdin_tty: bool) -> int:
    """Boot the app, run one session over stdin/stdout (or `commands`), shut down."""
    write = StdoutWriter()
    async with trio.open_nursery() as nursery:
        await app.start(nursery)  # type: ignore[attr-defined]
        session = app.new_session()  # type: ignore[attr-defined]
        source: LineSource
        if commands is not None:
            source = ScriptLines(commands)
        else:
            fd_lines = FdLines(sys.stdin.fileno())
            nursery.start_soon(fd_lines.reader)
            source = fd_lines
        tty = commands is None and stdin_tty
        # No pager here: a line-buffered "key" needs q and Enter and would swallow the next
        # command typed; paging belongs to the rich front-end, which reads single keys.
        shell = PlainShell(app, session, source, write, echo=not tty, interactive=False,
                           final_prompt=commands is None)
        write.on_broken = shell.stop
        # handler in place before the first prompt or echo: a ^C after that is always ours
        await nursery.start(shell.watch_sigint if tty else shell.watch_sigint_script)
        rc = await shell.run()
        if write.broken or (shell.failures and not tty):
            rc = 1  # a script whose commands failed fails
        if shell.interrupted:
            rc = 130  # 128 + SIGINT, as a shell reports an interrupted script
        await app.aclose()  # type: ignore[attr-defined]
        nursery.cancel_scope.cancel()
    return rc


def run_plain(app: object, commands: list[str] | None, *, stdin_tty: bool) -> int:
    """Entry used by main(): trio.run on the app's clock."""
    return trio.run(partial(plain_main, app, commands, stdin_tty=stdin_tty),
                    clock=app.clock.trio_clock)  # type: ignore[attr-defined]
