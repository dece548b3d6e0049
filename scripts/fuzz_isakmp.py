"""ISAKMP fuzzer at scale: mutated datagrams into endpoints mid-negotiation (issue 18).

Run: PYTHONPATH=. python scripts/fuzz_isakmp.py [rounds] [seed]
Prints one `name: value unit` per line: mutated datagrams per second, rounds, completions,
derailments by unprotected messages (IKEv1 main mode 1-4 / aggressive 1 have no integrity
protection), and failures (exceptions, internal errors, protected mutations that stopped a
genuine exchange), which must be 0. The harness is tests/engine/isakmp_fuzz.py; the suite runs
it with a fixed seed and a small budget.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.engine.isakmp_fuzz import run  # noqa: E402


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    failures: list[str] = []
    for label, protected in (("protected", True), ("any", False)):
        start = time.perf_counter()
        res = run(seed, rounds, protected_only=protected)
        elapsed = time.perf_counter() - start
        failures += res.failures
        print(f"{label}_mutated_datagrams: {res.mutated} datagrams")
        print(f"{label}_rate: {res.mutated / elapsed:.0f} datagrams/s")
        print(f"{label}_rounds: {res.rounds} negotiations")
        print(f"{label}_completed: {res.completed} negotiations")
        print(f"{label}_derailed_unprotected: {res.derailed} negotiations")
        print(f"{label}_failures: {len(res.failures)} failures")
    for f in failures[:20]:
        print(f"# {f}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
