"""SA database: IKE (ISAKMP) SAs and IPsec SAs with lifetimes, soft/hard expiry and counters.

Public API
----------
- `IkeSa`: cookies, role, state ("negotiating" | "established"), mode, auth, proposal,
  created_at / established_at, lifetime, `remaining(now)`, IKE message byte/packet counters,
  DPD state, key material (used by the exchange code).
- `IpsecSa`: inbound/outbound SPI, protocol, proposal, child name, lifetime seconds and
  kilobytes, `soft_at` / `hard_at`, `remaining(now)`, counters and
  `account(octets, packets, now, inbound=True)`, `soft_due(now)`, `hard_due(now)`.
- `SaDatabase(rng)`: `new_cookie()`, `new_spi()` (unique, >= 256, from the given random.Random),
  `ike` dict keyed by (icookie, rcookie), `ipsec` dict keyed by inbound SPI,
  `ike_for(peer)`, `ipsec_for(peer)`, `by_outbound(peer, spi)`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .dpd import DpdState
from .proposals import IkeProposal, IpsecProposal

Addr = tuple[str, int]
ZERO_COOKIE = b"\0" * 8


@dataclass
class ExchangeState:
    """One exchange in progress (phase 1, a quick mode): retransmission and CBC chain."""

    kind: str  # "main" | "aggressive" | "quick"
    role: str
    message_id: int
    state: str
    started: float
    last_sent: bytes | None = None
    sent_count: int = 0
    deadline: float | None = None  # next retransmission or the timeout
    last_received: bytes | None = None
    iv: bytes = b""
    purge_at: float | None = None  # finished: keep to answer retransmissions until then
    # kind-specific negotiation data
    ni: bytes = b""
    nr: bytes = b""
    x: int = 0
    ke_i: bytes = b""
    ke_r: bytes = b""
    group: int = 0
    sai_b: bytes = b""
    child: Any = None
    proposal: Any = None
    our_spi: int = 0
    peer_spi: int = 0
    ids: tuple = ()
    rekey_of: int | None = None


@dataclass
class IkeSa:
    icookie: bytes
    rcookie: bytes
    peer: Addr
    role: str  # "initiator" | "responder"
    mode: str  # "main" | "aggressive"
    created_at: float
    config: Any = None
    state: str = "negotiating"
    auth: str = ""
    proposal: IkeProposal | None = None
    established_at: float | None = None
    lifetime_s: int = 0
    lifetime_kb: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    packets_in: int = 0
    packets_out: int = 0
    # key material
    gxy: bytes = b""
    skeyid: bytes = b""
    skeyid_d: bytes = b""
    skeyid_a: bytes = b""
    skeyid_e: bytes = b""
    enc_key: bytes = b""
    p1_last_block: bytes = b""
    # exchanges
    p1: ExchangeState | None = None
    exchanges: dict[int, ExchangeState] = field(default_factory=dict)
    pending_children: list[str] = field(default_factory=list)
    dpd_vid_sent: bool = False
    dpd_vid_received: bool = False
    dpd: DpdState | None = None
    local_id: bytes = b""
    remote_id: bytes = b""
    superseded: bool = False
    rekeying: bool = False
    rekey_of: tuple[bytes, bytes] | None = None
    soft_fraction: float = 0.9
    # NAT traversal (RFC 3947): dialect both sides announced, what NAT-D showed, and whether
    # this SA's messages now travel on the NAT-T port (with the non-ESP marker) to float_port.
    natt: str | None = None
    nat_local: bool = False
    nat_remote: bool = False
    floated: bool = False
    float_port: int = 0

    @property
    def key(self) -> tuple[bytes, bytes]:
        return (self.icookie, self.rcookie)

    @property
    def ident(self) -> str:
        return f"{self.icookie.hex()}:{self.rcookie.hex()}"

    def hard_at(self) -> float | None:
        if self.established_at is None or not self.lifetime_s:
            return None
        return self.established_at + self.lifetime_s

    def soft_at(self) -> float | None:
        if self.established_at is None or not self.lifetime_s or self.role != "initiator":
            return None
        return self.established_at + self.lifetime_s * self.soft_fraction

    def remaining(self, now: float) -> float | None:
        h = self.hard_at()
        return None if h is None else max(0.0, h - now)


@dataclass
class IpsecSa:
    peer: Addr
    child: str
    role: str
    proposal: IpsecProposal
    inbound_spi: int
    outbound_spi: int
    created_at: float
    enc_in: bytes = b""
    auth_in: bytes = b""
    enc_out: bytes = b""
    auth_out: bytes = b""
    soft_fraction: float = 0.9
    bytes_in: int = 0
    bytes_out: int = 0
    packets_in: int = 0
    packets_out: int = 0
    last_used: float | None = None
    rekeying: bool = False
    superseded: bool = False
    soft_reported: bool = False

    @property
    def protocol(self) -> str:
        return self.proposal.protocol

    @property
    def lifetime_s(self) -> int:
        return self.proposal.lifetime_s

    @property
    def lifetime_kb(self) -> int:
        return self.proposal.lifetime_kb

    @property
    def hard_at(self) -> float | None:
        return self.created_at + self.lifetime_s if self.lifetime_s else None

    @property
    def soft_at(self) -> float | None:
        """Soft expiry: the SA's initiator starts a rekey here (responders only wait)."""
        if not self.lifetime_s or self.role != "initiator":
            return None
        return self.created_at + self.lifetime_s * self.soft_fraction

    def remaining(self, now: float) -> float | None:
        h = self.hard_at
        return None if h is None else max(0.0, h - now)

    @property
    def octets(self) -> int:
        return self.bytes_in + self.bytes_out

    def account(self, octets: int, packets: int, now: float, inbound: bool = True) -> None:
        if inbound:
            self.bytes_in += octets
            self.packets_in += packets
        else:
            self.bytes_out += octets
            self.packets_out += packets
        self.last_used = now

    def soft_due(self, now: float) -> bool:
        s = self.soft_at
        if s is not None and now >= s:
            return True
        kb = self.lifetime_kb
        return bool(kb) and self.role == "initiator" and \
            self.octets >= kb * 1024 * self.soft_fraction

    def hard_due(self, now: float) -> bool:
        h = self.hard_at
        if h is not None and now >= h:
            return True
        return bool(self.lifetime_kb) and self.octets >= self.lifetime_kb * 1024


class SaDatabase:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ike: dict[tuple[bytes, bytes], IkeSa] = {}
        self.ipsec: dict[int, IpsecSa] = {}
        self._spis_reserved: set[int] = set()

    def new_cookie(self) -> bytes:
        while True:
            c = self.rng.getrandbits(64).to_bytes(8, "big")
            if c != ZERO_COOKIE and not any(c in k for k in self.ike):
                return c

    def new_spi(self) -> int:
        while True:
            spi = self.rng.randrange(256, 1 << 32)
            if spi not in self.ipsec and spi not in self._spis_reserved:
                self._spis_reserved.add(spi)
                return spi

    def release_spi(self, spi: int) -> None:
        self._spis_reserved.discard(spi)

    def ike_for(self, peer: Addr) -> IkeSa | None:
        """The newest established, not superseded IKE SA with this peer."""
        best = None
        for sa in self.ike.values():
            if sa.peer == peer and sa.state == "established" and not sa.superseded:
                if best is None or (sa.established_at or 0) >= (best.established_at or 0):
                    best = sa
        return best

    def negotiating_for(self, peer: Addr) -> IkeSa | None:
        for sa in self.ike.values():
            if sa.peer == peer and sa.state == "negotiating" and sa.role == "initiator":
                return sa
        return None

    def ipsec_for(self, peer: Addr) -> list[IpsecSa]:
        return [s for s in self.ipsec.values() if s.peer == peer]

    def by_outbound(self, peer: Addr, spi: int) -> IpsecSa | None:
        for s in self.ipsec.values():
            if s.peer == peer and s.outbound_spi == spi:
                return s
        return None

    def add_ipsec(self, sa: IpsecSa) -> None:
        self._spis_reserved.discard(sa.inbound_spi)
        self.ipsec[sa.inbound_spi] = sa

    def rekey_ike(self, sa: IkeSa, rcookie: bytes) -> None:
        """Initiator learnt the responder cookie: move the entry."""
        self.ike.pop(sa.key, None)
        sa.rcookie = rcookie
        self.ike[sa.key] = sa
