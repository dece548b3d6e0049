"""Random command lines into every platform's sessions (shared by the suite and
scripts/fuzz_cli.py): words from the platform's own grammar trees mixed with junk, pipes,
quotes, `?`, control characters and undecodable bytes. A line may fail with the device's error;
it must never raise out of the session or print an internal error."""

from __future__ import annotations

import random
from collections.abc import Iterable

from routershell.cli.io import BufferIO

JUNK = ["|", "| match", "| count", "| except x", "?", '"', '"a b"', "'", "\t", "\x03", "\x1b[A",
        "\udce9", "é", "999999999999999999999", "-1", "0", "0.0.0.0/33", "../..", "/dev/zero",
        "a" * 300, ";", "{", "}", "=", "==", "all", "no", "exit", "end", "top", "up"]
# commands that would leave the session or wait for a long time: not drawn
SKIP = {"exit", "quit", "logoff", "logout", "end", "request", "configure", "clock", "wait",
        "restart", "reload", "practice", "reset", "attach", "monitor", "ping", "telnet", "ssh"}


def tree_words(session) -> list[str]:
    """Keywords of every mode's tree (a few levels down)."""
    words: set[str] = set()
    modes = getattr(session, "modes", {})
    roots = [m.tree for m in modes.values()] if modes else []
    for root in roots:
        stack = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            for w, child in node.children.items():
                words.add(w)
                if depth < 4:
                    stack.append((child, depth + 1))
    return sorted(words - SKIP) or ["show"]


def random_lines(rng: random.Random, words: list[str], n: int) -> Iterable[str]:
    for _ in range(n):
        k = rng.randint(1, 7)
        parts = [rng.choice(words) if rng.random() < 0.75 else rng.choice(JUNK) for _ in range(k)]
        if parts[0] in SKIP:
            parts[0] = "show"
        yield " ".join(parts)


async def fuzz_session(app, rng: random.Random, n: int) -> list[tuple[str, str]]:
    """Run n random lines; the (line, output) pairs that broke a rule."""
    session = app.new_session()
    words = tree_words(session)
    bad = []
    for line in random_lines(rng, words, n):
        if any(w in SKIP for w in line.split()):
            continue
        io = BufferIO()
        io.feed(*(["no"] * 4))  # any question is answered no
        try:
            await app.run(session, line, io)
        except Exception as e:  # noqa: BLE001 - the point of the test
            bad.append((line, f"raised {type(e).__name__}: {e}"))
            continue
        out = io.text()
        if "internal error" in out or "Traceback" in out:
            bad.append((line, out[-300:]))
        if session.closed:
            session = app.new_session()
    return bad
