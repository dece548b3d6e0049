"""Seeded random streams: one per device, peer and purpose, derived from `--seed`.

A stream is named by a tuple (`("r1", "peer", "10.0.0.2", "spi")`); its seed is the sha256 of
the lab seed and the names, so it depends on nothing else: not on which streams were made
before, nor on how many draws another stream made. Adding a random draw in one place
therefore never changes another place's output.

`stream()` returns a fresh `random.Random` each call (keep it; calling again restarts the
sequence). `light()` returns a `SplitMix64` for models that keep one generator per peer by
the hundred thousand: it holds a single integer where a `random.Random` holds 2.5 KB of
Mersenne Twister state. `system()` is for real peers, where nothing should be reproducible.
"""

from __future__ import annotations

import hashlib
import math
import random

__all__ = ["SplitMix64", "Streams", "derive_seed"]

_MASK = (1 << 64) - 1


def _encode(part: object) -> bytes:
    data = str(part).encode()
    return len(data).to_bytes(4, "big") + data  # length prefix: ("ab","c") != ("a","bc")


def derive_seed(seed: object, *names: object) -> int:
    """256-bit integer seed for stream `names` under lab seed `seed` (names via str())."""
    h = hashlib.sha256(b"routershell.rng.v1\0")
    h.update(_encode(seed))
    for name in names:
        h.update(_encode(name))
    return int.from_bytes(h.digest(), "big")


class SplitMix64:
    """Small, fast, reproducible generator (Steele et al. 2014) with the few methods the
    models need. State is one 64-bit integer."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK

    def next64(self) -> int:
        self.state = z = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """Uniform float in [0, 1) with 53 random bits."""
        return (self.next64() >> 11) * (1.0 / 9007199254740992.0)

    def getrandbits(self, k: int) -> int:
        if k <= 0:
            return 0
        out, bits = 0, 0
        while bits < k:
            out = (out << 64) | self.next64()
            bits += 64
        return out >> (bits - k)

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.random()

    def expovariate(self, lambd: float) -> float:
        return -math.log(1.0 - self.random()) / lambd

    def randrange(self, n: int) -> int:
        """Uniform integer in [0, n) (rejection sampling, no modulo bias)."""
        if n <= 0:
            raise ValueError("empty range")
        k = n.bit_length()
        while True:
            r = self.getrandbits(k)
            if r < n:
                return r


class Streams:
    """All random streams of one lab, derived from its seed."""

    def __init__(self, seed: object = 0) -> None:
        self.seed = seed

    def seed_for(self, *names: object) -> int:
        return derive_seed(self.seed, *names)

    def stream(self, *names: object) -> random.Random:
        """A new random.Random for `names`; same names, same sequence, whatever else ran."""
        if not names:
            raise ValueError("a stream needs a name")
        return random.Random(derive_seed(self.seed, *names))

    def light(self, *names: object) -> SplitMix64:
        """A SplitMix64 for `names` (independent of `stream(*names)`)."""
        if not names:
            raise ValueError("a stream needs a name")
        return SplitMix64(derive_seed(self.seed, "light", *names))

    def child(self, *names: object) -> Streams:
        """Streams under a prefix: `s.child("r1").stream("spi") == s.stream("r1", "spi")`."""
        return _Child(self, names)

    @staticmethod
    def system() -> random.SystemRandom:
        """OS entropy for talking to real peers (not reproducible by design)."""
        return random.SystemRandom()


class _Child(Streams):
    def __init__(self, parent: Streams, prefix: tuple[object, ...]) -> None:
        super().__init__(parent.seed)
        self._prefix = prefix

    def seed_for(self, *names: object) -> int:
        return derive_seed(self.seed, *self._prefix, *names)

    def stream(self, *names: object) -> random.Random:
        if not names:
            raise ValueError("a stream needs a name")
        return random.Random(derive_seed(self.seed, *self._prefix, *names))

    def light(self, *names: object) -> SplitMix64:
        if not names:
            raise ValueError("a stream needs a name")
        return SplitMix64(derive_seed(self.seed, "light", *self._prefix, *names))
