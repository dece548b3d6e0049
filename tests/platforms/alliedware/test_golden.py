"""Golden transcripts of AlliedWare sessions on the shipped alliedware-retry lab
(tests/golden_driver.py)."""

from __future__ import annotations

import pytest

from tests.golden_driver import GOLDEN_ROOT, cases, check

from .harness import Transcript, lab

GOLDEN = GOLDEN_ROOT / "alliedware"


@pytest.mark.parametrize("name", cases(GOLDEN))
async def test_golden_transcript(name, mock_clock, tmp_path):
    await check(GOLDEN, name, lambda: lab(mock_clock, state_dir=tmp_path), Transcript)
