"""Seed 000 (JunosE ISMs overview) on the virtual clock: one test per seed sentence and per row
of the documented-defaults table (issue 11), through real IKE negotiations with lab peers."""

from __future__ import annotations

import pytest

from routershell.engine.dpd import DpdPolicy
from routershell.engine.proposals import IkeProposal

from .helpers import MIN, Router, high, ism, low


async def settle(world, seconds: float = 5) -> None:
    await world.clock.advance(seconds)


# ---- "distributes ISM interfaces over the modules in proportion to the available interfaces"
# ---- defaults: "the initial split is largest-remainder in proportion to free capacity"

async def test_initial_split_is_largest_remainder_by_free_capacity(mock_clock, world):
    r = Router(world, [ism(2, 4), ism(3, 4), ism(4, 2)])
    for i in range(7):
        r.add(f"t{i}", low(i))
    r.apply()
    await settle(world)
    # 7 x (4, 4, 2) / 10 = 2.8, 2.8, 1.4 -> 2, 2, 1 and the two largest remainders: 3, 3, 1
    assert [r.slot(f"t{i}") for i in range(7)] == ["2", "2", "2", "3", "3", "3", "4"]
    assert r.ism.load() == {"2": 3, "3": 3, "4": 1}
    assert {r.state(f"t{i}") for i in range(7)} == {"up"}


async def test_split_follows_free_capacity_not_installed_capacity(mock_clock, world):
    r = Router(world, [ism(2, 6), ism(3, 6)])
    for i in range(4):
        r.add(f"a{i}", low(i))
    r.apply()  # 2 + 2
    await settle(world)
    for i in range(4, 10):
        r.add(f"b{i}", low(i))
    r.apply()  # free 4 and 4: 3 + 3
    await settle(world)
    assert r.ism.load() == {"2": 5, "3": 5}


# ---- "If that ISM becomes unavailable, the interface becomes not present (operational state
# ---- down)" and "the router attempts to reassign the interface to an available ISM"

async def test_ism_failure_makes_its_interfaces_not_present_and_moves_them(mock_clock, world):
    r = Router(world, [ism(2, 4), ism(3, 4), ism(4, 4)])
    for i in range(6):
        r.add(f"t{i}", low(i))
    r.apply()
    await settle(world)
    assert [r.slot(f"t{i}") for i in range(6)] == ["2", "2", "3", "3", "4", "4"]
    await world.clock.advance(95)
    r.fail(3)
    assert r.names("not-present") == ["t2", "t3"]
    assert [e.detail for e in r.events if e.kind == "not-present"] == ["3", "3"]
    # free 2 and 2 -> one each, in creation order
    assert (r.slot("t2"), r.slot("t3")) == ("2", "4")
    assert r.names("reassigned") == ["t2", "t3"]
    assert r.ism.load() == {"2": 3, "3": 0, "4": 3}
    await settle(world)
    # remote below local: both wait 3 minutes before they rekey
    assert [r.state(f"t{i}") for i in range(6)] == ["up", "up", "down", "down", "up", "up"]
    await world.clock.advance(3 * MIN)
    assert {r.state(f"t{i}") for i in range(6)} == {"up"}


# ---- "local IP address < remote IP address: ... immediately initiates an IPSec negotiation"
# ---- "local IP address > remote: ... waits 3 minutes before initiating"
# ---- "the interface becomes available (operational state up) when the rekeying ... completes"

async def test_after_reassignment_lower_local_rekeys_at_once_higher_waits_3_minutes(mock_clock, world):
    r = Router(world, [ism(2, 2), ism(3, 2)])
    r.add("below", low(1))   # remote < local: the router waits
    r.add("above", high(1))  # remote > local: the router rekeys at once
    r.add("x", low(2))
    r.add("y", low(3))
    r.apply()
    await settle(world)
    assert (r.slot("below"), r.slot("above")) == ("2", "2")
    await world.clock.advance(95)
    t_fail = world.now()
    r.fail(2)
    # no room: slot 3 is full (x, y) -> both stay not present
    assert (r.state("below"), r.state("above")) == ("not-present", "not-present")
    r.insert(ism(5, 4))
    t_ins = world.now()
    assert t_ins == t_fail
    assert r.times("rekey", "above")[-1] == t_ins
    await settle(world, 2)
    assert r.state("above") == "up"
    # reassigned, not yet rekeyed: down (not "not present", which means no ISM)
    assert r.state("below") == "down" and r.slot("below") == "5"
    st = r.ism.status("below")
    assert st.next_attempt == t_ins + 3 * MIN
    await world.clock.advance(3 * MIN - 2 - 0.5)
    assert r.state("below") == "down" and r.times("rekey", "below")[-1] < t_fail
    await world.clock.advance(1)
    assert r.times("rekey", "below")[-1] == t_ins + 3 * MIN
    await settle(world, 2)
    assert r.state("below") == "up"
    assert r.times("up", "below")[-1] > t_ins + 3 * MIN


# ---- defaults: "compare local and remote as unsigned 32-bit integers"

async def test_address_order_is_numeric_not_textual(mock_clock, world):
    # "9.255.255.255" < "10.0.0.100" as numbers although it sorts after it as text
    r = Router(world, [ism(2, 1), ism(3, 1)])
    r.add("nine", "9.255.255.255")
    r.apply()
    await settle(world)
    slot = int(r.slot("nine"))
    await world.clock.advance(100)
    r.fail(slot)
    assert r.state("nine") == "down" and r.ism.status("nine").next_attempt == world.now() + 3 * MIN


# ---- "If the rekeying operation fails for reasons such as an unreachable remote end ... the
# ---- router waits a certain number of minutes and then tries again ... starting at 1 minute
# ---- and reaching a maximum interval of 60 minutes. The 60-minute interval repeats"
# ---- defaults: "1, 2, 4, 8, 16, 32, 60, 60 ... min, counted from each failure"

async def test_backoff_against_an_unreachable_peer_over_six_hours(mock_clock, world):
    r = Router(world, [ism(2, 1), ism(3, 1)])
    r.add("t", high(1))
    r.apply()
    await settle(world)
    world.peer_down(high(1))
    await world.clock.advance(100)
    r.fail(int(r.slot("t")))
    await world.clock.advance(6 * 3600)
    rekeys = r.times("rekey", "t")[1:]
    fails = r.times("rekey-failed", "t")
    assert rekeys[0] == fails[0] - 30  # each attempt times out after 30 s (phase 1 watchdog)
    waits = [round((nxt - f) / MIN, 3) for f, nxt in zip(fails, rekeys[1:], strict=False)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60][: len(waits)]
    assert len(waits) == 10  # 6 h: 30 s per attempt + 63 min of ramp + 60-minute steps
    assert r.state("t") == "down"
    st = r.ism.status("t")
    assert st.failures == len(fails) and st.next_attempt == fails[-1] + 60 * MIN


@pytest.mark.parametrize("change,reason,within", [
    ({"ike_proposals": (IkeProposal(cipher="3des"),)}, "no-proposal-chosen", 0.1),
    ({"psk": "wrong"}, "authentication-failed", 10),
])
async def test_policy_mismatch_fails_without_waiting_for_the_timeout_and_backs_off(
        mock_clock, world, change, reason, within):
    r = Router(world, [ism(2, 1), ism(3, 1)])
    r.add("t", high(1))
    r.apply()
    await settle(world)
    world.peer_config(high(1), **change)
    await world.clock.advance(100)
    r.fail(int(r.slot("t")))
    await world.clock.advance(20 * MIN)
    rekeys, fails = r.times("rekey", "t")[1:], r.times("rekey-failed", "t")
    assert all(f - k < within for k, f in zip(rekeys, fails, strict=False))  # not the 30 s timeout
    waits = [round((nxt - f) / MIN, 3) for f, nxt in zip(fails, rekeys[1:], strict=False)]
    assert waits == [1, 2, 4, 8]
    assert {e.detail for e in r.events if e.kind == "rekey-failed"} == {reason}


# ---- "When the rekeying operation is completed successfully, the pattern starts again."

async def test_success_resets_the_backoff_and_the_pattern_restarts(mock_clock, world):
    dpd = DpdPolicy(interval=150, retry_interval=10, retries=3, initiate=True)
    r = Router(world, [ism(2, 1), ism(3, 1)])
    r.add("t", low(1), dpd=dpd)
    r.apply()
    await settle(world)
    world.peer_down(low(1))
    await world.clock.advance(100)
    r.fail(int(r.slot("t")))
    await world.clock.advance(20 * MIN)  # attempts at 0, +1.5, +3.5, +8 (+30 s each)
    assert r.ism.status("t").failures == 4
    world.peer_up(low(1))
    await world.clock.advance(17 * MIN)  # the 16-minute retry succeeds
    assert r.state("t") == "up" and r.ism.status("t").failures == 0
    t_up = r.times("up", "t")[-1]
    # next failure: DPD finds the peer dead, the tunnel goes down and rekeys at once
    world.peer_down(low(1))
    await world.clock.advance(10 * MIN)
    downs = r.times("down", "t")
    assert len(downs) == 1 and downs[0] > t_up
    rekeys = [k for k in r.times("rekey", "t") if k >= downs[0]]
    fails = [f for f in r.times("rekey-failed", "t") if f >= downs[0]]
    assert rekeys[0] == downs[0]
    waits = [round((nxt - f) / MIN, 3) for f, nxt in zip(fails, rekeys[1:], strict=False)]
    assert waits[:3] == [1, 2, 4]


# ---- "If no ISM is available ... the interface remains in the not present state until an ISM
# ---- becomes available. As a result, the distribution ... might become uneven."
# ---- defaults: "the address rule also applies to a late reassignment"; "no rebalancing"

async def test_no_free_ism_keeps_not_present_until_one_is_inserted(mock_clock, world):
    r = Router(world, [ism(2, 2), ism(3, 2)])
    for i in range(4):
        r.add(f"t{i}", low(i) if i % 2 == 0 else high(i))
    r.apply()
    await settle(world)
    await world.clock.advance(100)
    r.fail(3)  # survivors full
    assert [r.state(f"t{i}") for i in (2, 3)] == ["not-present", "not-present"]
    await world.clock.advance(3600)
    assert [r.state(f"t{i}") for i in (2, 3)] == ["not-present", "not-present"]
    assert r.ism.status("t2").next_attempt is None
    r.insert(ism(6, 8))
    now = world.now()
    assert (r.slot("t2"), r.slot("t3")) == ("6", "6")
    # the address rule holds for a late reassignment too
    assert r.ism.status("t2").next_attempt == now + 3 * MIN  # remote below local: waits
    assert r.times("rekey", "t3")[-1] == now  # remote above local: at once
    await settle(world, 3 * MIN + 5)
    assert (r.state("t2"), r.state("t3")) == ("up", "up")
    assert r.ism.load() == {"2": 2, "3": 0, "6": 2}  # uneven, and it stays so
    r.restore(3)
    await settle(world, 10)
    assert r.ism.load() == {"2": 2, "3": 0, "6": 2}  # no rebalancing of tunnels that are up


async def test_restored_ism_takes_new_work(mock_clock, world):
    r = Router(world, [ism(2, 4), ism(3, 4)])
    for i in range(4):
        r.add(f"t{i}", high(i))
    r.apply()
    await settle(world)
    await world.clock.advance(100)
    r.fail(3)
    assert r.ism.load() == {"2": 4, "3": 0}
    r.restore(3)
    for i in range(4, 6):
        r.add(f"n{i}", high(i))
    r.apply()
    await settle(world)
    assert (r.slot("n4"), r.slot("n5")) == ("3", "3")
    assert r.state("n4") == "up"


# ---- "the number of ISMs that you install must be able to support the extra tunnels if one of
# ---- the modules becomes unavailable" -- defaults: a warning, not a commit error

async def test_capacity_warning_when_survivors_cannot_absorb_one_module(mock_clock, world):
    r = Router(world, [ism(2, 4), ism(3, 4)])
    for i in range(4):
        r.add(f"t{i}", low(i))
    r.apply()  # 2 + 2: either survivor has room for 2
    assert not r.ism.capacity_short()
    r.add("t4", low(4))
    r.apply()  # 3 + 2: slot 2's 3 do not fit in slot 3's 2 free
    assert r.ism.capacity_short()
    assert r.names("capacity-short") == [""]
    r.specs.pop()
    r.apply()
    assert not r.ism.capacity_short() and [e.kind for e in r.events][-1] == "capacity-ok"


async def test_new_interface_with_no_ism_is_not_present(mock_clock, world):
    r = Router(world, [ism(2, 1)])
    r.add("a", low(1))
    r.add("b", low(2))
    r.apply()
    await settle(world)
    assert (r.state("a"), r.state("b")) == ("up", "not-present")
    assert r.slot("b") is None
    r.specs.pop(0)
    r.apply()  # a deleted: b takes its place, a late assignment under the address rule
    assert r.slot("b") == "2" and r.state("b") == "down"
    assert r.ism.status("b").next_attempt == world.now() + 3 * MIN
    await settle(world, 3 * MIN + 1)
    assert r.state("b") == "up"




# ---- DPD "optionally redirects to the backup destination"; failover is two-way ([V] E3, E4)

async def test_dead_peer_fails_over_to_the_backup_and_back(mock_clock, world):
    import dataclasses

    from routershell.runtime.peers import PeerSpec

    from .helpers import PSK, lan

    dpd = DpdPolicy(interval=150, retry_interval=10, retries=3, initiate=True)
    r = Router(world, [ism(2, 4)])
    r.add("t", high(1), dpd=dpd)
    ts = lan(0)
    world.add_peer(PeerSpec("backup", high(2), psk=PSK, local_ts=ts[1], remote_ts=ts[0]))
    r.specs[0] = dataclasses.replace(r.specs[0], backup=high(2))
    r.apply()
    await settle(world)
    assert r.state("t") == "up" and r.ism.destination("t") == high(1)
    world.peer_down(high(1))
    await world.clock.advance(200)  # idle 150 s + 3 inquiries: dead, rekey at once on the backup
    assert r.names("backup") == ["t"]
    st = r.dev.tunnels.tunnel("t")
    assert (st.state, st.active_gateway, st.role) == ("up", high(2), "backup")
    world.peer_up(high(1))
    world.peer_down(high(2))
    await world.clock.advance(200)
    assert r.names("primary") == ["t"]
    st = r.dev.tunnels.tunnel("t")
    assert (st.state, st.active_gateway, st.role) == ("up", high(1), "primary")


# ---- defaults: "a lab flag says whether a peer initiates": one that does ends the wait early

async def test_a_peer_that_initiates_during_the_wait_brings_the_interface_up(mock_clock, world):
    from .helpers import ROUTER

    r = Router(world, [ism(2, 1), ism(3, 1)])
    # remote below local: the router would wait 3 minutes. The peer runs DPD itself, finds
    # the router's SAs gone with the ISM, and (being the lower address) negotiates first.
    r.add("t", low(1), dpd=DpdPolicy(150, 10, 3, initiate=True),
          initiates_dpd=True, dpd_interval=10, dpd_retries=2)
    r.apply()
    await settle(world)
    await world.clock.advance(95)
    r.fail(int(r.slot("t")))
    t_fail = world.now()
    assert r.state("t") == "down" and r.ism.status("t").next_attempt == t_fail + 3 * MIN
    await world.clock.advance(30)
    peer = world.peer(low(1))
    assert peer.endpoint.sadb.ike_for((ROUTER, 500)) is None  # it declared the router dead
    peer.initiate(ROUTER, world.now())
    await settle(world, 2)
    assert r.state("t") == "up"
    assert [e.detail for e in r.events if e.kind == "up"][-1] == "peer"
    st = r.ism.status("t")
    assert (st.next_attempt, st.failures) == (None, 0)
    await world.clock.advance(3 * MIN)
    assert r.times("rekey", "t")[-1] < t_fail  # the scheduled rekey was dropped
