"""Responder cost per first message when one peer has thousands of half-open SAs (issue 18: was
2,000 first messages in 3.8 s, 6,000 in 54.7 s, i.e. quadratic).

Run: PYTHONPATH=. python scripts/bench_first_messages.py
Prints one `name: value unit` per line; datagrams/s should not fall as the SA count grows.
"""

from __future__ import annotations

import random
import time

from routershell.engine.ike import IkeEndpoint
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal, IpsecProposal

A, B = ("192.0.2.1", 500), ("198.51.100.2", 500)


def _config(address: str) -> PeerConfig:
    return PeerConfig(address, ike_proposals=(IkeProposal(),), psk=b"bench",
                      children=(ChildConfig("vpn", (IpsecProposal(),), None, None),))


def _mm1() -> bytes:
    a = IkeEndpoint(A, random.Random(1), [_config(B[0])])
    a.initiate(B, 0.0, "vpn")
    ((data, _),) = a.datagrams_to_send()
    return data


def first_messages_per_second(n: int) -> float:
    mm1 = _mm1()
    b = IkeEndpoint(B, random.Random(2), [_config(A[0])])
    start = time.perf_counter()
    for i in range(n):
        b.receive((0xC0 << 56 | i).to_bytes(8, "big") + mm1[8:], A, i * 0.001)
        b.datagrams_to_send()
    b.get_timer()
    elapsed = time.perf_counter() - start
    assert len(b.sadb.ike) == n
    return n / elapsed


def main() -> None:
    for n in (2000, 6000):
        print(f"first_messages_{n}_sas_one_peer: {first_messages_per_second(n):.0f} datagrams/s")


if __name__ == "__main__":
    main()
