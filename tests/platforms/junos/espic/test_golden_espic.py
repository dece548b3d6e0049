"""Golden transcripts on the shipped lab junos-ospf-ipsec (two routers):
tests/golden/junos/espic/<name>.espic (one command a line) -> <name>.out.

The commands are not named *.cmds, which test_golden.py runs on the one-router default lab.
UPDATE_GOLDEN=1 rewrites the .out files after a deliberate change; review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trio

from routershell.app import App
from routershell.labs.labfile import load_lab

from ..harness import Transcript

GOLDEN = Path(__file__).parents[3] / "golden" / "junos" / "espic"
LAB = Path(__file__).parents[4] / "routershell" / "labs" / "junos-ospf-ipsec.toml"
CASES = sorted(p.stem for p in GOLDEN.glob("*.espic"))


def test_cases_found():
    assert {"ospf-ipsec", "ospf-sa-mismatch"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
async def test_golden_transcript(name, mock_clock):
    lines = (GOLDEN / f"{name}.espic").read_text().splitlines()
    app = App("virtual", trio_clock=mock_clock, lab=load_lab(LAB))
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            text = await Transcript(app).script(lines)
        finally:
            n.cancel_scope.cancel()
            await app.aclose()
    expected = GOLDEN / f"{name}.out"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text)
    assert expected.exists(), f"no {expected.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == expected.read_text()
