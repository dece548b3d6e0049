"""Golden transcripts of plain JunosE sessions on the shipped junose-ism lab
(tests/golden_driver.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden_driver import GOLDEN_ROOT, cases, check
from tests.platforms.junos.harness import Transcript, lab

GOLDEN = GOLDEN_ROOT / "junose"
LAB = Path(__file__).parents[3] / "routershell" / "labs" / "junose-ism.toml"


@pytest.mark.parametrize("name", cases(GOLDEN))
async def test_golden_transcript(name, mock_clock):
    await check(GOLDEN, name, lambda: lab(mock_clock, lab=LAB), Transcript)
