"""Drive the shipped AlliedWare lab through a CliSession the way the plain front-end does."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import trio

from routershell.app import App
from routershell.cli.io import BufferIO

LAB = Path(__file__).parents[3] / "routershell" / "labs" / "alliedware-retry.toml"


class Transcript:
    def __init__(self, app: App, user: str = "manager", client: str = "terminal") -> None:
        self.app = app
        self.session = app.new_session(user, client)
        self.io = BufferIO()

    async def run(self, line: str) -> str:
        """Run one line; return only what it printed."""
        start = len(self.io.text())
        await self.app.run(self.session, line, self.io)
        return self.io.text()[start:]

    async def script(self, lines: list[str]) -> str:
        """Prompt + line before each command's output, then the final prompt."""
        for line in lines:
            self.io.write(self.session.prompt() + line + "\n")
            await self.app.run(self.session, line, self.io)
            if self.session.closed:
                return self.io.text()
        self.io.write(self.session.prompt())
        return self.io.text()


@asynccontextmanager
async def lab(mock_clock=None, path: Path = LAB, **kw):
    app = App("virtual", lab=path, trio_clock=mock_clock, **kw)
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            yield app
        finally:
            n.cancel_scope.cancel()
            await app.aclose()
