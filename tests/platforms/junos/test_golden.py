"""Golden transcripts of plain Junos sessions on the default lab (tests/golden_driver.py)."""

from __future__ import annotations

import pytest

from tests.golden_driver import GOLDEN_ROOT, cases, check

from .harness import Transcript, lab

GOLDEN = GOLDEN_ROOT / "junos"


@pytest.mark.parametrize("name", cases(GOLDEN))
async def test_golden_transcript(name, mock_clock):
    await check(GOLDEN, name, lambda: lab(mock_clock), Transcript)
