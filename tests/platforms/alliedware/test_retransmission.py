"""Seed 004 message retransmission on the virtual clock: every send second of an unanswered
phase 1, for msgbackoff=incremental (default) and none, with changed msgtimeout and
msgretrylimit; the exchange times out one further gap after the last retransmission."""

from __future__ import annotations

import pytest

from routershell.engine.events import NegotiationFailed

from .helpers import Lab, peer


@pytest.mark.parametrize("isakmp,sends,timeout", [
    # the release note's worked example: 4, 8, then 16, 24, 32, 40, 48, 56; +64 s to time out
    ("", [0, 4, 12, 28, 52, 84, 124, 172, 228], 292),
    ("msgbackoff=incremental", [0, 4, 12, 28, 52, 84, 124, 172, 228], 292),
    # none: msgtimeout every time
    ("msgbackoff=none", [0, 4, 8, 12, 16, 20, 24, 28, 32], 36),
    # msgtimeout scales both
    ("msgtimeout=2", [0, 2, 6, 14, 26, 42, 62, 86, 114], 146),
    ("msgbackoff=none msgtimeout=10", [0, 10, 20, 30, 40, 50, 60, 70, 80], 90),
    # msgretrylimit changes the number of retransmissions in both modes
    ("msgretrylimit=3", [0, 4, 12, 28], 52),
    ("msgbackoff=none msgretrylimit=2 msgtimeout=7", [0, 7, 14], 21),
    ("msgretrylimit=0", [0], 4),
])
async def test_every_send_second_and_the_timeout(mock_clock, world, isakmp, sends, timeout):
    lab = Lab(world)
    world.add_peer(peer(reachable=False))
    lab.configure(isakmp)
    await lab.advance(timeout - 0.5)
    assert lab.send_times() == sends
    assert lab.events(NegotiationFailed) == []
    assert "Negotiating" in lab.cmd("show ipsec policy")
    await lab.advance(1)
    assert [t for t, _ in lab.events(NegotiationFailed, reason="timeout", phase=1)] == [timeout]
    # retryikeattempts defaults to 0: nothing more is sent
    await lab.advance(3 * timeout)
    assert lab.send_times() == sends
    assert "Tunnel State .............................. Down" in lab.cmd("show ipsec policy=vpn")


async def test_exchange_show_follows_the_schedule(mock_clock, world):
    lab = Lab(world)
    world.add_peer(peer(reachable=False))
    lab.configure()
    await lab.advance(30)  # sent at 0, 4, 12, 28; next at 52
    text = lab.cmd("show isakmp exchange=1")
    assert "Messages Sent ............................. 4\n" in text
    assert "Retransmissions ........................... 3\n" in text
    assert "Next Event (s) ............................ 22\n" in text
    assert "Message Back-off .......................... Incremental\n" in text
    lab.cmd("set isakmp policy=vpn msgbackoff=none")  # a changed policy restarts the tunnel
    await lab.advance(1)
    assert "Back-off\n" in lab.cmd("show isakmp exchange") and "None" in lab.cmd("show isakmp exchange")
