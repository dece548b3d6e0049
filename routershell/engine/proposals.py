"""IKE (phase 1) and IPsec (phase 2) proposals: wire encoding and the responder's choice.

Public API
----------
- `IkeProposal(auth, hash, cipher, dh_group, lifetime_s=86400, lifetime_kb=0)`
- `IpsecProposal(protocol, cipher, auth, pfs_group=None, lifetime_s=3600, lifetime_kb=0,
  encap="tunnel")`
- `ike_sa_payload(proposals) -> SaPayload` (one ISAKMP proposal, one transform per proposal, as
  IKEv1 initiators do) and `ipsec_sa_payload(proposals, spi) -> SaPayload` (one proposal each).
- `choose_ike(offered_sa, accepted) -> (IkeProposal, SaPayload reply)` and
  `choose_ipsec(offered_sa, accepted, spi) -> (IpsecProposal, peer_spi, SaPayload reply)`:
  the responder takes the first of the initiator's offers it accepts; the lifetime is the lower
  of the two. Nothing matches -> `NoProposalChosen`.
- `ike_from_reply` / `ipsec_from_reply`: the initiator checks the responder's choice was offered.
- Quick mode's fast paths, each the same answer as the general function: `ipsec_sa_body`
  (the body of `ipsec_sa_payload`), `choose_ipsec_offer` (`choose_ipsec`, with the reply's
  body) and `ipsec_from_reply_offer` (`ipsec_from_reply`). A quick mode offers and answers the
  same proposals with a new SPI each time, so the bodies are encoded once per proposal set and
  the choice made once per offer (its bytes but the SPIs) and accepted set.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

from .constants import (
    DOI_IPSEC,
    KEY_IKE,
    SIT_IDENTITY_ONLY,
    AhTransform,
    AuthMethod,
    Encap,
    EspTransform,
    IkeAttr,
    IkeEncr,
    IkeHash,
    IpsecAttr,
    IpsecAuth,
    LifeType,
    Payload,
    Proto,
)
from .crypto import CIPHERS, GROUPS
from .isakmp import Attribute, Proposal, SaPayload, Transform
from .natt import encap_attr, parse_encap


class NoProposalChosen(Exception):
    """No offered proposal is acceptable (notify NO_PROPOSAL_CHOSEN)."""


_AUTH = {"psk": AuthMethod.PSK, "rsa-sig": AuthMethod.RSA_SIG}
_HASH = {"md5": IkeHash.MD5, "sha1": IkeHash.SHA, "sha256": IkeHash.SHA2_256}
_IKE_ENC = {"des": (IkeEncr.DES, 0), "3des": (IkeEncr.TRIPLE_DES, 0), "aes128": (IkeEncr.AES, 128),
            "aes192": (IkeEncr.AES, 192), "aes256": (IkeEncr.AES, 256)}
_ESP_ENC = {"des": (EspTransform.DES, 0), "3des": (EspTransform.TRIPLE_DES, 0),
            "aes128": (EspTransform.AES, 128), "aes192": (EspTransform.AES, 192),
            "aes256": (EspTransform.AES, 256), None: (EspTransform.NULL, 0)}
_IPSEC_AUTH = {"hmac-md5": IpsecAuth.HMAC_MD5, "hmac-sha1": IpsecAuth.HMAC_SHA,
               "hmac-sha256": IpsecAuth.HMAC_SHA2_256}
_AH = {"hmac-md5": AhTransform.MD5, "hmac-sha1": AhTransform.SHA,
       "hmac-sha256": AhTransform.SHA2_256}
AUTH_KEY_LEN = {"hmac-md5": 16, "hmac-sha1": 20, "hmac-sha256": 32}


def _rev(d: dict) -> dict:
    return {v: k for k, v in d.items()}


# the reverse tables, made once (every received transform asks them)
_AUTH_REV, _HASH_REV, _IKE_ENC_REV = _rev(_AUTH), _rev(_HASH), _rev(_IKE_ENC)
_ESP_ENC_REV, _IPSEC_AUTH_REV, _AH_REV = _rev(_ESP_ENC), _rev(_IPSEC_AUTH), _rev(_AH)
_IKE_KNOWN = frozenset({IkeAttr.ENCRYPTION, IkeAttr.HASH, IkeAttr.AUTH_METHOD,
                        IkeAttr.GROUP_DESCRIPTION, IkeAttr.LIFE_TYPE, IkeAttr.LIFE_DURATION,
                        IkeAttr.KEY_LENGTH})
_IPSEC_KNOWN = frozenset({IpsecAttr.LIFE_TYPE, IpsecAttr.LIFE_DURATION,
                          IpsecAttr.GROUP_DESCRIPTION, IpsecAttr.ENCAPSULATION,
                          IpsecAttr.AUTH_ALGORITHM, IpsecAttr.KEY_LENGTH})


def _life_attrs(type_attr: int, dur_attr: int, seconds: int, kb: int) -> list[Attribute]:
    out = []
    if seconds:
        out += [Attribute(type_attr, LifeType.SECONDS), Attribute(dur_attr, seconds)]
    if kb:
        out += [Attribute(type_attr, LifeType.KILOBYTES), Attribute(dur_attr, kb)]
    return out


def _parse_life(attrs: tuple[Attribute, ...], type_attr: int, dur_attr: int) -> tuple[int, int]:
    seconds = kb = 0
    current = None
    for a in attrs:
        if a.type == type_attr:
            current = a.int_value
        elif a.type == dur_attr:
            if current == LifeType.SECONDS:
                seconds = a.int_value
            elif current == LifeType.KILOBYTES:
                kb = a.int_value
    return seconds, kb


def _lower(a: int, b: int) -> int:
    """Lower of two lifetimes where 0 means "not limited"."""
    if not a:
        return b
    if not b:
        return a
    return min(a, b)


@dataclass(frozen=True)
class IkeProposal:
    auth: str = "psk"
    hash: str = "sha1"
    cipher: str = "aes128"
    dh_group: int = 2
    lifetime_s: int = 86400
    lifetime_kb: int = 0

    # the cipher's block and key sizes, read per message: set once, not fields of the proposal
    block: int = field(init=False, repr=False, compare=False)
    key_len: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.auth not in _AUTH or self.hash not in _HASH or self.cipher not in _IKE_ENC
                or self.dh_group not in GROUPS):
            raise ValueError(f"unsupported IKE proposal {self}")
        spec = CIPHERS[self.cipher]
        object.__setattr__(self, "block", spec.block)
        object.__setattr__(self, "key_len", spec.key_len)

    def transform(self, number: int) -> Transform:
        enc, keylen = _IKE_ENC[self.cipher]
        attrs = [Attribute(IkeAttr.ENCRYPTION, enc)]
        if keylen:
            attrs.append(Attribute(IkeAttr.KEY_LENGTH, keylen))
        attrs += [Attribute(IkeAttr.HASH, _HASH[self.hash]),
                  Attribute(IkeAttr.AUTH_METHOD, _AUTH[self.auth]),
                  Attribute(IkeAttr.GROUP_DESCRIPTION, self.dh_group)]
        attrs += _life_attrs(IkeAttr.LIFE_TYPE, IkeAttr.LIFE_DURATION, self.lifetime_s,
                             self.lifetime_kb)
        return Transform(number, KEY_IKE, tuple(attrs))

    @classmethod
    def from_transform(cls, t: Transform) -> IkeProposal | None:
        """None when the transform holds something this engine does not implement."""
        if t.transform_id != KEY_IKE:
            return None
        a = t.attrs()
        if not _IKE_KNOWN.issuperset(a):
            return None
        cipher = _IKE_ENC_REV.get((a.get(IkeAttr.ENCRYPTION), a.get(IkeAttr.KEY_LENGTH, 0)))
        h = _HASH_REV.get(a.get(IkeAttr.HASH))
        auth = _AUTH_REV.get(a.get(IkeAttr.AUTH_METHOD))
        group = a.get(IkeAttr.GROUP_DESCRIPTION)
        if cipher is None or h is None or auth is None or group not in GROUPS:
            return None
        s, kb = _parse_life(t.attributes, IkeAttr.LIFE_TYPE, IkeAttr.LIFE_DURATION)
        return cls(auth, h, cipher, group, s, kb)

    def same_algorithms(self, other: IkeProposal) -> bool:
        return (self.auth, self.hash, self.cipher, self.dh_group) == (
            other.auth, other.hash, other.cipher, other.dh_group)



@dataclass(frozen=True)
class IpsecProposal:
    protocol: str = "esp"  # "esp" | "ah"
    cipher: str | None = "aes128"  # None: ESP-NULL (or AH)
    auth: str | None = "hmac-sha1"
    pfs_group: int | None = None
    lifetime_s: int = 3600
    lifetime_kb: int = 0
    encap: str = "tunnel"
    # UDP encapsulation (NAT-T): "" none, "rfc3947" (mode 3/4) or "draft" (61443/61444). Set on
    # the proposals of a quick mode once phase 1 floated; not part of `same_algorithms`.
    udp: str = ""
    # read per quick mode and SA: set once, not fields of the proposal
    proto_id: int = field(init=False, repr=False, compare=False)
    enc_key_len: int = field(init=False, repr=False, compare=False)
    auth_key_len: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ok = self.protocol in ("esp", "ah") and (self.pfs_group is None or self.pfs_group in GROUPS)
        if self.protocol == "esp":
            ok = ok and self.cipher in _ESP_ENC and (self.auth is None or self.auth in _IPSEC_AUTH)
            ok = ok and not (self.cipher is None and self.auth is None)
        else:
            ok = ok and self.cipher is None and self.auth in _AH
        if not ok or self.encap not in ("tunnel", "transport") or \
                self.udp not in ("", "rfc3947", "draft"):
            raise ValueError(f"unsupported IPsec proposal {self}")
        object.__setattr__(self, "proto_id", Proto.ESP if self.protocol == "esp" else Proto.AH)
        object.__setattr__(self, "enc_key_len", CIPHERS[self.cipher].key_len if self.cipher else 0)
        object.__setattr__(self, "auth_key_len", AUTH_KEY_LEN[self.auth] if self.auth else 0)

    def transform(self, number: int) -> Transform:
        attrs = _life_attrs(IpsecAttr.LIFE_TYPE, IpsecAttr.LIFE_DURATION, self.lifetime_s,
                            self.lifetime_kb)
        if self.pfs_group:
            attrs.append(Attribute(IpsecAttr.GROUP_DESCRIPTION, self.pfs_group))
        attrs.append(Attribute(IpsecAttr.ENCAPSULATION, encap_attr(self.encap, self.udp)))
        if self.auth:
            attrs.append(Attribute(IpsecAttr.AUTH_ALGORITHM, _IPSEC_AUTH[self.auth]))
        if self.protocol == "esp":
            tid, keylen = _ESP_ENC[self.cipher]
            if keylen:
                attrs.append(Attribute(IpsecAttr.KEY_LENGTH, keylen))
        else:
            tid = _AH[self.auth]
        return Transform(number, tid, tuple(attrs))

    @classmethod
    def from_transform(cls, proto: int, t: Transform) -> IpsecProposal | None:
        a = t.attrs()
        if not _IPSEC_KNOWN.issuperset(a):
            return None
        auth = _IPSEC_AUTH_REV.get(a.get(IpsecAttr.AUTH_ALGORITHM))
        if IpsecAttr.AUTH_ALGORITHM in a and auth is None:
            return None
        encap, udp = parse_encap(a.get(IpsecAttr.ENCAPSULATION, Encap.TUNNEL)) or (None, "")
        pfs = a.get(IpsecAttr.GROUP_DESCRIPTION)
        s, kb = _parse_life(t.attributes, IpsecAttr.LIFE_TYPE, IpsecAttr.LIFE_DURATION)
        if encap is None or (pfs is not None and pfs not in GROUPS):
            return None
        try:
            if proto == Proto.ESP:
                key = (t.transform_id, a.get(IpsecAttr.KEY_LENGTH, 0))
                if key not in _ESP_ENC_REV:
                    return None
                return cls("esp", _ESP_ENC_REV[key], auth, pfs, s, kb, encap, udp)
            if proto == Proto.AH:
                return cls("ah", None, _AH_REV.get(t.transform_id), pfs, s, kb, encap, udp)
        except ValueError:
            return None
        return None

    def same_algorithms(self, other: IpsecProposal) -> bool:
        return (self.protocol, self.cipher, self.auth, self.pfs_group, self.encap) == (
            other.protocol, other.cipher, other.auth, other.pfs_group, other.encap)


def ike_sa_payload(proposals: tuple[IkeProposal, ...] | list[IkeProposal]) -> SaPayload:
    ts = tuple(p.transform(i + 1) for i, p in enumerate(proposals))
    return SaPayload((Proposal(1, Proto.ISAKMP, b"", ts),))


def choose_ike(offered: SaPayload, accepted: tuple[IkeProposal, ...] | list[IkeProposal]
               ) -> tuple[IkeProposal, SaPayload]:
    for prop in offered.proposals:
        if prop.protocol != Proto.ISAKMP:
            continue
        for t in prop.transforms:
            theirs = IkeProposal.from_transform(t)
            if theirs is None:
                continue
            for mine in accepted:
                if mine.same_algorithms(theirs):
                    agreed = replace(theirs, lifetime_s=_lower(theirs.lifetime_s, mine.lifetime_s),
                                     lifetime_kb=_lower(theirs.lifetime_kb, mine.lifetime_kb))
                    reply = SaPayload((Proposal(prop.number, Proto.ISAKMP, prop.spi,
                                                (agreed.transform(t.number),)),))
                    return agreed, reply
    raise NoProposalChosen("no acceptable IKE proposal")


def ike_from_reply(reply: SaPayload, offered: tuple[IkeProposal, ...] | list[IkeProposal]
                   ) -> IkeProposal:
    """The responder's single transform, if it is one we offered (neither lifetime, seconds
    nor kilobytes, longer than ours; 0 = not limited)."""
    if len(reply.proposals) != 1 or len(reply.proposals[0].transforms) != 1:
        raise NoProposalChosen("reply must hold exactly one transform")
    got = IkeProposal.from_transform(reply.proposals[0].transforms[0])
    for mine in offered:
        if got is not None and mine.same_algorithms(got) and \
                _lower(got.lifetime_s, mine.lifetime_s) == got.lifetime_s and \
                _lower(got.lifetime_kb, mine.lifetime_kb) == got.lifetime_kb:
            return got
    raise NoProposalChosen("responder chose a transform we did not offer")


def ipsec_sa_payload(proposals: tuple[IpsecProposal, ...] | list[IpsecProposal], spi: int
                     ) -> SaPayload:
    sb = spi.to_bytes(4, "big")
    return SaPayload(tuple(Proposal(i + 1, p.proto_id, sb, (p.transform(1),))
                           for i, p in enumerate(proposals)))


def choose_ipsec(offered: SaPayload, accepted: tuple[IpsecProposal, ...] | list[IpsecProposal],
                 spi: int) -> tuple[IpsecProposal, int, SaPayload]:
    for prop in offered.proposals:
        if len(prop.spi) != 4:
            continue
        peer_spi = int.from_bytes(prop.spi, "big")
        if peer_spi < 256:
            continue
        for t in prop.transforms:
            theirs = IpsecProposal.from_transform(prop.protocol, t)
            if theirs is None:
                continue
            for mine in accepted:
                if mine.same_algorithms(theirs):
                    agreed = replace(theirs, lifetime_s=_lower(theirs.lifetime_s, mine.lifetime_s),
                                     lifetime_kb=_lower(theirs.lifetime_kb, mine.lifetime_kb))
                    reply = SaPayload((Proposal(prop.number, prop.protocol, spi.to_bytes(4, "big"),
                                                (agreed.transform(t.number),)),))
                    return agreed, peer_spi, reply
    raise NoProposalChosen("no acceptable IPsec proposal")


def ipsec_from_reply(reply: SaPayload, offered: tuple[IpsecProposal, ...] | list[IpsecProposal]
                     ) -> tuple[IpsecProposal, int]:
    if len(reply.proposals) != 1 or len(reply.proposals[0].transforms) != 1:
        raise NoProposalChosen("reply must hold exactly one transform")
    prop = reply.proposals[0]
    got = IpsecProposal.from_transform(prop.protocol, prop.transforms[0])
    if len(prop.spi) != 4 or int.from_bytes(prop.spi, "big") < 256:
        raise NoProposalChosen("invalid responder SPI")
    for mine in offered:
        if got is not None and mine.same_algorithms(got) and \
                _lower(got.lifetime_s, mine.lifetime_s) == got.lifetime_s and \
                _lower(got.lifetime_kb, mine.lifetime_kb) == got.lifetime_kb:
            return got, int.from_bytes(prop.spi, "big")
    raise NoProposalChosen("responder chose a transform we did not offer")


# ----------------------------------------------------------------------------- quick mode

_GEN = struct.Struct("!BBH")
_SPI_PLACE = b"\0\0\0\0"
_CACHE_MAX = 256  # proposal sets and offers seen; a lab has a handful, garbage cannot grow it

# keyed by the proposal tuple's id, the tuple kept in the entry (see ipsec_sa_body)
_offer_parts: dict[int, tuple[tuple[IpsecProposal, ...], tuple[bytes, ...]]] = {}
_choices: dict[tuple[bytes, int], tuple[tuple[IpsecProposal, ...], tuple]] = {}
_replies: dict[tuple[bytes, int], tuple[tuple[IpsecProposal, ...], tuple]] = {}


def _remember(cache: dict, key: object, value: object) -> None:
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value


def ipsec_sa_body(proposals: tuple[IpsecProposal, ...] | list[IpsecProposal], spi: int) -> bytes:
    """`ipsec_sa_payload(proposals, spi).body()`: the body with the SPI filled in (every
    proposal carries it)."""
    key = proposals if type(proposals) is tuple else tuple(proposals)
    known = _offer_parts.get(id(key))
    # by identity (a child's proposals are one tuple): no hash of the proposals per message;
    # the entry keeps its tuple alive, so an id in the table is never another tuple's
    parts = known[1] if known is not None and known[0] is key else None
    if parts is None:
        out, head, n = [], struct.pack("!II", DOI_IPSEC, SIT_IDENTITY_ONLY), len(key)
        for i, p in enumerate(key):
            b = Proposal(i + 1, p.proto_id, _SPI_PLACE, (p.transform(1),)).body()
            out.append(head + _GEN.pack(Payload.PROPOSAL if i + 1 < n else 0, 0, len(b) + 4)
                       + b[:4])
            head = b[8:]
        out.append(head)
        parts = tuple(out)
        _remember(_offer_parts, id(key), (key, parts))
    return spi.to_bytes(4, "big").join(parts)


class SaView:
    """A received SA payload as quick mode's fast paths read it: `key` its bytes without the
    proposals' SPIs (what a choice depends on), `spis` each proposal's SPI, `shape` a decoded
    payload with these bytes but (perhaps) other SPIs."""

    __slots__ = ("key", "shape", "spis")

    def __init__(self, key: bytes, spis: tuple[bytes, ...], shape: SaPayload) -> None:
        self.key, self.spis, self.shape = key, spis, shape


# SA payload bytes without SPIs -> a decoded payload of that shape: every SA payload that
# decoded without error, so bytes with a known shape are a well-formed SA payload
_shapes: dict[bytes, SaPayload] = {}


def _split_spis(raw: bytes) -> tuple[bytes, tuple[bytes, ...]] | None:
    """(raw without its proposals' SPIs and the type of the payload after it, the SPIs) of an
    SA payload's bytes (generic header included), walking the proposal headers as the decoder does; None where the walk leaves
    the bytes (the payload is malformed). Bytes of a well-formed payload give back exactly
    its own SPIs; two payloads with the same result differ only in their SPIs, which the
    decoder does not check, so they are both well-formed or both not."""
    end = len(raw)
    if end >= 20 and not raw[12]:  # one proposal: its SPI follows 4+8 bytes and its own 4+4
        n = 20 + raw[18]
        if n > end:
            return None
        return raw[1:20] + raw[n:], (raw[20:n],)
    parts, spis, start, i = [], [], 1, 12
    while True:
        if i + 8 > end:
            return None
        s = i + 8
        n = s + raw[i + 6]
        if n > end:
            return None
        parts.append(raw[start:s])
        spis.append(raw[s:n])
        start = n
        if not raw[i]:
            break
        plen = (raw[i + 2] << 8) | raw[i + 3]
        if plen < 8:
            return None
        i += plen
    parts.append(raw[start:])
    return b"".join(parts), tuple(spis)


def sa_view(raw: bytes) -> SaView | None:
    """The view of received SA payload bytes whose shape is known (a payload like it decoded
    before), else None: the caller decodes them (`sa_view_of`)."""
    split = _split_spis(raw)
    if split is None:
        return None
    shape = _shapes.get(split[0])
    return None if shape is None else SaView(split[0], split[1], shape)


def sa_view_of(payload: SaPayload) -> SaView:
    """The view of a decoded SA payload (its shape known from now on); one made here, without
    received bytes, is viewed as it would be sent."""
    raw = payload.raw or _GEN.pack(0, 0, len(payload.body()) + 4) + payload.body()
    split = _split_spis(raw)
    assert split is not None and len(split[1]) == len(payload.proposals)  # it decoded
    if split[0] not in _shapes:
        _remember(_shapes, split[0], payload)
    return SaView(split[0], split[1], payload)


def choose_ipsec_offer(offered: SaView, accepted: tuple[IpsecProposal, ...], spi: int
                       ) -> tuple[IpsecProposal, int, bytes]:
    """`choose_ipsec` of the viewed payload, with the body of the reply SA payload."""
    acc = accepted if type(accepted) is tuple else tuple(accepted)
    key = (offered.key, id(acc))
    known = _choices.get(key)
    table = known[1] if known is not None and known[0] is acc else None
    if table is None:
        # per proposal: what choose_ipsec takes from it when its SPI is valid, as
        # (agreed, the reply body before the SPI, after it), or None
        rows: list[tuple[IpsecProposal, bytes, bytes] | None] = []
        for prop in offered.shape.proposals:
            try:
                agreed, _, reply = choose_ipsec(SaPayload((replace(prop, spi=b"\1" * 4),)),
                                                accepted, 0)
            except NoProposalChosen:
                rows.append(None)
                continue
            b = SaPayload((replace(reply.proposals[0], spi=_SPI_PLACE),)).body()
            rows.append((agreed, b[:16], b[20:]))
        table = tuple(rows)
        _remember(_choices, key, (acc, table))
    for prop_spi, row in zip(offered.spis, table, strict=True):
        if row is None or len(prop_spi) != 4:
            continue
        peer_spi = int.from_bytes(prop_spi, "big")
        if peer_spi < 256:
            continue
        return row[0], peer_spi, row[1] + spi.to_bytes(4, "big") + row[2]
    raise NoProposalChosen("no acceptable IPsec proposal")


def ipsec_from_reply_offer(reply: SaView, offered: tuple[IpsecProposal, ...]
                           ) -> tuple[IpsecProposal, int]:
    """`ipsec_from_reply` of the viewed payload, the answer remembered per reply (but its
    SPI) and offer."""
    if len(reply.spis) != 1:
        return ipsec_from_reply(reply.shape, offered)  # refused: not one proposal
    off = offered if type(offered) is tuple else tuple(offered)
    key = (reply.key, id(off))
    entry = _replies.get(key)
    known = entry[1] if entry is not None and entry[0] is off else None
    if known is None:
        prop = reply.shape.proposals[0]
        try:
            known = (ipsec_from_reply(SaPayload((replace(prop, spi=b"\1" * 4),)), off)[0], None)
        except NoProposalChosen as e:
            known = (None, str(e))
        _remember(_replies, key, (off, known))
    got, error = known
    spi = reply.spis[0]
    if error == "reply must hold exactly one transform":
        raise NoProposalChosen(error)
    if len(spi) != 4 or int.from_bytes(spi, "big") < 256:
        raise NoProposalChosen("invalid responder SPI")
    if got is None:
        raise NoProposalChosen(error)
    return got, int.from_bytes(spi, "big")
