import pytest
import trio

from tests.runtime.world.helpers import make_world


@pytest.fixture
async def world(mock_clock, nursery):
    assert trio.lowlevel.current_clock() is mock_clock, "the test must request mock_clock"
    w = make_world(mock_clock)
    await nursery.start(w.scheduler.run)
    return w
