"""Golden transcripts of the PKI shows on the PKI enrollment lab:
tests/golden/junos-pki/<name>.cmds -> <name>.out (UPDATE_GOLDEN=1 rewrites; review the diff).
Keys, serials and signatures come from the seeded streams, so the bytes are the same every run;
commands that ask "[yes,no]" are answered yes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import pki_lab

GOLDEN = Path(__file__).parents[3] / "golden" / "junos-pki"
CASES = sorted(p.stem for p in GOLDEN.glob("*.cmds"))


@pytest.mark.parametrize("name", CASES)
async def test_pki_golden(name, mock_clock):
    lines = (GOLDEN / f"{name}.cmds").read_text().splitlines()
    async with pki_lab(mock_clock) as (app, t):
        for line in lines:
            if "ca-certificate enroll" in line or "ca-certificate load" in line:
                t.io.feed("yes")
            t.io.write(t.session.prompt() + line + "\n")
            await app.run(t.session, line, t.io)
            t._switch()
        t.io.write(t.session.prompt())
        text = t.io.text()
    expected = GOLDEN / f"{name}.out"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text)
    assert expected.exists(), f"no {expected.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == expected.read_text()
