"""Counters an `IkeEndpoint` keeps about what it refused (for show commands and tests).

A message that fails decryption or authentication is dropped and counted here, as deployed IKE
daemons do (e.g. Cisco's "failed its sanity check" counter); the exchange it claimed to belong
to continues with the genuine message or a retransmission.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EndpointStats:
    unauthenticated: int = 0  # dropped: did not decrypt, or its HASH / signature did not verify
    malformed: int = 0  # every Malformed event (the drops above included)
    unexpected: int = 0  # refused: no move for it in the exchange's state (machine.py)


__all__ = ["EndpointStats"]
