"""Issue 17 defects at the world level, second by second on the virtual clock."""

from __future__ import annotations

import pytest

from routershell.engine import failover as fo

from .helpers import BACKUP, PRIMARY, R1, device, peer_spec, spec


def record(dev, world):
    log = []
    dev.tunnels.subscribe(lambda name, ev: log.append((round(world.now(), 3), name, ev)))
    return log


def hellos(log, gw, after=0.0):
    return [t for t, _, a in log if isinstance(a, fo.SendDpdHello) and a.gateway == gw and t > after]


# --- defect 1: a flow follows the active tunnel both ways ------------------------------------

@pytest.mark.parametrize("backup_first", [False, True])
async def test_replies_come_through_the_active_tunnel_and_follow_a_failover(mock_clock, world, backup_first):
    dev = device(world)
    if backup_first:  # the order peers are listed in must not matter
        world.add_peer(peer_spec("p2", BACKUP))
        world.add_peer(peer_spec())
    else:
        world.add_peer(peer_spec())
        world.add_peer(peer_spec("p2", BACKUP))
    log = record(dev, world)
    dev.tunnels.apply([spec(backup=BACKUP)], world.now())
    world.traffic_start("f", "10.1.0.5", "10.2.0.5", rate_pps=10)
    await world.clock.advance(60)
    st = dev.tunnels.tunnels()[0]
    sa = st.ipsec_sas[0]
    assert sa.packets_in > 500 and sa.packets_in == sa.packets_out
    assert hellos(log, PRIMARY) == []  # replies are traffic: the active tunnel is never idle
    world.peer_down(PRIMARY)
    await world.clock.advance(120)
    st = dev.tunnels.tunnels()[0]
    assert (st.state, st.active_gateway) == ("up", BACKUP)
    failover_at = next(t for t, _, a in log if isinstance(a, fo.Activated))
    sa = st.ipsec_sas[0]
    # the far host's replies now come from the backup gateway and move the backup SA's counters
    assert sa.packets_in >= 10 * (180 - failover_at - 1)
    # ... so the live backup is never probed at the 10-s polls after the failover
    assert hellos(log, BACKUP, after=failover_at) == []
    flow = world.flows()[0]
    assert "peer:p2" in flow.tunnels and flow.delivered > 0
    assert dev.tunnels.gateway_of("t1") == BACKUP and dev.tunnels.local_of("t1") == R1


# --- no event chain recurses ----------------------------------------------------------------

async def test_a_burst_of_events_is_handled_without_recursion(mock_clock, world):
    """400 tunnels to 400 silent gateways give up phase 1 in the same engine timer call (the
    engine decides: the watchdog is set far away); each failure fails over and negotiates the
    backup, which used to pump the endpoint again from inside the pump: one Python frame chain
    per event, a RecursionError in larger labs or after a stall."""
    import sys

    n = 400
    assert n * 4 > sys.getrecursionlimit()
    from routershell.runtime.device import Device

    dev = Device("r1", "test", clock=world.clock)
    world.add_device(dev, (R1,), phase1_timeout=10_000)
    specs = [spec(f"t{i}", peer=f"10.200.{i // 250}.{i % 250 + 1}", backup=f"10.201.{i // 250}.{i % 250 + 1}")
             for i in range(n)]
    log = record(dev, world)
    dev.tunnels.apply(specs, world.now())
    await world.clock.advance(60)
    switched = [a for _, _, a in log if isinstance(a, fo.Activated)]
    assert len(switched) == n and all(a.role is fo.Role.BACKUP for a in switched)
    states = {st.state for st in dev.tunnels.tunnels()}
    assert states == {"negotiating"}
