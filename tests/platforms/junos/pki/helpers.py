"""The shipped PKI enrollment lab (routershell/labs/pki-enrollment.toml), with the CA's keys
overridable per test, driven through CLI sessions on the test's MockClock."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from pathlib import Path

import routershell.labs as labs_pkg
from routershell.labs.labfile import parse_lab

from ..harness import Transcript, lab

LABS = Path(labs_pkg.__file__).parent
LAB = LABS / "pki-enrollment.toml"
ENROLL = ('request security pki local-certificate enroll certificate-id {d}-cert ca-profile lab-ca '
          'subject "CN={d},O=example,C=US" ip-address 192.0.2.{n}')


def lab_spec(**ca: object):
    """The lab with `[ca.lab-ca]` keys replaced or added (TOML values given as Python values)."""
    text = LAB.read_text()
    for key, v in ca.items():
        tv = ("true" if v else "false") if isinstance(v, bool) else (f'"{v}"' if isinstance(v, str) else str(v))
        pat = re.compile(rf"^#?\s*{key} = .*$", re.M)
        text = pat.sub(f"{key} = {tv}", text, count=1) if pat.search(text) else text + f"\n{key} = {tv}\n"
    return parse_lab(text, str(LAB), base=LABS)


@asynccontextmanager
async def pki_lab(mock_clock, **ca: object):
    async with lab(mock_clock, lab=lab_spec(**ca)) as app:
        yield app, Transcript(app)


async def on(t: Transcript, device: str) -> None:
    if t.session.device.name != device:
        await t.run(f"lab attach {device}")


async def enroll(t: Transcript, device: str, size: int = 1024) -> str:
    """CA certificate (answering yes), key pair and online enrollment on `device`."""
    await on(t, device)
    out = await t.run("request security pki ca-certificate enroll ca-profile lab-ca", ["yes"])
    assert "loaded successfully" in out, out
    out = await t.run(f"request security pki generate-key-pair certificate-id {device}-cert size {size}")
    assert out == f"Generated key pair {device}-cert, key size {size} bits\n"
    return await t.run(ENROLL.format(d=device, n=device[1:]))
