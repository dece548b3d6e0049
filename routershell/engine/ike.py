"""Sans-IO IKEv1 endpoint (one per local address), in the style of aioquic's QuicConnection.

Driving it
----------
    ep = IkeEndpoint(("10.0.0.1", 500), random.Random(seed), peers=[PeerConfig(...)])
    ep.initiate(("10.0.0.2", 500), now, child="site-b")   # phase 1 (if needed) + quick mode
    ep.receive(datagram, src, now)                         # a UDP payload arrived
    ep.handle_timer(now)                                   # at (or after) ep.get_timer()
    for data, dst in ep.datagrams_to_send(): ...           # drains the outgoing queue
    while (ev := ep.next_event()) is not None: ...         # drains events (events.py)

Calls never raise for bad input from the network: malformed datagrams become `Malformed`
events. A message of a known exchange that fails decryption or authentication is dropped,
counted in `stats` (stats.py) and reported as `MessageDropped`; the exchange goes on with the
genuine message or a retransmission. Only the same bytes refused twice (the peer's own
retransmission: its keys or credentials really differ) or the exchange's timeout end it, as
`NegotiationFailed` with the refusal's reason. `get_timer()` returns the earliest absolute deadline
(retransmission, exchange timeout, DPD, soft/hard lifetime) or None; a runtime keeps one heap of
(deadline, endpoint) for all endpoints. No clock is read: every call takes `now`. Inside, the
endpoint keeps its own heap of SA deadlines, so `get_timer`/`handle_timer` cost O(log n) per due
SA, not a walk over every SA (one gateway address can carry thousands of tunnels).

NAT traversal (RFC 3947 / 3948): the endpoint also owns `(local[0], nat_port)`, normally 4500.
A runtime binds both UDP ports and passes the port a datagram arrived on as
`receive(data, src, now, local_port=...)`; it sends each outgoing datagram from
`source_port(data)` (the NAT-T port for anything framed with the non-ESP marker). Without
`local_port` a datagram is classified by content (marker, 1-byte keepalive), which is how
in-memory pairs drive it. On the NAT-T port, keepalives are ignored and ESP packets are counted
(`esp_packets`) and reported as `EspReceived`, never parsed as ISAKMP.

The exchanges' states and every legal move are one table in machine.py (read it there);
phase1.py and quick.py hold the handlers it names.

DPD is what an idle tunnel does all day, so an R-U-THERE or R-U-THERE-ACK on an established
IKE SA has its own path both ways (`_info_fast`, `_send_dpd`; Deletes are read there too):
written from the SA's `_DpdWire` (its constant bytes and `crypto.Phase2Keys`' states), read by
comparison with it when it has exactly the shape this engine writes, otherwise field by field
(`_info_fields`), without Message or payload objects, and its SA's deadline re-read on the
spot; `handle_timer` sends a due probe of an idle SA the same way (`_probe_idle`). Any other
message, or one that does not decrypt, parse or authenticate, goes the general way untouched
(tests/engine/test_info_fast_path.py and test_info_fast_differential.py hold both to the same
bytes, events and timers).

Other operations: `delete_ike(peer, now)`, `delete_child(peer, child, now)`,
`probe(peer, now) -> bool` (send one DPD R-U-THERE now, e.g. a failover hello; the ACK comes
back as `DpdAck`), `abort(peer, now) -> bool` (silently give up a phase 1 we initiated, e.g.
when a runtime watchdog fires),
`account(inbound_spi, octets, packets, now, inbound=True)` (traffic moves counters, proves
liveness for DPD and triggers kilobyte expiry), `add_peer(cfg)`, `sadb` (read-only view for show
commands). All randomness (cookies, nonces, SPIs, DH values, message IDs, DPD sequence start) comes
from the random.Random given at construction.
"""

from __future__ import annotations

import heapq
import hmac
import random
import struct
from collections import deque

from . import crypto, natt
from .constants import (
    DOI_IPSEC,
    DPD_VENDOR_ID,
    HEADER_LEN,
    ISAKMP_VERSION,
    Exchange,
    Flag,
    Notify,
    Payload,
    Proto,
)
from .crypto import CryptoError, DecryptError
from .dpd import DpdState
from .events import (
    AUTHENTICATION_FAILED,
    INVALID_ID,
    INVALID_KEY,
    NO_PROPOSAL_CHOSEN,
    PEER_NOTIFY,
    TIMEOUT,
    DpdAck,
    DpdAnswered,
    DpdSent,
    EspReceived,
    Event,
    Malformed,
    MessageDropped,
    NegotiationFailed,
    NotifyReceived,
    PeerDead,
    Phase1Down,
    Phase1Up,
    Phase2Down,
    SaExpired,
)
from .isakmp import (
    AnyPayload,
    DecodeError,
    DeletePayload,
    HashPayload,
    Message,
    NotifyPayload,
    decode,
    decode_payloads,
    encode_message,
    encode_payloads,
    hash_first,
)
from .machine import MachineMixin, State
from .peer import PeerConfig
from .phase1 import Phase1Mixin
from .quick import QuickMixin
from .sa import ZERO_COOKIE, ExchangeState, IkeSa, IpsecSa, SaDatabase
from .stats import EndpointStats

Addr = tuple[str, int]

# A rekey the peer rejected (or that timed out) is tried again no sooner than this after the
# last attempt started, so a peer that keeps refusing is not asked in a tight loop.
REKEY_RETRY = 10.0

# The informational fast paths (`_info_fast`, `_send_dpd`): an encrypted informational whose
# chain is HASH(1) and one notify or delete, read (and a DPD one written) field by field
# without Message or payload objects.
_HDR = struct.Struct("!8s8sBBBBII")  # ISAKMP header (isakmp.py's layout)
_GEN = struct.Struct("!BBH")  # generic payload header
_NOTIFY_HEAD = struct.Struct("!BBHIBBH")  # generic header + a notify's fixed part
# a DPD notify: generic header (last payload, 32 bytes), DOI, protocol ISAKMP, SPI size 16,
# type, the cookies as SPI, the 4-byte sequence number (RFC 3706 §7)
_DPD_NOTIFY = struct.Struct("!BBHIBBH16s4s")
# the header's bytes 16-19 of an encrypted informational starting with HASH(1), ISAKMP 1.0
_INFO_ENCRYPTED = bytes([Payload.HASH, ISAKMP_VERSION, Exchange.INFORMATIONAL, Flag.ENCRYPTED])
_PHASE2_KEYS = "phase2"  # an IKE SA's crypto.Phase2Keys in its crypto_cache
_DPD_WIRE = "dpd"  # an IKE SA's _DpdWire in its crypto_cache


class _DpdWire:
    """What every DPD message of an established IKE SA shares, gathered once next to its
    `crypto.Phase2Keys` (`_dpd_wire`): the keys' HMAC states, IV hash and cipher contexts, and
    the constant parts of the datagram: the ISAKMP header up to the message ID, the length
    (HASH(1) and one 32-byte notify, padded), HASH(1)'s generic header, the padding, and each
    notify's bytes up to its sequence number. `prop`, `enc_key`, `skeyid_a` and `last_block`
    are what it was made from, compared by identity before use (as `_phase2_keys` does)."""

    __slots__ = ("prop", "enc_key", "skeyid_a", "last_block", "keys", "block", "inner", "outer",
                 "iv_hash", "cipher", "head", "length", "size", "hash_len", "hash_head", "pad",
                 "rut", "ack")

    def __init__(self, sa: IkeSa, keys: crypto.Phase2Keys) -> None:
        prop = sa.proposal
        assert prop is not None
        self.prop, self.enc_key, self.skeyid_a = prop, sa.enc_key, sa.skeyid_a
        self.last_block = sa.p1_last_block
        self.keys, self.block, self.inner, self.outer = keys, keys.block, keys.inner, keys.outer
        self.iv_hash, self.cipher = keys.iv_hash, keys.cipher
        ic, rc = sa.icookie, sa.rcookie
        self.head = _HDR.pack(ic, rc, Payload.HASH, ISAKMP_VERSION, Exchange.INFORMATIONAL,
                              Flag.ENCRYPTED, 0, 0)[:20]
        hash_len = self.hash_len = 4 + keys.outer.digest_size
        plain = hash_len + _DPD_NOTIFY.size
        self.pad = b"\0" * (-plain % self.block)  # crypto.pad
        self.size = HEADER_LEN + plain + len(self.pad)
        self.length = self.size.to_bytes(4, "big")
        self.hash_head = _GEN.pack(Payload.N, 0, hash_len)
        self.rut, self.ack = (_DPD_NOTIFY.pack(0, 0, _DPD_NOTIFY.size, DOI_IPSEC, Proto.ISAKMP,
                                               16, n, ic + rc, b"")[:-4]
                              for n in (Notify.R_U_THERE, Notify.R_U_THERE_ACK))

_REASON = {
    Notify.NO_PROPOSAL_CHOSEN: NO_PROPOSAL_CHOSEN,
    Notify.INVALID_HASH_INFORMATION: AUTHENTICATION_FAILED,
    Notify.AUTHENTICATION_FAILED: AUTHENTICATION_FAILED,
    Notify.INVALID_SIGNATURE: AUTHENTICATION_FAILED,
    Notify.INVALID_CERTIFICATE: AUTHENTICATION_FAILED,
    Notify.INVALID_CERT_AUTHORITY: AUTHENTICATION_FAILED,
    Notify.INVALID_ID_INFORMATION: INVALID_ID,
    Notify.INVALID_KEY_INFORMATION: INVALID_KEY,
}


def reason_for(notify: int) -> str:
    return _REASON.get(notify, PEER_NOTIFY)


class IkeEndpoint(MachineMixin, Phase1Mixin, QuickMixin):
    NONCE_LEN = 20

    def __init__(self, local: Addr, rng: random.Random, peers: list[PeerConfig] | tuple = (),
                 nat_port: int = natt.NAT_T_PORT) -> None:
        self.local = local
        self.nat_port = nat_port
        self.esp_packets = 0
        self.keepalives = 0
        self.stats = EndpointStats()
        self.rng = rng
        self.sadb = SaDatabase(rng)
        self.peers: dict[str, PeerConfig] = {}
        self._events: deque[Event] = deque()
        self._out: list[tuple[bytes, Addr]] = []
        self._resp_index: dict[tuple[Addr, bytes], IkeSa] = {}
        # Timers: a heap of (deadline, seq, SA), one live entry per SA (its timer_seq);
        # entries of removed or rescheduled SAs are dropped lazily. Whatever can move an SA's
        # deadlines marks that SA (`_touch`) or, for the rarer operator calls, every SA of the
        # peer host (`_dirty`); `_refresh` re-reads only those, so a datagram costs the same
        # however many SAs its peer has. `get_timer`'s answer is kept (`_next_at`) until the
        # heap or an SA's table membership changes (`_next_ok` false): a runtime asks after
        # every input, mostly with nothing moved.
        self._timers: list[tuple[float, int, IkeSa | IpsecSa]] = []
        self._timer_seq = 0
        self._next_at: float | None = None
        self._next_ok = False
        self._dirty: set[str] = set()
        # simultaneous initiation: SA in use -> its idle twin (see _p1_established)
        self._spares: dict[tuple[bytes, bytes], IkeSa] = {}
        self._touched: dict[int, IkeSa | IpsecSa] = {}
        self.sadb.on_insert = self._inserted
        self.sadb.on_drop = self._dropped_sa
        for p in peers:
            self.add_peer(p)

    # ------------------------------------------------------------------ public API

    def add_peer(self, cfg: PeerConfig) -> None:
        self.peers[cfg.address] = cfg

    def datagrams_to_send(self) -> list[tuple[bytes, Addr]]:
        out, self._out = self._out, []
        return out

    def next_event(self) -> Event | None:
        return self._events.popleft() if self._events else None

    def has_output(self) -> bool:
        """Datagrams or events are waiting (a runtime can skip draining an idle endpoint)."""
        return bool(self._out or self._events)

    def initiate(self, peer: Addr, now: float, child: str | None = None) -> None:
        """Bring up phase 1 to `peer` if none is up or in progress, then quick mode for `child`."""
        cfg = self._config(peer)
        if cfg is None:
            raise KeyError(f"no peer configured for {peer[0]}")
        if child is not None and cfg.child(child) is None:
            raise KeyError(f"peer {peer[0]} has no child {child!r}")
        # Whatever this moves is touched where it happens (a new IKE SA through the table's
        # on_insert, an exchange sent through _send_exchange; a queued child moves nothing):
        # no re-read of every SA of the host (32 per gateway in a failover wave).
        self._initiate(cfg, now, child, None)
        self._refresh()

    def delete_ike(self, peer: Addr, now: float) -> bool:
        self._dirty.add(peer[0])
        sa = self.sadb.ike_for(peer)
        if sa is None:
            return False
        spare = self._spares.get(sa.key)
        self._send_delete_ike(sa, now)
        self._remove_ike(sa, "deleted")
        if spare is not None and self.sadb.ike.get(spare.key) is spare:
            self._send_delete_ike(spare, now)  # and its idle twin from a collision
            self._remove_ike(spare, "deleted")
        self._refresh()
        return True

    def forget_ike(self, peer: Addr, now: float) -> bool:
        """Drop the IKE SA with `peer` without telling it: the hardware that held it is gone
        (a service module failed). Phase1Down "deleted" as for a local delete; nothing is
        sent; its IPsec SAs stay. False if there is none."""
        self._dirty.add(peer[0])
        sa = self.sadb.ike_for(peer)
        if sa is None:
            return False
        self._remove_ike(sa, "deleted")
        self._refresh()
        return True

    def delete_child(self, peer: Addr, child: str, now: float) -> bool:
        self._dirty.add(peer[0])
        found = False
        for ipsec in self.sadb.ipsec_for(peer):
            if ipsec.child == child:
                self._send_delete_ipsec(ipsec, now)
                self._remove_ipsec(ipsec, "deleted")
                found = True
        self._refresh()
        return found

    def account(self, inbound_spi: int, octets: int, packets: int, now: float,
                inbound: bool = True) -> None:
        ipsec = self.sadb.ipsec.get(inbound_spi)
        if ipsec is None:
            return
        self._touch(ipsec)
        ipsec.account(octets, packets, now, inbound)
        if inbound:
            ike = self.sadb.ike_for(ipsec.peer)
            if ike is not None and ike.dpd is not None:
                self._touch(ike)
                ike.dpd.heard(now)
        self._check_ipsec_life(ipsec, now)
        self._refresh()

    def source_port(self, data: bytes) -> int:
        """The local port an outgoing datagram must leave from (NAT-T framing -> nat_port)."""
        return self.nat_port if data[:4] == natt.NON_ESP_MARKER else self.local[1]

    def receive(self, datagram: bytes, src: Addr, now: float, local_port: int | None = None
                ) -> None:
        try:
            data = bytes(datagram)
            on_nat_port = local_port is not None and local_port == self.nat_port \
                and local_port != self.local[1]
            if on_nat_port or data == natt.KEEPALIVE:
                kind, data = natt.classify_4500(data)
                if kind == "keepalive":
                    self.keepalives += 1
                    return
                if kind == "esp":
                    self._esp_receive(data, src, now)
                    return
                if kind == "bad":
                    self._event(Malformed(src, "short datagram on the NAT-T port"))
                    return
                self._receive(data, src, now, nat=True)
                return
            if data[:4] == natt.NON_ESP_MARKER:
                self._receive(data[4:], src, now, nat=True)
                return
            if self._info_fast(data, src, now):
                return
            self._receive(data, src, now)
        except DecryptError as e:
            self._dropped(src, 0, f"undecryptable: {e}", AUTHENTICATION_FAILED,
                          Notify.INVALID_HASH_INFORMATION)
        except DecodeError as e:
            self._event(Malformed(src, str(e), e.notify))
        except CryptoError as e:
            self._event(Malformed(src, f"crypto: {e}", Notify.PAYLOAD_MALFORMED))
        except Exception as e:  # noqa: BLE001 - nothing from the network may escape
            self._event(Malformed(src, f"internal error: {type(e).__name__}: {e}"))
        finally:
            if self._touched or self._dirty:
                self._refresh()  # per datagram, so no later call pays for many

    def probe(self, peer: Addr, now: float) -> bool:
        """Send one DPD R-U-THERE on the IKE SA with `peer` now (on demand, e.g. a failover
        hello), numbered by the SA's DPD state so the R-U-THERE-ACK is recognised and reported
        as `DpdAck`. False (nothing sent) without an established IKE SA that negotiated DPD."""
        self._dirty.add(peer[0])
        sa = self.sadb.ike_for(peer)
        if sa is None or sa.dpd is None:
            return False
        d = sa.dpd
        d.seq = (d.seq + 1) & 0xFFFFFFFF
        d.sent(d.seq)
        self._send_dpd(sa, Notify.R_U_THERE, d.seq.to_bytes(4, "big"))
        self._refresh()
        return True

    def abort(self, peer: Addr, now: float) -> bool:
        """Give up an unfinished phase 1 we initiated with `peer` (e.g. a runtime's negotiation
        watchdog fired): the SA is forgotten silently, no event, nothing sent; quick modes
        waiting on it are dropped. False if no such negotiation is in progress."""
        self._dirty.add(peer[0])
        sa = self.sadb.negotiating_for(peer)
        if sa is None:
            return False
        self._abandon_ike(sa)
        self._refresh()
        return True

    def get_timer(self) -> float | None:
        if self._touched or self._dirty:
            self._refresh()
        if self._next_ok:  # nothing moved since the last answer
            return self._next_at
        heap = self._timers
        ike, ipsec = self.sadb.ike, self.sadb.ipsec
        found = None
        while heap:
            deadline, seq, sa = heap[0]  # _timer_live, inline
            if sa.timer_seq == seq and (ike.get((sa.icookie, sa.rcookie)) is sa
                                        if type(sa) is IkeSa
                                        else ipsec.get(sa.inbound_spi) is sa):
                found = deadline
                break
            heapq.heappop(heap)
        self._next_at, self._next_ok = found, True
        return found

    def handle_timer(self, now: float) -> None:
        # The SAs with something due, processed in table order (IKE, then IPsec) exactly as a
        # walk over every SA would, but without touching the others.
        if self._touched or self._dirty:
            self._refresh()
        heap = self._timers
        if not heap or heap[0][0] > now:
            return
        self._next_ok = False  # due entries leave the heap
        # the usual case: one entry due (neither child of the root is), an idle IKE SA's probe
        if (len(heap) < 2 or heap[1][0] > now) and (len(heap) < 3 or heap[2][0] > now):
            _, seq, sa = heap[0]
            if (type(sa) is IkeSa and sa.timer_seq == seq
                    and self.sadb.ike.get((sa.icookie, sa.rcookie)) is sa
                    and self._probe_idle(sa, now, True)):
                return
        due_ike: list[IkeSa] = []
        due_ipsec: list[IpsecSa] = []
        table, ipsec_table = self.sadb.ike, self.sadb.ipsec
        touched, pop = self._touched, heapq.heappop
        while heap and heap[0][0] <= now:
            _, seq, sa = pop(heap)
            if sa.timer_seq != seq:  # _timer_live, inline
                continue
            if type(sa) is IkeSa:
                if table.get((sa.icookie, sa.rcookie)) is not sa:
                    continue
                due_ike.append(sa)
            elif ipsec_table.get(sa.inbound_spi) is sa:
                due_ipsec.append(sa)
            else:
                continue
            sa.timer_at, sa.timer_seq = None, -1
            touched[id(sa)] = sa  # _touch
        if len(due_ike) > 1:
            due_ike.sort(key=_by_order)
        if len(due_ipsec) > 1:
            due_ipsec.sort(key=_by_order)
        for sa in due_ike:
            if table.get((sa.icookie, sa.rcookie)) is not sa:
                continue
            if self._probe_idle(sa, now, False):  # re-read there: no need to at the end
                self._touched.pop(id(sa), None)
                continue
            if sa.exchanges or sa.p1 is not None:  # an idle established SA has none
                for ex in self._exchanges(sa):  # a copy: a tick may end the exchange
                    self._tick_exchange(sa, ex, now)
                if table.get((sa.icookie, sa.rcookie)) is not sa:
                    continue
            if sa.state != "established":
                continue
            d = sa.dpd
            if d is not None and d.next_at is not None and now >= d.next_at:  # DPD due
                self._tick_dpd(sa, now)
                if table.get((sa.icookie, sa.rcookie)) is not sa:
                    continue
            at, life = sa.established_at, sa.lifetime_s
            if at is None or not life:
                continue  # no lifetime: sa.hard_at() and sa.soft_at() are None
            if now >= at + life:  # sa.hard_at()
                self._event(SaExpired(sa.peer, "ike", True, sa.ident))
                self._send_delete_ike(sa, now)
                self._remove_ike(sa, "expired")
                continue
            if (sa.role == "initiator"  # sa.soft_at() is not None
                    and not sa.rekeying and not sa.superseded
                    # now >= max(soft_at(), rekey_not_before)
                    and now >= at + life * sa.soft_fraction and now >= sa.rekey_not_before):
                sa.rekeying = True
                sa.rekey_not_before = now + REKEY_RETRY
                self._event(SaExpired(sa.peer, "ike", False, sa.ident))
                if self.sadb.negotiating_for(sa.peer) is None:
                    self._start_phase1(sa.config, now, rekey_of=sa.key)
        for ipsec in due_ipsec:
            if ipsec_table.get(ipsec.inbound_spi) is ipsec:
                self._check_ipsec_life(ipsec, now)
        if self._touched or self._dirty:
            self._refresh()

    # ------------------------------------------------------------------ internals: timers

    def _probe_idle(self, sa: IkeSa, now: float, root: bool) -> bool:
        """`handle_timer`'s work on the due, live `sa` when it is an idle established IKE SA
        whose DPD wants an R-U-THERE (not a declaration of death) and whose lifetimes are not
        due: send the probe, report it and schedule the SA's next deadline at once; True. Any
        other SA: False and nothing done (the general loop takes it). `root`: `sa` is the
        heap's root, still to be popped (the only entry due)."""
        if sa.exchanges or sa.p1 is not None or sa.state != "established":
            return False
        d = sa.dpd
        if (d is None or d.next_at is None or now < d.next_at
                or d.attempts > d.policy.retries):  # on_timer would declare the peer dead
            return False
        at, life = sa.established_at, sa.lifetime_s
        if at is not None and life and (
                now >= at + life  # hard expiry
                or (sa.role == "initiator" and not sa.rekeying and not sa.superseded
                    and now >= at + life * sa.soft_fraction and now >= sa.rekey_not_before)):
            return False
        if root:
            heapq.heappop(self._timers)
            sa.timer_at, sa.timer_seq = None, -1
        _, probe, attempt = d.on_timer(now)  # ("send", seq, attempt): checked above
        self._send_dpd(sa, Notify.R_U_THERE, probe.to_bytes(4, "big"))
        self._events.append(DpdSent(sa.peer, probe, attempt))
        t = self._ike_deadline(sa)
        if t is not None:
            self._set_timer(sa, t)
        return True

    def _timer_live(self, deadline: float, seq: int, sa: IkeSa | IpsecSa) -> bool:
        if sa.timer_seq != seq:
            return False
        if type(sa) is IkeSa:
            return self.sadb.ike.get((sa.icookie, sa.rcookie)) is sa
        return self.sadb.ipsec.get(sa.inbound_spi) is sa

    def _touch(self, sa: IkeSa | IpsecSa) -> None:
        """`sa`'s deadlines may have moved: re-read them at the next `_refresh`."""
        self._touched[id(sa)] = sa

    def _inserted(self, sa: IkeSa | IpsecSa) -> None:
        """`sa` was stored in its table (sadb.on_insert): its deadlines are read at the next
        `_refresh`, and a heap entry it left behind under the same key is live again."""
        self._touched[id(sa)] = sa
        self._next_ok = False

    def _dropped_sa(self, sa: IkeSa | IpsecSa) -> None:
        """`sa` left its table (sadb.on_drop): its heap entry is dead, also should the SA be
        stored again (it is then scheduled afresh), and the earliest deadline may have moved."""
        sa.timer_at, sa.timer_seq = None, -1
        self._next_ok = False

    def _refresh(self) -> None:
        """Re-read the deadlines of the touched SAs and of the SAs of every dirty peer host."""
        dirty = self._dirty
        if self._touched:
            touched, self._touched = self._touched, {}
            ike, ipsec_table = self.sadb.ike, self.sadb.ipsec
            for sa in touched.values():
                if dirty and sa.peer[0] in dirty:
                    continue  # its whole host is re-read below
                if type(sa) is IkeSa:
                    if ike.get((sa.icookie, sa.rcookie)) is sa:
                        t = self._ike_deadline(sa)
                        if t != sa.timer_at or (t is not None and sa.timer_seq < 0):
                            self._set_timer(sa, t)  # it moved (or is not in the heap)
                elif ipsec_table.get(sa.inbound_spi) is sa:
                    self._set_timer(sa, self._ipsec_deadline(sa))
        if not dirty:
            return
        self._dirty = set()
        ike_by, ipsec_by = self.sadb.ike.by_host, self.sadb.ipsec.by_host  # type: ignore[attr-defined]
        for host in (dirty if len(dirty) == 1 else sorted(dirty)):
            for sa in list(ike_by.get(host, {}).values()):
                self._set_timer(sa, self._ike_deadline(sa))
            for ipsec in list(ipsec_by.get(host, {}).values()):
                self._set_timer(ipsec, self._ipsec_deadline(ipsec))
        heap = self._timers
        if len(heap) > 64 and len(heap) > 3 * (len(self.sadb.ike) + len(self.sadb.ipsec)):
            self._timers = [e for e in heap if self._timer_live(*e)]
            heapq.heapify(self._timers)

    def _set_timer(self, sa: IkeSa | IpsecSa, deadline: float | None) -> None:
        if deadline == sa.timer_at and (deadline is None or sa.timer_seq >= 0):
            return
        sa.timer_at = deadline
        self._next_ok = False
        if deadline is None:
            sa.timer_seq = -1
            return
        self._timer_seq += 1
        sa.timer_seq = self._timer_seq
        heapq.heappush(self._timers, (deadline, self._timer_seq, sa))

    def _ike_deadline(self, sa: IkeSa) -> float | None:
        # the earliest candidate (every datagram of an SA re-reads this, and so does every
        # attempt of a phase 1 retried all day: a negotiating SA's phase 1 alone is read
        # without building a list)
        p1 = sa.p1
        if not sa.exchanges:
            if sa.state != "established":
                if p1 is None:
                    return None
                a, b = p1.deadline, p1.purge_at
                if a is None:
                    return b
                return a if b is None or a <= b else b
            if p1 is None:  # an idle established SA (every DPD message): DPD and lifetimes
                d = sa.dpd
                best = d.next_at if d is not None else None
                life = sa.lifetime_s
                at = sa.established_at
                if at is not None and life:
                    t = at + life
                    if best is None or t < best:
                        best = t
                    if sa.role == "initiator" and not sa.rekeying and not sa.superseded:
                        t = at + life * sa.soft_fraction  # max(t, rekey_not_before), inline
                        if t < best and sa.rekey_not_before < best:
                            best = t if t >= sa.rekey_not_before else sa.rekey_not_before
                return best
        # no list of candidates: an IKE SA carrying 32 quick modes (a rekey) reads 64 here
        best = None
        for ex in sa.exchanges.values():
            t = ex.deadline
            if t is not None and (best is None or t < best):
                best = t
            t = ex.purge_at
            if t is not None and (best is None or t < best):
                best = t
        if p1 is not None:
            t = p1.deadline
            if t is not None and (best is None or t < best):
                best = t
            t = p1.purge_at
            if t is not None and (best is None or t < best):
                best = t
        if sa.state == "established":
            if sa.dpd is not None:
                t = sa.dpd.next_at
                if t is not None and (best is None or t < best):
                    best = t
            life = sa.lifetime_s
            at = sa.established_at
            if at is not None and life:
                t = at + life  # sa.hard_at()
                if best is None or t < best:
                    best = t
                # soft_at(), and the same condition handle_timer acts on, or the deadline
                # stays in the past
                if sa.role == "initiator" and not sa.rekeying and not sa.superseded:
                    t = max(at + life * sa.soft_fraction, sa.rekey_not_before)
                    if best is None or t < best:
                        best = t
        return best

    @staticmethod
    def _ipsec_deadline(ipsec: IpsecSa) -> float | None:
        # the earliest of hard_at and (unless rekeying or superseded) the soft expiry by time
        # or by kilobytes, without lists: every IPsec SA of a rekey wave reads this
        prop = ipsec.proposal
        life, at = prop.lifetime_s, ipsec.created_at
        best = at + life if life else None  # hard_at
        if ipsec.rekeying or ipsec.superseded:
            return best
        initiator = ipsec.role == "initiator"
        due = at + life * ipsec.soft_fraction if life and initiator else None  # soft_at
        kb = prop.lifetime_kb
        if kb and initiator and ipsec.bytes_in + ipsec.bytes_out >= kb * 1024 * ipsec.soft_fraction:
            t = ipsec.last_used if ipsec.last_used is not None else at
            if due is None or t < due:
                due = t
        if due is not None:  # never earlier than _check_ipsec_life would act
            t = max(due, ipsec.rekey_not_before)
            if best is None or t < best:
                best = t
        return best

    # ------------------------------------------------------------------ internals: plumbing

    def _event(self, ev: Event) -> None:
        if isinstance(ev, Malformed):
            self.stats.malformed += 1
        self._events.append(ev)

    def _dropped(self, peer: Addr, phase: int, what: str, reason: str, notify: int | None
                 ) -> None:
        """A message failed decryption or authentication: count it, report it, keep going."""
        self.stats.unauthenticated += 1
        self._event(Malformed(peer, f"{what}; dropped", notify))
        if phase:
            self._event(MessageDropped(peer, phase, reason, notify))

    def _config(self, peer: Addr) -> PeerConfig | None:
        return self.peers.get(peer[0])

    @staticmethod
    def _exchanges(sa: IkeSa) -> list[ExchangeState]:
        out = list(sa.exchanges.values())
        if sa.p1 is not None:
            out.append(sa.p1)
        return out

    def _nonce(self) -> bytes:
        return self.rng.getrandbits(self.NONCE_LEN * 8).to_bytes(self.NONCE_LEN, "big")

    def _new_msgid(self, sa: IkeSa) -> int:
        while True:
            m = self.rng.getrandbits(32)
            if m and m not in sa.exchanges:
                return m

    def _emit(self, sa: IkeSa | None, data: bytes, dst: Addr) -> None:
        if sa is not None and sa.floated:
            data, dst = natt.frame_ike(data), (dst[0], sa.float_port)
        self._out.append((data, dst))
        if sa is not None:
            sa.bytes_out += len(data)
            sa.packets_out += 1

    def _send_exchange(self, sa: IkeSa, ex: ExchangeState, data: bytes, now: float,
                       expect_reply: bool) -> None:
        self._touch(sa)
        ex.last_sent = data
        self._emit(sa, data, sa.peer)
        if expect_reply:
            ex.sent_count = 1
            ex.deadline = now + (sa.config.retransmit.gap(1) or 0.0)
        else:
            ex.sent_count = 0
            ex.deadline = None

    def _finish_exchange(self, sa: IkeSa, ex: ExchangeState, now: float) -> None:
        """Done: stop retransmitting, keep the state to answer retransmissions for a while."""
        self._touch(sa)
        ex.state = State.DONE
        ex.deadline = None
        ex.purge_at = now + sa.config.retransmit.timeout()

    def _tick_exchange(self, sa: IkeSa, ex: ExchangeState, now: float) -> None:
        if ex.purge_at is not None and now >= ex.purge_at:
            if ex is sa.p1:
                sa.p1 = None
                self._resp_index.pop((sa.peer, sa.icookie), None)
            else:
                sa.exchanges.pop(ex.message_id, None)
            return
        if ex.deadline is None or now < ex.deadline:
            return
        sched = sa.config.retransmit
        if ex.sent_count <= sched.retries and ex.last_sent is not None:
            self._emit(sa, ex.last_sent, sa.peer)
            ex.deadline += sched.gap(ex.sent_count + 1) or 0.0
            ex.sent_count += 1
            return
        # out of retransmissions: the exchange times out, reported as the failure of the
        # messages we dropped if any (e.g. a pre-shared key mismatch the peer never repeated)
        phase = 1 if ex is sa.p1 else 2
        child = ex.child.name if ex.child is not None else None
        notify, reason = ex.rejection if ex.rejection is not None else (None, TIMEOUT)
        self._event(NegotiationFailed(sa.peer, phase, reason, notify, False, child))
        if phase == 1:
            self._abandon_ike(sa)
        else:
            self.sadb.release_spi(ex.our_spi)
            sa.exchanges.pop(ex.message_id, None)
            self._requeue_rekey_ipsec(ex)

    def _encrypt(self, sa: IkeSa, exchange: int, msgid: int, payloads: list[AnyPayload],
                 iv: bytes) -> tuple[bytes, bytes]:
        first, body = encode_payloads(payloads)
        return self._encrypt_chain(sa, exchange, msgid, first, body, iv)

    def _encrypt_chain(self, sa: IkeSa, exchange: int, msgid: int, first: int, body: bytes,
                       iv: bytes) -> tuple[bytes, bytes]:
        """`_encrypt` of an already encoded payload chain whose first payload is `first`."""
        prop = sa.proposal
        assert prop is not None
        block = crypto.CIPHERS[prop.cipher].block
        ct = crypto.encrypt(prop.cipher, sa.enc_key, iv, crypto.pad(body, block), sa.crypto_cache)
        return (encode_message(sa.icookie, sa.rcookie, exchange, first, ct, msgid, Flag.ENCRYPTED),
                ct[-block:])

    def _decrypt(self, sa: IkeSa, msg: Message, iv: bytes) -> tuple[list[AnyPayload], bytes]:
        """Raises CryptoError / DecodeError."""
        assert sa.proposal is not None
        if not msg.flags & Flag.ENCRYPTED:
            raise DecodeError("expected an encrypted message", Notify.INVALID_FLAGS)
        cipher = sa.proposal.cipher
        block = crypto.CIPHERS[cipher].block
        try:
            pt = crypto.decrypt(cipher, sa.enc_key, iv, msg.body, sa.crypto_cache)
            payloads = decode_payloads(msg.next_payload, pt)
        except (CryptoError, DecodeError) as e:
            raise DecryptError(str(e)) from None
        # Padding is at most one block (RFC 2409 appendix B pads a whole block when aligned).
        # Blocks of junk appended to a genuine message would still decrypt and authenticate,
        # but move the CBC chain (the next IV is the last block received) off the sender's.
        if len(pt) - sum([len(p.raw) for p in payloads]) > block:
            raise DecryptError("padding longer than a block")
        return payloads, msg.body[-block:]

    def _hashed_chain(self, sa: IkeSa, prefix: bytes, payloads: list[AnyPayload]
                      ) -> tuple[int, bytes]:
        """The chain HASH, payloads... of a phase 2 message (informational, quick mode) where
        HASH = prf(SKEYID_a, prefix | the payloads after HASH), as (first type, bytes). The
        payloads are encoded once (an SA payload with its transforms is the costly part to
        encode) and the HASH payload is put in front of them."""
        first, chain = encode_payloads(payloads)
        return hash_first(self._prf(sa, sa.skeyid_a, prefix + chain), first, chain)

    def _prf(self, sa: IkeSa, key: bytes, data: bytes) -> bytes:
        assert sa.proposal is not None
        return crypto.keyed_prf(sa.proposal.hash, key, data, sa.crypto_cache)

    # ------------------------------------------------------------------ internals: dispatch

    def _esp_receive(self, packet: bytes, src: Addr, now: float) -> None:
        spi, _seq = natt.esp_header(packet)
        self.esp_packets += 1
        ipsec = self.sadb.ipsec.get(spi)
        known = ipsec is not None and ipsec.peer[0] == src[0]
        if known:
            self.account(spi, len(packet), 1, now, inbound=True)
        self._event(EspReceived(src, spi, len(packet), known))

    @staticmethod
    def _note_float(sa: IkeSa, src: Addr, nat: bool) -> None:
        """A message for this SA came in on the NAT-T port: answer there (RFC 3947 §4)."""
        if nat:
            sa.floated = True
            sa.float_port = src[1]

    def _receive(self, data: bytes, src: Addr, now: float, nat: bool = False) -> None:
        msg = decode(data)
        ex_type = msg.exchange
        if ex_type in (Exchange.MAIN, Exchange.AGGRESSIVE):
            if msg.rcookie == ZERO_COOKIE:
                # a reply to our message 1 that lacks the responder cookie is not a new
                # negotiation: our initiator SA refuses it (never a responder SA on our cookie)
                sa = self._resp_index.get((src, msg.icookie)) or self._lookup(msg, src)
                if sa is None:
                    self._respond_first(msg, data, src, now, nat)
                    return
            else:
                sa = self._lookup(msg, src)
            if sa is None:
                self._event(Malformed(src, "no SA for these cookies", Notify.INVALID_COOKIE))
                return
            self._note_float(sa, src, nat)
            self._count_in(sa, data)
            self._p1_receive(sa, msg, data, now)
        elif ex_type == Exchange.QUICK:
            sa = self._lookup(msg, src)
            if sa is None or sa.state != "established":
                self._event(Malformed(src, "quick mode without an IKE SA", Notify.INVALID_COOKIE))
                return
            self._note_float(sa, src, nat)
            self._count_in(sa, data)
            self._quick_receive(sa, msg, data, now)
        elif ex_type == Exchange.INFORMATIONAL:
            sa = self._lookup(msg, src)
            if sa is None:
                self._event(Malformed(src, "informational for unknown SA", Notify.INVALID_COOKIE))
                return
            self._note_float(sa, src, nat)
            self._count_in(sa, data)
            self._info_receive(sa, msg, now)
        else:
            self._event(Malformed(src, f"exchange type {ex_type} not supported",
                                  Notify.UNSUPPORTED_EXCHANGE_TYPE))

    def _respond_first(self, msg: Message, data: bytes, src: Addr, now: float, nat: bool
                       ) -> None:
        """Message 1 of a new phase 1. A peer that starts with the non-ESP marker (both ports
        other than 500, RFC 3948 §2.2) is answered with it: the new SA floats at once, and
        whatever this message made us queue for the peer (message 2 or a clear notify) is
        framed like every later message."""
        mark = len(self._out)
        self._p1_responder_start(msg, data, src, now)
        if not nat:
            return
        sa = self._resp_index.get((src, msg.icookie))
        if sa is not None:
            self._note_float(sa, src, nat)
        self._out[mark:] = [(d if d[:4] == natt.NON_ESP_MARKER or dst != src
                             else natt.frame_ike(d), dst) for d, dst in self._out[mark:]]

    # ------------------------------------------------------------------ simultaneous initiation

    def _p1_established(self, sa: IkeSa, ex: ExchangeState, now: float) -> None:
        """Phase 1 done. Both sides initiating at once leaves two IKE SAs, and IKEv1 (RFC
        2409) says nothing about it. Taking the second for a rekey and deleting the other (as
        this did) starts a Delete war with a peer that re-establishes on a Delete (strongSwan
        does, for an ISAKMP SA that carries IPsec SAs or quick modes). Instead both ends pick
        the same SA without talking, as IKEv2 does for colliding rekeys (RFC 7296 §2.8.1): the
        one with the higher initiator cookie is used; the other is kept idle (superseded, no
        DPD, still answered on) and nobody sends a Delete for it. A peer that settles on the
        other one instead (strongSwan keeps the newer SA it responded to and deletes the older
        one 10 s later) is followed: a Delete for the SA in use promotes the idle one."""
        rival = self._collision_rival(sa)
        if rival is None:
            super()._p1_established(sa, ex, now)
            return
        sa_wins = sa.icookie > rival.icookie
        pending, sa.pending_children = sa.pending_children, []
        rival.superseded = True  # not an "old" SA for the base class to rekey from
        events = len(self._events)
        super()._p1_established(sa, ex, now)
        rival.superseded = False
        # the peer's IKE SA is already up as far as anyone outside can tell: no second Phase1Up
        self._events = deque(e for i, e in enumerate(self._events)
                             if i < events or not (isinstance(e, Phase1Up)
                                                   and e.icookie == sa.icookie))
        winner, loser = (sa, rival) if sa_wins else (rival, sa)
        loser.superseded = True
        loser.dpd = None  # nobody uses it: no liveness checks of its own
        self._spares[winner.key] = loser
        self._dirty.add(sa.peer[0])
        for child, rekey_of in pending:
            if rekey_of is not None or not self._child_present(winner, child):
                self._quick_start(winner, child, now, rekey_of)

    def _collision_rival(self, sa: IkeSa) -> IkeSa | None:
        """The other side's fresh IKE SA that was negotiated at the same time as `sa` (each
        started before the other was up), or None. Rekeys are not collisions."""
        if sa.rekey_of is not None:
            return None
        for o in self.sadb.ike_with(sa.peer[0]):
            if (o is not sa and o.peer == sa.peer and o.state == "established"
                    and not o.superseded and o.role != sa.role and o.rekey_of is None
                    and o.established_at is not None and o.established_at >= sa.created_at):
                return o
        return None

    def _child_present(self, sa: IkeSa, child: str) -> bool:
        """An IPsec SA for `child` is installed, or a quick mode for it is under way on any
        IKE SA with this peer."""
        if any(s.child == child and not s.superseded for s in self.sadb.ipsec_for(sa.peer)):
            return True
        return any(ex.child is not None and ex.child.name == child and ex.state != "done"
                   for o in self.sadb.ike_with(sa.peer[0]) if o.peer == sa.peer
                   for ex in o.exchanges.values())

    def _promote_spare(self, sa: IkeSa, now: float) -> bool:
        """The peer deleted the SA a collision left in use: its idle twin takes over quietly
        (True), so nothing above sees the peer's IKE SA go down."""
        spare = self._spares.pop(sa.key, None)
        if spare is None or self.sadb.ike.get(spare.key) is not spare:
            return False
        spare.superseded = False
        self._dpd_start(spare, now)
        self._dirty.add(spare.peer[0])
        sa.superseded = True  # removed without a Phase1Down
        return True

    def _lookup(self, msg: Message, src: Addr) -> IkeSa | None:
        sa = self.sadb.ike.get((msg.icookie, msg.rcookie))
        if sa is None:
            sa = self.sadb.ike.get((msg.icookie, ZERO_COOKIE))
            if sa is not None and sa.role != "initiator":
                sa = None
        if sa is None or sa.peer[0] != src[0]:
            return None
        return sa

    def _count_in(self, sa: IkeSa, data: bytes) -> None:
        """A datagram for `sa` arrived: count it; whatever it does may move sa's deadlines."""
        self._touch(sa)
        sa.bytes_in += len(data)
        sa.packets_in += 1

    # ------------------------------------------------------------------ informational

    def _send_clear_notify(self, sa: IkeSa, ntype: int) -> None:
        """Unencrypted notify during phase 1 (no agreed keys yet)."""
        msg = Message(sa.icookie, sa.rcookie, Exchange.INFORMATIONAL, self._new_msgid(sa),
                      (NotifyPayload(ntype, Proto.ISAKMP, sa.icookie + sa.rcookie),))
        self._emit(sa, msg.encode(), sa.peer)

    def _send_info(self, sa: IkeSa, payloads: list[AnyPayload]) -> None:
        """Encrypted informational exchange: HDR*, HASH(1), N/D (RFC 2409 §5.7)."""
        keys = self._phase2_keys(sa)
        first, chain = encode_payloads(payloads)
        self._seal_info(sa, keys, self._new_msgid(sa), first, chain)

    def _seal_info(self, sa: IkeSa, keys: crypto.Phase2Keys, msgid: int, first: int,
                   chain: bytes) -> None:
        """Send the informational exchange HDR*, HASH(1), `chain` (an encoded payload chain
        whose first payload is `first`) sealed with `keys` (`sa`'s)."""
        ct = keys.seal(msgid.to_bytes(4, "big"), first, chain)
        self._emit(sa, _HDR.pack(sa.icookie, sa.rcookie, Payload.HASH, ISAKMP_VERSION,
                                 Exchange.INFORMATIONAL, Flag.ENCRYPTED, msgid,
                                 HEADER_LEN + len(ct)) + ct, sa.peer)

    def _qm_seal(self, sa: IkeSa, keys: crypto.Phase2Keys, msgid: int, chain: bytes,
                 iv: bytes) -> tuple[bytes, bytes]:
        """`_encrypt_chain` of a quick mode message (first payload HASH) with `sa`'s
        Phase2Keys: (datagram, its last ciphertext block: the exchange's next IV)."""
        ct = keys.encrypt(iv, chain)
        return (_HDR.pack(sa.icookie, sa.rcookie, Payload.HASH, ISAKMP_VERSION, Exchange.QUICK,
                          Flag.ENCRYPTED, msgid, HEADER_LEN + len(ct)) + ct,
                ct[-keys.block:])

    def _phase2_keys(self, sa: IkeSa) -> crypto.Phase2Keys:
        """The established `sa`'s crypto.Phase2Keys, made on first use and kept in its cache
        (checked against the keys it was made from, which never change once established)."""
        prop = sa.proposal
        assert prop is not None
        keys = sa.crypto_cache.get(_PHASE2_KEYS)
        if keys is not None:
            src = keys.source
            if (src[0] is prop and src[1] is sa.enc_key and src[2] is sa.skeyid_a
                    and src[3] is sa.p1_last_block):
                return keys
        keys = sa.crypto_cache[_PHASE2_KEYS] = crypto.Phase2Keys(
            prop.hash, prop.cipher, sa.enc_key, sa.skeyid_a, sa.p1_last_block, sa.crypto_cache,
            (prop, sa.enc_key, sa.skeyid_a, sa.p1_last_block))
        return keys

    def _dpd_wire(self, sa: IkeSa) -> _DpdWire:
        """The established `sa`'s `_DpdWire`, made on first use and kept in its cache (made
        again if the keys it was made from are no longer the SA's). Raises CryptoError for
        unusable keys."""
        w = sa.crypto_cache.get(_DPD_WIRE)
        if (w is not None and w.prop is sa.proposal and w.enc_key is sa.enc_key
                and w.skeyid_a is sa.skeyid_a and w.last_block is sa.p1_last_block):
            return w
        w = sa.crypto_cache[_DPD_WIRE] = _DpdWire(sa, self._phase2_keys(sa))
        return w

    def _send_dpd(self, sa: IkeSa, notify: int, seq: bytes) -> None:
        """`_send_info(sa, [NotifyPayload(notify, Proto.ISAKMP, cookies, seq)])` (an R-U-THERE
        or its ACK, `seq` 4 bytes) from the SA's `_DpdWire`, with `_new_msgid`,
        `Phase2Keys.seal` and `_emit` inline: the datagram every idle tunnel sends most."""
        w = sa.crypto_cache.get(_DPD_WIRE)
        if (w is None or w.prop is not sa.proposal or w.enc_key is not sa.enc_key
                or w.skeyid_a is not sa.skeyid_a or w.last_block is not sa.p1_last_block):
            w = self._dpd_wire(sa)
        exchanges, draw = sa.exchanges, self.rng.getrandbits
        msgid = draw(32)  # _new_msgid
        while not msgid or msgid in exchanges:
            msgid = draw(32)
        mid = msgid.to_bytes(4, "big")
        body = (w.rut if notify == Notify.R_U_THERE else w.ack) + seq
        inner = w.inner.copy()  # seal: HASH(1) = prf(SKEYID_a, M-ID | notify)
        inner.update(mid + body)
        outer = w.outer.copy()
        outer.update(inner.digest())
        plain = w.hash_head + outer.digest() + body + w.pad
        h = w.iv_hash.copy()  # the message's IV
        h.update(mid)
        b, bc = w.block, w.cipher  # CBC from the running encryptor (_BlockCipher.encrypt)
        x = int.from_bytes(plain[:b], "big") ^ int.from_bytes(h.digest()[:b], "big") ^ bc.chain
        ct = bc.cbc_update(x.to_bytes(b, "big") + plain[b:])
        bc.chain = int.from_bytes(ct[-b:], "big")
        data = w.head + mid + w.length + ct
        if sa.floated:  # _emit
            data = natt.frame_ike(data)
            self._out.append((data, (sa.peer[0], sa.float_port)))
        else:
            self._out.append((data, sa.peer))
        sa.bytes_out += len(data)
        sa.packets_out += 1

    def _info_fast(self, data: bytes, src: Addr, now: float) -> bool:
        """An R-U-THERE, R-U-THERE-ACK or Delete on an established IKE SA, handled without the
        general path's Message and payload objects: what `_receive` -> `_info_receive` ->
        `_info_notify` / `_info_delete` do with it, in the same order. Anything else (another
        exchange or payload, an unknown SA, a message that fails to decrypt, parse or
        authenticate) returns False before any effect, and the general path takes the datagram
        from the start.

        A DPD message exactly as this engine writes it (`_send_dpd`: ISAKMP 1.0, the length of
        HASH(1) and one 32-byte notify padded, nothing after it; the notify's fixed part with
        the SA's cookies as SPI) is compared with the SA's `_DpdWire` instead of being parsed;
        every other shape is read field by field (`_info_fields`)."""
        canonical = data[16:20] == _INFO_ENCRYPTED
        if not canonical and (len(data) < HEADER_LEN or data[16] != Payload.HASH
                              or data[17] >> 4 != 1 or data[18] != Exchange.INFORMATIONAL
                              or data[19] != Flag.ENCRYPTED):
            return False  # (another minor version is read field by field)
        sa = self.sadb.ike.get((data[:8], data[8:16]))
        if (sa is None or sa.state != "established" or sa.peer[0] != src[0]
                or sa.proposal is None):
            return False
        w = sa.crypto_cache.get(_DPD_WIRE)
        if (w is None or w.prop is not sa.proposal or w.enc_key is not sa.enc_key
                or w.skeyid_a is not sa.skeyid_a or w.last_block is not sa.p1_last_block):
            try:
                w = self._dpd_wire(sa)
            except CryptoError:  # unusable keys: the general path reports it as it does
                return False
        size = len(data)
        if not canonical or size != w.size or data[24:28] != w.length:
            return self._info_fields(sa, data, now)
        mid, ct, b = data[20:24], data[HEADER_LEN:], w.block
        h = w.iv_hash.copy()  # Phase2Keys.open, inline
        h.update(mid)
        plain = (int.from_bytes(w.cipher.ecb_decrypt(ct), "big")
                 ^ int.from_bytes(h.digest()[:b] + ct[:-b], "big")).to_bytes(len(ct), "big")
        hash_len = w.hash_len
        fixed = plain[hash_len:hash_len + 28]
        if fixed == w.rut:
            request = True
        elif fixed == w.ack:
            request = False
        else:
            return self._info_fields(sa, data, now)
        if plain[:4] != w.hash_head:
            return self._info_fields(sa, data, now)
        seq_bytes = plain[hash_len + 28:hash_len + 32]
        inner = w.inner.copy()  # HASH(1) = prf(SKEYID_a, M-ID | notify)
        inner.update(mid + fixed + seq_bytes)
        outer = w.outer.copy()
        outer.update(inner.digest())
        if not hmac.compare_digest(plain[4:hash_len], outer.digest()):
            return False  # the general path refuses it
        return self._dpd_in(sa, request, seq_bytes, size, now)

    def _dpd_in(self, sa: IkeSa, request: bool, seq_bytes: bytes, size: int, now: float) -> bool:
        """What an authenticated R-U-THERE (`request`) or R-U-THERE-ACK numbered `seq_bytes`
        does on `sa`, for both fast readers: `_count_in`, then `_info_notify` and
        `_info_receive`'s liveness (a number that is not 4 bytes is no probe's, yet an
        R-U-THERE still proves liveness). True."""
        sa.bytes_in += size  # _count_in
        sa.packets_in += 1
        d = sa.dpd
        if d is not None:
            if len(seq_bytes) != 4:
                if request:
                    d.heard(now)
            else:
                seq = int.from_bytes(seq_bytes, "big")
                if request:
                    if d.on_request(seq, now):  # (which counted it as heard)
                        self._send_dpd(sa, Notify.R_U_THERE_ACK, seq_bytes)
                        self._events.append(DpdAnswered(sa.peer, seq))
                    else:
                        d.heard(now)  # not answered, still proof of liveness
                elif d.on_ack(seq, now):
                    self._events.append(DpdAck(sa.peer, seq))
        # Only this SA's deadline can have moved: re-read it here rather than through
        # _touch/_refresh (which receive() still runs for whatever else was touched).
        if self._dirty and sa.peer[0] in self._dirty:
            self._touched[id(sa)] = sa  # its host is re-read as a whole
        else:
            t = self._ike_deadline(sa)
            if t != sa.timer_at or (t is not None and sa.timer_seq < 0):
                self._set_timer(sa, t)
        return True

    def _info_fields(self, sa: IkeSa, data: bytes, now: float) -> bool:
        """`_info_fast` for any other shape of an encrypted informational on the established
        `sa` (header checked up to the SA): HASH(1) and one notify or delete read field by
        field; False (no effect) for anything the general path must take."""
        size = len(data)
        length = int.from_bytes(data[24:28], "big")
        if length > size:
            return False
        try:
            keys = self._phase2_keys(sa)
        except CryptoError:  # unusable keys: the general path reports it as it does
            return False
        block = keys.block
        ct_len = length - HEADER_LEN
        if ct_len <= 0 or ct_len % block:
            return False
        mid = data[20:24]
        plain = keys.open(mid, data[HEADER_LEN:length])
        # HASH(1), then exactly one notify or delete, then at most a block of padding
        nxt, _, hash_len = _GEN.unpack_from(plain)
        if hash_len < 4 or hash_len + 12 > ct_len:
            return False
        if nxt == Payload.D:
            return self._delete_fast(sa, keys, mid, plain, hash_len, ct_len, size, now)
        if nxt != Payload.N:
            return False
        nxt, _, n_len, _doi, _proto, spi_len, notify, = _NOTIFY_HEAD.unpack_from(plain, hash_len)
        end = hash_len + n_len
        if (nxt or n_len < 12 + spi_len or end > ct_len or ct_len - end > block
                or (notify != Notify.R_U_THERE and notify != Notify.R_U_THERE_ACK)):
            return False
        if not hmac.compare_digest(plain[4:hash_len], keys.prf(mid + plain[hash_len:end])):
            return False
        return self._dpd_in(sa, notify == Notify.R_U_THERE, plain[hash_len + 12 + spi_len:end],
                            size, now)

    def _delete_fast(self, sa: IkeSa, keys: crypto.Phase2Keys, mid: bytes, plain: bytes,
                     hash_len: int, ct_len: int, size: int, now: float) -> bool:
        """`_info_fast` for HASH(1) + one Delete payload (the old SAs of a rekey wave): checked as
        `decode_payloads` and `_info_receive` check it, then the general `_info_delete`."""
        nxt, _, d_len, doi, proto, spi_len, count = _NOTIFY_HEAD.unpack_from(plain, hash_len)
        end = hash_len + d_len
        if (nxt or d_len < 12 or end > ct_len or ct_len - end > keys.block
                or 12 + spi_len * count != d_len):
            return False
        if not hmac.compare_digest(plain[4:hash_len], keys.prf(mid + plain[hash_len:end])):
            return False
        self._touched[id(sa)] = sa  # _count_in
        sa.bytes_in += size
        sa.packets_in += 1
        at = hash_len + 12
        spis = tuple([plain[at + k * spi_len:at + (k + 1) * spi_len] for k in range(count)])
        self._info_delete(sa, DeletePayload(proto, spis, doi, plain[hash_len:end]), now)
        if sa.dpd is not None and self.sadb.ike.get((sa.icookie, sa.rcookie)) is sa:
            sa.dpd.heard(now)  # a genuine message proves liveness (_info_receive)
        return True

    def _send_delete_ike(self, sa: IkeSa, now: float) -> None:
        if sa.state == "established":
            self._send_info(sa, [DeletePayload(Proto.ISAKMP, (sa.icookie + sa.rcookie,))])

    def _send_delete_ipsec(self, ipsec: IpsecSa, now: float) -> None:
        ike = self.sadb.ike_for(ipsec.peer)
        if ike is not None:
            self._send_info(ike, [DeletePayload(ipsec.proposal.proto_id,
                                                (ipsec.inbound_spi.to_bytes(4, "big"),))])

    def _info_receive(self, sa: IkeSa, msg: Message, now: float) -> None:
        if not msg.flags & Flag.ENCRYPTED:
            if sa.state == "established":
                self._event(Malformed(sa.peer, "unencrypted informational after phase 1",
                                      Notify.INVALID_FLAGS))
                return
            for n in msg.find(NotifyPayload):
                if n.notify_type < 16384:
                    self._event(NegotiationFailed(sa.peer, 1, reason_for(n.notify_type),
                                                  n.notify_type, False))
                    self._abandon_ike(sa)
                    return
                self._event(NotifyReceived(sa.peer, n.notify_type, 1, n.data))
            return
        if sa.state != "established" and sa.p1 is not None and sa.p1.state == "MM5_SENT":
            self._mm5_rejected(sa, msg)
            return
        if sa.state != "established" or sa.proposal is None:
            self._event(Malformed(sa.peer, "encrypted informational before keys",
                                  Notify.INVALID_FLAGS))
            return
        prop, mid = sa.proposal, msg.message_id
        iv = crypto.phase2_iv(prop.hash, sa.p1_last_block, mid, crypto.CIPHERS[prop.cipher].block)
        payloads, _ = self._decrypt(sa, msg, iv)
        if not payloads or not isinstance(payloads[0], HashPayload):
            self._event(Malformed(sa.peer, "informational without HASH(1)",
                                  Notify.INVALID_HASH_INFORMATION))
            return
        rest = payloads[1:]
        want = crypto.keyed_prf(prop.hash, sa.skeyid_a,
                                mid.to_bytes(4, "big") + b"".join([p.raw for p in rest]), sa.crypto_cache)
        if not hmac.compare_digest(payloads[0].data, want):  # constant time, as elsewhere
            self._dropped(sa.peer, 0, "informational HASH(1) mismatch", AUTHENTICATION_FAILED,
                          Notify.INVALID_HASH_INFORMATION)
            return
        proof = True
        for p in rest:
            if isinstance(p, NotifyPayload):
                proof = self._info_notify(sa, p, now) and proof
            elif isinstance(p, DeletePayload):
                self._info_delete(sa, p, now)
        if proof and sa.dpd is not None and self.sadb.ike.get(sa.key) is sa:
            sa.dpd.heard(now)

    def _mm5_rejected(self, sa: IkeSa, msg: Message) -> None:
        """The responder answered our MM5 with an encrypted notify instead of MM6: it could not
        verify (or decrypt) MM5. Readable with our keys: its reason; unreadable: the keys differ,
        i.e. the pre-shared keys do not match."""
        assert sa.p1 is not None and sa.proposal is not None
        iv = crypto.phase2_iv(sa.proposal.hash, sa.p1.iv, msg.message_id, sa.proposal.block)
        notify = Notify.INVALID_HASH_INFORMATION
        try:
            payloads, _ = self._decrypt(sa, msg, iv)
            found = [p for p in payloads if isinstance(p, NotifyPayload) and p.notify_type < 16384]
            if found and found[0].notify_type != Notify.PAYLOAD_MALFORMED:
                notify = found[0].notify_type
        except (DecodeError, CryptoError):
            # unreadable: the keys differ, or a damaged copy of MM6 or a forgery. Dropped;
            # if MM6 never comes, the timeout reports the authentication failure.
            sa.p1.rejection = (notify, AUTHENTICATION_FAILED)
            self._dropped(sa.peer, 1, "unreadable notify in answer to MM5", AUTHENTICATION_FAILED,
                          notify)
            return
        reason = AUTHENTICATION_FAILED if notify in (
            Notify.INVALID_HASH_INFORMATION, Notify.PAYLOAD_MALFORMED) else reason_for(notify)
        self._event(NegotiationFailed(sa.peer, 1, reason, notify, False))
        self._abandon_ike(sa)

    def _info_notify(self, sa: IkeSa, n: NotifyPayload, now: float) -> bool:
        """Handle one notify; returns False when it must not count as liveness (a DPD ACK
        counts only through DpdState.on_ack)."""
        if n.notify_type == Notify.R_U_THERE:
            if sa.dpd is None or len(n.data) != 4:
                return True
            seq = int.from_bytes(n.data, "big")
            if sa.dpd.on_request(seq, now):
                self._send_dpd(sa, Notify.R_U_THERE_ACK, n.data)
                self._event(DpdAnswered(sa.peer, seq))
            return True
        if n.notify_type == Notify.R_U_THERE_ACK:
            if sa.dpd is not None and len(n.data) == 4:
                seq = int.from_bytes(n.data, "big")
                if sa.dpd.on_ack(seq, now):
                    self._event(DpdAck(sa.peer, seq))
            return False
        if n.notify_type < 16384 and n.protocol == Proto.ISAKMP:
            # the peer rejected phase 1 after we considered it done (e.g. our ID or cert)
            self._event(NegotiationFailed(sa.peer, 1, reason_for(n.notify_type), n.notify_type,
                                          False))
            self._remove_ike(sa, "peer-notify")
            return False
        if n.notify_type < 16384:
            # error about one of our quick modes
            pending = [ex for ex in sa.exchanges.values()
                       if ex.role == "initiator" and ex.state != "done"]
            spi = int.from_bytes(n.spi, "big") if len(n.spi) == 4 else None
            match = [ex for ex in pending if ex.our_spi == spi] or pending[:1]
            for ex in match:
                sa.exchanges.pop(ex.message_id, None)
                self.sadb.release_spi(ex.our_spi)
                self._requeue_rekey_ipsec(ex)
                self._event(NegotiationFailed(sa.peer, 2, reason_for(n.notify_type),
                                              n.notify_type, False, ex.child.name))
            if not match:
                self._event(NotifyReceived(sa.peer, n.notify_type, 2, n.data))
            return True
        self._event(NotifyReceived(sa.peer, n.notify_type, 2, n.data))
        return True

    def _info_delete(self, sa: IkeSa, d: DeletePayload, now: float) -> None:
        if d.protocol == Proto.ISAKMP:
            for spi in d.spis:
                if len(spi) != 16:
                    continue
                target = self.sadb.ike.get((spi[:8], spi[8:]))
                if target is not None and target.peer == sa.peer:
                    if not target.superseded:
                        self._promote_spare(target, now)
                    self._remove_ike(target, "peer-delete")
        elif d.protocol in (Proto.ESP, Proto.AH):
            for spi in d.spis:
                if len(spi) != 4:
                    continue
                ipsec = self.sadb.by_outbound(sa.peer, int.from_bytes(spi, "big"))
                if ipsec is not None:
                    self._remove_ipsec(ipsec, "peer-delete")

    # ------------------------------------------------------------------ removal, DPD, lifetimes

    def _abandon_ike(self, sa: IkeSa) -> None:
        """Failed negotiation: forget the SA without an event of its own."""
        self.sadb.ike.pop(sa.key, None)
        self._resp_index.pop((sa.peer, sa.icookie), None)
        if sa.rekey_of is not None:
            old = self.sadb.ike.get(sa.rekey_of)
            if old is not None:
                old.rekeying = False
                self._touch(old)

    def _remove_ike(self, sa: IkeSa, reason: str) -> None:
        if self.sadb.ike.pop(sa.key, None) is None:
            return
        self._resp_index.pop((sa.peer, sa.icookie), None)
        if self._spares:  # a handful at most: only simultaneous initiations leave one
            self._spares.pop(sa.key, None)
            for k in [k for k, v in self._spares.items() if v is sa]:
                del self._spares[k]
        for ex in sa.exchanges.values():
            self.sadb.release_spi(ex.our_spi)
        if sa.state == "established" and not sa.superseded:
            self._event(Phase1Down(sa.peer, sa.icookie, sa.rcookie, reason))

    def _remove_ipsec(self, ipsec: IpsecSa, reason: str, quiet: bool = False) -> None:
        if self.sadb.ipsec.pop(ipsec.inbound_spi, None) is None:
            return
        if ipsec.ike is not None:
            ipsec.ike.ipsec_deleted += 1
        if not quiet and not ipsec.superseded:
            self._event(Phase2Down(ipsec.peer, ipsec.child, ipsec.inbound_spi,
                                   ipsec.outbound_spi, reason))

    def _tick_dpd(self, sa: IkeSa, now: float) -> None:
        assert sa.dpd is not None
        d = sa.dpd.next_at  # deadline()
        if d is None or now < d:
            return
        action = sa.dpd.on_timer(now)
        if action is None:
            return
        if action[0] == "send":
            _, seq, attempt = action
            self._send_dpd(sa, Notify.R_U_THERE, seq.to_bytes(4, "big"))
            self._events.append(DpdSent(sa.peer, seq, attempt))
        else:
            self._event(PeerDead(sa.peer, sa.icookie, sa.rcookie, action[1]))
            for ipsec in self.sadb.ipsec_for(sa.peer):
                self._remove_ipsec(ipsec, "peer-dead")
            for other in list(self.sadb.ike.values()):
                if other.peer == sa.peer:
                    self._remove_ike(other, "peer-dead")

    def _check_ipsec_life(self, ipsec: IpsecSa, now: float) -> None:
        if ipsec.hard_due(now):
            self._event(SaExpired(ipsec.peer, "ipsec", True, f"{ipsec.inbound_spi:08x}"))
            self._send_delete_ipsec(ipsec, now)
            self._remove_ipsec(ipsec, "expired")
            return
        if (not ipsec.rekeying and not ipsec.superseded and ipsec.soft_due(now)
                and now >= ipsec.rekey_not_before):
            ipsec.rekeying = True
            ipsec.rekey_not_before = now + REKEY_RETRY
            if not ipsec.soft_reported:  # a failed rekey is retried without a second event
                ipsec.soft_reported = True
                self._event(SaExpired(ipsec.peer, "ipsec", False, f"{ipsec.inbound_spi:08x}"))
            cfg = self._config(ipsec.peer)
            if cfg is not None and cfg.child(ipsec.child) is not None:
                self._initiate(cfg, now, ipsec.child, ipsec.inbound_spi)

    def _requeue_rekey_ipsec(self, ex: ExchangeState) -> None:
        """A failed rekey: the old SA tries again (not before `rekey_not_before`) until its
        hard expiry."""
        if ex.rekey_of is not None and ex.rekey_of in self.sadb.ipsec:
            self.sadb.ipsec[ex.rekey_of].rekeying = False
            self._touch(self.sadb.ipsec[ex.rekey_of])

    def _initiate(self, cfg: PeerConfig, now: float, child: str | None,
                  rekey_of: int | None) -> None:
        sa = self.sadb.ike_for(cfg.addr)
        if sa is not None:
            if child is not None:
                self._quick_start(sa, child, now, rekey_of)
            return
        pending = self.sadb.negotiating_for(cfg.addr)
        if pending is None:
            pending = self._start_phase1(cfg, now)
        if child is not None and (child, rekey_of) not in pending.pending_children:
            pending.pending_children.append((child, rekey_of))  # once, however often asked

    def _dpd_start(self, sa: IkeSa, now: float) -> None:
        cfg = sa.config
        if cfg.dpd is not None and sa.dpd_vid_sent and sa.dpd_vid_received:
            sa.dpd = DpdState(cfg.dpd, self.rng, now)


__all__ = ["DPD_VENDOR_ID", "IkeEndpoint", "reason_for"]


def _by_order(sa: IkeSa | IpsecSa) -> int:
    return sa.order
