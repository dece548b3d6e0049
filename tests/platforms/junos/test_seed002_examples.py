"""Every configuration example of seed 002 (AS/MS PIC and ES PIC) loads with `load merge terminal` and passes
`commit check`, and commits (seed002/README.md says how the examples were transcribed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import Transcript, lab

HERE = Path(__file__).parent / "seed002"
EXAMPLES = sorted(p.name for p in HERE.glob("*.conf"))

def test_every_example_is_here():
    assert len(EXAMPLES) == 23  # 15 AS/MS PIC (and PKI), 8 ES PIC


@pytest.mark.parametrize("name", EXAMPLES)
async def test_seed002_example_loads_and_passes_commit_check(mock_clock, name):
    text = (HERE / name).read_text()
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        out = await t.run("load merge terminal", answers=text.splitlines() + ["\x04"])
        assert out.endswith("\nload complete\n"), out
        assert await t.run("commit check") == "configuration check succeeds\n"
        assert await t.run("commit") == "commit complete\n"  # and it compiles
