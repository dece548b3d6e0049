"""IKEv1 engine benchmark: full negotiations (main mode + quick mode) per second between two
in-memory endpoints, DH cost per exchange, and memory per established tunnel.

Run: PYTHONPATH=. python scripts/bench_ike.py
Prints one `name: value unit` per line.
"""

from __future__ import annotations

import random
import time
import tracemalloc

from routershell.engine.crypto import GROUPS
from routershell.engine.dpd import DpdPolicy
from routershell.engine.ike import IkeEndpoint
from routershell.engine.pair import EndpointPair
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal, IpsecProposal


def _config(address: str, group: int, local_ts: str, remote_ts: str) -> PeerConfig:
    return PeerConfig(address, ike_proposals=(IkeProposal("psk", "sha1", "aes128", group),),
                      psk=b"bench", dpd=DpdPolicy(),
                      children=(ChildConfig("vpn", (IpsecProposal(),), local_ts, remote_ts),))


def negotiations_per_second(group: int, n: int) -> float:
    rng_a, rng_b = random.Random(1), random.Random(2)
    start = time.perf_counter()
    for i in range(n):
        a_addr, b_addr = f"10.0.{i // 250}.{i % 250 + 1}", "192.0.2.1"
        a = IkeEndpoint((a_addr, 500), rng_a, [_config(b_addr, group, "10.1.0.0/16", "10.2.0.0/16")])
        b = IkeEndpoint((b_addr, 500), rng_b, [_config(a_addr, group, "10.2.0.0/16", "10.1.0.0/16")])
        pair = EndpointPair(a, b)
        a.initiate((b_addr, 500), 0.0, "vpn")
        pair.pump()
        assert len(b.sadb.ipsec) == 1, pair.events
    return n / (time.perf_counter() - start)


def dh_us(group: int, n: int) -> float:
    """One side's DH work per exchange: private value, g^x and g^xy."""
    g = GROUPS[group]
    rng = random.Random(3)
    peer = g.public(g.private(rng))
    start = time.perf_counter()
    for _ in range(n):
        x = g.private(rng)
        g.public(x)
        g.shared(x, peer)
    return (time.perf_counter() - start) / n * 1e6


def bytes_per_tunnel(n: int) -> float:
    """Responder memory per established tunnel (IKE SA + IPsec SA + retained exchange state)."""
    b_addr = "192.0.2.1"
    b = IkeEndpoint((b_addr, 500), random.Random(2), [])
    initiators = []
    for i in range(n):
        a_addr = f"10.0.{i // 250}.{i % 250 + 1}"
        b.add_peer(_config(a_addr, 2, "10.2.0.0/16", "10.1.0.0/16"))
        initiators.append((a_addr, IkeEndpoint((a_addr, 500), random.Random(i),
                                                [_config(b_addr, 2, "10.1.0.0/16",
                                                         "10.2.0.0/16")])))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _a_addr, a in initiators:
        pair = EndpointPair(a, b)
        a.initiate((b_addr, 500), 0.0, "vpn")
        pair.pump()
    # let retained exchange state expire as it would in a running system
    b.handle_timer(1000.0)
    while b.next_event() is not None:
        pass
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert len(b.sadb.ipsec) == n
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    return grown / n


def dpd_pair(children: int = 1) -> tuple[IkeEndpoint, IkeEndpoint]:
    """Two endpoints with one established IKE SA (DPD every 300 s from `a`; `b` only answers,
    as the runtime's simulated peers do) carrying `children` IPsec SAs."""
    a_addr, b_addr = "100.64.0.1", "198.18.0.10"
    ike = (IkeProposal("psk", "sha1", "aes128", 2, lifetime_s=10**9),)  # no rekey in the run
    esp = (IpsecProposal(lifetime_s=10**9),)
    kids = tuple(ChildConfig(f"vpn{i}", esp, f"10.1.{i}.0/24", "10.2.0.0/16")
                 for i in range(children))
    back = tuple(ChildConfig(f"vpn{i}", esp, "10.2.0.0/16", f"10.1.{i}.0/24")
                 for i in range(children))
    a = IkeEndpoint((a_addr, 500), random.Random(1),
                    [PeerConfig(b_addr, ike_proposals=ike, psk=b"bench", children=kids,
                                dpd=DpdPolicy(300.0, 10.0, 3))])
    b = IkeEndpoint((b_addr, 500), random.Random(2),
                    [PeerConfig(a_addr, ike_proposals=ike, psk=b"bench", children=back,
                                dpd=DpdPolicy(300.0, 10.0, 3, initiate=False))])
    pair = EndpointPair(a, b)
    for kid in kids:
        a.initiate((b_addr, 500), 0.0, kid.name)
    pair.pump()
    pair.advance(200.0)  # finished exchanges purged
    assert len(b.sadb.ipsec) == children, pair.events
    return a, b


def dpd_round_trips(a: IkeEndpoint, b: IkeEndpoint, n: int) -> None:
    """`n` DPD round trips between `a` and its one gateway `b` (`dpd_gateway_rounds`)."""
    dpd_gateway_rounds(a, [b], n)


def dpd_round_trip_us(n: int, children: int = 1) -> float:
    """Engine CPU per DPD round trip (R-U-THERE and its ACK: two datagrams, both ends)."""
    a, b = dpd_pair(children)
    dpd_round_trips(a, b, 200)  # warm up
    start = time.process_time()
    dpd_round_trips(a, b, n)
    return (time.process_time() - start) / n * 1e6


def dpd_gateways(children: int = 32, gateways: int = 2) -> tuple[IkeEndpoint, list[IkeEndpoint]]:
    """One local endpoint with an IKE SA (DPD every 300 s) to each of `gateways` peers, all
    established at the same instant, each carrying `children` IPsec SAs: as a StarOS context
    with its primary and secondary gateway, whose probes fall due together."""
    a_addr = "100.64.0.1"
    ike = (IkeProposal("psk", "sha1", "aes128", 2, lifetime_s=10**9),)
    esp = (IpsecProposal(lifetime_s=10**9),)
    addrs = [f"198.{18 + g}.0.10" for g in range(gateways)]
    kids = tuple(ChildConfig(f"vpn{i}", esp, f"10.1.{i}.0/24", "10.2.0.0/16")
                 for i in range(children))
    back = tuple(ChildConfig(f"vpn{i}", esp, "10.2.0.0/16", f"10.1.{i}.0/24")
                 for i in range(children))
    a = IkeEndpoint((a_addr, 500), random.Random(1),
                    [PeerConfig(b, ike_proposals=ike, psk=b"bench", children=kids,
                                dpd=DpdPolicy(300.0, 10.0, 3)) for b in addrs])
    bs = [IkeEndpoint((b, 500), random.Random(2 + g),
                      [PeerConfig(a_addr, ike_proposals=ike, psk=b"bench", children=back,
                                  dpd=DpdPolicy(300.0, 10.0, 3, initiate=False))])
          for g, b in enumerate(addrs)]
    by_addr = {ep.local[0]: ep for ep in (a, *bs)}
    for b in addrs:
        for kid in kids:
            a.initiate((b, 500), 0.0, kid.name)

    def shuttle(now: float) -> None:
        moved = True
        while moved:
            moved = False
            for ep in by_addr.values():
                for data, dst in ep.datagrams_to_send():
                    moved = True
                    by_addr[dst[0]].receive(data, ep.local, now)
                while ep.next_event() is not None:
                    pass

    shuttle(0.0)
    for ep in by_addr.values():  # finished exchanges purged
        ep.handle_timer(200.0)
    shuttle(200.0)
    assert all(len(b.sadb.ipsec) == children for b in bs)
    return a, bs


def dpd_gateway_rounds(a: IkeEndpoint, bs: list[IkeEndpoint], n: int) -> int:
    """`n` rounds of `a`'s probes falling due together, driven as a runtime drives endpoints:
    the timer fires at `a`, each R-U-THERE reaches its gateway, which answers, the ACK reaches
    `a`; each side's output and events are drained and its next deadline read after each step.
    Returns the number of round trips."""
    by_addr = {b.local[0]: b for b in bs}
    trips = 0
    for _ in range(n):
        now = a.get_timer()
        a.handle_timer(now)
        probes = a.datagrams_to_send()
        while a.next_event() is not None:
            pass
        a.get_timer()
        for probe, dst in probes:
            b = by_addr[dst[0]]
            b.receive(probe, a.local, now)
            (ack, _), = b.datagrams_to_send()
            while b.next_event() is not None:
                pass
            b.get_timer()
            a.receive(ack, b.local, now)
            a.datagrams_to_send()
            while a.next_event() is not None:
                pass
            a.get_timer()
            trips += 1
    return trips


def dpd_gateways_round_trip_us(n: int) -> float:
    """Engine CPU per DPD round trip when two gateways' probes fall due together."""
    a, bs = dpd_gateways()
    dpd_gateway_rounds(a, bs, 100)  # warm up
    start = time.process_time()
    trips = dpd_gateway_rounds(a, bs, n)
    return (time.process_time() - start) / trips * 1e6


def main() -> None:
    negotiations_per_second(2, 20)  # warm up
    print(f"negotiations_group2: {negotiations_per_second(2, 400):.0f} /s")
    print(f"negotiations_group14: {negotiations_per_second(14, 200):.0f} /s")
    for g in (1, 2, 5, 14):
        print(f"dh_group{g}: {dh_us(g, 200):.0f} us")
    for kids in (1, 32):
        print(f"dpd_round_trip_{kids}_children: {min(dpd_round_trip_us(5000, kids) for _ in range(3)):.1f} us")
    print(f"dpd_round_trip_2_gateways: {min(dpd_gateways_round_trip_us(2500) for _ in range(3)):.1f} us")
    print(f"memory_per_tunnel: {bytes_per_tunnel(300):.0f} bytes")


if __name__ == "__main__":
    main()
