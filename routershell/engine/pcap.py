"""UDP datagrams to classic pcap bytes (and back), so a lab's IKE traffic opens in Wireshark.

Pure functions: records in, bytes out. IPv4 and IPv6, raw IP (LINKTYPE_RAW, 101) or Ethernet
(LINKTYPE_ETHERNET, 1) with fixed locally administered MAC addresses. IP and UDP checksums are
computed; IP identification counts up from 1 per capture so output is deterministic.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

MAGIC = 0xA1B2C3D4  # microsecond timestamps
SNAPLEN = 65535
SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
TTL = 64


class PcapError(ValueError):
    """A record cannot be written (bad address, port, size, time) or a capture cannot be read."""


class LinkType(IntEnum):
    ETHERNET = 1
    RAW = 101


@dataclass(frozen=True)
class Datagram:
    timestamp: float
    src: str
    sport: int
    dst: str
    dport: int
    payload: bytes


def checksum(data: bytes) -> int:
    """RFC 1071 one's complement sum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _udp(src_b: bytes, dst_b: bytes, sport: int, dport: int, payload: bytes, v6: bool) -> bytes:
    length = 8 + len(payload)
    if v6:
        pseudo = src_b + dst_b + struct.pack("!I3xB", length, 17)
    else:
        pseudo = src_b + dst_b + struct.pack("!xBH", 17, length)
    header = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(pseudo + header + payload)
    # a computed 0 is sent as 0xFFFF (0 means "no checksum" in IPv4, forbidden in IPv6)
    return struct.pack("!HHHH", sport, dport, length, csum or 0xFFFF) + payload


def ip_packet(d: Datagram, ident: int = 1) -> bytes:
    """The IPv4 or IPv6 packet carrying `d` as UDP."""
    try:
        src, dst = ipaddress.ip_address(d.src), ipaddress.ip_address(d.dst)
    except ValueError as exc:
        raise PcapError(str(exc)) from None
    if src.version != dst.version:
        raise PcapError("source and destination must be the same address family")
    for port in (d.sport, d.dport):
        if not 0 <= port <= 0xFFFF:
            raise PcapError(f"bad UDP port {port}")
    v6 = src.version == 6
    if len(d.payload) > 0xFFFF - (8 if v6 else 28):
        raise PcapError("datagram too large for one IP packet")
    udp = _udp(src.packed, dst.packed, d.sport, d.dport, bytes(d.payload), v6)
    if v6:
        return struct.pack("!IHBB", 6 << 28, len(udp), 17, TTL) + src.packed + dst.packed + udp
    total = 20 + len(udp)
    head = struct.pack("!BBHHHBBH", 0x45, 0, total, ident & 0xFFFF, 0, TTL, 17, 0)
    head += src.packed + dst.packed
    head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
    return head + udp


def frame(d: Datagram, link: LinkType, ident: int = 1) -> bytes:
    packet = ip_packet(d, ident)
    if link is LinkType.RAW:
        return packet
    ethertype = 0x86DD if packet[0] >> 4 == 6 else 0x0800
    return DST_MAC + SRC_MAC + struct.pack("!H", ethertype) + packet


def file_header(link: LinkType = LinkType.RAW) -> bytes:
    """The classic pcap global header (little-endian, microsecond stamps)."""
    return struct.pack("<IHHiIII", MAGIC, 2, 4, 0, 0, SNAPLEN, int(link))


def record(d: Datagram, link: LinkType = LinkType.RAW, ident: int = 1) -> bytes:
    """One packet record (header + frame), so a capture can be streamed to disk."""
    if not d.timestamp >= 0:
        raise PcapError("timestamps must be non-negative")
    data = frame(d, link, ident)
    usec_total = round(d.timestamp * 1_000_000)
    sec, usec = divmod(usec_total, 1_000_000)
    if sec > 0xFFFFFFFF:
        raise PcapError("timestamp beyond the pcap range")
    return struct.pack("<IIII", sec, usec, len(data), len(data)) + data


def to_pcap(records: Iterable[Datagram], link: LinkType = LinkType.RAW) -> bytes:
    """A complete classic pcap file (little-endian header, microsecond stamps)."""
    return file_header(link) + b"".join(record(d, link, i) for i, d in enumerate(records, 1))


def from_pcap(data: bytes) -> tuple[LinkType, list[Datagram]]:
    """Read back a classic pcap of UDP over IPv4/IPv6 (as written by `to_pcap`)."""
    if len(data) < 24:
        raise PcapError("truncated pcap header")
    magic = struct.unpack("<I", data[:4])[0]
    if magic == MAGIC:
        end = "<"
    elif magic == 0xD4C3B2A1:
        end = ">"
    else:
        raise PcapError("not a microsecond pcap file")
    try:
        link = LinkType(struct.unpack(end + "I", data[20:24])[0])
    except ValueError:
        raise PcapError("unsupported link type") from None
    pos, records = 24, []
    while pos < len(data):
        if pos + 16 > len(data):
            raise PcapError("truncated record header")
        sec, usec, incl, _orig = struct.unpack(end + "IIII", data[pos : pos + 16])
        pkt = data[pos + 16 : pos + 16 + incl]
        if len(pkt) != incl:
            raise PcapError("truncated record")
        pos += 16 + incl
        records.append(_parse_packet(sec + usec / 1_000_000, pkt, link))
    return link, records


def _parse_packet(ts: float, pkt: bytes, link: LinkType) -> Datagram:
    if link is LinkType.ETHERNET:
        pkt = pkt[14:]
    if not pkt:
        raise PcapError("empty packet")
    if pkt[0] >> 4 == 4:
        ihl = (pkt[0] & 0x0F) * 4
        if len(pkt) < ihl + 8 or pkt[9] != 17:
            raise PcapError("not a UDP/IPv4 packet")
        src, dst = pkt[12:16], pkt[16:20]
        udp = pkt[ihl:]
    elif pkt[0] >> 4 == 6:
        if len(pkt) < 48 or pkt[6] != 17:
            raise PcapError("not a UDP/IPv6 packet")
        src, dst = pkt[8:24], pkt[24:40]
        udp = pkt[40:]
    else:
        raise PcapError("not an IP packet")
    sport, dport, length, _ = struct.unpack("!HHHH", udp[:8])
    return Datagram(
        ts,
        str(ipaddress.ip_address(src)),
        sport,
        str(ipaddress.ip_address(dst)),
        dport,
        bytes(udp[8:length]),
    )


__all__ = [
    "Datagram",
    "LinkType",
    "PcapError",
    "checksum",
    "frame",
    "from_pcap",
    "ip_packet",
    "to_pcap",
]
