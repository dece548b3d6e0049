"""RetryTunnel (control.py) as a pure controller: which failures are retry triggers in which
phase, the limit, continuous, the peer rule, and success resetting the count."""

from __future__ import annotations

import dataclasses

import pytest

from routershell.engine import failover as fo
from routershell.engine.retry import GiveUp, Retry, Trigger, negotiation_retry
from routershell.platforms.alliedware.compile import RetrySetting
from routershell.platforms.alliedware.control import RetryTunnel, controller_for
from tests.runtime.world.helpers import PRIMARY, spec


def tunnel(attempts, eligible=True) -> RetryTunnel:
    s = dataclasses.replace(spec(), failover=RetrySetting(negotiation_retry(attempts), eligible))
    ctl = controller_for(s)
    assert isinstance(ctl, RetryTunnel)
    return ctl


@pytest.mark.parametrize("reason,phase,trigger", [
    ("no-proposal-chosen", 1, Trigger.PROPOSAL_REJECTED),
    ("no-proposal-chosen", 2, Trigger.PROPOSAL_REJECTED),
    ("authentication-failed", 1, Trigger.AUTHENTICATION_FAILED),
    ("authentication-failed", 2, Trigger.AUTHENTICATION_FAILED),
])
def test_failures_that_are_triggers(reason, phase, trigger):
    ctl = tunnel(3)
    assert ctl.negotiation_failed(5.0, PRIMARY, reason, phase) == [
        Retry(phase, 1, trigger), fo.Negotiate(PRIMARY)]
    st = ctl.status()
    assert (st.retries_phase1, st.retries_phase2) == ((1, 0) if phase == 1 else (0, 1))


@pytest.mark.parametrize("phase", [1, 2])
def test_timeouts_in_either_phase(phase):
    ctl = tunnel(1)
    ctl.note_phase(phase)
    assert ctl.negotiation_timeout(9.0, PRIMARY) == [Retry(phase, 1, Trigger.TIMEOUT), fo.Negotiate(PRIMARY)]
    # the limit (1) is spent: the next failure gives up and the tunnel stays down
    assert ctl.negotiation_timeout(20.0, PRIMARY) == [GiveUp(1, 1, Trigger.TIMEOUT, exhausted=True)]
    assert ctl.status().gave_up


def test_peer_delete_of_the_last_sa_retries_phase_2_and_other_downs_do_not():
    ctl = tunnel(2)
    assert ctl.tunnel_down(1.0, PRIMARY, "peer-delete") == [
        Retry(2, 1, Trigger.PEER_DELETE), fo.Negotiate(PRIMARY)]
    assert ctl.tunnel_down(2.0, PRIMARY, "deleted") == []
    assert ctl.tunnel_down(2.0, PRIMARY, "cleared") == []
    assert ctl.tunnel_down(3.0, PRIMARY, "expired") == [fo.Negotiate(PRIMARY)]


def test_other_failures_are_not_triggers():
    ctl = tunnel(None)
    assert ctl.negotiation_failed(1.0, PRIMARY, "invalid-id", 1) == []
    assert ctl.negotiation_failed(1.0, PRIMARY, "peer-notify", 2) == []


def test_continuous_never_gives_up_and_success_resets():
    ctl = tunnel(None)
    for k in range(1, 51):
        assert ctl.negotiation_failed(float(k), PRIMARY, "no-proposal-chosen", 1)[0] == Retry(
            1, k, Trigger.PROPOSAL_REJECTED)
    ctl.tunnel_up(60.0, PRIMARY)
    assert ctl.status().attempts_used == 0 and ctl.status().retries_phase1 == 50


def test_zero_or_a_peer_that_is_not_specific_never_retries():
    assert tunnel(0).negotiation_failed(1.0, PRIMARY, "no-proposal-chosen", 1) == [
        GiveUp(1, 0, Trigger.PROPOSAL_REJECTED, exhausted=True)]
    assert tunnel(5, eligible=False).negotiation_failed(1.0, PRIMARY, "no-proposal-chosen", 1) == [
        GiveUp(1, 0, Trigger.PROPOSAL_REJECTED, exhausted=True)]
    assert controller_for(dataclasses.replace(spec(), establish="responder")) is None
