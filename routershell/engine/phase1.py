"""Phase 1 (RFC 2409 §5): Main Mode (6 messages) and Aggressive Mode (3), PSK or RSA signatures.

A mixin of `IkeEndpoint`; it uses the endpoint's plumbing (`_send_exchange`, `_encrypt`, ...).
Retransmission rule for every exchange: a message that expects an answer is retransmitted on
the peer's `Schedule`; a received copy of the peer's last message makes us resend our answer.
Which handler runs for a message is machine.py's table. A message that fails decryption or
authentication is dropped and counted with the exchange's state untouched (`_p1_run`,
`_p1_rejected`); the same bytes refused twice (the peer's retransmission) end the exchange
with an unencrypted notify (the keys may differ) and
`NegotiationFailed(reason="authentication-failed")` on both sides. See docs/engine.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
from typing import TYPE_CHECKING, Any

from cryptography import x509

from . import crypto, natt
from .constants import DPD_VENDOR_ID, CertEncoding, Exchange, IdType, Notify, Proto
from .crypto import GROUPS, CryptoError, DecryptError
from .events import (
    AUTHENTICATION_FAILED,
    INVALID_ID,
    INVALID_KEY,
    NO_PROPOSAL_CHOSEN,
    UNKNOWN_PEER,
    Malformed,
    NatDetected,
    NegotiationFailed,
    Phase1Up,
    SaRekeyed,
)
from .isakmp import (
    CertPayload,
    CrPayload,
    DecodeError,
    HashPayload,
    IdPayload,
    KePayload,
    Message,
    NatDDraftPayload,
    NatDPayload,
    NoncePayload,
    NotifyPayload,
    SaPayload,
    SigPayload,
    VendorIdPayload,
    encode_message,
    encode_payloads,
)
from .machine import Move, SaState, State, opening
from .peer import PeerConfig
from .proposals import IkeProposal, NoProposalChosen, choose_ike, ike_from_reply, ike_sa_payload
from .sa import ZERO_COOKIE, ExchangeState, IkeSa

if TYPE_CHECKING:  # a mixin of IkeEndpoint: type-check against it
    from collections.abc import Callable

    from .ike import IkeEndpoint as _Endpoint
else:
    _Endpoint = object

_MODE = {Exchange.MAIN: "main", Exchange.AGGRESSIVE: "aggressive"}

# how many rejected messages an exchange remembers (to recognise the peer's retransmission)
_REJECTED_KEPT = 4
_EXCH = {"main": Exchange.MAIN, "aggressive": Exchange.AGGRESSIVE}


@functools.cache
def _initiator_opening(mode: str) -> State:
    return opening(mode, "initiator")  # enum look-ups, the same answer every attempt


@functools.lru_cache(maxsize=256)
def _main_mode_offer(proposals: tuple[IkeProposal, ...], nat_traversal: str
                     ) -> tuple[bytes, int, bytes]:
    """(SA body, first payload type, payload chain) of main mode message 1: the same bytes
    for every attempt with these proposals, so a peer retried all day is encoded once."""
    sa_payload = ike_sa_payload(proposals)
    vids = [] if nat_traversal == "off" else [VendorIdPayload(v) for v in natt.ALL_VIDS]
    first, chain = encode_payloads((sa_payload, *vids))
    return sa_payload.body(), first, chain


@functools.lru_cache(maxsize=1024)
def _packed(ip: str) -> bytes:
    return ipaddress.ip_address(ip).packed


def _nat_d_hash(hash_name: str, icookie: bytes, rcookie: bytes, ip: str, port: int) -> bytes:
    """`natt.nat_d_hash`, the address packed once per address (four per phase 1 and side)."""
    return natt.NAT_D_HASHES.get(hash_name, hashlib.sha1)(
        icookie + rcookie + _packed(ip) + port.to_bytes(2, "big")).digest()


class _AuthError(Exception):
    def __init__(self, notify: int, reason: str = AUTHENTICATION_FAILED,
                 undecryptable: bool = False) -> None:
        super().__init__(reason)
        self.notify = notify
        self.reason = reason
        self.undecryptable = undecryptable


class Phase1Mixin(_Endpoint):
    # ------------------------------------------------------------------ start

    def _start_phase1(self, cfg: PeerConfig, now: float, rekey_of: tuple | None = None) -> IkeSa:
        sa = IkeSa(self.sadb.new_cookie(), ZERO_COOKIE, cfg.addr, "initiator", cfg.mode, now, cfg)
        sa.rekey_of = rekey_of
        sa.soft_fraction = cfg.soft_fraction
        ex = ExchangeState(cfg.mode, "initiator", 0, _initiator_opening(cfg.mode), now)
        sa.p1 = ex
        self.sadb.ike[sa.key] = sa
        if cfg.mode == "main":
            ex.sai_b, first_type, chain = _main_mode_offer(tuple(cfg.ike_proposals),
                                                           cfg.nat_traversal)
            data = encode_message(sa.icookie, ZERO_COOKIE, Exchange.MAIN, first_type, chain)
        else:
            sa_payload = ike_sa_payload(cfg.ike_proposals)
            ex.sai_b = sa_payload.body()
            # aggressive mode commits to one group and, in practice, one auth method
            first = cfg.ike_proposals[0]
            sa.auth = first.auth
            ex.group = first.dh_group
            ex.x = GROUPS[ex.group].private(self.rng)
            ex.ke_i = GROUPS[ex.group].public(ex.x)
            ex.ni = self._nonce()
            idt, idd = cfg.identity(self.local[0], sa.auth)
            idp = IdPayload(idt, idd)
            ex.ids = (idp.body(),)
            sa.local_id = idd
            payloads: list = [sa_payload, KePayload(ex.ke_i), NoncePayload(ex.ni), idp]
            payloads += self._p1_extras(sa)
            payloads += self._natt_vids(cfg)
            data = Message(sa.icookie, ZERO_COOKIE, Exchange.AGGRESSIVE, 0, tuple(payloads)).encode()
        self._send_exchange(sa, ex, data, now, expect_reply=True)
        return sa

    def _p1_extras(self, sa: IkeSa) -> list:
        """CR (certificate request) and the DPD vendor ID, sent in MM3/MM4 and AM1/AM2."""
        out: list = []
        if sa.auth == "rsa-sig":
            out.append(CrPayload(CertEncoding.X509_SIG))
        if sa.config.dpd is not None:
            out.append(VendorIdPayload(DPD_VENDOR_ID))
            sa.dpd_vid_sent = True
        return out

    # ------------------------------------------------------------------ NAT traversal (RFC 3947)

    @staticmethod
    def _natt_vids(cfg: Any) -> list:
        if cfg.nat_traversal == "off":
            return []
        return [VendorIdPayload(v) for v in natt.ALL_VIDS]

    @staticmethod
    def _natt_agree(sa: IkeSa, msg_payloads: list | tuple) -> list:
        """Record the NAT-T dialect the peer announced; the VID to answer with (responder)."""
        if sa.config.nat_traversal == "off":
            return []
        vids = [p.data for p in msg_payloads if isinstance(p, VendorIdPayload)]
        sa.natt = natt.nat_t_version(vids)
        if sa.natt == "rfc3947":
            return [VendorIdPayload(natt.RFC3947_VID)]
        if sa.natt == "draft":
            return [VendorIdPayload(next(v for v in vids if v in natt.DRAFT_VIDS))]
        return []

    def _nat_d_payloads(self, sa: IkeSa) -> list:
        """NAT-D for the peer's address as we address it, then our own (faked when forcing
        encapsulation, so the peer believes we sit behind a NAT)."""
        if sa.natt is None:
            return []
        cls = NatDPayload if sa.natt == "rfc3947" else NatDDraftPayload
        h = sa.proposal.hash
        remote = _nat_d_hash(h, sa.icookie, sa.rcookie, sa.peer[0], sa.peer[1])
        if sa.config.nat_traversal == "force":
            local = self.rng.getrandbits(8 * len(remote)).to_bytes(len(remote), "big")
        else:
            local = _nat_d_hash(h, sa.icookie, sa.rcookie, self.local[0], self.local[1])
        return [cls(remote), cls(local)]

    def _nat_d_check(self, sa: IkeSa, msg_payloads: list | tuple) -> None:
        """Compare the peer's NAT-D hashes with our address and the one we talk to."""
        if sa.natt is None:
            return
        got = [p.data for p in msg_payloads if isinstance(p, NatDPayload | NatDDraftPayload)]
        if not got:
            return
        h = sa.proposal.hash
        mine = _nat_d_hash(h, sa.icookie, sa.rcookie, self.local[0], self.local[1])
        theirs = _nat_d_hash(h, sa.icookie, sa.rcookie, sa.peer[0], sa.peer[1])
        sa.nat_local = got[0] != mine or sa.config.nat_traversal == "force"
        sa.nat_remote = theirs not in got[1:]
        if sa.role == "initiator" and (sa.nat_local or sa.nat_remote):
            sa.floated = True
            sa.float_port = sa.config.nat_port
        self._event(NatDetected(sa.peer, sa.nat_local, sa.nat_remote, sa.floated))

    @staticmethod
    def _note_vids(sa: IkeSa, msg_payloads: list | tuple) -> None:
        if any(isinstance(p, VendorIdPayload) and p.data == DPD_VENDOR_ID for p in msg_payloads):
            sa.dpd_vid_received = True

    # ------------------------------------------------------------------ responder, message 1

    def _p1_responder_start(self, msg: Message, data: bytes, src: tuple, now: float) -> None:
        mode = _MODE[msg.exchange]
        cfg = self._config(src)
        if cfg is None:
            self._event(NegotiationFailed(src, 1, UNKNOWN_PEER, None, False))
            return
        sa_p = msg.first(SaPayload)
        if sa_p is None or msg.message_id != 0:
            self._event(Malformed(src, "phase 1 message 1 without SA", Notify.PAYLOAD_MALFORMED))
            return
        sa = IkeSa(msg.icookie, self.sadb.new_cookie(), src, "responder", mode, now, cfg)
        sa.soft_fraction = cfg.soft_fraction
        try:
            agreed, reply_sa = choose_ike(sa_p, cfg.ike_proposals)
        except NoProposalChosen:
            self._send_clear_notify(sa, Notify.NO_PROPOSAL_CHOSEN)
            self._event(NegotiationFailed(src, 1, NO_PROPOSAL_CHOSEN, Notify.NO_PROPOSAL_CHOSEN,
                                          True))
            return
        self._set_proposal(sa, agreed)
        ex = ExchangeState(mode, "responder", 0, opening(mode, "responder"), now)
        ex.sai_b = sa_p.raw[4:]
        ex.last_received = data
        ex.group = agreed.dh_group
        sa.p1 = ex
        self.sadb.ike[sa.key] = sa
        self._resp_index[(src, sa.icookie)] = sa
        self._count_in(sa, data)
        nat_vid = self._natt_agree(sa, msg.payloads)
        self._note_vids(sa, msg.payloads)  # many peers (strongSwan) send all VIDs in message 1
        if mode == "main":
            reply = Message(sa.icookie, sa.rcookie, Exchange.MAIN, 0, (reply_sa, *nat_vid))
            self._send_exchange(sa, ex, reply.encode(), now, expect_reply=True)
            return
        # aggressive: HDR, SA, KE, Ni, IDii -> HDR, SA, KE, Nr, IDir, HASH_R | CERT, SIG_R
        ke, ni, idp = msg.first(KePayload), msg.first(NoncePayload), msg.first(IdPayload)
        if ke is None or ni is None or idp is None:
            self._p1_fail(sa, Notify.PAYLOAD_MALFORMED, "peer-notify", send=True)
            return
        self._note_vids(sa, msg.payloads)
        ex.ke_i, ex.ni = ke.data, ni.data
        ex.ids = (idp,)
        try:
            self._p1_keys(sa, ex, responder=True)
        except CryptoError:
            self._p1_fail(sa, Notify.INVALID_KEY_INFORMATION, INVALID_KEY, send=True)
            return
        payloads = [reply_sa, KePayload(ex.ke_r), NoncePayload(ex.nr)]
        payloads += self._auth_payloads(sa, ex, initiator=False)
        payloads += self._p1_extras(sa)
        payloads += nat_vid + self._nat_d_payloads(sa)
        reply = Message(sa.icookie, sa.rcookie, Exchange.AGGRESSIVE, 0, tuple(payloads))
        self._send_exchange(sa, ex, reply.encode(), now, expect_reply=True)

    @staticmethod
    def _set_proposal(sa: IkeSa, agreed: IkeProposal) -> None:
        sa.proposal = agreed
        sa.auth = agreed.auth
        sa.lifetime_s = agreed.lifetime_s
        sa.lifetime_kb = agreed.lifetime_kb

    # ------------------------------------------------------------------ later messages

    def _p1_receive(self, sa: IkeSa, msg: Message, data: bytes, now: float) -> None:
        ex = sa.p1
        if ex is not None and data == ex.last_received:
            if ex.last_sent is not None:
                self._emit(sa, ex.last_sent, sa.peer)
            return
        if ex is None:  # phase 1 long finished (its state purged)
            self._refuse(sa, None, "phase 1 message after phase 1 finished")
            return
        if data == ex.last_sent:  # our own message sent back to us
            self._refuse(sa, ex, "our own message reflected")
            return
        self._transition(sa, ex, msg, data, now)

    def _p1_run(self, handler: Callable[..., None], move: Move, sa: IkeSa, ex: ExchangeState,
                msg: Message, data: bytes, now: float) -> bool:
        """Run a phase 1 handler under phase 1's error policy; True = the move happened."""
        if move.auth:
            # an authenticated message that fails is dropped with the state as it was, unless
            # the same bytes failed before (_p1_rejected)
            saved = (dict(sa.__dict__), dict(ex.__dict__), sa.key)
            try:
                handler(sa, ex, msg, data, now)
                return True
            except (_AuthError, NoProposalChosen, CryptoError) as e:
                self._p1_rejected(sa, ex, data, e, saved)
                return False
            except DecodeError:
                # not even shaped like the message expected here (e.g. a replayed older
                # message in the clear): malformed, and no evidence about the keys
                self._p1_restore(sa, ex, saved)
                raise
        try:
            handler(sa, ex, msg, data, now)
            return True
        except NoProposalChosen:
            self._p1_fail(sa, Notify.NO_PROPOSAL_CHOSEN, NO_PROPOSAL_CHOSEN, send=True)
        except _AuthError as e:
            self._p1_fail(sa, e.notify, e.reason, send=True)
        except CryptoError:
            self._p1_fail(sa, Notify.INVALID_KEY_INFORMATION, INVALID_KEY, send=True)
        return False

    def _p1_restore(self, sa: IkeSa, ex: ExchangeState, saved: tuple) -> None:
        """Undo what a handler did with a message it then refused (cookies, keys, IDs...)."""
        sa_state, ex_state, key = saved
        if sa.key != key:
            self.sadb.ike.pop(sa.key, None)
            sa.__dict__.update(sa_state)
            self.sadb.ike[sa.key] = sa
        sa.__dict__.update(sa_state)
        ex.__dict__.update(ex_state)

    def _p1_rejected(self, sa: IkeSa, ex: ExchangeState, data: bytes, e: Exception,
                     saved: tuple) -> None:
        """A message failed decryption or authentication. A corrupted or forged copy must not
        cost the SA: it is dropped and counted, and the exchange goes on with the genuine
        message or a retransmission. The same bytes failing again are the peer's own
        retransmission: the keys (or the peer's credentials) really differ, so the exchange
        fails as before; otherwise its timeout reports what was seen."""
        if isinstance(e, _AuthError):
            notify, reason = e.notify, e.reason
        elif isinstance(e, NoProposalChosen):
            notify, reason = Notify.NO_PROPOSAL_CHOSEN, NO_PROPOSAL_CHOSEN
        elif isinstance(e, DecryptError):
            notify, reason = Notify.INVALID_HASH_INFORMATION, AUTHENTICATION_FAILED
        else:
            notify, reason = Notify.INVALID_KEY_INFORMATION, INVALID_KEY
        digest = hashlib.blake2b(data, digest_size=16).digest()
        # Once the peer has accepted our proof (we wait for MM6 or AM3) the keys are the same:
        # a message that does not decrypt is damaged or forged however often it comes.
        keys_agreed = ex.state in (State.MM5_SENT, State.AM2_SENT) and (
            isinstance(e, DecryptError) or getattr(e, "undecryptable", False))
        if digest in ex.rejected and not keys_agreed:
            # fail with what the handler learnt (e.g. the peer's cookie)
            self._p1_fail(sa, notify, reason, send=True)
            return
        self._p1_restore(sa, ex, saved)
        ex.rejected = (*ex.rejected[-(_REJECTED_KEPT - 1):], digest)
        ex.rejection = (notify, reason)
        self._dropped(sa.peer, 1, f"phase 1 message refused in {ex.state}: {reason}", reason,
                      notify)

    def _p1_fail(self, sa: IkeSa, notify: int, reason: str, send: bool) -> None:
        if send:
            ex = sa.p1
            if sa.role == "initiator" and ex is not None and ex.state == "MM5_SENT":
                # the responder is already up with the same keys: tell it encrypted
                sa.p1_last_block = ex.iv
                self._send_info(sa, [NotifyPayload(notify, Proto.ISAKMP,
                                                   sa.icookie + sa.rcookie)])
            else:
                self._send_clear_notify(sa, notify)
        self._event(NegotiationFailed(sa.peer, 1, reason, notify, send))
        self._abandon_ike(sa)

    def _need(self, msg_payloads: list | tuple, *classes: type) -> list:
        found = []
        for cls in classes:
            p = next((x for x in msg_payloads if isinstance(x, cls)), None)
            if p is None:
                raise DecodeError(f"missing {cls.__name__}", Notify.PAYLOAD_MALFORMED)
            found.append(p)
        return found

    # main mode, initiator
    def _p1_MM1_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        (reply_sa,) = self._need(msg.payloads, SaPayload)
        if msg.rcookie == ZERO_COOKIE:
            raise DecodeError("responder cookie is zero", Notify.INVALID_COOKIE)
        self.sadb.rekey_ike(sa, msg.rcookie)
        agreed = ike_from_reply(reply_sa, sa.config.ike_proposals)
        self._set_proposal(sa, agreed)
        self._natt_agree(sa, msg.payloads)
        self._note_vids(sa, msg.payloads)
        ex.last_received = data
        ex.group = agreed.dh_group
        ex.x = GROUPS[ex.group].private(self.rng)
        ex.ke_i = GROUPS[ex.group].public(ex.x)
        ex.ni = self._nonce()
        payloads = [KePayload(ex.ke_i), NoncePayload(ex.ni), *self._p1_extras(sa),
                    *self._nat_d_payloads(sa)]
        out = Message(sa.icookie, sa.rcookie, Exchange.MAIN, 0, tuple(payloads))
        self._send_exchange(sa, ex, out.encode(), now, expect_reply=True)

    # main mode, responder
    def _p1_MM2_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        ke, ni = self._need(msg.payloads, KePayload, NoncePayload)
        self._note_vids(sa, msg.payloads)
        ex.last_received = data
        ex.ke_i, ex.ni = ke.data, ni.data
        self._p1_keys(sa, ex, responder=True)
        self._nat_d_check(sa, msg.payloads)
        payloads = [KePayload(ex.ke_r), NoncePayload(ex.nr), *self._p1_extras(sa),
                    *self._nat_d_payloads(sa)]
        out = Message(sa.icookie, sa.rcookie, Exchange.MAIN, 0, tuple(payloads))
        self._send_exchange(sa, ex, out.encode(), now, expect_reply=True)

    def _p1_MM3_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        ke, nr = self._need(msg.payloads, KePayload, NoncePayload)
        self._note_vids(sa, msg.payloads)
        ex.last_received = data
        ex.ke_r, ex.nr = ke.data, nr.data
        self._p1_keys(sa, ex, responder=False)
        self._nat_d_check(sa, msg.payloads)  # may float: MM5 leaves on the NAT-T port
        payloads = self._auth_payloads(sa, ex, initiator=True)
        out, ex.iv = self._encrypt(sa, Exchange.MAIN, 0, payloads, ex.iv)
        self._send_exchange(sa, ex, out, now, expect_reply=True)

    def _p1_MM4_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        try:
            payloads, next_iv = self._decrypt(sa, msg, ex.iv)
        except DecryptError:
            # garbage after decryption: a pre-shared key mismatch, or a damaged copy
            raise _AuthError(Notify.INVALID_HASH_INFORMATION, undecryptable=True) from None
        ex.last_received = data
        ex.iv = next_iv
        self._verify_auth(sa, ex, payloads, peer_is_initiator=True)
        reply = self._auth_payloads(sa, ex, initiator=False)
        out, ex.iv = self._encrypt(sa, Exchange.MAIN, 0, reply, ex.iv)
        self._send_exchange(sa, ex, out, now, expect_reply=False)
        self._p1_established(sa, ex, now)

    def _p1_MM5_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        try:
            payloads, next_iv = self._decrypt(sa, msg, ex.iv)
        except DecryptError:
            raise _AuthError(Notify.INVALID_HASH_INFORMATION, undecryptable=True) from None
        ex.last_received = data
        ex.iv = next_iv
        self._verify_auth(sa, ex, payloads, peer_is_initiator=False)
        ex.last_sent = None
        self._p1_established(sa, ex, now)

    # aggressive mode
    def _p1_AM1_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        reply_sa, ke, nr, idp = self._need(msg.payloads, SaPayload, KePayload, NoncePayload,
                                           IdPayload)
        if msg.rcookie == ZERO_COOKIE:
            raise DecodeError("responder cookie is zero", Notify.INVALID_COOKIE)
        self.sadb.rekey_ike(sa, msg.rcookie)
        agreed = ike_from_reply(reply_sa, sa.config.ike_proposals)
        if agreed.dh_group != ex.group or agreed.auth != sa.auth:
            raise NoProposalChosen("aggressive reply changed the group or auth method")
        self._set_proposal(sa, agreed)
        self._note_vids(sa, msg.payloads)
        self._natt_agree(sa, msg.payloads)
        ex.last_received = data
        ex.ke_r, ex.nr = ke.data, nr.data
        self._p1_keys(sa, ex, responder=False)
        self._verify_auth(sa, ex, msg.payloads, peer_is_initiator=False)
        self._nat_d_check(sa, msg.payloads)
        # HASH_I is computed over our own ID from message 1
        auth = self._auth_payloads(sa, ex, initiator=True)[1:] + self._nat_d_payloads(sa)
        out = Message(sa.icookie, sa.rcookie, Exchange.AGGRESSIVE, 0, tuple(auth))
        self._send_exchange(sa, ex, out.encode(), now, expect_reply=False)
        self._p1_established(sa, ex, now)

    def _p1_AM2_SENT(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                     now: float) -> None:
        if msg.flags & 1:
            # undecryptable: the keys differ (pre-shared key) or the copy was damaged
            payloads, ex.iv = self._decrypt(sa, msg, ex.iv)  # DecryptError: authentication
        else:
            payloads = list(msg.payloads)
        ex.last_received = data
        self._verify_auth(sa, ex, [ex.ids[0], *payloads], peer_is_initiator=True)
        self._nat_d_check(sa, payloads)
        ex.last_sent = None
        self._p1_established(sa, ex, now)

    # ------------------------------------------------------------------ keys and auth

    def _p1_keys(self, sa: IkeSa, ex: ExchangeState, responder: bool) -> None:
        p = sa.proposal
        group = GROUPS[p.dh_group]
        if responder:
            ex.x = group.private(self.rng)
            ex.ke_r = group.public(ex.x)
            ex.nr = self._nonce()
            peer_ke = ex.ke_i
        else:
            peer_ke = ex.ke_r
        sa.gxy = group.shared(ex.x, peer_ke)  # CryptoError on a bad value
        if sa.auth == "psk":
            sa.skeyid = crypto.skeyid_psk(p.hash, sa.config.psk, ex.ni, ex.nr)
        else:
            sa.skeyid = crypto.skeyid_sig(p.hash, ex.ni, ex.nr, sa.gxy)
        sa.skeyid_d, sa.skeyid_a, sa.skeyid_e = crypto.derive_skeyids(
            p.hash, sa.skeyid, sa.gxy, sa.icookie, sa.rcookie)
        sa.enc_key = crypto.expand_key(p.hash, sa.skeyid_e, p.key_len)
        ex.iv = crypto.phase1_iv(p.hash, ex.ke_i, ex.ke_r, p.block)

    def _p1_hash(self, sa: IkeSa, ex: ExchangeState, initiator: bool, id_body: bytes
                 ) -> bytes:
        if initiator:
            data = ex.ke_i + ex.ke_r + sa.icookie + sa.rcookie + ex.sai_b + id_body
        else:
            data = ex.ke_r + ex.ke_i + sa.rcookie + sa.icookie + ex.sai_b + id_body
        return crypto.prf(sa.proposal.hash, sa.skeyid, data)

    def _auth_payloads(self, sa: IkeSa, ex: ExchangeState, initiator: bool) -> list:
        cfg = sa.config
        if initiator and sa.mode == "aggressive":
            id_body = ex.ids[0]
            idp = None
        else:
            idt, idd = cfg.identity(self.local[0], sa.auth)
            idp = IdPayload(idt, idd)
            id_body = idp.body()
            sa.local_id = idd
        h = self._p1_hash(sa, ex, initiator, id_body)
        if sa.auth == "psk":
            tail: list = [HashPayload(h)]
        else:
            tail = [CertPayload(CertEncoding.X509_SIG, cfg.cert_der()),
                    SigPayload(crypto.rsa_sign(cfg.private_key, h))]
        return [idp, *tail]

    def _verify_auth(self, sa: IkeSa, ex: ExchangeState, payloads: list | tuple,
                     peer_is_initiator: bool) -> None:
        cfg = sa.config
        idp = next((p for p in payloads if isinstance(p, IdPayload)), None)
        if idp is None:
            raise _AuthError(Notify.INVALID_ID_INFORMATION, INVALID_ID)
        sa.remote_id = idp.data
        if cfg.remote_id is not None and (idp.id_type, idp.data) != tuple(cfg.remote_id):
            raise _AuthError(Notify.INVALID_ID_INFORMATION, INVALID_ID)
        want = self._p1_hash(sa, ex, peer_is_initiator, idp.body())
        if sa.auth == "psk":
            hp = next((p for p in payloads if isinstance(p, HashPayload)), None)
            if hp is None or not hmac.compare_digest(hp.data, want):
                raise _AuthError(Notify.INVALID_HASH_INFORMATION)
            return
        cp = next((p for p in payloads if isinstance(p, CertPayload)), None)
        sp = next((p for p in payloads if isinstance(p, SigPayload)), None)
        if cp is None or sp is None:
            raise _AuthError(Notify.AUTHENTICATION_FAILED)
        if cp.encoding != CertEncoding.X509_SIG:
            raise _AuthError(Notify.CERT_TYPE_UNSUPPORTED)
        try:
            cert = x509.load_der_x509_certificate(cp.data)
        except Exception:  # noqa: BLE001 - any parse failure
            raise _AuthError(Notify.INVALID_CERTIFICATE) from None
        if not any(self._issued_by(cert, ca) for ca in cfg.trusted_cas):
            raise _AuthError(Notify.INVALID_CERT_AUTHORITY)
        if idp.id_type == IdType.DER_ASN1_DN and idp.data != cert.subject.public_bytes():
            raise _AuthError(Notify.INVALID_ID_INFORMATION, INVALID_ID)
        if not crypto.rsa_verify(cert.public_key(), sp.data, want):
            raise _AuthError(Notify.INVALID_SIGNATURE)
        if cfg.certificate_check is not None:
            reason = cfg.certificate_check(cert)
            if reason:
                raise _AuthError(Notify.INVALID_CERTIFICATE, reason)

    @staticmethod
    def _issued_by(cert: Any, ca: Any) -> bool:
        try:
            cert.verify_directly_issued_by(ca)
            return True
        except Exception:  # noqa: BLE001 - wrong issuer, bad signature, unsupported key
            return False

    # ------------------------------------------------------------------ established

    def _p1_established(self, sa: IkeSa, ex: ExchangeState, now: float) -> None:
        sa.state = SaState.ESTABLISHED
        sa.established_at = now
        sa.p1_last_block = ex.iv
        self._finish_exchange(sa, ex, now)
        self._dpd_start(sa, now)
        p = sa.proposal
        old = None
        if sa.rekey_of is not None:
            old = self.sadb.ike.get(sa.rekey_of)
        else:
            old = next((o for o in self.sadb.ike_with(sa.peer[0]) if o is not sa and o.peer == sa.peer
                        and o.state == "established" and not o.superseded), None)
        if old is not None:
            old.superseded = True
            self._touch(old)
            self._event(SaRekeyed(sa.peer, "ike", old.ident, sa.ident))
            if sa.role == "initiator":
                self._send_delete_ike(old, now)
                self._remove_ike(old, "rekeyed")
        else:
            self._event(Phase1Up(sa.peer, sa.icookie, sa.rcookie, sa.role, sa.mode, sa.auth,
                                 p.cipher, p.hash, p.dh_group, sa.lifetime_s, sa.dpd is not None,
                                 sa.local_id, sa.remote_id))
        pending, sa.pending_children = sa.pending_children, []
        for child, rekey_of in pending:
            self._quick_start(sa, child, now, rekey_of)
