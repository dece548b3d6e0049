from __future__ import annotations

from contextlib import asynccontextmanager

import trio

from routershell.app import App
from tests.platforms.junos.harness import Transcript

from .fake_world import FakeWorld


@asynccontextmanager
async def running(clock, lab=None, **kw):
    """An App on the test's MockClock with the fake world; yields (app, transcript)."""
    app = App("virtual", trio_clock=clock, lab=lab, world_factory=FakeWorld, **kw)
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            yield app, Transcript(app)
        finally:
            n.cancel_scope.cancel()
            await app.aclose()
