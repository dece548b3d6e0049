"""Keystroke echo of the rich shell while a large lab's tunnels negotiate, and its boot time.

Starts `routershell --lab <N-tunnel lab> --clock x60` on a pty (100x40, TERM=xterm), waits for
the first prompt (boot_wall), runs `clear services ipsec-vpn ipsec security-associations` so all N
tunnels negotiate again, then types keys one at a time, each when the previous one has echoed,
and measures from the write of a key to its echo on the terminal (median, 95th percentile and
worst). Target: echo under 50 ms while the tunnels negotiate.

    PYTHONPATH=. python scripts/bench_echo.py [--tunnels 2000] [--keys 200] [--clock x60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from big_lab import write_lab  # noqa: E402

KEYS = "zwvjyqg"  # letters that neither the prompt nor the toolbar prints


def drain(child, pexpect) -> None:
    """Read and drop everything the shell has written so far."""
    while True:
        try:
            child.read_nonblocking(1 << 16, timeout=0)
        except pexpect.TIMEOUT:
            break
    child.buffer = b""


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tunnels", type=int, default=2000)
    ap.add_argument("--keys", type=int, default=300)
    ap.add_argument("--clock", default="x10")
    ap.add_argument("--lifetime", type=int, default=180, help="IPsec SA lifetime (s)")
    ap.add_argument("--log", help="write what the shell printed to this file")
    args = ap.parse_args(argv)
    import pexpect

    with tempfile.TemporaryDirectory() as tmp:
        lab = write_lab(args.tunnels, Path(tmp), args.lifetime)
        env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1",
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        t0 = time.perf_counter()
        child = pexpect.spawn(sys.executable, ["-m", "routershell", "--lab", str(lab),
                                               "--clock", args.clock],
                              env=env, dimensions=(40, 100), timeout=600)
        child.delaybeforesend = None  # pexpect waits 50 ms before every send by default
        if args.log:
            child.logfile_read = open(args.log, "wb")  # noqa: SIM115 - closed with the child
        child.expect_exact(b"user@r1>")
        boot = time.perf_counter() - t0
        delays = []
        for i in range(args.keys):
            if i and i % 40 == 0:
                child.send("\x15")  # Ctrl-U: a fresh line now and then
                time.sleep(0.05)
            key = KEYS[i % len(KEYS)]
            drain(child, pexpect)  # only what the terminal shows after this key counts
            start = time.perf_counter()
            child.send(key)
            child.expect_exact(key.encode(), timeout=30)
            delays.append(time.perf_counter() - start)
            time.sleep(0.02)  # a fast typist: ~50 keys a second at most
        child.sendcontrol("u")
        child.sendcontrol("d")
        child.expect(pexpect.EOF, timeout=120)
    delays.sort()
    p95 = delays[int(len(delays) * 0.95) - 1]
    print(f"echo_{args.tunnels}_boot_wall: {boot:.2f} s")
    print(f"echo_{args.tunnels}_median: {statistics.median(delays) * 1000:.1f} ms")
    print(f"echo_{args.tunnels}_p95: {p95 * 1000:.1f} ms")
    print(f"echo_{args.tunnels}_max: {delays[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
