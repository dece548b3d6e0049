"""Golden transcripts of the IPsec show commands in several states of the default lab
(tests/golden/junos/ipsec/<state>.cmds -> .out). UPDATE_GOLDEN=1 rewrites them after a
deliberate change; review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..harness import Transcript, lab

GOLDEN = Path(__file__).parents[3] / "golden" / "junos" / "ipsec"
CASES = sorted(p.stem for p in GOLDEN.glob("*.cmds"))


@pytest.mark.parametrize("name", CASES)
async def test_ipsec_golden(name, mock_clock):
    lines = (GOLDEN / f"{name}.cmds").read_text().splitlines()
    async with lab(mock_clock) as app:
        text = await Transcript(app).script(lines)
    expected = GOLDEN / f"{name}.out"
    if os.environ.get("UPDATE_GOLDEN") or not expected.exists():
        expected.write_text(text)
    assert text == expected.read_text()
