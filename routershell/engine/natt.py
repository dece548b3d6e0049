"""NAT traversal for IKEv1 (RFC 3947) and UDP-encapsulated ESP framing (RFC 3948).

What lives here (pure functions and constants; the exchange logic is in phase1.py / ike.py):
- Vendor IDs: `RFC3947_VID` and the draft VIDs peers still send (`DRAFT_VIDS`);
  `nat_t_version(vids) -> "rfc3947" | "draft" | None` picks what both sides speak.
- `nat_d_hash(hash_name, icookie, rcookie, ip, port) -> bytes`: HASH(CKY-I | CKY-R | IP | Port)
  with the phase-1 hash algorithm.
- Framing on port 4500 (RFC 3948 §2): `NON_ESP_MARKER` (4 zero bytes) precedes IKE messages,
  a single 0xFF byte is a NAT keepalive, anything else starts with a non-zero ESP SPI.
  `classify_4500(payload) -> ("ike", message) | ("keepalive", b"") | ("esp", packet) | ("bad", b"")`,
  `frame_ike(message)`, `esp_header(packet) -> (spi, seq)`.
- Encapsulation-mode attribute values: RFC 3947 3/4 (UDP-Tunnel/UDP-Transport) and the draft's
  61443/61444.

A runtime binds both the IKE port (500) and the NAT-T port (4500) of an endpoint's address; see
`IkeEndpoint.receive(..., local_port=)` and `IkeEndpoint.source_port(data)`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import struct

IKE_PORT = 500
NAT_T_PORT = 4500
NON_ESP_MARKER = b"\0\0\0\0"
KEEPALIVE = b"\xff"

# RFC 3947 §3.1: md5("RFC 3947")
RFC3947_VID = bytes.fromhex("4a131c81070358455c5728f20e95452f")
# draft-ietf-ipsec-nat-t-ike-02 (two spellings: with and without the trailing newline) and -03,
# the drafts strongSwan, racoon and older Cisco/Juniper releases send beside the RFC one.
DRAFT_VIDS = (
    bytes.fromhex("cd60464335df21f87cfdb2fc68b6a448"),  # draft-ietf-ipsec-nat-t-ike-02
    bytes.fromhex("90cb80913ebb696e086381b5ec427b1f"),  # draft-ietf-ipsec-nat-t-ike-02\n
    bytes.fromhex("7d9419a65310ca6f2c179d9215529d56"),  # draft-ietf-ipsec-nat-t-ike-03
)
ALL_VIDS = (RFC3947_VID, *DRAFT_VIDS)

# payload types: RFC 3947 and the private-use numbers of the drafts
NAT_D = 20
NAT_OA = 21
NAT_D_DRAFT = 130
NAT_OA_DRAFT = 131

# IPsec DOI encapsulation-mode values
ENCAP_UDP_TUNNEL = 3
ENCAP_UDP_TRANSPORT = 4
ENCAP_UDP_TUNNEL_DRAFT = 61443
ENCAP_UDP_TRANSPORT_DRAFT = 61444

NAT_D_HASHES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256,
                "sha384": hashlib.sha384, "sha512": hashlib.sha512}  # by negotiated hash


def nat_t_version(vids: list[bytes] | tuple[bytes, ...]) -> str | None:
    """The NAT-T dialect a peer announced with its vendor IDs (RFC preferred)."""
    if RFC3947_VID in vids:
        return "rfc3947"
    if any(v in DRAFT_VIDS for v in vids):
        return "draft"
    return None


def nat_d_payload_type(version: str) -> int:
    return NAT_D if version == "rfc3947" else NAT_D_DRAFT


def nat_d_hash(hash_name: str, icookie: bytes, rcookie: bytes, ip: str, port: int) -> bytes:
    """RFC 3947 §3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), the negotiated hash algorithm."""
    fn = NAT_D_HASHES.get(hash_name, hashlib.sha1)
    return fn(icookie + rcookie + ipaddress.ip_address(ip).packed + struct.pack("!H", port)).digest()


def frame_ike(message: bytes) -> bytes:
    """An IKE message as the UDP payload on port 4500."""
    return NON_ESP_MARKER + message


def classify_4500(payload: bytes) -> tuple[str, bytes]:
    """Sort a UDP payload that arrived on the NAT-T port (RFC 3948 §2.2)."""
    if payload == KEEPALIVE:
        return "keepalive", b""
    if len(payload) >= 4 and payload[:4] == NON_ESP_MARKER:
        return "ike", payload[4:]
    if len(payload) >= 8:  # SPI (non-zero) + sequence number, then the encrypted rest
        return "esp", payload
    return "bad", b""


def esp_header(packet: bytes) -> tuple[int, int]:
    """(SPI, sequence number) of a UDP-encapsulated ESP packet; ValueError if too short."""
    if len(packet) < 8:
        raise ValueError("ESP packet shorter than its header")
    spi, seq = struct.unpack_from("!II", packet, 0)
    return spi, seq


def encap_attr(encap: str, udp: str) -> int:
    """Encapsulation-mode attribute for a proposal ("tunnel"/"transport", udp dialect or "")."""
    if not udp:
        return 1 if encap == "tunnel" else 2
    if udp == "draft":
        return ENCAP_UDP_TUNNEL_DRAFT if encap == "tunnel" else ENCAP_UDP_TRANSPORT_DRAFT
    return ENCAP_UDP_TUNNEL if encap == "tunnel" else ENCAP_UDP_TRANSPORT


def parse_encap(value: int) -> tuple[str, str] | None:
    """(encap, udp dialect) for an encapsulation-mode attribute value, None if unknown."""
    return {
        1: ("tunnel", ""),
        2: ("transport", ""),
        ENCAP_UDP_TUNNEL: ("tunnel", "rfc3947"),
        ENCAP_UDP_TRANSPORT: ("transport", "rfc3947"),
        ENCAP_UDP_TUNNEL_DRAFT: ("tunnel", "draft"),
        ENCAP_UDP_TRANSPORT_DRAFT: ("transport", "draft"),
    }.get(value)
