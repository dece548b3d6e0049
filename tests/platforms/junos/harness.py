"""Drive a lab through a CliSession the way a plain front-end does (prompt, echo, output)."""

from __future__ import annotations

from contextlib import asynccontextmanager

import trio

from routershell.app import App
from routershell.cli.io import BufferIO


class Transcript:
    def __init__(self, app: App) -> None:
        self.app = app
        self.session = app.new_session()
        self.io = BufferIO()

    async def run(self, line: str, answers: list[str] | None = None) -> str:
        """Run one line; return only what it printed (prompt and echo excluded)."""
        if answers:
            self.io.feed(*answers)
        start = len(self.io.text())
        await self.app.run(self.session, line, self.io)
        self._switch()
        return self.io.text()[start:]

    def _switch(self) -> None:
        """Follow `lab attach NAME` the way the front-ends do."""
        if self.session.switch_to is not None:
            old, self.session = self.session, self.app.new_session()
            old.close()

    async def script(self, lines: list[str]) -> str:
        """A whole transcript: prompt + line before each command's output, final prompt."""
        for line in lines:
            self.io.write(self.session.prompt() + line + "\n")
            await self.app.run(self.session, line, self.io)
            self._switch()
        self.io.write(self.session.prompt())
        return self.io.text()


@asynccontextmanager
async def lab(mock_clock=None, **kw):
    """An App on the test's MockClock (pytest-trio's autojump/mock clock fixture)."""
    app = App("virtual", trio_clock=mock_clock, **kw)
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            yield app
        finally:
            n.cancel_scope.cancel()
            await app.aclose()
