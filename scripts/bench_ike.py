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


def main() -> None:
    negotiations_per_second(2, 20)  # warm up
    print(f"negotiations_group2: {negotiations_per_second(2, 400):.0f} /s")
    print(f"negotiations_group14: {negotiations_per_second(14, 200):.0f} /s")
    for g in (1, 2, 5, 14):
        print(f"dh_group{g}: {dh_us(g, 200):.0f} us")
    print(f"memory_per_tunnel: {bytes_per_tunnel(300):.0f} bytes")


if __name__ == "__main__":
    main()
