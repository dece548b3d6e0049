"""Time from process start to the first prompt, plain and rich front-ends (median of N runs).

Plain: `python -m routershell` with stdin a pipe; stop the clock when "user@r1> " is read.
Rich: the same on a pty (pexpect, 100x40, TERM=xterm, no CPR); stop at "user@r1>".
Also the whole `routershell -c 'show version'` run. Target: under 0.3 s each.

    PYTHONPATH=. python scripts/bench_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CMD = [sys.executable, "-m", "routershell"]


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    # Measure what an installed copy does: with .pyc files (some sandboxes set this variable,
    # which makes every start recompile ~80 modules, +0.1 s).
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.update(extra)
    return e


def plain_once() -> float:
    t0 = time.perf_counter()
    p = subprocess.Popen(CMD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env())
    seen = b""
    while b"user@r1> " not in seen:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            raise RuntimeError(f"no prompt: {seen!r}")
        seen += chunk
    dt = time.perf_counter() - t0
    p.stdin.close()
    p.wait()
    return dt


def rich_once() -> float:
    import pexpect

    t0 = time.perf_counter()
    child = pexpect.spawn(CMD[0], CMD[1:], env=env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1"),
                          dimensions=(40, 100), timeout=10)
    child.expect_exact(b"user@r1>")
    dt = time.perf_counter() - t0
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    return dt


def command_once() -> float:
    t0 = time.perf_counter()
    subprocess.run([*CMD, "-c", "show version"], capture_output=True, env=env(), check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    n = ap.parse_args().runs
    for name, fn in (("startup_plain", plain_once), ("startup_rich", rich_once),
                     ("run_c_show_version", command_once)):
        fn()  # warm the OS file cache and .pyc files
        print(f"{name}: {statistics.median(fn() for _ in range(n)):.3f} s", flush=True)


if __name__ == "__main__":
    main()
