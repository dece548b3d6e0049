"""The README's 60-second tour is what the default lab really prints (no hand-written output)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.platforms.junos.harness import Transcript, lab

README = Path(__file__).parents[1] / "README.md"


def _tour_blocks() -> list[str]:
    text = README.read_text()
    section = text[text.index("## A 60-second tour") : text.index("## Connect a real VPN peer")]
    return [b for b in re.findall(r"```\n(.*?)```", section, re.S) if b.startswith("user@r1> ")]


async def test_tour_output_is_real(mock_clock):
    blocks = _tour_blocks()
    assert len(blocks) >= 3
    commands = [ln[len("user@r1> ") :] for b in blocks for ln in b.splitlines() if ln.startswith("user@r1> ")]
    async with lab(mock_clock) as app:
        t = Transcript(app)
        for c in commands:
            t.io.write(t.session.prompt() + c + "\n")
            await app.run(t.session, c, t.io)
        transcript = t.io.text()
    for block in blocks:
        assert block in transcript
