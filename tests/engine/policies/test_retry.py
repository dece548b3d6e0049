"""Retry after failed negotiations (AlliedWare seed 004) and progressive back-off (JunosE seed 000)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routershell.engine.retry import (
    CONTINUOUS,
    Backoff,
    BackoffRetry,
    BackoffTimer,
    GiveUp,
    Retry,
    RetryController,
    RetryError,
    RetryPolicy,
    RetryScheduled,
    Trigger,
    doubling,
    negotiation_retry,
    rekey_backoff,
)

MIN = 60.0


def test_alliedware_default_is_no_retry():
    policy = negotiation_retry()
    assert policy.attempts == 0
    rc = RetryController(policy)
    for trig in Trigger:
        assert rc.failed(0, trig, 1) == [GiveUp(1, 0, trig, exhausted=True)]
    assert rc.counters.retries_phase1 == 0


@pytest.mark.parametrize("trigger", list(Trigger))
@pytest.mark.parametrize("phase", [1, 2])
def test_n_retries_then_give_up_for_each_trigger(trigger, phase):
    rc = RetryController(negotiation_retry(3))
    out = [rc.failed(float(k), trigger, phase) for k in range(4)]
    assert out[:3] == [[Retry(phase, n, trigger)] for n in (1, 2, 3)]
    assert out[3] == [GiveUp(phase, 3, trigger, exhausted=True)]
    assert rc.remaining == 0
    counters = rc.counters
    assert (counters.retries_phase1, counters.retries_phase2) == ((3, 0) if phase == 1 else (0, 3))
    assert counters.give_ups == 1


def test_sixteen_is_the_largest_finite_limit():
    rc = RetryController(negotiation_retry(16))
    actions = [rc.failed(0, Trigger.TIMEOUT)[0] for _ in range(17)]
    assert all(isinstance(a, Retry) for a in actions[:16])
    assert isinstance(actions[16], GiveUp)
    with pytest.raises(RetryError):
        negotiation_retry(17)
    with pytest.raises(RetryError):
        negotiation_retry(-1)


@pytest.mark.parametrize("trigger", list(Trigger))
def test_continuous_never_gives_up(trigger):
    rc = RetryController(negotiation_retry(CONTINUOUS))
    for n in range(1, 1001):
        assert rc.failed(n, trigger, 2) == [Retry(2, n, trigger)]
    assert rc.remaining is None
    assert rc.counters.retries_phase2 == 1000


def test_success_resets_count():
    rc = RetryController(negotiation_retry(2))
    rc.failed(0, Trigger.AUTHENTICATION_FAILED)
    rc.failed(1, Trigger.AUTHENTICATION_FAILED)
    assert isinstance(rc.failed(2, Trigger.TIMEOUT)[0], GiveUp)
    rc.succeeded(3)
    assert rc.failed(4, Trigger.TIMEOUT) == [Retry(1, 1, Trigger.TIMEOUT)]


def test_delete_of_older_sa_is_not_a_trigger():
    rc = RetryController(negotiation_retry(5))
    assert rc.peer_deleted(0, 2, most_recent=False) == []
    assert rc.peer_deleted(0, 2, most_recent=True) == [Retry(2, 1, Trigger.PEER_DELETE)]


def test_trigger_outside_policy_gives_up_without_counting():
    policy = RetryPolicy(5, triggers=frozenset({Trigger.TIMEOUT}))
    rc = RetryController(policy)
    assert rc.failed(0, Trigger.AUTHENTICATION_FAILED) == [
        GiveUp(1, 0, Trigger.AUTHENTICATION_FAILED, exhausted=False)
    ]
    assert rc.attempts_used == 0


def test_delayed_retry_comes_from_the_timer():
    rc = RetryController(negotiation_retry(2, delay=30))
    assert rc.get_timer() is None
    assert rc.failed(100, Trigger.TIMEOUT, 1) == [RetryScheduled(1, 1, 130)]
    assert rc.get_timer() == 130
    assert rc.handle_timer(129.9) == []
    assert rc.handle_timer(130) == [Retry(1, 1, Trigger.TIMEOUT)]
    assert rc.get_timer() is None
    # a success while a retry is pending cancels it
    rc.failed(200, Trigger.TIMEOUT)
    rc.succeeded(201)
    assert rc.get_timer() is None and rc.handle_timer(1000) == []


def test_bad_phase_is_a_retry_error():
    with pytest.raises(RetryError):
        RetryController(negotiation_retry(1)).failed(0, Trigger.TIMEOUT, 3)
    with pytest.raises(RetryError):
        RetryPolicy(1, delay=-1)


# --- back-off ---------------------------------------------------------------------------------


def test_junose_backoff_sequence():
    b = rekey_backoff()
    assert [d / MIN for d in b.sequence(10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert "seed 000" in b.source


def test_backoff_timer_resets_on_success():
    t = BackoffTimer(rekey_backoff())
    now = 0.0
    waits = []
    for _ in range(8):
        at = t.failed(now)
        waits.append((at - now) / MIN)
        assert t.get_timer() == at
        assert t.handle_timer(at - 0.001) == []
        assert t.handle_timer(at) == [BackoffRetry(t.failures)]
        now = at
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    t.succeeded(now)
    assert t.get_timer() is None
    assert t.failed(now) - now == MIN


def test_backoff_validation():
    with pytest.raises(RetryError):
        Backoff(())
    with pytest.raises(RetryError):
        doubling(10, 5)
    with pytest.raises(RetryError):
        rekey_backoff().delay(0)


@given(st.floats(0.5, 1000), st.floats(1, 100), st.integers(1, 200))
def test_doubling_is_monotone_and_capped(first, factor, n):
    cap = first * factor
    b = doubling(first, cap)
    seq = b.sequence(n)
    assert seq[0] == min(first, cap)
    assert all(a <= b_ for a, b_ in zip(seq, seq[1:], strict=False))
    assert max(seq) <= cap
