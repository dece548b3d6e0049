"""The README's StarOS tour is what the shipped staros-crypto-group lab really prints."""

from __future__ import annotations

import re
from pathlib import Path

from routershell.engine.cryptogroup import Condition
from routershell.platforms.staros import traps
from tests.platforms.junos.harness import Transcript, lab

ROOT = Path(__file__).parents[3]
LAB = ROOT / "routershell" / "labs" / "staros-crypto-group.toml"


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Cisco StarOS")
    return text[start:text.index("\n## ", start + 5)]


async def test_tour_output_is_real(mock_clock):
    block = re.findall(r"```\n(.*?)```", _section(), re.S)[0]
    commands = [ln.split("# ", 1)[1] for ln in block.splitlines() if re.match(r"\[\w+\]asr5k(\([\w-]+\))?# ", ln)]
    async with lab(mock_clock, lab=LAB) as app:
        t = Transcript(app)
        text = await t.script(commands)
    assert block in text


def test_trap_table_matches_the_oids_sent():
    section = _section()
    for c in Condition:
        number, _, text = traps.TRAP_INFO[c]
        assert f"| {text} | {traps.trap_oid(c)} |" in section
