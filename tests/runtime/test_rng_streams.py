"""Seeded streams: deterministic per name, independent of each other and of creation order."""

from __future__ import annotations

import random

import pytest

from routershell.runtime.rng import SplitMix64, Streams, derive_seed


def _draws(r: random.Random | SplitMix64, n: int = 5) -> list[float]:
    return [r.random() for _ in range(n)]


def test_same_seed_same_names_same_sequence() -> None:
    a = Streams(42).stream("r1", "peer", "10.0.0.2", "spi")
    b = Streams(42).stream("r1", "peer", "10.0.0.2", "spi")
    assert _draws(a) == _draws(b)
    assert _draws(Streams(42).stream("r1", "spi")) != _draws(Streams(43).stream("r1", "spi"))


def test_adding_a_draw_elsewhere_does_not_change_a_stream() -> None:
    def run(extra_draws: int, order: list[str]) -> list[float]:
        s = Streams(7)
        streams = {name: s.stream("r1", "peer", "10.0.0.2", name) for name in order}
        for _ in range(extra_draws):
            streams["nonce"].random()  # a new draw added in one place...
        s.stream("r9", "loss").random()  # ...and a new stream elsewhere
        return _draws(streams["spi"])

    baseline = run(0, ["spi", "nonce", "cookie"])
    assert run(3, ["spi", "nonce", "cookie"]) == baseline
    assert run(0, ["cookie", "nonce", "spi"]) == baseline  # creation order is irrelevant


def test_names_are_unambiguous() -> None:
    s = Streams(1)
    assert _draws(s.stream("ab", "c")) != _draws(s.stream("a", "bc"))
    assert _draws(s.stream("r1")) != _draws(s.stream("r1", ""))
    assert derive_seed(1, "x") == derive_seed("1", "x")  # names and seed go through str()
    with pytest.raises(ValueError):
        s.stream()


def test_child_prefix_and_light_streams() -> None:
    s = Streams("lab-seed")
    assert _draws(s.child("r1", "peer").stream("spi")) == _draws(s.stream("r1", "peer", "spi"))
    assert _draws(s.child("r1").light("loss")) == _draws(s.light("r1", "loss"))
    light = s.light("r1", "loss")
    assert _draws(light) != _draws(s.stream("r1", "loss"))
    xs = _draws(s.light("stat"), 20000)
    assert all(0 <= x < 1 for x in xs)
    assert abs(sum(xs) / len(xs) - 0.5) < 0.01
    r = s.light("ints")
    vals = [r.randrange(6) for _ in range(6000)]
    assert set(vals) == set(range(6)) and all(800 < vals.count(v) < 1200 for v in range(6))
    assert r.getrandbits(100) < 2**100 and r.getrandbits(0) == 0
    assert 2 <= r.uniform(2, 3) < 3 and r.expovariate(1.0) >= 0


def test_splitmix_reference_values() -> None:
    # Reference output of splitmix64 seeded with 0 (Vigna's splitmix64.c).
    g = SplitMix64(0)
    assert [g.next64() for _ in range(3)] == [
        0xE220A8397B1DCDAF,
        0x6E789E6AA1B965F4,
        0x06C45D188009454F,
    ]


def test_system_random_for_real_peers() -> None:
    r = Streams.system()
    assert isinstance(r, random.SystemRandom)
    assert r.getrandbits(64) != r.getrandbits(64)
