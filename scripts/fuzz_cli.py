"""Random command lines into every platform's shipped lab, at scale (the suite runs the same
fuzzer with a small budget: tests/cli/test_fuzz_lines.py).

    PYTHONPATH=. python scripts/fuzz_cli.py [LINES_PER_LAB] [SEED]

Prints lines/s per lab and the number of failures (a raise or an internal error); failing
lines are printed after the figures.
"""

from __future__ import annotations

import random
import sys
import time

import trio
import trio.testing

from routershell.app import App
from routershell.labs.labfile import default_lab, load_lab
from routershell.main import _existing_file
from tests.cli.cli_fuzz import fuzz_session

LABS = ["default", "junose-ism", "staros-crypto-group", "alliedware-retry"]


async def one(name: str, n: int, seed: int, clock) -> tuple[float, list]:
    spec = default_lab() if name == "default" else load_lab(_existing_file(name))
    app = App("virtual", trio_clock=clock, lab=spec)
    async with trio.open_nursery() as nursery:
        await app.start(nursery)
        t0 = time.perf_counter()
        bad = await fuzz_session(app, random.Random(f"{seed}-{name}"), n)
        rate = n / (time.perf_counter() - t0)
        nursery.cancel_scope.cancel()
    await app.aclose()
    return rate, bad


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    failures = []
    for name in LABS:
        clock = trio.testing.MockClock(autojump_threshold=0)
        rate, bad = trio.run(one, name, n, seed, clock, clock=clock)
        print(f"fuzz_cli_{name}_lines_per_s: {rate:.0f}")
        print(f"fuzz_cli_{name}_failures: {len(bad)}")
        failures += [(name, line, out) for line, out in bad]
    for name, line, out in failures[:20]:
        print(f"FAIL {name}: {line!r}\n  {out!r}")


if __name__ == "__main__":
    main()
