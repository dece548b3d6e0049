"""Retransmission schedules as data: the seed-004 worked example and its timeout."""

from routershell.engine.retransmit import constant, exponential, fixed, incremental


def test_incremental_matches_the_release_note_example():
    s = incremental(4, 8)
    assert s.gaps[:8] == (4, 8, 16, 24, 32, 40, 48, 56)
    assert s.send_times() == [0, 4, 12, 28, 52, 84, 124, 172, 228]
    assert s.retries == 8
    assert s.timeout() == 292  # one further gap (64 s) after the 8th retransmission
    assert s.gap(10) is None


def test_constant_and_fixed():
    assert constant(4, 8).send_times() == [0, 4, 8, 12, 16, 20, 24, 28, 32]
    assert constant(4, 8).timeout() == 36
    assert fixed(2, 2).send_times() == [0, 2, 4] and fixed(2, 2).timeout() == 6


def test_exponential_like_charon():
    s = exponential(4.0, 1.8, 5)
    assert [round(t) for t in s.send_times()] == [0, 4, 11, 24, 47, 89]
    assert round(s.timeout()) == 165
