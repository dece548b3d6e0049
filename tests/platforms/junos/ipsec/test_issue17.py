"""Issue 17 defects in the default lab (r1: primary 198.51.100.1, backup 203.0.113.1, the
lan-to-hq flow running), each reproduced as the issue describes, on the virtual clock."""

from __future__ import annotations

import re

from routershell.engine import failover as fo
from routershell.engine.events import NegotiationFailed, Phase2Up

from ..harness import Transcript, lab

PRIMARY, BACKUP = "198.51.100.1", "203.0.113.1"
TUNNEL = "vpn-hq/to-hq/lan-to-hq"


def _when(app, kind, since: float = 0.0, **attrs) -> list[float]:
    return [round(t, 3) for t, _n, ev in app.devices["r1"].tunnels.events
            if t >= since and isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in attrs.items())]


async def _ike(t) -> str:
    return await t.run("show services ipsec-vpn ike security-associations")


def _stat(text: str, name: str) -> int:
    m = re.search(rf"{name}:\s+(\d+)", text)
    assert m, text
    return int(m.group(1))


async def test_defect_1_traffic_follows_the_tunnel_after_failover(mock_clock, tmp_path):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run(f"lab capture start {tmp_path / 'f.pcap'}")
        await t.run("lab clock advance 60s")
        await t.run(f"lab peer {PRIMARY} down")
        await t.run("lab clock advance 120s")
        await t.run("lab capture stop")
        out = await t.run("show services ipsec-vpn ipsec statistics")
        switched = _when(app, fo.Activated)
        assert len(switched) == 1 and 76 <= switched[0] < 77  # dead at the 70 s poll + 6 s
        # the backup tunnel decrypts the far host's replies (10 pps) from the failover on
        assert _stat(out, "Decrypted packets") >= 10 * (180 - 77)
        assert _stat(out, "Decrypted packets") == _stat(out, "Encrypted packets")
        # and the live backup, never idle, is never probed at the 10-s polls
        assert _when(app, fo.SendDpdHello, since=switched[0], gateway=BACKUP) == []


async def _consistent_each_second(app, t, until: float) -> None:
    """Step to `until` second by second; at every second a tunnel shown "negotiating" has an
    IKE SA in progress (the IKE table is never empty under a negotiating tunnel)."""
    tm = app.devices["r1"].tunnels
    while app.clock.now() < until:
        await app.clock.advance_to(min(until, int(app.clock.now()) + 1))
        st = tm.tunnel(TUNNEL)
        if st.state == "negotiating":
            row = re.search(rf"^{re.escape(st.active_gateway)}\s+Not matured", await _ike(t), re.M)
            assert row, app.clock.now()


async def test_defect_2a_after_the_revert_traffic_renegotiates_and_the_primary_returns(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run(f"lab peer {PRIMARY} down")
        await t.run(f"lab peer {BACKUP} down")
        await _consistent_each_second(app, t, 460)
        assert [int(x) for x in _when(app, fo.Reverted)] == [356]
        # after the revert the tunnel is down and quiet for one phase-1 time (30 s), then
        # traffic starts an attempt; it times out at 416, the next starts at 446
        fails = [int(x) for x in _when(app, NegotiationFailed, since=357)]
        assert fails == [416]
        assert app.clock.now() == 460
        await t.run(f"lab peer {PRIMARY} up")
        await _consistent_each_second(app, t, 1060)
        # the attempt started at 446 is answered at its 466 retransmission
        ups = _when(app, Phase2Up, since=400)
        assert len(ups) == 1 and 466 <= ups[0] < 467
        st = app.devices["r1"].tunnels.tunnel(TUNNEL)
        assert (st.state, st.active_gateway) == ("up", PRIMARY)
        assert st.failover.failovers == 0 and not st.failover.halted
        # the side effects of the stuck state are gone
        before = app.clock.now()
        await t.run("clear log messages")
        assert app.clock.now() == before
        out = await t.run("lab wait until settled")
        assert "the lab settled" in out and app.clock.now() == before


async def test_defect_2b_dead_peer_without_backup(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("delete services ipsec-vpn rule to-hq term lan-to-hq then backup-remote-gateway")
        await t.run("set services ipsec-vpn rule to-hq term lan-to-hq then initiate-dead-peer-detection")
        await t.run("commit")
        await t.run("exit")
        await t.run(f"lab peer {PRIMARY} down")
        await _consistent_each_second(app, t, 27)
        assert [int(x) for x in _when(app, fo.PeerDeclaredDead)] == [26]  # 20 s poll + 6
        # SAs cleaned up at once, no renegotiation then
        assert await _ike(t) == "Remote Address  State         Initiator cookie  Responder cookie  Exchange type\n"
        assert "Tunnel state: down" in await t.run("show services ipsec-vpn ipsec security-associations detail")
        before = app.clock.now()
        await t.run("clear log messages")
        assert app.clock.now() == before
        await _consistent_each_second(app, t, 90)
        # traffic starts the next attempt one phase-1 time after the failure: 56, fails at 86
        assert [int(x) for x in _when(app, NegotiationFailed, reason="timeout")] == [86]
        await t.run(f"lab peer {PRIMARY} up")
        await _consistent_each_second(app, t, 200)
        ups = _when(app, Phase2Up, since=30)
        assert len(ups) == 1 and 116 <= ups[0] < 117  # the attempt at 116 succeeds
        st = app.devices["r1"].tunnels.tunnel(TUNNEL)
        assert st.state == "up" and st.failover.failovers == 0


async def test_defect_6_switch_message_says_where_the_tunnel_went(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        # the primary is active; naming it switches away from it, to the backup
        out = await t.run("request services ipsec-vpn ipsec switch tunnel local-gateway 192.0.2.1 "
                          f"remote-gateway {PRIMARY}")
        assert out == f"IPSec tunnel switched to remote-gateway {BACKUP}\n"
        log = await t.run("show log messages | match FAILOVER")
        assert f"switched by request to remote gateway {BACKUP}" in log
        assert app.devices["r1"].tunnels.tunnel(TUNNEL).active_gateway == BACKUP
        out = await t.run("request services ipsec-vpn ipsec switch tunnel local-gateway 192.0.2.1 "
                          f"remote-gateway {PRIMARY}")
        assert out == f"IPSec tunnel switched to remote-gateway {PRIMARY}\n"


async def _packets(t) -> tuple[int, int]:
    out = await t.run("show services ipsec-vpn ipsec statistics")
    return _stat(out, "Encrypted packets"), _stat(out, "Decrypted packets")


async def test_defect_9_ping_through_the_up_tunnel_is_answered_and_counted(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab traffic stop lan-to-hq")
        before = await _packets(t)
        out = await t.run("ping 10.1.0.10 count 3 source 172.16.1.1")
        assert "3 packets transmitted, 3 packets received, 0% packet loss" in out
        # the primary's 10 ms each way, both legs through the tunnel
        assert out.count("64 bytes from 10.1.0.10: icmp_seq=") == 3 and "time=24.000 ms" in out
        assert await _packets(t) == (before[0] + 3, before[1] + 3)
        # without a source the router's own address (192.0.2.1) is not in the term's
        # source-address: the request leaves in the clear and the protected host is not
        # reachable that way (docs/tunnels.md)
        out = await t.run("ping 10.1.0.10 count 2")
        assert "2 packets transmitted, 0 packets received, 100% packet loss" in out
        assert await _packets(t) == (before[0] + 3, before[1] + 3)
        # after a failover the ping follows the tunnel to the backup (25 ms each way)
        await t.run(f"lab peer {PRIMARY} down")
        await t.run("lab clock advance 60s")
        out = await t.run("ping 10.1.0.10 count 1 source 172.16.1.1")
        assert "time=54.000 ms" in out and "1 packets received" in out


async def test_ping_stopped_by_ctrl_c_prints_its_statistics(mock_clock):
    import trio

    async with lab(mock_clock) as app:
        t = Transcript(app)
        with trio.move_on_after(app.clock.to_trio(app.clock.now() + 3.5) - trio.current_time()):
            await t.run("ping 10.1.0.10 count 2000000000 source 172.16.1.1")
        text = t.io.text()
        assert text.count("icmp_seq=") == 4  # sent at 0, 1, 2, 3 s
        assert text.endswith("\n--- 10.1.0.10 ping statistics ---\n"
                             "4 packets transmitted, 4 packets received, 0% packet loss\n"
                             "round-trip min/avg/max/stddev = 24.000/24.000/24.000/0.000 ms\n")
        out = await t.run("ping 10.1.0.10 count 2000000001")
        assert "Value 2000000001 is not within range (1..2000000000)" in out


async def test_defect_10_a_failed_pic_holds_no_ipsec_sas_and_a_restored_one_shows_its_tunnels(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        peer = app.world.peer(PRIMARY)
        sent = app.world.network.stats.sent
        ike = await _ike(t)
        await t.run("lab module r1 1/2 fail")
        # at that instant: no IPsec SA (they lived on the PIC) and the peer was told nothing;
        # the IKE SA lives on the Routing Engine and stays (that is why Junos has
        # clear-ike-sas-on-pic-restart), see docs/tunnels.md
        assert await t.run("show services ipsec-vpn ipsec security-associations") == ""
        assert "sp-1/2/0                 1              0" in await t.run("show services service-sets summary")
        assert await _ike(t) == ike
        assert app.world.network.stats.sent == sent and peer.established()
        before = app.clock.now()
        await t.run("lab module r1 1/2 restore")
        # the command returns once the tunnel renegotiated (a few ms of lab time), so the
        # next show is what the restored PIC holds
        assert 0 < app.clock.now() - before < 1
        assert "Remote gateway: 198.51.100.1" in await t.run("show services ipsec-vpn ipsec security-associations")
        assert "sp-1/2/0                 1              1  Online" in await t.run("show services service-sets summary")

