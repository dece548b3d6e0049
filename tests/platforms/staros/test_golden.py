"""Golden transcripts of plain StarOS sessions on the shipped staros-crypto-group lab:
tests/golden/staros/<name>.cmds (one command a line) -> <name>.out, byte for byte.

UPDATE_GOLDEN=1 rewrites the .out files after a deliberate change; review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.platforms.junos.harness import Transcript, lab

GOLDEN = Path(__file__).parents[2] / "golden" / "staros"
LAB = Path(__file__).parents[3] / "routershell" / "labs" / "staros-crypto-group.toml"
CASES = sorted(p.stem for p in GOLDEN.glob("*.cmds"))


@pytest.mark.parametrize("name", CASES)
async def test_golden_transcript(name, mock_clock):
    lines = (GOLDEN / f"{name}.cmds").read_text().splitlines()
    async with lab(mock_clock, lab=LAB) as app:
        text = await Transcript(app).script(lines)
    expected = GOLDEN / f"{name}.out"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text)
    assert expected.exists(), f"no {expected.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == expected.read_text()
