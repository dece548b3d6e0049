"""ISAKMP (RFC 2408) wire format: header, generic payload chain and the IKEv1 payloads.

Public API
----------
- `Header` (28-byte fixed header) with `encode()`; `decode_header(data) -> Header`.
- Payload dataclasses: `SaPayload`, `Proposal`, `Transform`, `Attribute`, `KePayload`, `IdPayload`,
  `CertPayload`, `CrPayload`, `HashPayload`, `SigPayload`, `NoncePayload`, `NotifyPayload`,
  `DeletePayload`, `VendorIdPayload`, NAT-T's `NatDPayload` / `NatOaPayload` (and the
  draft numbering `NatDDraftPayload` / `NatOaDraftPayload`). Each has `TYPE` and `body() -> bytes` (without the generic
  header). Decoded payloads carry `raw`: the generic header and body exactly as received, which
  quick-mode HASH(1)/(2) and informational HASH(1) need.
- `encode_payloads(payloads) -> (first_type, bytes)` builds a chain (`hash_first` puts a HASH
  payload in front of one); `decode_payloads(first, data)` parses one and ignores trailing bytes
  after the last payload (CBC padding).
- `Message(header fields, payloads)` with `encode()` for cleartext messages; `decode(data)` for a
  whole cleartext message (an encrypted one returns its header and the ciphertext in `body`).
  `encode_message(cookies, exchange, first, chain, ...)` frames a chain encoded beforehand.

Every decoding failure raises `DecodeError` (a ValueError subclass) and nothing else.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from .constants import DOI_IPSEC, HEADER_LEN, ISAKMP_VERSION, SIT_IDENTITY_ONLY, Flag, Payload
from .frozen_init import direct_init


class DecodeError(ValueError):
    """Malformed ISAKMP bytes. `notify` is the RFC 2408 notify type a peer would answer with."""

    def __init__(self, message: str, notify: int = 16) -> None:
        super().__init__(message)
        self.notify = notify


_HDR = struct.Struct("!8s8sBBBBII")
_GEN = struct.Struct("!BBH")
_NOTIFY = struct.Struct("!IBBH")  # notify and delete payloads' fixed part
_HH = struct.Struct("!HH")  # an attribute's type and value (TV) or length (TLV)
_II = struct.Struct("!II")  # an SA payload's DOI and situation
_BBBB = struct.Struct("!BBBB")  # a proposal's number, protocol, SPI size, transform count
_BBH = struct.Struct("!BBH")  # a transform's number, ID, reserved


@dataclass(frozen=True)
class Header:
    icookie: bytes
    rcookie: bytes
    next_payload: int
    exchange: int
    flags: int
    message_id: int
    length: int
    version: int = ISAKMP_VERSION

    def encode(self) -> bytes:
        return _HDR.pack(
            self.icookie,
            self.rcookie,
            self.next_payload,
            self.version,
            self.exchange,
            self.flags,
            self.message_id,
            self.length,
        )


def decode_header(data: bytes) -> Header:
    ic, rc, nxt, ver, exch, flags, mid, length = _header_fields(data)
    return Header(ic, rc, nxt, exch, flags, mid, length, ver)


def _header_fields(data: bytes) -> tuple[bytes, bytes, int, int, int, int, int, int]:
    """The checked header as (icookie, rcookie, next payload, version, exchange, flags,
    message ID, length): `decode` takes them without making a Header per datagram."""
    if len(data) < HEADER_LEN:
        raise DecodeError("short ISAKMP header")
    fields = _HDR.unpack_from(data, 0)
    ver, length = fields[3], fields[7]
    if ver >> 4 != 1:
        raise DecodeError(f"unsupported ISAKMP major version {ver >> 4}", notify=5)
    if length < HEADER_LEN or length > len(data):
        raise DecodeError(f"ISAKMP length {length} does not match datagram of {len(data)}", 30)
    return fields  # type: ignore[return-value]


# ----------------------------------------------------------------------------- attributes


@dataclass(frozen=True, eq=False)
class Attribute:
    """Data attribute: `value` int -> TV (basic) form when it fits 16 bits, else TLV; bytes -> TLV.

    Two attributes are equal when they encode to the same bytes (a decoded TLV value is bytes)."""

    type: int
    value: int | bytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Attribute) and self.encode() == other.encode()

    def __hash__(self) -> int:
        return hash(self.encode())

    def encode(self) -> bytes:
        v = self.value
        if isinstance(v, int):
            if 0 <= v <= 0xFFFF:
                return _HH.pack(0x8000 | self.type, v)
            v = v.to_bytes(max(4, (v.bit_length() + 7) // 8), "big")
        return _HH.pack(self.type & 0x7FFF, len(v)) + v

    @property
    def int_value(self) -> int:
        v = self.value
        return v if isinstance(v, int) else int.from_bytes(v, "big")


def _decode_attributes(data: bytes) -> tuple[Attribute, ...]:
    out, i, end, unpack = [], 0, len(data), _HH.unpack_from
    while i < end:
        if i + 4 > end:
            raise DecodeError("truncated attribute")
        t, v = unpack(data, i)
        i += 4
        if t & 0x8000:
            out.append(Attribute(t & 0x7FFF, v))
        else:
            if i + v > end:
                raise DecodeError("attribute value overruns transform")
            out.append(Attribute(t, bytes(data[i : i + v])))
            i += v
    return tuple(out)


# ----------------------------------------------------------------------------- payloads


def _raw() -> bytes:
    return field(default=b"", compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Transform:
    number: int
    transform_id: int
    attributes: tuple[Attribute, ...] = ()

    def body(self) -> bytes:
        return _BBH.pack(self.number, self.transform_id, 0) + b"".join(
            [a.encode() for a in self.attributes])

    def attrs(self) -> dict[int, int]:
        return {a.type: v if isinstance(v := a.value, int) else int.from_bytes(v, "big")
                for a in self.attributes}  # a.int_value


@dataclass(frozen=True)
class Proposal:
    number: int
    protocol: int
    spi: bytes
    transforms: tuple[Transform, ...]

    def body(self) -> bytes:
        head = _BBBB.pack(self.number, self.protocol, len(self.spi), len(self.transforms))
        parts = []
        for i, t in enumerate(self.transforms):
            b = t.body()
            nxt = Payload.TRANSFORM if i + 1 < len(self.transforms) else 0
            parts.append(_GEN.pack(nxt, 0, len(b) + 4) + b)
        return head + self.spi + b"".join(parts)


@dataclass(frozen=True)
class SaPayload:
    TYPE: ClassVar[int] = Payload.SA
    proposals: tuple[Proposal, ...]
    doi: int = DOI_IPSEC
    situation: int = SIT_IDENTITY_ONLY
    raw: bytes = _raw()

    def body(self) -> bytes:
        parts = []
        for i, p in enumerate(self.proposals):
            b = p.body()
            nxt = Payload.PROPOSAL if i + 1 < len(self.proposals) else 0
            parts.append(_GEN.pack(nxt, 0, len(b) + 4) + b)
        return _II.pack(self.doi, self.situation) + b"".join(parts)


def _decode_sa(body: bytes, raw: bytes) -> SaPayload:
    if len(body) < 8:
        raise DecodeError("short SA payload")
    doi, sit = _II.unpack_from(body, 0)
    if doi != DOI_IPSEC:
        raise DecodeError(f"DOI {doi} not supported", notify=2)
    proposals = []
    nxt, i = Payload.PROPOSAL, 8
    while nxt:
        if nxt != Payload.PROPOSAL:
            raise DecodeError("SA holds a non-proposal payload", notify=15)
        if i + 8 > len(body):
            raise DecodeError("truncated proposal", notify=15)
        nxt, _, plen = _GEN.unpack_from(body, i)
        if plen < 8 or i + plen > len(body):
            raise DecodeError("bad proposal length", notify=15)
        p = body[i + 4 : i + plen]
        num, proto, spisz, ntrans = _BBBB.unpack_from(p, 0)
        if 4 + spisz > len(p):
            raise DecodeError("proposal SPI overruns", notify=15)
        spi = bytes(p[4 : 4 + spisz])
        transforms, j, tn = [], 4 + spisz, Payload.TRANSFORM if ntrans else 0
        while tn:
            if tn != Payload.TRANSFORM:
                raise DecodeError("proposal holds a non-transform payload", notify=15)
            if j + 8 > len(p):
                raise DecodeError("truncated transform", notify=15)
            tn, _, tlen = _GEN.unpack_from(p, j)
            if tlen < 8 or j + tlen > len(p):
                raise DecodeError("bad transform length", notify=15)
            tnum, tid, _ = _BBH.unpack_from(p, j + 4)
            transforms.append(Transform(tnum, tid, _decode_attributes(p[j + 8 : j + tlen])))
            j += tlen
        if len(transforms) != ntrans:
            raise DecodeError("transform count mismatch", notify=15)
        proposals.append(Proposal(num, proto, spi, tuple(transforms)))
        i += plen
    return SaPayload(tuple(proposals), doi, sit, raw)


@dataclass(frozen=True)
class _Data:
    """Payloads whose body is one opaque byte string."""

    TYPE: ClassVar[int] = 0
    data: bytes
    raw: bytes = _raw()

    def body(self) -> bytes:
        return self.data


@dataclass(frozen=True)
class KePayload(_Data):
    TYPE: ClassVar[int] = Payload.KE


@dataclass(frozen=True)
class HashPayload(_Data):
    TYPE: ClassVar[int] = Payload.HASH


@dataclass(frozen=True)
class SigPayload(_Data):
    TYPE: ClassVar[int] = Payload.SIG


@dataclass(frozen=True)
class NoncePayload(_Data):
    TYPE: ClassVar[int] = Payload.NONCE


@dataclass(frozen=True)
class VendorIdPayload(_Data):
    TYPE: ClassVar[int] = Payload.VID


@dataclass(frozen=True)
class NatDPayload(_Data):
    """NAT discovery hash (RFC 3947 type 20; the drafts used private type 130)."""

    TYPE: ClassVar[int] = 20


@dataclass(frozen=True)
class NatDDraftPayload(_Data):
    TYPE: ClassVar[int] = 130


@dataclass(frozen=True)
class NatOaPayload(_Data):
    """NAT original address (RFC 3947 type 21, draft 131): kept opaque, it only matters to
    transport-mode checksum fix-ups, which this engine does not do."""

    TYPE: ClassVar[int] = 21


@dataclass(frozen=True)
class NatOaDraftPayload(_Data):
    TYPE: ClassVar[int] = 131


@dataclass(frozen=True)
class IdPayload:
    TYPE: ClassVar[int] = Payload.ID
    id_type: int
    data: bytes
    protocol: int = 0
    port: int = 0
    raw: bytes = _raw()

    def body(self) -> bytes:
        return struct.pack("!BBH", self.id_type, self.protocol, self.port) + self.data


@dataclass(frozen=True)
class CertPayload:
    TYPE: ClassVar[int] = Payload.CERT
    encoding: int
    data: bytes
    raw: bytes = _raw()

    def body(self) -> bytes:
        return bytes([self.encoding]) + self.data


@dataclass(frozen=True)
class CrPayload:
    TYPE: ClassVar[int] = Payload.CR
    cert_type: int
    authority: bytes = b""
    raw: bytes = _raw()

    def body(self) -> bytes:
        return bytes([self.cert_type]) + self.authority


@dataclass(frozen=True)
class NotifyPayload:
    TYPE: ClassVar[int] = Payload.N
    notify_type: int
    protocol: int = 1
    spi: bytes = b""
    data: bytes = b""
    doi: int = DOI_IPSEC
    raw: bytes = _raw()

    def body(self) -> bytes:
        return _NOTIFY.pack(self.doi, self.protocol, len(self.spi), self.notify_type) + self.spi + self.data


@dataclass(frozen=True)
class DeletePayload:
    TYPE: ClassVar[int] = Payload.D
    protocol: int
    spis: tuple[bytes, ...]
    doi: int = DOI_IPSEC
    raw: bytes = _raw()

    def body(self) -> bytes:
        size = len(self.spis[0]) if self.spis else 0
        if any(len(s) != size for s in self.spis):
            raise ValueError("all SPIs in a delete payload have one size")
        return _NOTIFY.pack(self.doi, self.protocol, size, len(self.spis)) + b"".join(
            self.spis
        )


AnyPayload = (
    SaPayload
    | KePayload
    | IdPayload
    | CertPayload
    | CrPayload
    | HashPayload
    | SigPayload
    | NoncePayload
    | NotifyPayload
    | DeletePayload
    | VendorIdPayload
    | NatDPayload
    | NatDDraftPayload
    | NatOaPayload
    | NatOaDraftPayload
)


# payloads that are their data and nothing else (a constant: every received payload asks it)
_SIMPLE: dict[int, type[_Data]] = {
    Payload.KE: KePayload,
    Payload.HASH: HashPayload,
    Payload.SIG: SigPayload,
    Payload.NONCE: NoncePayload,
    Payload.VID: VendorIdPayload,
    NatDPayload.TYPE: NatDPayload,
    NatDDraftPayload.TYPE: NatDDraftPayload,
    NatOaPayload.TYPE: NatOaPayload,
    NatOaDraftPayload.TYPE: NatOaDraftPayload,
}


def _decode_id(body: bytes, raw: bytes) -> IdPayload:
    if len(body) < 4:
        raise DecodeError("short ID payload", notify=18)
    t, proto, port = struct.unpack_from("!BBH", body, 0)
    return IdPayload(t, bytes(body[4:]), proto, port, raw)


def _decode_cert(body: bytes, raw: bytes) -> CertPayload:
    if len(body) < 1:
        raise DecodeError("short CERT payload", notify=19)
    return CertPayload(body[0], bytes(body[1:]), raw)


def _decode_cr(body: bytes, raw: bytes) -> CrPayload:
    if len(body) < 1:
        raise DecodeError("short CR payload")
    return CrPayload(body[0], bytes(body[1:]), raw)


def _decode_notify(body: bytes, raw: bytes) -> NotifyPayload:
    if len(body) < 8:
        raise DecodeError("short notify payload")
    doi, proto, spisz, ntype = _NOTIFY.unpack_from(body, 0)
    if 8 + spisz > len(body):
        raise DecodeError("notify SPI overruns payload")
    return NotifyPayload(ntype, proto, bytes(body[8 : 8 + spisz]), bytes(body[8 + spisz :]), doi, raw)


def _decode_delete(body: bytes, raw: bytes) -> DeletePayload:
    if len(body) < 8:
        raise DecodeError("short delete payload")
    doi, proto, spisz, n = _NOTIFY.unpack_from(body, 0)
    if 8 + spisz * n != len(body):
        raise DecodeError("delete SPI count does not match length")
    spis = tuple(bytes(body[8 + k * spisz : 8 + (k + 1) * spisz]) for k in range(n))
    return DeletePayload(proto, spis, doi, raw)


# payload type -> decoder(body, raw): one lookup per received payload, not a chain of tests
_DECODERS: dict[int, Callable[[bytes, bytes], AnyPayload]] = {
    Payload.SA: _decode_sa,
    **{t: (lambda body, raw, cls=cls: cls(bytes(body), raw)) for t, cls in _SIMPLE.items()},
    Payload.ID: _decode_id,
    Payload.CERT: _decode_cert,
    Payload.CR: _decode_cr,
    Payload.N: _decode_notify,
    Payload.D: _decode_delete,
}


def encode_payloads(payloads: list[AnyPayload] | tuple[AnyPayload, ...]) -> tuple[int, bytes]:
    """Chain payloads; returns (type of the first payload, bytes)."""
    n = len(payloads)
    if not n:
        return 0, b""
    parts, pack = [], _GEN.pack
    for i, p in enumerate(payloads):
        b = p.body()
        parts += (pack(payloads[i + 1].TYPE if i + 1 < n else 0, 0, len(b) + 4), b)
    return payloads[0].TYPE, b"".join(parts)


def hash_first(digest: bytes, first: int, chain: bytes) -> tuple[int, bytes]:
    """A HASH payload holding `digest` put in front of an encoded chain whose first payload
    is `first`: the same bytes as `encode_payloads([HashPayload(digest), *payloads])`, for the
    phase 2 messages whose HASH covers the chain after it (the chain is encoded once)."""
    return Payload.HASH, _GEN.pack(first, 0, len(digest) + 4) + digest + chain


def decode_payloads(first: int, data: bytes) -> list[AnyPayload]:
    """Parse a payload chain; bytes after the last payload (padding) are ignored."""
    try:
        out: list[AnyPayload] = []
        nxt, i, end = first, 0, len(data)
        unpack, decoders = _GEN.unpack_from, _DECODERS
        while nxt:
            if i + 4 > end:
                raise DecodeError("truncated generic payload header")
            n2, _, plen = unpack(data, i)
            if plen < 4 or i + plen > end:
                raise DecodeError(f"payload length {plen} overruns message", notify=30)
            decoder = decoders.get(nxt)
            if decoder is None:
                raise DecodeError(f"unknown payload type {nxt}", notify=1)
            raw = data[i : i + plen]
            out.append(decoder(raw[4:], raw if type(raw) is bytes else bytes(raw)))
            nxt, i = n2, i + plen
        return out
    except DecodeError:
        raise
    except (struct.error, ValueError, IndexError, TypeError) as e:  # belt and braces
        raise DecodeError(f"malformed payload: {e}") from None


@dataclass(frozen=True)
class Message:
    icookie: bytes
    rcookie: bytes
    exchange: int
    message_id: int = 0
    payloads: tuple[AnyPayload, ...] = ()
    flags: int = 0
    body: bytes = b""  # ciphertext of an encrypted message, as received
    next_payload: int = 0  # first payload type of an encrypted message, from its header

    def encode(self) -> bytes:
        first, data = encode_payloads(self.payloads)
        return encode_message(self.icookie, self.rcookie, self.exchange, first, data,
                              self.message_id, self.flags)

    def find(self, cls: type) -> list:
        return [p for p in self.payloads if isinstance(p, cls)]

    def first(self, cls: type):  # noqa: ANN201 - returns an instance of cls or None
        for p in self.payloads:
            if isinstance(p, cls):
                return p
        return None


def encode_message(icookie: bytes, rcookie: bytes, exchange: int, first: int, chain: bytes,
                   message_id: int = 0, flags: int = 0) -> bytes:
    """A cleartext message from an already encoded payload chain (`encode_payloads`): what
    `Message.encode` does, for a sender that keeps the chain of a message it sends often."""
    return _HDR.pack(icookie, rcookie, first, ISAKMP_VERSION, exchange, flags, message_id,
                     HEADER_LEN + len(chain)) + chain


def decode(data: bytes) -> Message:
    """Decode a datagram; encrypted messages keep their ciphertext in `body`, payloads empty."""
    if type(data) is not bytes:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DecodeError("datagram is not bytes")
        data = bytes(data)
    icookie, rcookie, first, _version, exchange, flags, message_id, length = _header_fields(data)
    body = data[HEADER_LEN:length]
    if flags & Flag.ENCRYPTED:
        return Message(icookie, rcookie, exchange, message_id, (), flags, body, first)
    return Message(icookie, rcookie, exchange, message_id,
                   tuple(decode_payloads(first, body)), flags)


# Messages and payloads are made per datagram (decoding, encoding): the faster constructor.
for _cls in (Header, Attribute, Transform, Proposal, SaPayload, _Data, *_SIMPLE.values(), IdPayload,
             CertPayload, CrPayload, NotifyPayload, DeletePayload, Message):
    direct_init(_cls)
del _cls
