"""ISAKMP counters (`SHow ISAkmp COUnters`): moved by tunnel events and policy operations.

Counter names: the 2.8.1 release note lists the general counters it added (badSpi*,
retryIkeAttemptsPh1/Ph2) and prints the SPD group in full (getPolicyGood ... usePolIkeRetryFailed);
the other general counters are ours, named in the same style (docs/alliedware.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

GENERAL = (
    "exchangesStarted", "exchangesCompleted", "exchangesFailed", "exchangesTimedOut",
    "proposalsRejected", "authenticationFailures", "phase1SaCreated", "phase1SaDeleted",
    "phase2SaCreated", "phase2SaDeleted", "deletesReceived",
    "badSpiRequests", "badSpiFromKnownPeer", "badSpiInAggrMode", "badSpiSendNotifyUnset",
    "retryIkeAttemptsPh1", "retryIkeAttemptsPh2",
)
SPD = (
    "getPolicyGood", "getPolicyFailed", "deletePolicyGood", "deletePolicyFailed",
    "addPolicyGood", "addPolicyFailed", "getPolicyByPeerGood", "getPolicyByPeerFailed",
    "usePolIkeRetryGood", "usePolIkeRetryFailed",
)


@dataclass
class IsakmpCounters:
    general: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GENERAL, 0))
    spd: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPD, 0))

    def bump(self, name: str, n: int = 1) -> None:
        table = self.general if name in self.general else self.spd
        table[name] += n


@dataclass
class PolicyCounters:
    """Per IPsec policy (`SHow IPSec POLicy=name COUnter`)."""

    negotiations: int = 0
    established: int = 0
    failures: int = 0
    retries: int = 0
    sas_deleted: int = 0
