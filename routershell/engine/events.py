"""Structured, vendor-neutral events an `IkeEndpoint` reports (drained with `next_event()`).

Platforms turn them into syslog lines, SNMP traps and show output; no vendor wording lives here.
`peer` is always the (address, port) of the remote gateway. Cookies are 8-byte values, SPIs ints.
"""

from __future__ import annotations

from dataclasses import dataclass

from .frozen_init import direct_init

Addr = tuple[str, int]

# NegotiationFailed.reason values
NO_PROPOSAL_CHOSEN = "no-proposal-chosen"
AUTHENTICATION_FAILED = "authentication-failed"
TIMEOUT = "timeout"
PEER_DELETE = "peer-delete"
INVALID_ID = "invalid-id"
INVALID_KEY = "invalid-key"
PEER_NOTIFY = "peer-notify"  # any other error notify from the peer
UNKNOWN_PEER = "unknown-peer"


@dataclass(frozen=True, slots=True)
class Event:
    peer: Addr


@dataclass(frozen=True, slots=True)
class Phase1Up(Event):
    icookie: bytes
    rcookie: bytes
    role: str  # "initiator" | "responder"
    mode: str  # "main" | "aggressive"
    auth: str  # "psk" | "rsa-sig"
    cipher: str
    hash: str
    dh_group: int
    lifetime_s: int
    dpd: bool  # both sides sent the RFC 3706 vendor ID
    local_id: bytes = b""
    remote_id: bytes = b""


@dataclass(frozen=True, slots=True)
class Phase1Down(Event):
    icookie: bytes
    rcookie: bytes
    reason: str  # "deleted" | "peer-delete" | "expired" | "peer-dead"


@dataclass(frozen=True, slots=True)
class Phase2Up(Event):
    child: str
    role: str
    protocol: str  # "esp" | "ah"
    inbound_spi: int
    outbound_spi: int
    cipher: str | None
    auth: str | None
    pfs_group: int | None
    lifetime_s: int
    lifetime_kb: int


@dataclass(frozen=True, slots=True)
class Phase2Down(Event):
    child: str
    inbound_spi: int
    outbound_spi: int
    reason: str  # "deleted" | "peer-delete" | "expired" | "peer-dead" | "phase1-gone"


@dataclass(frozen=True, slots=True)
class NegotiationFailed(Event):
    phase: int  # 1 | 2
    reason: str  # see the module constants
    notify: int | None = None  # notify type sent or received
    sent: bool = False  # True: we detected it and told the peer; False: the peer told us / timeout
    child: str | None = None


@dataclass(frozen=True, slots=True)
class PeerDead(Event):
    icookie: bytes
    rcookie: bytes
    probes: int


@dataclass(frozen=True, slots=True)
class SaExpired(Event):
    kind: str  # "ike" | "ipsec"
    hard: bool
    ident: str  # cookies hex "ic:rc" or inbound SPI hex


@dataclass(frozen=True, slots=True)
class SaRekeyed(Event):
    kind: str  # "ike" | "ipsec"
    old: str
    new: str
    child: str | None = None


@dataclass(frozen=True, slots=True)
class DpdSent(Event):
    seq: int
    attempt: int  # 1 = first probe of this idle period


@dataclass(frozen=True, slots=True)
class DpdAck(Event):
    seq: int


@dataclass(frozen=True, slots=True)
class DpdAnswered(Event):
    """We received an R-U-THERE and sent the ACK."""

    seq: int


@dataclass(frozen=True, slots=True)
class NotifyReceived(Event):
    notify: int
    phase: int
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class Malformed(Event):
    reason: str
    notify: int | None = None


@dataclass(frozen=True, slots=True)
class MessageDropped(Event):
    """A message of a known exchange failed decryption or authentication and was dropped
    (counted in `IkeEndpoint.stats.unauthenticated`); the exchange goes on. `reason` is what a
    genuine failure would report (a `NegotiationFailed.reason` value)."""

    phase: int  # 1 | 2 (quick mode and informational)
    reason: str
    notify: int | None = None


@dataclass(frozen=True, slots=True)
class UnexpectedMessage(Event):
    """A message for an exchange whose state has no move for it (engine/machine.py): e.g. a
    new message for a finished exchange. Refused (counted in `stats.unexpected`), state kept."""

    phase: int
    exchange: str  # "main" | "aggressive" | "quick" ("" = the phase 1 is long finished)
    role: str
    state: str
    reason: str


@dataclass(frozen=True, slots=True)
class EspReceived(Event):
    """A UDP-encapsulated ESP packet arrived on the NAT-T port (RFC 3948). `known`: the SPI is
    one of our inbound SAs (its counters moved and it proves liveness for DPD)."""

    spi: int
    length: int
    known: bool


@dataclass(frozen=True, slots=True)
class NatDetected(Event):
    """NAT-D outcome of a phase 1 that negotiated NAT-T (reported once, before Phase1Up)."""

    local: bool  # we are behind a NAT (or forced encapsulation)
    remote: bool  # the peer is behind a NAT (or forces encapsulation)
    floated: bool  # messages moved to the NAT-T port


# every event class gets the faster constructor (each DPD probe and ACK makes one on each side)
for _cls in [c for c in list(globals().values()) if isinstance(c, type) and issubclass(c, Event)]:
    direct_init(_cls)
del _cls
