"""Test doubles for the front-ends: a small CliSession and App with the documented interface.

FakeSession behaves like the device where the front-ends care: prompts (operational and
`[edit]` configuration), `?` help, completion, a question read through io, a pager read
through io.read_key, a long command (to cancel) and broadcasts.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import trio
import trio.testing

TREE = {
    "show": ("Show information", {"version": "Show software process revision levels",
                                  "vpn": "Show VPN status", "vlans": "Show VLANs"}),
    "configure": ("Manipulate software configuration information", {}),
    "ping": ("Ping a remote target", {}),
    "request": ("Make system-level requests", {"question": "Ask a yes/no question",
                                               "page": "Print a paged listing"}),
    "exit": ("Exit the management session", {}),
}


class FakeSession:
    def __init__(self, host: str = "r1") -> None:
        self.host = host
        self.closed = False
        self.config = False
        self.executed: list[str] = []
        self.notifier: Callable[[str], None] | None = None
        self.answers: list[str | None] = []
        self.cancelled = False
        self.screen_length = 24  # as CliSession: the rich shell gives it the window's size
        self.screen_width = 80

    def prompt(self) -> str:
        if self.config:
            return f"\n[edit]\nuser@{self.host}# "
        return f"user@{self.host}> "

    def complete(self, text: str) -> list[tuple[str, str, str]]:
        words = text.split()
        partial = "" if not text or text.endswith(" ") else words.pop()
        if not words:
            level = {k: v[0] for k, v in TREE.items()}
        elif len(words) == 1 and words[0] in TREE:
            level = TREE[words[0]][1]
        else:
            level = {}
        return [(k, k, h) for k, h in sorted(level.items()) if k.startswith(partial)]

    def help_body(self, text: str) -> str:
        found = self.complete(text)
        if not found:
            return "No valid completions\n"
        return "Possible completions:\n" + "".join(f"  {d:<20} {h}\n" for _, d, h in found)

    def set_notifier(self, cb: Callable[[str], None]) -> None:
        self.notifier = cb

    async def execute(self, line: str, io) -> None:
        self.executed.append(line)
        words = line.split()
        if not words:
            return
        if words[0] == "exit":
            if self.config:
                self.config = False
                io.write("Exiting configuration mode\n")
            else:
                self.closed = True
        elif words[0] == "configure":
            self.config = True
            io.write("Entering configuration mode\n")
        elif words[:2] == ["show", "version"]:
            io.write(f"Hostname: {self.host}\n")
        elif words[0] == "ping":
            try:
                for i in range(5):
                    io.write(f"reply {i}\n")
                    await trio.sleep(1)
            except trio.Cancelled:
                self.cancelled = True
                raise
        elif words[:2] == ["request", "question"]:
            answer = await io.read_line("Continue? [yes,no] (no) ")
            self.answers.append(answer)
            io.write(f"answer: {answer}\n")
        elif words[:2] == ["request", "page"]:
            io.write("line 1\n")
            key = await io.read_key("---(more)---")
            io.write(f"key: {key!r}\n")
        elif words[:2] == ["request", "broadcast"]:
            assert self.notifier is not None
            self.notifier("Message from r1: hello")
            io.write("sent\n")
        else:
            io.write("unknown command.\n")


class FakeClock:
    def __init__(self, mode: str = "virtual", rate: float = 0.0) -> None:
        self.mode = mode
        self.trio_clock = trio.testing.MockClock(rate=rate)
        self.holds: list[str] = []

    @contextmanager
    def holding(self):
        """As LabClock.holding: the front-end says a command waits for the person."""
        self.holds.append("hold")
        try:
            yield
        finally:
            self.holds.append("release")

    async def run_command(self, afn, *args):
        if self.mode != "virtual":
            return await afn(*args)
        self.trio_clock.autojump_threshold = 0
        try:
            return await afn(*args)
        finally:
            self.trio_clock.autojump_threshold = float("inf")


class FakeApp:
    def __init__(self, session: FakeSession | None = None, mode: str = "virtual",
                 rate: float = 0.0) -> None:
        self.clock = FakeClock(mode, rate)
        self.session = session or FakeSession()
        self.started = False
        self.closed = False

    async def start(self, nursery) -> None:
        self.started = True
        await trio.lowlevel.checkpoint()

    def new_session(self, user: str = "user") -> FakeSession:
        return self.session

    async def run(self, session, line: str, io) -> None:  # App.run without a world to settle
        await self.clock.run_command(session.execute, line, io)

    async def aclose(self) -> None:
        self.closed = True
        await trio.lowlevel.checkpoint()
