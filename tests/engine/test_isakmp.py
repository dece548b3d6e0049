"""ISAKMP wire format: exact layout, round trips, and a decoder that only ever raises DecodeError."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routershell.engine.constants import Exchange, Flag, IdType, Notify, Payload, Proto
from routershell.engine.isakmp import (
    Attribute,
    CertPayload,
    CrPayload,
    DecodeError,
    DeletePayload,
    HashPayload,
    IdPayload,
    KePayload,
    Message,
    NoncePayload,
    NotifyPayload,
    Proposal,
    SaPayload,
    SigPayload,
    Transform,
    VendorIdPayload,
    decode,
    decode_header,
    decode_payloads,
    encode_payloads,
    hash_first,
)
from routershell.engine.proposals import IkeProposal, ike_sa_payload

IC, RC = bytes(range(8)), bytes(range(8, 16))


def test_header_layout():
    m = Message(IC, RC, Exchange.MAIN, 0x01020304, (VendorIdPayload(b"\xab" * 16),))
    raw = m.encode()
    assert raw[:16] == IC + RC
    assert raw[16] == Payload.VID and raw[17] == 0x10 and raw[18] == 2 and raw[19] == 0
    assert struct.unpack("!II", raw[20:28]) == (0x01020304, len(raw))
    assert raw[28:32] == b"\x00\x00\x00\x14"  # generic header: last payload, length 20
    h = decode_header(raw)
    assert (h.exchange, h.message_id, h.length) == (2, 0x01020304, 48)


def test_attributes_basic_and_variable():
    assert Attribute(1, 7).encode() == b"\x80\x01\x00\x07"
    assert Attribute(12, 86400).encode() == b"\x00\x0c\x00\x04" + (86400).to_bytes(4, "big")
    assert Attribute(12, b"\x01\x02\x03").encode() == b"\x00\x0c\x00\x03\x01\x02\x03"
    t = IkeProposal(lifetime_s=86400, cipher="aes256").transform(1)
    sa = ike_sa_payload([IkeProposal(lifetime_s=86400, cipher="aes256")])
    first, data = encode_payloads([sa])
    (back,) = decode_payloads(first, data)
    assert back == sa
    assert back.proposals[0].transforms[0].attrs()[12] == 86400
    assert back.proposals[0].transforms[0] == t


ALL = [
    SaPayload((Proposal(1, Proto.ESP, b"\x00\x00\x10\x00",
                        (Transform(1, 12, (Attribute(1, 1), Attribute(2, 100000))),
                         Transform(2, 3, ()))),
               Proposal(2, Proto.AH, b"\x00\x00\x20\x00", (Transform(1, 3, ()),)))),
    KePayload(b"\x11" * 128),
    IdPayload(IdType.IPV4_ADDR_SUBNET, b"\x0a\x00\x00\x00\xff\xff\xff\x00", 17, 500),
    CertPayload(4, b"\x30\x82cert"),
    CrPayload(4, b""),
    HashPayload(b"\x22" * 20),
    SigPayload(b"\x33" * 256),
    NoncePayload(b"\x44" * 16),
    NotifyPayload(Notify.R_U_THERE, Proto.ISAKMP, IC + RC, b"\x00\x00\x00\x05"),
    DeletePayload(Proto.ESP, (b"\x00\x00\x10\x00", b"\x00\x00\x20\x00")),
    VendorIdPayload(b"\xaf\xca" * 8),
]


def test_every_payload_round_trips_and_raw_is_kept():
    m = Message(IC, RC, Exchange.INFORMATIONAL, 7, tuple(ALL))
    raw = m.encode()
    back = decode(raw)
    assert back.payloads == m.payloads
    # `raw` of each payload concatenates back to the whole chain
    assert b"".join(p.raw for p in back.payloads) == raw[28:]


def test_encrypted_message_keeps_ciphertext_and_first_type():
    body = b"\x99" * 32
    raw = struct.pack("!8s8sBBBBII", IC, RC, Payload.HASH, 0x10, Exchange.QUICK, Flag.ENCRYPTED,
                      5, 28 + len(body)) + body
    m = decode(raw)
    assert m.body == body and m.next_payload == Payload.HASH and m.payloads == ()


@pytest.mark.parametrize("rest", [[], ALL[8:9], ALL[-2:], [ALL[0], ALL[7], ALL[2]]])
def test_hash_first_is_the_chain_with_a_leading_hash_payload(rest):
    # phase 2 messages encode their payloads once and put HASH(1)/HASH(2) in front
    digest = bytes(range(20))
    assert hash_first(digest, *encode_payloads(rest)) == encode_payloads([HashPayload(digest), *rest])


def test_trailing_padding_ignored():
    first, data = encode_payloads([NoncePayload(b"n" * 16)])
    assert decode_payloads(first, data + b"\0" * 12) == [NoncePayload(b"n" * 16)]


@pytest.mark.parametrize("raw,notify", [
    (b"\x00" * 10, Notify.PAYLOAD_MALFORMED),
    (IC + RC + bytes([0, 0x20, 2, 0]) + b"\0\0\0\0\0\0\0\x1c", Notify.INVALID_MAJOR_VERSION),
    (IC + RC + bytes([0, 0x10, 2, 0]) + b"\0\0\0\0\0\0\0\x40", Notify.UNEQUAL_PAYLOAD_LENGTHS),
    (IC + RC + bytes([99, 0x10, 2, 0]) + b"\0\0\0\0\0\0\0\x20" + b"\0\0\0\x04",
     Notify.INVALID_PAYLOAD_TYPE),
])
def test_malformed_headers(raw, notify):
    with pytest.raises(DecodeError) as ei:
        decode(raw)
    assert ei.value.notify == notify


def _valid_messages():
    return st.sampled_from([Message(IC, RC, Exchange.MAIN, 0, (p,)).encode() for p in ALL]
                           + [Message(IC, RC, Exchange.INFORMATIONAL, 1, tuple(ALL)).encode()])


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes_only_decode_error(data):
    try:
        decode(data)
    except DecodeError:
        pass


@settings(max_examples=600, deadline=None)
@given(_valid_messages(), st.data())
def test_fuzz_mutated_messages_only_decode_error(raw, data):
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(buf) - 1))
        buf[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(buf)))
    for candidate in (bytes(buf), bytes(buf[:cut])):
        try:
            decode(candidate)
        except DecodeError:
            pass
