"""Datagrams to an address nothing is bound to take no scheduler entry (issue 11's back-off
bench: a router retrying 2,000 unreachable peers all day), yet behave as if they had one:
counted as dropped when they would have arrived, delivered at their arrival time and in their
order if something binds the destination while they are in flight. And the reachability
check that every datagram makes keeps answering right while links go down and up."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from routershell.runtime.clock import LabClock
from routershell.runtime.network import Network
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler

A, B, C = ("192.0.2.1", 500), ("198.51.100.2", 500), ("198.51.100.3", 500)


@pytest.fixture
async def net(mock_clock: trio.testing.MockClock, nursery) -> Network:
    lab = LabClock("virtual", trio_clock=mock_clock)
    sched = Scheduler(lab)
    await nursery.start(sched.run)
    n = Network(sched, Streams(1), latency=0.002)
    n.bind(*A, lambda d, s, now: None)
    return n


async def test_datagram_to_unbound_address_is_dropped_on_arrival_without_a_timer(
        mock_clock, net: Network) -> None:
    assert net.send(A, B, b"one")  # on the wire: a capture sees it
    assert len(net.scheduler) == 0  # nothing scheduled for it
    assert (net.stats.sent, net.stats.dropped, net.stats.delivered) == (1, 0, 0)  # in flight
    await net.scheduler.clock.advance(0.001)
    assert net.stats.dropped == 0
    await net.scheduler.clock.advance(0.001)
    assert net.stats.dropped == 1  # arrived: nobody there


async def test_binding_while_in_flight_delivers_at_arrival_in_send_order(
        mock_clock, net: Network) -> None:
    got: list[tuple[float, bytes]] = []
    # C is bound, B not yet: the datagram to B is sent between two to C with the same delay
    net.bind(*C, lambda d, s, now: got.append((round(now, 6), d)))
    net.send(A, C, b"c1")
    net.send(A, B, b"b")
    net.send(A, C, b"c2")
    await net.scheduler.clock.advance(0.001)
    net.bind(*B, lambda d, s, now: got.append((round(now, 6), d)))  # a peer comes up
    await net.scheduler.clock.advance(0.005)
    assert got == [(0.002, b"c1"), (0.002, b"b"), (0.002, b"c2")]
    assert (net.stats.delivered, net.stats.dropped) == (3, 0)


async def test_binding_after_arrival_delivers_nothing(mock_clock, net: Network) -> None:
    got = []
    net.send(A, B, b"late")
    await net.scheduler.clock.advance(0.002)
    net.bind(*B, lambda d, s, now: got.append(d))
    await net.scheduler.clock.advance(1)
    assert got == [] and net.stats.dropped == 1


async def test_reachability_follows_links_down_and_up(mock_clock, net: Network) -> None:
    net.add_link("uplink", [B[0]])
    net.add_link("other", [C[0]])
    assert net.reachable(B[0]) and net.reachable(C[0])
    net.set_link("uplink", False)
    net.set_link("uplink", False)  # twice: still one link down
    assert not net.reachable(B[0]) and net.reachable(C[0])
    net.set_link("other", False)
    net.set_link("uplink", True)
    assert net.reachable(B[0]) and not net.reachable(C[0])
    net.set_link("other", True)
    net.set_link("other", True)
    assert net.reachable(B[0]) and net.reachable(C[0])
    net.set_link("uplink", False)  # the count did not go negative
    assert not net.reachable(B[0])


async def test_faults_still_drop_on_the_fast_path(mock_clock, net: Network) -> None:
    """No fault anywhere lets send() skip its checks; each kind of fault brings them back."""
    got = []
    net.bind(*B, lambda d, s, now: got.append(d))
    net.set_down(B[0])
    net.send(A, B, b"down")
    net.set_down(B[0], False)
    net.partition([A[0]], [B[0]])
    net.send(A, B, b"partitioned")
    net.heal()
    net.set_loss(100, B[0])
    net.send(A, B, b"lost")
    net.set_loss(0, B[0])
    net.send(A, B, b"through")
    await net.scheduler.clock.advance(1)
    assert got == [b"through"]
    assert (net.stats.dropped, net.stats.lost, net.stats.delivered) == (2, 1, 1)


async def test_latency_set_back_to_zero_is_the_default(mock_clock, net: Network) -> None:
    # every lab peer sets its address's latency (mostly 0): a zero entry is no entry, and the
    # datagram's delay is the network's own to the last bit, as before it was ever set
    got: list[tuple[float, bytes]] = []
    net.bind(*B, lambda d, s, now: got.append((now, d)))
    net.set_latency(B[0], 0.5, 0.1)
    t0 = net.scheduler.now()
    net.send(A, B, b"slow")
    net.set_latency(B[0], 0.0, 0.0)
    assert net._addr_latency == {}
    net.send(A, B, b"plain")
    await net.scheduler.clock.advance(1)
    assert [d for _, d in got] == [b"plain", b"slow"]
    assert got[0][0] == t0 + 0.002 and 0.502 <= got[1][0] - t0 <= 0.602
    net.set_latency(B[0], 0.0, 0.25)  # jitter alone is kept
    assert net._addr_latency == {B[0]: (0.0, 0.25)}


async def test_short_path_is_taken_only_without_faults_and_agrees(mock_clock, net: Network) -> None:
    assert net._simple
    for fault, undo in ((lambda: net.set_loss(5), lambda: net.set_loss(0)),
                        (lambda: net.set_loss(5, B[0]), lambda: net.set_loss(0, B[0])),
                        (lambda: setattr(net, "loss", 0.5), lambda: setattr(net, "loss", 0.0)),
                        (lambda: net.set_latency(B[0], 0.1), lambda: net.set_latency(B[0], 0)),
                        (lambda: net.partition(["203.0.113.1"], ["203.0.113.2"]), net.heal),
                        (lambda: net.set_link("l", False), lambda: net.set_link("l", True))):
        net.add_link("l", ["203.0.113.9"])
        fault()
        assert not net._simple
        undo()
        assert net._simple
    net.set_down(C[0])  # an address down keeps the short path (checked on it)
    assert net._simple

    got: list[tuple[float, bytes]] = []
    net.bind(*B, lambda d, s, now: got.append((now, d)))
    net.bind(*C, lambda d, s, now: got.append((now, d)))

    async def burst(tag: bytes) -> list[tuple[float, bytes]]:
        got.clear()
        t0 = net.scheduler.now()
        for i in range(3):
            net.send(A, B, tag + bytes([i]))
            net.send(A, C, tag + b"down")  # dropped: C is down
            await net.scheduler.clock.advance(0.0015)
        await net.scheduler.clock.advance(1)
        return [(round(t - t0, 9), d[1:]) for t, d in got]

    short = await burst(b"s")
    net.partition(["203.0.113.1"], ["203.0.113.2"])  # no datagram's business: general path
    assert not net._simple
    general = await burst(b"g")
    assert short == general and len(short) == 3
    assert net.stats.dropped == 6


async def test_a_destination_that_goes_down_in_flight_gets_nothing(mock_clock, net: Network) -> None:
    """The fault-free short path still drops on arrival a datagram whose destination went down
    while it was in flight (and delivers again once the address is back)."""
    got: list[bytes] = []
    net.bind(*B, lambda d, s, now: got.append(d))
    net.send(A, B, b"lost")
    await net.scheduler.clock.advance(0.001)
    net.set_down(B[0], True)
    await net.scheduler.clock.advance(0.002)
    assert got == [] and (net.stats.delivered, net.stats.dropped) == (0, 1)
    net.set_down(B[0], False)
    net.send(A, B, b"back")
    await net.scheduler.clock.advance(0.003)
    assert got == [b"back"] and net.stats.delivered == 1
