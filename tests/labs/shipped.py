"""Helpers for the shipped-lab tests: run a lab on the mock clock and feed it a solution."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path

from routershell.labs.labfile import load_lab
from tests.platforms.junos.harness import Transcript, lab

LABS = Path(__file__).parents[2] / "routershell" / "labs"
SOLUTIONS = Path(__file__).parent / "solutions"


def lab_path(name: str) -> Path:
    return LABS / f"{name}.toml"


@asynccontextmanager
async def shipped(clock, name: str, **kw):
    async with lab(clock, lab=load_lab(lab_path(name)), **kw) as app:
        yield app, Transcript(app)


async def load_terminal(t: Transcript, text: str) -> str:
    return await t.run("load merge terminal", answers=text.splitlines() + ["\x04"])


async def grade(t: Transcript) -> dict:
    return json.loads(await t.run("lab grade json"))


def failed(report: dict) -> list[str]:
    return [o["name"] for o in report["objectives"] if not o["passed"]]


def ticket(name: str = "junos-commit-errors") -> list[str]:
    """The `set` commands a lab's first task quotes."""
    spec = load_lab(lab_path(name))
    return [ln.strip() for ln in spec.tasks[0].text.splitlines() if ln.strip().startswith("set ")]
