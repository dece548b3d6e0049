"""Redundant tunnel pair (seed 003): auto revert vs do-not-revert, manual switchover, notices."""

import pytest

from routershell.engine.cryptogroup import (
    Condition,
    CryptoGroup,
    CryptoGroupError,
    CryptoGroupPolicy,
    DownReason,
    GroupRole,
    Negotiate,
    Notify,
    TrafficSwitched,
)
from routershell.engine.retry import Backoff

PRI, SEC = "map-a", "map-b"


def group(revert=True, **kw):
    g = CryptoGroup(CryptoGroupPolicy(revert=revert, **kw), PRI, SEC)
    assert g.start(0) == [Negotiate(PRI), Negotiate(SEC)]
    assert g.tunnel_up(1, PRI) == [Notify(Condition.PRIMARY_UP, PRI)]
    assert g.tunnel_up(1, SEC) == [Notify(Condition.SECONDARY_UP, SEC)]
    assert g.status().active_map == PRI
    return g


def conditions(actions):
    return [a.condition for a in actions if isinstance(a, Notify)]


@pytest.mark.parametrize("cause", ["peer_unreachable", "rekey_failed"])
def test_primary_failure_moves_traffic_to_secondary(cause):
    g = group()
    out = getattr(g, cause)(10, PRI)
    assert out == [
        Notify(Condition.PRIMARY_DOWN, PRI),
        TrafficSwitched(PRI, SEC),
        Notify(Condition.FAILOVER_SUCCESSFUL, SEC, PRI),
        Negotiate(PRI),
    ]
    s = g.status()
    assert s.active_role is GroupRole.SECONDARY and s.switchovers == 1
    assert s.maps[0].last_down is DownReason[cause.upper()] and not s.maps[0].up
    assert s.maps[1].carrying and s.maps[1].last_down is None


def test_auto_revert_when_primary_is_up_again():
    g = group(revert=True)
    g.peer_unreachable(10, PRI)
    out = g.tunnel_up(40, PRI)
    assert out == [
        Notify(Condition.PRIMARY_UP, PRI),
        TrafficSwitched(SEC, PRI),
        Notify(Condition.FAILOVER_SUCCESSFUL, PRI, SEC),
    ]
    assert g.status().active_map == PRI and g.status().switchovers == 2


def test_do_not_revert_stays_until_manual_switchover():
    g = group(revert=False)
    g.peer_unreachable(10, PRI)
    assert g.tunnel_up(40, PRI) == [Notify(Condition.PRIMARY_UP, PRI)]
    assert g.status().active_map == SEC
    assert g.switchover(50) == [
        TrafficSwitched(SEC, PRI, manual=True),
        Notify(Condition.FAILOVER_SUCCESSFUL, PRI, SEC),
    ]
    assert g.status().active_map == PRI
    assert g.switchover(60, GroupRole.PRIMARY) == []  # already there


def test_secondary_failure_while_carrying_goes_back_to_primary_even_without_revert():
    g = group(revert=False)
    g.peer_unreachable(10, PRI)
    g.tunnel_up(20, PRI)
    out = g.peer_unreachable(30, SEC)
    assert conditions(out) == [Condition.SECONDARY_DOWN, Condition.FAILOVER_SUCCESSFUL]
    assert g.status().active_map == PRI


def test_unsuccessful_failover_then_waits_for_either_tunnel():
    g = group()
    assert conditions(g.peer_unreachable(5, SEC)) == [Condition.SECONDARY_DOWN]
    out = g.peer_unreachable(10, PRI)
    assert out[:2] == [
        Notify(Condition.PRIMARY_DOWN, PRI),
        Notify(Condition.FAILOVER_UNSUCCESSFUL, SEC, PRI),
    ]
    s = g.status()
    assert s.waiting and s.failed_switchovers == 1 and s.active_map == PRI
    # secondary returns first: traffic goes there even though it is not the primary
    out = g.tunnel_up(20, SEC)
    assert conditions(out) == [Condition.SECONDARY_UP, Condition.FAILOVER_SUCCESSFUL]
    assert g.status().active_map == SEC and not g.status().waiting


def test_manual_switchover_to_down_tunnel_is_unsuccessful():
    g = group()
    g.peer_unreachable(5, SEC)
    assert g.switchover(6) == [Notify(Condition.FAILOVER_UNSUCCESSFUL, SEC, PRI)]
    s = g.status()
    assert s.active_map == PRI and not s.waiting and s.failed_switchovers == 1


def test_down_notice_only_for_a_tunnel_that_was_up():
    g = group()
    g.peer_unreachable(5, SEC)
    assert g.peer_unreachable(6, SEC) == []
    assert g.tunnel_up(7, PRI) == []


def test_reconnect_timer_after_failed_negotiations(run_timers):
    g = group(reconnect=Backoff((30.0, 60.0)))
    g.peer_unreachable(10, PRI)
    assert g.get_timer() is None
    g.negotiation_failed(40, PRI)
    assert g.get_timer() == 70
    log = run_timers(g, 70)
    assert log == [(70, Negotiate(PRI))]
    g.negotiation_failed(100, PRI)
    assert g.get_timer() == 160
    g.tunnel_up(120, PRI)  # came up anyway: retry dropped, count reset
    assert g.get_timer() is None


def test_reconnect_timer_is_the_earliest_of_both_tunnels():
    """get_timer() reads the two back-offs' next attempts itself (no call per timer): the
    earlier one, whichever role it belongs to, and the other once that one is done."""
    g = group(reconnect=Backoff((30.0, 60.0)))
    g.peer_unreachable(10, PRI)
    g.peer_unreachable(10, SEC)
    g.negotiation_failed(40, SEC)  # SEC retries at 70
    g.negotiation_failed(50, PRI)  # PRI at 80
    assert g.get_timer() == 70
    g.negotiation_failed(70, SEC)  # SEC's second failure: 130
    assert g.get_timer() == 80
    g.tunnel_up(90, PRI)
    assert g.get_timer() == 130
    g.tunnel_up(95, SEC)
    assert g.get_timer() is None


def test_reconnect_disabled_leaves_it_to_the_runtime():
    g = group(reconnect=None)
    out = g.peer_unreachable(10, PRI)
    assert not any(isinstance(a, Negotiate) for a in out)
    assert g.negotiation_failed(11, PRI) == [] and g.get_timer() is None


def test_bad_maps():
    with pytest.raises(CryptoGroupError):
        CryptoGroup(CryptoGroupPolicy(), PRI, PRI)
    with pytest.raises(CryptoGroupError):
        group().tunnel_up(0, "nope")


def test_roles_hash_by_identity_and_still_key_the_groups_state():
    """GroupRole uses the identity hash (Enum's own is a Python call per dict lookup): a role
    looked up by value, pickled or copied is the same member and finds the same entries."""
    import copy
    import pickle

    assert GroupRole.__hash__ is object.__hash__
    g = group(reconnect=Backoff((30.0,)))
    for role in GroupRole:
        for same in (GroupRole(role.value), pickle.loads(pickle.dumps(role)), copy.deepcopy(role)):
            assert same is role and g.up[same] is True and g.maps[same] == g.maps[role]
    assert {GroupRole.PRIMARY: 1, GroupRole.SECONDARY: 2}[GroupRole("secondary")] == 2


def test_the_role_tuple_is_the_enum_in_order():
    from routershell.engine import cryptogroup

    assert cryptogroup._ROLES == tuple(cryptogroup.GroupRole)
