"""Seed 004 retryikeattempts on the virtual clock: every trigger (proposal rejected, phase 1
authentication failure, phase 1 and phase 2 timeout, a peer Delete of the most recent SA) with
its counter, the limit, continuous, and success resetting the count. A retry is a new exchange
started at once (issue 13's defaults table)."""

from __future__ import annotations

from routershell.engine.events import NegotiationFailed, Phase2Down, Phase2Up
from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.engine.retry import GiveUp, Retry, Trigger

from .helpers import PEER, R1, Lab, peer


def counter(lab: Lab, name: str) -> int:
    text = lab.cmd("show isakmp counters")
    for row in text.splitlines():
        parts = row.split()
        for i in range(0, len(parts) - 1, 2):
            if parts[i] == name:
                return int(parts[i + 1])
    raise AssertionError(f"{name} not in {text}")


def times(pairs) -> list[float]:
    return [t for t, _ in pairs]


async def test_timeouts_retried_up_to_the_limit(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(reachable=False))
    lab.configure("retryikeattempts=2")
    await lab.advance(2000)
    # three exchanges (the first and two retries), each on the incremental schedule
    one = [0, 4, 12, 28, 52, 84, 124, 172, 228]
    assert lab.send_times() == one + [t + 292 for t in one] + [t + 584 for t in one]
    assert times(lab.events(NegotiationFailed, reason="timeout")) == [292, 584, 876]
    assert times(lab.events(Retry)) == [292, 584]
    assert [(r.phase, r.attempt, r.trigger) for _, r in lab.events(Retry)] == [
        (1, 1, Trigger.TIMEOUT), (1, 2, Trigger.TIMEOUT)]
    assert times(lab.events(GiveUp)) == [876]
    assert counter(lab, "retryIkeAttemptsPh1") == 2 and counter(lab, "retryIkeAttemptsPh2") == 0
    assert counter(lab, "usePolIkeRetryGood") == 2 and counter(lab, "usePolIkeRetryFailed") == 1
    assert counter(lab, "exchangesTimedOut") == 3
    pol = lab.cmd("show ipsec policy=vpn counter")
    assert "IKE Retries ............................... 2\n" in pol
    assert "Tunnel State .............................. Down" in lab.cmd("show ipsec policy=vpn")


async def test_continuous_keeps_retrying_and_success_resets_the_count(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(reachable=False))
    lab.configure("retryikeattempts=continuous")
    await lab.advance(292 * 20 + 1)
    assert times(lab.events(Retry)) == [292 * k for k in range(1, 21)]
    assert [r.attempt for _, r in lab.events(Retry)][-1] == 20
    assert lab.events(GiveUp) == []
    world.peer_up(PEER)
    await lab.advance(292)  # the 21st exchange's next retransmission reaches the peer
    up = times(lab.events(Phase2Up))
    assert len(up) == 1 and 292 * 20 + 4 <= up[0] < 292 * 20 + 5
    assert lab.controller_status().attempts_used == 0
    assert counter(lab, "retryIkeAttemptsPh1") == 20


async def test_proposal_rejected_retried_at_once(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(ike_proposals=(IkeProposal("psk", "md5", "des", 1, 86400),)))
    lab.configure("retryikeattempts=3")
    await lab.advance(10)
    failed = lab.events(NegotiationFailed, reason="no-proposal-chosen", phase=1)
    assert len(failed) == 4  # the first exchange and three retries, all refused at once
    assert all(t < 0.02 for t, _ in failed)
    assert [r.trigger for _, r in lab.events(Retry)] == [Trigger.PROPOSAL_REJECTED] * 3
    assert counter(lab, "retryIkeAttemptsPh1") == 3 and counter(lab, "proposalsRejected") == 4
    # the peer accepts now: no retry is left, the tunnel stays down; a new retry limit does
    # not start an exchange by itself (it applies to the next failure)
    world.peer_config(PEER, ike_proposals=(IkeProposal("psk", "sha1", "3des", 2, 86400),))
    await lab.advance(600)
    lab.cmd("set isakmp policy=vpn retryikeattempts=1")
    await lab.advance(1)
    assert lab.events(Phase2Up) == [] and len(lab.send_times()) == 4
    # any other change of the policy restarts its tunnel
    lab.cmd("set isakmp policy=vpn msgtimeout=5")
    await lab.advance(1)
    assert len(lab.events(Phase2Up)) == 1


async def test_phase1_authentication_failure_is_a_trigger(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(psk=b"another-secret"))
    lab.configure("retryikeattempts=1")
    await lab.advance(10)
    assert len(lab.events(NegotiationFailed, reason="authentication-failed", phase=1)) == 2
    assert [(r.phase, r.trigger) for _, r in lab.events(Retry)] == [(1, Trigger.AUTHENTICATION_FAILED)]
    assert counter(lab, "retryIkeAttemptsPh1") == 1
    assert counter(lab, "authenticationFailures") == 2


async def test_phase2_proposal_rejected_retries_quick_mode_only(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(ipsec_proposals=(IpsecProposal("esp", "aes256", "hmac-md5", None, 3600),)))
    lab.configure("retryikeattempts=2")
    await lab.advance(10)
    assert len(lab.events(NegotiationFailed, phase=2, reason="no-proposal-chosen")) == 3
    assert [(r.phase, r.attempt) for _, r in lab.events(Retry)] == [(2, 1), (2, 2)]
    assert counter(lab, "retryIkeAttemptsPh2") == 2 and counter(lab, "retryIkeAttemptsPh1") == 0
    assert counter(lab, "phase1SaCreated") == 1  # one ISAKMP SA served every quick mode
    assert "203.0.113.2" in lab.cmd("show isakmp sa")


async def test_peer_delete_then_phase2_timeout(mock_clock, world):
    lab = Lab(world)
    hq = world.add_peer(peer())
    lab.configure("retryikeattempts=2")
    await lab.advance(100)
    assert len(lab.events(Phase2Up)) == 1
    # at 100 s the peer deletes the most recent (only) IPsec SA and stops answering
    hq.endpoint.delete_child((R1, 500), "hq", world.now())
    hq.handle_timer(world.now())
    world.peer_down(PEER)
    await lab.advance(600)
    assert times(lab.events(Phase2Down, reason="peer-delete")) == [100.002]
    # retry 1 (Delete) starts quick mode at once; it times out on the incremental schedule
    assert [(t, r.phase, r.trigger) for t, r in lab.events(Retry)] == [
        (100.002, 2, Trigger.PEER_DELETE), (392.002, 2, Trigger.TIMEOUT)]
    assert times(lab.events(NegotiationFailed, phase=2, reason="timeout")) == [392.002, 684.002]
    assert times(lab.events(GiveUp)) == [684.002]  # the limit (2) is spent
    quick = [round(t - 100.002, 3) for t in lab.send_times(since=100)]
    assert quick[:9] == [0, 4, 12, 28, 52, 84, 124, 172, 228]
    assert counter(lab, "retryIkeAttemptsPh2") == 2 and counter(lab, "deletesReceived") == 1


async def test_peer_delete_renegotiates_at_once_when_the_peer_answers(mock_clock, world):
    lab = Lab(world)
    hq = world.add_peer(peer())
    lab.configure("retryikeattempts=1")
    await lab.advance(50)
    hq.endpoint.delete_child((R1, 500), "hq", world.now())
    hq.handle_timer(world.now())
    await lab.advance(10)
    assert times(lab.events(Phase2Up))[1] < 50.01
    assert counter(lab, "retryIkeAttemptsPh2") == 1
    assert len(lab.cmd("show ipsec sa").strip().splitlines()) == 3  # header, rule, one SA


async def test_no_retry_by_default(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(psk=b"another-secret"))
    lab.configure()
    await lab.advance(600)
    assert len(lab.events(NegotiationFailed)) == 1
    assert lab.events(Retry) == []
    assert counter(lab, "retryIkeAttemptsPh1") == 0 and counter(lab, "usePolIkeRetryFailed") == 0


async def test_quick_mode_retry_shows_as_a_quick_exchange(mock_clock, world):
    lab = Lab(world)
    hq = world.add_peer(peer())
    lab.configure("retryikeattempts=1")
    await lab.advance(10)
    hq.endpoint.delete_child((R1, 500), "hq", world.now())
    hq.handle_timer(world.now())
    world.peer_down(PEER)
    await lab.advance(20)  # quick mode sent at 10.002, 14.002, 22.002
    rows = lab.cmd("show isakmp exchange").splitlines()
    # exchange 1 was phase 1, 2 the first quick mode, 3 the retry after the Delete
    assert rows[3].split()[:5] == ["3", "QUICK", "INITIATOR", PEER, "3"]
    assert rows[3].split()[-1] == "Incremental"
    assert "Type ...................................... QUICK\n" in lab.cmd("show isakmp exchange=3")


async def test_traffic_starts_a_tunnel_whose_retries_are_spent(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(reachable=False))
    lab.configure("msgbackoff=none retryikeattempts=1")
    await lab.advance(100)  # two exchanges of 36 s, then nothing
    assert times(lab.events(GiveUp)) == [72]
    world.peer_up(PEER)
    world.traffic_start("lan", "192.168.1.10", "10.2.0.10", rate_pps=1)
    await lab.advance(5)
    assert len(lab.events(Phase2Up)) == 1 and 100 <= times(lab.events(Phase2Up))[0] < 101.1


async def test_the_log_tells_each_timeout_retry_and_limit(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(reachable=False))
    lab.configure("msgbackoff=none retryikeattempts=1")
    await lab.advance(100)
    rows = lab.cmd("show log").splitlines()[3:]
    assert rows == [
        "01 00:00:36 3 ISAK IKMP EXCH  Phase 1 exchange with 203.0.113.2 timed out",
        "01 00:00:36 4 ISAK IKMP RETRY Policy vpn: retrying phase 1 exchange (attempt 1 of 1)",
        "01 00:01:12 3 ISAK IKMP EXCH  Phase 1 exchange with 203.0.113.2 timed out",
        "01 00:01:12 3 ISAK IKMP RETRY Policy vpn: retry limit 1 reached",
    ]


async def test_changing_the_retry_limit_keeps_an_established_tunnel(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer())
    lab.configure("retryikeattempts=2")
    await lab.advance(10)
    before = lab.cmd("show ipsec sa")
    assert lab.cmd("set isakmp policy=vpn retryikeattempts=continuous").startswith("Info")
    await lab.advance(10)
    assert lab.cmd("show ipsec sa") == before and len(lab.events(Phase2Up)) == 1
    assert lab.controller_status().limit is None  # read again: continuous from now on


async def test_disabling_or_destroying_stops_continuous_retries(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(reachable=False))
    lab.configure("msgbackoff=none retryikeattempts=continuous")
    await lab.advance(100)  # exchanges at 0, 36, 72
    assert lab.cmd("disable isakmp") == "Info (1082003): Operation successful.\n"
    sent = len(lab.send_times())
    await lab.advance(300)
    assert len(lab.send_times()) == sent and lab.dev.tunnels.tunnels() == []
    assert lab.cmd("enable isakmp") == "Info (1082003): Operation successful.\n"
    await lab.advance(1)
    assert lab.send_times()[-1] == 400.0  # a fresh exchange at once
    assert lab.cmd("destroy ipsec policy=vpn") == "Info (1081003): Operation successful.\n"
    sent = len(lab.send_times())
    await lab.advance(300)
    assert len(lab.send_times()) == sent


async def test_a_peer_any_policy_answers_a_roaming_peer(mock_clock, world):
    lab = Lab(world)
    lab.configure(enable=False)
    for line in ("create isakmp policy=roam peer=any key=1 encalg=3desouter hashalg=sha group=2",
                 "create ipsec policy=roam interface=eth0 action=ipsec bundle=1 isakmp=roam "
                 "peeraddress=dynamic laddress=192.168.1.0 lmask=255.255.255.0 "
                 "raddress=10.9.0.0 rmask=255.255.0.0",
                 "enable isakmp", "enable ipsec"):
        assert lab.cmd(line).startswith("Info"), line
    from routershell.runtime.peers import PeerSpec

    world.add_peer(PeerSpec("laptop", "198.51.100.77", psk=b"lab-secret",
                            ike_proposals=(IkeProposal("psk", "sha1", "3des", 2, 86400),),
                            ipsec_proposals=(IpsecProposal("esp", "3des", "hmac-sha1", None, 3600),),
                            local_ts="10.9.0.0/16", remote_ts="192.168.1.0/24",
                            initiates=True, target=R1, answers_dpd=False))
    await lab.advance(5)
    rows = lab.cmd("show ipsec sa").splitlines()[3:]
    assert len(rows) == 1 and rows[0].split()[:2] == ["1", "roam"]
    assert "Role ...................................... RESPONDER\n" in lab.cmd("show ipsec sa=1")
    isa = lab.cmd("show isakmp sa=1")
    assert "Peer Address .............................. 198.51.100.77\n" in isa
    assert "Policy .................................... roam\n" in isa
    assert "Role ...................................... RESPONDER\n" in isa
    assert lab.events(Retry) == []
