"""The one golden-transcript driver every platform's test_golden.py uses:
tests/golden/<platform>/**/<name>.cmds (one command a line) -> <name>.out, byte for byte.

UPDATE_GOLDEN=1 rewrites the .out files after a deliberate change; review the diff. A missing
.out fails (it is never written silently).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOLDEN_ROOT = Path(__file__).parent / "golden"


def cases(golden: Path) -> list[str]:
    return sorted(str(p.relative_to(golden).with_suffix("")) for p in golden.rglob("*.cmds"))


async def check(golden: Path, name: str, open_lab: Callable[[], Any], transcript: Callable[[Any], Any]) -> None:
    """Run `<name>.cmds` on a lab from `open_lab()` (an async context manager yielding the
    App) through `transcript(app)` and compare with `<name>.out`."""
    lines = (golden / f"{name}.cmds").read_text().splitlines()
    async with open_lab() as app:
        text = await transcript(app).script(lines)
    expected = golden / f"{name}.out"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text)
    assert expected.exists(), f"no {expected.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == expected.read_text()
