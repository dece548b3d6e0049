"""Golden transcripts on the shipped two-router labs: tests/golden/junos/espic/<name>.espic (one
command a line; a first line `#lab NAME` picks the lab, default junos-ospf-ipsec) -> <name>.out.

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
LABS = Path(__file__).parents[4] / "routershell" / "labs"
CASES = sorted(p.stem for p in GOLDEN.glob("*.espic"))


def test_cases_found():
    assert {"ospf-ipsec", "ospf-sa-mismatch", "es-manual-mismatch"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
async def test_golden_transcript(name, mock_clock):
    lines = (GOLDEN / f"{name}.espic").read_text().splitlines()
    lab_name = "junos-ospf-ipsec"
    if lines and lines[0].startswith("#lab "):
        lab_name = lines.pop(0).split()[1]
    app = App("virtual", trio_clock=mock_clock, lab=load_lab(LABS / f"{lab_name}.toml"))
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
