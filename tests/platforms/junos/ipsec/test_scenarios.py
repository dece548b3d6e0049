"""Seed 001 backup-remote-gateway failover on the virtual clock, one test per row of the issue 6
constants table, in the default lab (r1: primary 198.51.100.1, backup 203.0.113.1, traffic
flowing). The tunnel comes up at 0.05 s, so the first poll that can find it inactive is the 20 s
one. Each test asserts the second of each transition and what the show commands print then."""

from __future__ import annotations

from routershell.engine import failover as fo
from routershell.engine.events import DpdAck, NegotiationFailed, Phase2Up

from ..harness import Transcript, lab

PRIMARY, BACKUP = "198.51.100.1", "203.0.113.1"
TUNNEL = "vpn-hq/to-hq/lan-to-hq"


def _when(app, kind, since: float = 0.0, **attrs) -> list[int]:
    """Seconds (floored) at which r1's tunnel manager reported events of `kind` matching attrs."""
    out = []
    for t, _name, ev in app.devices["r1"].tunnels.events:
        if t >= since and isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in attrs.items()):
            out.append(int(t))
    return out


async def _ipsec(t) -> str:
    return await t.run("show services ipsec-vpn ipsec security-associations")


async def _ike(t) -> str:
    return await t.run("show services ipsec-vpn ike security-associations")


def _remote(text: str) -> str | None:
    for line in text.splitlines():
        if "Remote gateway: " in line:
            return line.rsplit(" ", 1)[1]
    return None


async def test_inactivity_traffic_keeps_the_tunnel_quiet_and_an_ack_is_not_traffic(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab clock advance 60s")
        assert _when(app, fo.SendDpdHello) == []  # inbound data every second: never inactive
        await t.run("lab traffic stop lan-to-hq")  # at 60 s; last inbound data at 60 s
        await t.run("lab clock advance 31s")
        # 70 s poll: 10 s without data -> hello; ACK at once; 80 s and 90 s polls again (the ACK
        # did not count as traffic)
        assert _when(app, fo.SendDpdHello, attempt=1) == [70, 80, 90]
        assert _when(app, DpdAck) == [70, 80, 90]
        assert _remote(await _ipsec(t)) == PRIMARY
        assert f"{PRIMARY}    Matured" in await _ike(t)


async def test_global_poll_every_10_seconds_from_boot(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab traffic stop lan-to-hq")
        await t.run("lab clock advance 55s")
        # up at 0.05 s: the 10 s poll sees 9.95 s of silence, the 20 s one 19.95 s
        assert _when(app, fo.SendDpdHello, attempt=1) == [20, 30, 40, 50]


async def test_hello_two_retries_dead_at_hello_plus_6(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab clock advance 25s")
        assert _when(app, fo.SendDpdHello) == [20, 22, 24]
        # DPD in progress: the SA is still shown towards the primary
        assert _remote(await _ipsec(t)) == PRIMARY
        await t.run("lab clock advance 2s")
        assert _when(app, fo.PeerDeclaredDead) == [26]
        assert _remote(await _ipsec(t)) == BACKUP
        ike = await _ike(t)
        assert f"{BACKUP}     Matured" in ike and PRIMARY not in ike


async def test_phase1_timeout_30s_then_failover(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab clock advance 5s")
        await t.run("lab peer 198.51.100.1 down")
        # at 5 s: IKE and IPsec SAs deleted, the tunnel renegotiates main mode with the (silent)
        # primary; `clear` returns when the lab settles (after the timeout and the failover)
        await t.run("clear services ipsec-vpn ike security-associations")
        await t.run("clear services ipsec-vpn ipsec security-associations")
        assert 35 < app.clock.now() < 36
        await t.run("lab clock advance 1s")
        assert _when(app, NegotiationFailed, reason="timeout") == [35]
        assert _when(app, fo.Activated, role=fo.Role.BACKUP) == [35]
        assert _when(app, Phase2Up) == [0, 35]
        assert f"{BACKUP}     Matured" in await _ike(t)
        assert _remote(await _ipsec(t)) == BACKUP


async def test_failover_on_dead_peer_primary_standby_backup_active(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab clock advance 30s")
        st = app.devices["r1"].tunnels.tunnel(TUNNEL)
        assert st.failover.active == BACKUP and st.failover.active_role is fo.Role.BACKUP
        roles = {s.gateway: s.state for s in st.failover.tunnels}
        assert roles[PRIMARY] is fo.TunnelState.STANDBY and roles[BACKUP] is fo.TunnelState.ACTIVE
        assert _when(app, Phase2Up) == [0, 26]
        detail = await t.run("show services ipsec-vpn ipsec security-associations detail")
        assert "Remote gateway: 203.0.113.1" in detail and "Tunnel state: up" in detail


async def test_backup_times_out_switch_back_to_primary(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab peer 203.0.113.1 down")
        await t.run("lab clock advance 57s")
        assert _when(app, fo.Activated, role=fo.Role.BACKUP) == [26]
        assert _when(app, NegotiationFailed, reason="timeout") == [56]  # backup phase 1
        assert _when(app, fo.Activated, role=fo.Role.PRIMARY) == [56]
        assert await _ipsec(t) == ""
        assert f"{PRIMARY}    Not matured" in await _ike(t)


async def test_both_down_six_failovers_then_revert_and_counter_reset(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab peer 203.0.113.1 down")
        await t.run("lab clock advance 450s")
        assert _when(app, fo.Activated, role=fo.Role.BACKUP) == [26, 86, 146, 206, 266, 326]  # no 7th
        assert _when(app, fo.Reverted) == [356]
        st = app.devices["r1"].tunnels.tunnel(TUNNEL)
        assert st.active_gateway == PRIMARY and st.failover.halted
        roles = {s.gateway: s.state for s in st.failover.tunnels}
        assert roles[BACKUP] is fo.TunnelState.STANDBY
        assert await _ipsec(t) == ""
        # a tunnel established resets the counter
        await t.run("lab peer 203.0.113.1 up")
        await t.run("request services ipsec-vpn ipsec switch tunnel local-gateway 192.0.2.1 remote-gateway 203.0.113.1")
        await t.run("lab clock advance 5s")
        assert _remote(await _ipsec(t)) == BACKUP
        assert app.devices["r1"].tunnels.tunnel(TUNNEL).failover.failovers == 0


async def test_fail_back_never_automatic_manual_switch(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab clock advance 30s")
        await t.run("lab peer 198.51.100.1 up")
        await t.run("lab clock advance 300s")
        assert _remote(await _ipsec(t)) == BACKUP  # still on the backup at 330 s
        out = await t.run("request services ipsec-vpn ipsec switch tunnel local-gateway 192.0.2.1 remote-gateway 198.51.100.1")
        assert out == "IPSec tunnel switched to remote-gateway 198.51.100.1\n"
        assert _when(app, fo.Activated, since=300, manual=True) == [330]
        assert _remote(await _ipsec(t)) == PRIMARY
        assert _when(app, Phase2Up, since=300) == [330]


async def test_j_series_peer_answers_dpd_never_sends_it(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab traffic stop lan-to-hq")
        await t.run("lab clock advance 45s")
        primary = app.world.peer(PRIMARY)
        kinds = [type(ev).__name__ for _, ev in primary.events]
        assert kinds.count("DpdAnswered") == 3  # r1's hellos at 20, 30, 40 s, each answered
        assert "DpdSent" not in kinds  # the peer itself never probes
        assert _when(app, DpdAck) == [20, 30, 40]
        assert not [ev for _, _, ev in app.devices["r1"].tunnels.events if type(ev).__name__ == "DpdAnswered"]
