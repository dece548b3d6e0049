"""The command-line fuzzer in the suite (issue 18): a fixed seed and a budget that fits CI, over
every platform's shipped lab; scripts/fuzz_cli.py runs it at scale."""

from __future__ import annotations

import random

import pytest

from tests.cli.cli_fuzz import fuzz_session
from tests.platforms.junos.harness import lab

LABS = ["default", "junose-ism", "staros-crypto-group", "alliedware-retry"]


@pytest.mark.parametrize("name", LABS)
async def test_random_lines_never_break_a_session(mock_clock, name):
    from routershell.labs.labfile import default_lab, load_lab
    from routershell.main import _existing_file

    spec = default_lab() if name == "default" else load_lab(_existing_file(name))
    async with lab(mock_clock, lab=spec) as app:
        bad = await fuzz_session(app, random.Random(f"fuzz-{name}"), 300)
    assert bad == []
