"""Quick Mode (RFC 2409 §5.5): HASH(1)/(2)/(3), optional PFS KE, optional IDci/IDcr, KEYMAT.

A mixin of `IkeEndpoint`. The initiator retransmits message 1 until message 2 arrives, the
responder retransmits message 2 until message 3 arrives; a duplicate message 2 gets message 3
again. The responder installs its SAs only on message 3. Each direction's KEYMAT uses that
direction's SPI; the encryption key is taken from the front, the authentication key after it.
"""

from __future__ import annotations

import functools
import hmac
import struct
from dataclasses import replace
from typing import TYPE_CHECKING

from . import crypto
from .constants import DOI_IPSEC, Flag, Notify, Payload, Proto
from .crypto import GROUPS, CryptoError, DecryptError
from .events import (
    AUTHENTICATION_FAILED,
    INVALID_ID,
    INVALID_KEY,
    NO_PROPOSAL_CHOSEN,
    Malformed,
    NegotiationFailed,
    Phase2Up,
    SaRekeyed,
)
from .isakmp import (
    DecodeError,
    HashPayload,
    IdPayload,
    KePayload,
    Message,
    NoncePayload,
    NotifyPayload,
    SaPayload,
    hash_first,
)
from .machine import Move, State
from .peer import ChildConfig
from .proposals import (
    IpsecProposal,
    NoProposalChosen,
    SaView,
    choose_ipsec_offer,
    ipsec_from_reply_offer,
    ipsec_sa_body,
    sa_view,
    sa_view_of,
)
from .sa import ExchangeState, IkeSa, IpsecSa

if TYPE_CHECKING:  # a mixin of IkeEndpoint: type-check against it
    from collections.abc import Callable

    from .ike import IkeEndpoint as _Endpoint
else:
    _Endpoint = object


_GEN = struct.Struct("!BBH")  # generic payload header
_ID = struct.Struct("!BBH")  # ID payload: type, protocol, port
_DELETE = struct.Struct("!IBBH")  # Delete payload: DOI, protocol, SPI size, number of SPIs


def _chain(items: list[tuple[int, bytes]]) -> tuple[int, bytes]:
    """`encode_payloads` of payloads given as (type, body): quick mode's messages are built
    from bodies (the SA payload's comes ready from `ipsec_sa_body` / `choose_ipsec_offer`)
    without a payload object each."""
    pack, n, parts = _GEN.pack, len(items), []
    for i, (_, body) in enumerate(items):
        parts += (pack(items[i + 1][0] if i + 1 < n else 0, 0, len(body) + 4), body)
    return items[0][0], b"".join(parts)


def _id_body(id_type: int, data: bytes, protocol: int = 0, port: int = 0) -> bytes:
    """`IdPayload(id_type, data, protocol, port).body()`."""
    return _ID.pack(id_type, protocol, port) + data


class _Qm:
    """A decrypted quick mode message as its handlers read it: the HASH payload's data, the
    bytes after the HASH payload (what it covers), the first SA payload (a view), the first
    nonce's and KE's data, and every ID payload."""

    __slots__ = ("hash", "ids", "ke", "nonce", "rest", "sa")

    def __init__(self, hash_: bytes, rest: bytes, sa: SaView | None, nonce: bytes | None,
                 ke: bytes | None, ids: list[IdPayload]) -> None:
        self.hash, self.rest, self.sa, self.nonce, self.ke, self.ids = \
            hash_, rest, sa, nonce, ke, ids

    @classmethod
    def of(cls, payloads: list) -> _Qm:
        """From decoded payloads whose first is the HASH payload."""
        sa_p = nonce = ke = None
        ids = []
        for p in payloads[1:]:
            if isinstance(p, SaPayload):
                if sa_p is None:
                    sa_p = p
            elif isinstance(p, NoncePayload):
                if nonce is None:
                    nonce = p.data
            elif isinstance(p, KePayload):
                if ke is None:
                    ke = p.data
            elif isinstance(p, IdPayload):
                ids.append(p)
        return cls(payloads[0].data, b"".join([p.raw for p in payloads[1:]]),
                   None if sa_p is None else sa_view_of(sa_p), nonce, ke, ids)


@functools.lru_cache(maxsize=256)
def _udp_proposals(proposals: tuple[IpsecProposal, ...], natt: str) -> tuple[IpsecProposal, ...]:
    """A child's proposals for UDP-encapsulated ESP (RFC 3947 §5), one tuple per proposals and
    NAT-T dialect: `ipsec_sa_body` remembers encodings by the tuple's identity, so a new tuple
    per exchange would miss every time (and push the others out)."""
    return tuple(replace(p, udp=natt) for p in proposals)


def _read_qm(first: int, pt: bytes, block: int) -> _Qm | None:
    """A decrypted quick mode message read straight from its bytes, without a payload object
    for its HASH, SA, nonce and KE: what `decode_payloads` and `_Qm.of` give for a well-formed
    message of HASH first, then at most one SA (of a shape decoded before), nonce and KE each
    and ID payloads, with at most a block of padding. Anything else (a payload or shape not
    seen before, a malformed one, a payload out of the usual) is None: the caller decodes the
    message in full, with the decoder's own errors."""
    if first != Payload.HASH:
        return None
    end = len(pt)
    nxt, i = first, 0
    hash_ = rest_at = sa_raw = nonce = ke = None
    ids: list[IdPayload] = []
    while nxt:
        if i + 4 > end:
            return None
        plen = (pt[i + 2] << 8) | pt[i + 3]
        j = i + plen
        if plen < 4 or j > end:
            return None
        if nxt == Payload.SA and sa_raw is None:
            sa_raw = pt[i:j]
        elif nxt == Payload.NONCE and nonce is None:
            nonce = pt[i + 4:j]
        elif nxt == Payload.HASH and i == 0:
            hash_, rest_at = pt[4:j], j
        elif nxt == Payload.KE and ke is None:
            ke = pt[i + 4:j]
        elif nxt == Payload.ID and plen >= 8:
            t, proto, port = _ID.unpack_from(pt, i + 4)
            ids.append(IdPayload(t, pt[i + 8:j], proto, port, pt[i:j]))
        else:
            return None
        nxt, i = pt[i], j
    if end - i > block:
        return None  # padding longer than a block: the decoder's refusal
    sa = None
    if sa_raw is not None:
        sa = sa_view(sa_raw)
        if sa is None:
            return None
    return _Qm(hash_, pt[rest_at:i], sa, nonce, ke, ids)


class _QmError(Exception):
    def __init__(self, notify: int, reason: str, spi: bytes = b"") -> None:
        super().__init__(reason)
        self.notify, self.reason, self.spi = notify, reason, spi


class _Unauthenticated(Exception):
    """The message's HASH does not verify: damaged or forged; dropped, the exchange goes on
    (phase 1's keys are agreed, so it cannot be a key mismatch)."""


class QuickMixin(_Endpoint):
    def _quick_start(self, sa: IkeSa, child_name: str, now: float,
                     rekey_of: int | None = None) -> None:
        child = sa.config.child(child_name)
        if child is None:
            return
        msgid = self._new_msgid(sa)
        ex = ExchangeState("quick", "initiator", msgid, State.QM1_SENT, now)
        ex.child = child
        ex.rekey_of = rekey_of
        ex.our_spi = self.sadb.new_spi()
        ex.ni = self._nonce()
        proposals = child.proposals
        if sa.floated and sa.natt is not None:  # UDP-encapsulated ESP (RFC 3947 §5)
            proposals = _udp_proposals(proposals, sa.natt)
        # the chain SA, Ni [, KE] [, IDci, IDcr] encoded straight from the bodies
        items = [(Payload.SA, ipsec_sa_body(proposals, ex.our_spi)), (Payload.NONCE, ex.ni)]
        if child.pfs_group:
            ex.group = child.pfs_group
            ex.x = GROUPS[ex.group].private(self.rng)
            ex.ke_i = GROUPS[ex.group].public(ex.x)
            items.append((Payload.KE, ex.ke_i))
        ids = child.ids()
        if ids is not None:
            items += [(Payload.ID, _id_body(*ids[0])), (Payload.ID, _id_body(*ids[1]))]
        first, chain = _chain(items)
        keys = self._phase2_keys(sa)
        mid = msgid.to_bytes(4, "big")
        _, chain = hash_first(keys.prf(mid + chain), first, chain)  # HASH(1)
        out, ex.iv = self._qm_seal(sa, keys, msgid, chain, keys.iv(mid))
        sa.exchanges[msgid] = ex
        self._send_exchange(sa, ex, out, now, expect_reply=True)

    def _quick_receive(self, sa: IkeSa, msg: Message, data: bytes, now: float) -> None:
        ex = sa.exchanges.get(msg.message_id)
        if ex is not None and data == ex.last_received:
            if ex.last_sent is not None:
                self._emit(sa, ex.last_sent, sa.peer)
            return
        if msg.message_id == 0:
            raise DecodeError("quick mode with message ID 0", Notify.INVALID_MESSAGE_ID)
        if ex is None:
            self._qm_responder_start(sa, msg, data, now)
        else:
            self._transition(sa, ex, msg, data, now)

    def _qm_open(self, sa: IkeSa, msg: Message, iv: bytes) -> tuple[_Qm, bytes]:
        """Decrypt a quick mode message: (its parts, next IV). A message that does not decrypt
        or lacks its HASH is `_Unauthenticated`. The usual message is read straight from its
        bytes (`_read_qm`); any other goes through the endpoint's decryption and decoder."""
        if msg.flags & Flag.ENCRYPTED:
            try:
                keys = self._phase2_keys(sa)
                block = keys.block
                pt = keys.decrypt(iv, msg.body)
            except CryptoError:
                pt = None  # refused again below, with the same words
            if pt is not None:
                qm = _read_qm(msg.next_payload, pt, block)
                if qm is not None:
                    return qm, msg.body[-block:]
        try:
            payloads, next_iv = self._decrypt(sa, msg, iv)
        except DecryptError as e:
            raise _Unauthenticated(f"undecryptable ({e})") from None
        if not payloads or not isinstance(payloads[0], HashPayload):
            raise _Unauthenticated("without HASH")
        return _Qm.of(payloads), next_iv

    def _qm_responder_start(self, sa: IkeSa, msg: Message, data: bytes, now: float) -> None:
        """Message 1 of a quick mode the peer starts: the exchange opens in QM2_SENT (under
        `_qm_run`'s error policy, without a move of the table: there is no exchange yet)."""
        try:
            iv = self._phase2_keys(sa).iv(msg.message_id.to_bytes(4, "big"))
        except CryptoError:  # unusable keys: the IV all the same, refused as before
            iv = crypto.phase2_iv(sa.proposal.hash, sa.p1_last_block, msg.message_id,
                                  sa.proposal.block)
        try:
            qm, next_iv = self._qm_open(sa, msg, iv)
            self._qm_responder(sa, msg.message_id, qm, data, next_iv, now)
        except _QmError as e:
            self._qm_fail(sa, msg.message_id, None, e, now)
        except _Unauthenticated as e:
            self._dropped(sa.peer, 2, f"quick mode {e}", AUTHENTICATION_FAILED,
                          Notify.INVALID_HASH_INFORMATION)

    def _qm_run(self, handler: Callable[..., None], move: Move | None, sa: IkeSa,
                ex: ExchangeState | None, msg: Message, data: bytes, now: float) -> bool:
        """Run a quick mode handler under quick mode's error policy; True = the move happened.
        Phase 1's keys are agreed, so a message failing authentication is damaged or forged:
        dropped and counted. A refusal on its merits fails the exchange, phase 1 stays."""
        try:
            handler(sa, ex, msg, data, now)
            return True
        except _QmError as e:
            self._qm_fail(sa, msg.message_id, ex, e, now)
        except _Unauthenticated as e:
            self._dropped(sa.peer, 2, f"quick mode {e}", AUTHENTICATION_FAILED,
                          Notify.INVALID_HASH_INFORMATION)
        return False

    def _qm_QM1_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        """Initiator: message 2 in, message 3 out, SAs installed."""
        qm, next_iv = self._qm_open(sa, msg, ex.iv)
        self._qm_initiator_reply(sa, ex, qm, data, next_iv, now)

    def _qm_QM2_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        """Responder: message 3 in (HASH(3) only), SAs installed."""
        qm, _ = self._qm_open(sa, msg, ex.iv)
        mid = msg.message_id.to_bytes(4, "big")
        want = self._phase2_keys(sa).prf(b"\0" + mid + ex.ni + ex.nr)
        if not hmac.compare_digest(qm.hash, want):
            raise _Unauthenticated("HASH(3) mismatch")
        ex.last_received = data
        ex.last_sent = None
        self._finish_exchange(sa, ex, now)
        self._qm_install(sa, ex, now)

    def _qm_fail(self, sa: IkeSa, msgid: int, ex: ExchangeState | None, e: _QmError,
                 now: float) -> None:
        self._send_info(sa, [NotifyPayload(e.notify, Proto.ESP, e.spi)])
        child = ex.child.name if ex is not None and ex.child is not None else None
        self._event(NegotiationFailed(sa.peer, 2, e.reason, e.notify, True, child))
        if ex is not None:
            sa.exchanges.pop(msgid, None)
            self.sadb.release_spi(ex.our_spi)
            self._requeue_rekey_ipsec(ex)

    def _qm_responder(self, sa: IkeSa, msgid: int, qm: _Qm, data: bytes, iv: bytes,
                      now: float) -> None:
        mid = msgid.to_bytes(4, "big")
        keys = self._phase2_keys(sa)
        if not hmac.compare_digest(qm.hash, keys.prf(mid + qm.rest)):
            raise _Unauthenticated("HASH(1) mismatch")
        sa_p, ni, ke, ids = qm.sa, qm.nonce, qm.ke, qm.ids
        if sa_p is None or ni is None:
            raise DecodeError("quick mode message 1 without SA or nonce", Notify.PAYLOAD_MALFORMED)
        child = self._qm_child(sa, ids)
        if child is None:
            raise _QmError(Notify.INVALID_ID_INFORMATION, INVALID_ID)
        spi_hint = sa_p.spis[0]
        our_spi = self.sadb.new_spi()
        try:
            agreed, peer_spi, reply_sa = choose_ipsec_offer(sa_p, child.proposals, our_spi)
        except NoProposalChosen:
            self.sadb.release_spi(our_spi)
            raise _QmError(Notify.NO_PROPOSAL_CHOSEN, NO_PROPOSAL_CHOSEN, spi_hint) from None
        ex = ExchangeState("quick", "responder", msgid, State.QM2_SENT, now)
        ex.child, ex.proposal, ex.our_spi, ex.peer_spi = child, agreed, our_spi, peer_spi
        ex.ni, ex.nr = ni, self._nonce()
        items = [(Payload.SA, reply_sa), (Payload.NONCE, ex.nr)]
        if agreed.pfs_group:
            if ke is None:
                self.sadb.release_spi(our_spi)
                raise _QmError(Notify.NO_PROPOSAL_CHOSEN, NO_PROPOSAL_CHOSEN, spi_hint)
            group = GROUPS[agreed.pfs_group]
            ex.x = group.private(self.rng)
            ex.ke_r = group.public(ex.x)
            try:
                ex.ke_i = group.shared(ex.x, ke)  # g^xy kept in ke_i for KEYMAT
            except CryptoError:
                self.sadb.release_spi(our_spi)
                raise _QmError(Notify.INVALID_KEY_INFORMATION, INVALID_KEY, spi_hint) from None
            items.append((Payload.KE, ex.ke_r))
        elif ke is not None:
            self.sadb.release_spi(our_spi)
            raise _QmError(Notify.NO_PROPOSAL_CHOSEN, NO_PROPOSAL_CHOSEN, spi_hint)
        items += [(Payload.ID, _id_body(p.id_type, p.data, p.protocol, p.port)) for p in ids]
        first, chain = _chain(items)
        _, chain = hash_first(keys.prf(mid + ex.ni + chain), first, chain)  # HASH(2)
        ex.last_received = data
        out, ex.iv = self._qm_seal(sa, keys, msgid, chain, iv)
        sa.exchanges[msgid] = ex
        self._send_exchange(sa, ex, out, now, expect_reply=True)

    def _qm_child(self, sa: IkeSa, ids: list) -> ChildConfig | None:
        if not ids:
            return sa.config.child_without_ids
        children = sa.config.children
        if len(ids) != 2:
            return None
        theirs = ((ids[0].id_type, ids[0].data), (ids[1].id_type, ids[1].data))
        for c in children:
            mine = c.ids()
            if mine is not None and (mine[1], mine[0]) == theirs:
                return c
        return None

    def _qm_initiator_reply(self, sa: IkeSa, ex: ExchangeState, qm: _Qm, data: bytes,
                            iv: bytes, now: float) -> None:
        mid = ex.message_id.to_bytes(4, "big")
        keys = self._phase2_keys(sa)
        if not hmac.compare_digest(qm.hash, keys.prf(mid + ex.ni + qm.rest)):
            raise _Unauthenticated("HASH(2) mismatch")
        sa_p, nr, ke = qm.sa, qm.nonce, qm.ke
        if sa_p is None or nr is None:
            raise DecodeError("quick mode message 2 without SA or nonce", Notify.PAYLOAD_MALFORMED)
        try:
            agreed, peer_spi = ipsec_from_reply_offer(sa_p, ex.child.proposals)
        except NoProposalChosen:
            raise _QmError(Notify.NO_PROPOSAL_CHOSEN, NO_PROPOSAL_CHOSEN) from None
        if agreed.pfs_group:
            if ke is None:
                raise _QmError(Notify.NO_PROPOSAL_CHOSEN, NO_PROPOSAL_CHOSEN)
            try:
                ex.ke_i = GROUPS[agreed.pfs_group].shared(ex.x, ke)  # g^xy
            except CryptoError:
                raise _QmError(Notify.INVALID_KEY_INFORMATION, INVALID_KEY) from None
        else:
            ex.ke_i = b""
        ex.proposal, ex.peer_spi, ex.nr = agreed, peer_spi, nr
        ex.last_received = data
        h3 = keys.prf(b"\0" + mid + ex.ni + ex.nr)
        out, ex.iv = self._qm_seal(sa, keys, ex.message_id,
                                   _GEN.pack(0, 0, len(h3) + 4) + h3, iv)  # HDR*, HASH(3)
        self._send_exchange(sa, ex, out, now, expect_reply=False)
        self._finish_exchange(sa, ex, now)
        self._qm_install(sa, ex, now)

    def _qm_install(self, sa: IkeSa, ex: ExchangeState, now: float) -> None:
        p = ex.proposal
        h = sa.proposal.hash
        n = p.enc_key_len + p.auth_key_len
        gxy = ex.ke_i if p.pfs_group else b""
        km_in, km_out = crypto.keymat_pair(h, sa.skeyid_d, p.proto_id, ex.our_spi, ex.peer_spi,
                                           ex.ni, ex.nr, n, gxy, sa.crypto_cache)
        e = p.enc_key_len
        ipsec = IpsecSa(sa.peer, ex.child.name, ex.role, p, ex.our_spi, ex.peer_spi, now,
                        km_in[:e], km_in[e:], km_out[:e], km_out[e:], sa.config.soft_fraction)
        old = None
        if ex.rekey_of is not None:
            old = self.sadb.ipsec.get(ex.rekey_of)
        elif ex.role == "responder":
            old = self.sadb.current_ipsec(sa.peer, ex.child.name)
        ipsec.ike = sa
        sa.ipsec_created += 1
        self.sadb.add_ipsec(ipsec)
        if old is not None:
            old.superseded = True
            self._touch(old)
            self._event(SaRekeyed(sa.peer, "ipsec", f"{old.inbound_spi:08x}",
                                  f"{ipsec.inbound_spi:08x}", ex.child.name))
            if ex.role == "initiator":
                self._qm_send_delete(old)
                self._remove_ipsec(old, "rekeyed", quiet=True)
            return
        self._event(Phase2Up(sa.peer, ex.child.name, ex.role, p.protocol, ex.our_spi,
                             ex.peer_spi, p.cipher, p.auth, p.pfs_group, p.lifetime_s,
                             p.lifetime_kb))

    def _qm_send_delete(self, old: IpsecSa) -> None:
        """`_send_delete_ipsec(old)` for the SA a rekey replaced: the informational exchange
        HDR*, HASH(1), D(old inbound SPI) on the newest IKE SA with the peer, its chain made
        from the Delete payload's body (every IPsec rekey sends one)."""
        ike = self.sadb.ike_for(old.peer)
        if ike is None:
            return
        msgid = self._new_msgid(ike)
        body = _DELETE.pack(DOI_IPSEC, old.proposal.proto_id, 4, 1) + \
            old.inbound_spi.to_bytes(4, "big")
        self._seal_info(ike, self._phase2_keys(ike), msgid, Payload.D,
                        _GEN.pack(0, 0, len(body) + 4) + body)


__all__ = ["QuickMixin", "Malformed"]
