"""The fourth retry trigger of seed 004 from the lab: `lab peer ADDR delete` makes the peer
send a Delete for its most recent IPsec SA; r1 counts a phase-2 retry and negotiates again."""

from __future__ import annotations

from routershell.engine.retry import Retry, Trigger

from .harness import Transcript, lab


async def test_a_delete_from_the_peer_is_retried(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        assert await t.run("lab peer 203.0.113.2 delete") == (
            "lab: peer 203.0.113.2 has no IPsec SA to delete\n")
        await t.run("lab clock advance-to 00:10:30")
        events = app.devices["r1"].tunnels.events
        n = len(events)
        assert await t.run("lab peer 203.0.113.2 delete") == (
            "Peer 203.0.113.2 deleted its most recent IPsec SA (Delete sent).\n")
        await t.run("lab clock advance 1s")  # the Delete travels (10 ms), r1 renegotiates
        retries = [ev for _t, _n, ev in events[n:] if isinstance(ev, Retry)]
        assert retries == [Retry(phase=2, attempt=1, trigger=Trigger.PEER_DELETE)]
        counters = await t.run("show isakmp counters=general")
        assert "deletesReceived                      1" in counters
        assert "retryIkeAttemptsPh2                  1" in counters
        assert "Tunnel State .............................. Established" in await t.run("show ipsec policy=vpn")
