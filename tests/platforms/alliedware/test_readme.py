"""The README's AlliedWare section prints what the shipped lab really prints."""

from __future__ import annotations

import re
from pathlib import Path

from .harness import Transcript, lab

README = Path(__file__).parents[3] / "README.md"
PROMPT = "Manager r1> "


def _blocks() -> list[str]:
    text = README.read_text()
    start = text.index("## Allied Telesis AlliedWare")
    section = text[start : text.index("\n## ", start + 1)]
    fences = re.findall(r"^```(\w*)\n(.*?)^```$", section, re.S | re.M)  # opener, body pairs
    return [b for _lang, b in fences if b.startswith(PROMPT)]


async def test_tour_output_is_real(mock_clock):
    blocks = _blocks()
    assert len(blocks) == 2
    commands = [ln[len(PROMPT):] for b in blocks for ln in b.splitlines() if ln.startswith(PROMPT)]
    async with lab(mock_clock) as app:
        t = Transcript(app)
        transcript = await t.script(commands)
    for block in blocks:
        assert block in transcript
