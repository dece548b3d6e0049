import pytest
import trio

from .helpers import make_world


@pytest.fixture
async def world(mock_clock, nursery):
    """A world on the test's MockClock. pytest-trio only runs a test on a clock the test
    function itself requests, so every test using this fixture also takes `mock_clock`."""
    assert trio.lowlevel.current_clock() is mock_clock, "the test must request mock_clock"
    w = make_world(mock_clock)
    await nursery.start(w.scheduler.run)
    return w
