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
  `ike_for(peer)`, `ipsec_for(peer)`, `by_outbound(peer, spi)`, `ike_with(host)`.

Both tables are dicts that keep indexes as they change (SAs by peer host, cookies in use,
insertion order), so lookups by peer and cookie allocation cost O(SAs of that peer), not O(all
SAs): one endpoint with thousands of tunnels negotiates in O(n log n). `on_insert` (set by the
endpoint) hears about every SA stored, so the endpoint can schedule its timers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .dpd import DpdState
from .machine import SaState
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
    # messages of this exchange that failed decryption/authentication and were dropped: digests
    # of the last few (the same bytes failing twice is the peer's retransmission, not a forgery)
    # and what a final failure will report (notify, reason)
    rejected: tuple[bytes, ...] = ()  # (a tuple: no list per exchange that never needs one)
    rejection: tuple[int, str] | None = None


@dataclass
class IkeSa:
    icookie: bytes
    rcookie: bytes
    peer: Addr
    role: str  # "initiator" | "responder"
    mode: str  # "main" | "aggressive"
    created_at: float
    config: Any = None
    state: str = SaState.NEGOTIATING  # machine.SaState
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
    # the keys' cipher contexts and HMAC states (engine/crypto.py), made once, gone with the SA
    crypto_cache: dict = field(default_factory=dict, repr=False, compare=False)
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
    rekey_not_before: float = 0.0  # a rejected rekey is not retried before this time
    rekey_of: tuple[bytes, bytes] | None = None
    soft_fraction: float = 0.9
    # IPsec SAs this IKE SA negotiated and that were since deleted (what a detailed IKE SA show reports)
    ipsec_created: int = 0
    ipsec_deleted: int = 0
    # NAT traversal (RFC 3947): dialect both sides announced, what NAT-D showed, and whether
    # this SA's messages now travel on the NAT-T port (with the non-ESP marker) to float_port.
    natt: str | None = None
    nat_local: bool = False
    nat_remote: bool = False
    floated: bool = False
    float_port: int = 0
    # bookkeeping of the endpoint's timer heap and the table order (not SA state)
    order: int = field(default=0, repr=False, compare=False)
    timer_at: float | None = field(default=None, repr=False, compare=False)
    timer_seq: int = field(default=-1, repr=False, compare=False)

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
    rekey_not_before: float = 0.0  # a rejected rekey is not retried before this time
    ike: IkeSa | None = field(default=None, repr=False, compare=False)  # the IKE SA that negotiated it
    order: int = field(default=0, repr=False, compare=False)
    timer_at: float | None = field(default=None, repr=False, compare=False)
    timer_seq: int = field(default=-1, repr=False, compare=False)

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


class _Table(dict):
    """A dict of SAs that indexes them by peer host (insertion order kept per host)."""

    def __init__(self, db: SaDatabase) -> None:
        super().__init__()
        self._db = db
        self.by_host: dict[str, dict[Any, Any]] = {}

    def __setitem__(self, key: Any, sa: Any) -> None:
        old = dict.get(self, key)
        if old is not None:
            self._unindex(key, old)
        dict.__setitem__(self, key, sa)
        if old is None:
            self._db._order += 1
            sa.order = self._db._order
        self.by_host.setdefault(sa.peer[0], {})[key] = sa
        self._db._stored(key, sa)

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            sa = dict.pop(self, key)
            self._unindex(key, sa)
            return sa
        return dict.pop(self, key, *default)

    def __delitem__(self, key: Any) -> None:
        self.pop(key)

    def clear(self) -> None:
        for key in list(self):
            self.pop(key)

    def popitem(self) -> tuple[Any, Any]:
        key = next(reversed(self))
        return key, self.pop(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kw: Any) -> None:
        for k, v in dict(*args, **kw).items():
            self[k] = v

    def _unindex(self, key: Any, sa: Any) -> None:
        host = self.by_host.get(sa.peer[0])
        if host is not None:
            host.pop(key, None)
            if not host:
                del self.by_host[sa.peer[0]]
        self._db._dropped(key, sa)


class SaDatabase:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._order = 0
        self._cookies: dict[bytes, int] = {}  # cookies of stored IKE SAs (count of uses)
        self._outbound: dict[tuple[Addr, int], IpsecSa] = {}
        # how many stored IPsec SAs share each (peer, outbound SPI): a removal looks for a
        # twin to take over the index only when there is one
        self._outbound_n: dict[tuple[Addr, int], int] = {}
        self.on_insert: Any = None  # callable(sa): an SA was stored (the endpoint's timers)
        self.ike: dict[tuple[bytes, bytes], IkeSa] = _Table(self)
        self.ipsec: dict[int, IpsecSa] = _Table(self)
        self._spis_reserved: set[int] = set()

    def _stored(self, key: Any, sa: Any) -> None:
        if isinstance(sa, IkeSa):
            for c in key:
                self._cookies[c] = self._cookies.get(c, 0) + 1
        else:
            out = (sa.peer, sa.outbound_spi)
            self._outbound.setdefault(out, sa)
            self._outbound_n[out] = self._outbound_n.get(out, 0) + 1
        if self.on_insert is not None:
            self.on_insert(sa)

    def _dropped(self, key: Any, sa: Any) -> None:
        if isinstance(sa, IkeSa):
            for c in key:
                n = self._cookies.get(c, 0) - 1
                if n > 0:
                    self._cookies[c] = n
                else:
                    self._cookies.pop(c, None)
        else:
            out = (sa.peer, sa.outbound_spi)
            left = self._outbound_n.get(out, 0) - 1
            if left > 0:
                self._outbound_n[out] = left
            else:
                self._outbound_n.pop(out, None)
            if self._outbound.get(out) is sa:
                del self._outbound[out]
                if left > 0:
                    # another SA with the same outbound SPI (unlikely) takes over, first stored
                    # first
                    for other in self.ipsec_for(sa.peer):
                        if other.outbound_spi == sa.outbound_spi:
                            self._outbound[out] = other
                            break

    def new_cookie(self) -> bytes:
        while True:
            c = self.rng.getrandbits(64).to_bytes(8, "big")
            if c != ZERO_COOKIE and c not in self._cookies:
                return c

    def new_spi(self) -> int:
        while True:
            spi = self.rng.randrange(256, 1 << 32)
            if spi not in self.ipsec and spi not in self._spis_reserved:
                self._spis_reserved.add(spi)
                return spi

    def release_spi(self, spi: int) -> None:
        self._spis_reserved.discard(spi)

    def ike_with(self, host: str) -> list[IkeSa]:
        """IKE SAs with peer address `host` (any port), in table order."""
        return list(self.ike.by_host.get(host, {}).values())  # type: ignore[attr-defined]

    def ike_for(self, peer: Addr) -> IkeSa | None:
        """The newest established, not superseded IKE SA with this peer."""
        best = None
        for sa in self.ike.by_host.get(peer[0], {}).values():  # type: ignore[attr-defined]
            if sa.peer == peer and sa.state == "established" and not sa.superseded:
                if best is None or (sa.established_at or 0) >= (best.established_at or 0):
                    best = sa
        return best

    def negotiating_for(self, peer: Addr) -> IkeSa | None:
        for sa in self.ike.by_host.get(peer[0], {}).values():  # type: ignore[attr-defined]
            if sa.peer == peer and sa.state == "negotiating" and sa.role == "initiator":
                return sa
        return None

    def ipsec_for(self, peer: Addr) -> list[IpsecSa]:
        return [s for s in self.ipsec.by_host.get(peer[0], {}).values()  # type: ignore[attr-defined]
                if s.peer == peer]

    def current_ipsec(self, peer: Addr, child: str) -> IpsecSa | None:
        """The first (table order) IPsec SA of `child` with `peer` that is not superseded:
        `ipsec_for` without the list."""
        for s in self.ipsec.by_host.get(peer[0], {}).values():  # type: ignore[attr-defined]
            if s.peer == peer and s.child == child and not s.superseded:
                return s
        return None

    def by_outbound(self, peer: Addr, spi: int) -> IpsecSa | None:
        return self._outbound.get((peer, spi))

    def add_ipsec(self, sa: IpsecSa) -> None:
        self._spis_reserved.discard(sa.inbound_spi)
        self.ipsec[sa.inbound_spi] = sa

    def rekey_ike(self, sa: IkeSa, rcookie: bytes) -> None:
        """Initiator learnt the responder cookie: move the entry."""
        self.ike.pop(sa.key, None)
        sa.rcookie = rcookie
        self.ike[sa.key] = sa
