"""Golden transcripts of AlliedWare sessions on the shipped alliedware-retry lab:
tests/golden/alliedware/<name>.cmds (one command a line) -> <name>.out, byte for byte.

UPDATE_GOLDEN=1 rewrites the .out files after a deliberate change; review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .harness import Transcript, lab

GOLDEN = Path(__file__).parents[2] / "golden" / "alliedware"
CASES = sorted(str(p.relative_to(GOLDEN).with_suffix("")) for p in GOLDEN.rglob("*.cmds"))


@pytest.mark.parametrize("name", CASES)
async def test_golden_transcript(name, mock_clock, tmp_path):
    lines = (GOLDEN / f"{name}.cmds").read_text().splitlines()
    async with lab(mock_clock, state_dir=tmp_path) as app:
        text = await Transcript(app).script(lines)
    expected = GOLDEN / f"{name}.out"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text)
    assert expected.exists(), f"no {expected.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == expected.read_text()
