"""pcap writer: parse our own output back; let tshark decode an ISAKMP header when available."""

import os
import shutil
import struct
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routershell.engine.pcap import (
    Datagram,
    LinkType,
    PcapError,
    checksum,
    from_pcap,
    ip_packet,
    to_pcap,
)

# minimal ISAKMP header: cookies, next payload none, version 1.0, main mode, no flags, id 0, len 28
ISAKMP = bytes.fromhex("0123456789abcdef") + bytes(8) + bytes([0, 0x10, 2, 0]) + struct.pack("!II", 0, 28)

V4 = Datagram(1.5, "192.0.2.1", 500, "192.0.2.2", 500, ISAKMP)
V6 = Datagram(2.25, "2001:db8::1", 500, "2001:db8::2", 4500, ISAKMP)


def test_global_header_and_record_layout():
    data = to_pcap([V4])
    magic, major, minor, _, _, snaplen, link = struct.unpack("<IHHiIII", data[:24])
    assert (magic, major, minor, snaplen, link) == (0xA1B2C3D4, 2, 4, 65535, 101)
    sec, usec, incl, orig = struct.unpack("<IIII", data[24:40])
    assert (sec, usec, incl, orig) == (1, 500000, 20 + 8 + 28, 20 + 8 + 28)


@pytest.mark.parametrize("link", list(LinkType))
def test_round_trip_both_families(link):
    got_link, records = from_pcap(to_pcap([V4, V6], link))
    assert got_link is link
    assert records == [V4, V6]


def test_checksums_verify():
    pkt = ip_packet(V4)
    assert checksum(pkt[:20]) == 0  # IPv4 header sums to zero with its checksum in place
    pseudo = pkt[12:20] + struct.pack("!xBH", 17, len(pkt) - 20)
    assert checksum(pseudo + pkt[20:]) == 0
    pkt6 = ip_packet(V6)
    pseudo6 = pkt6[8:40] + struct.pack("!I3xB", len(pkt6) - 40, 17)
    assert checksum(pseudo6 + pkt6[40:]) == 0
    assert struct.unpack("!H", pkt6[46:48])[0] != 0  # mandatory in IPv6


@pytest.mark.parametrize(
    "bad",
    [
        Datagram(0, "192.0.2.1", 500, "2001:db8::1", 500, b""),
        Datagram(0, "nope", 500, "192.0.2.1", 500, b""),
        Datagram(0, "192.0.2.1", 70000, "192.0.2.2", 500, b""),
        Datagram(-1, "192.0.2.1", 500, "192.0.2.2", 500, b""),
        Datagram(0, "192.0.2.1", 500, "192.0.2.2", 500, bytes(70000)),
    ],
)
def test_bad_records_raise_pcap_error(bad):
    with pytest.raises(PcapError):
        to_pcap([bad])


def test_garbage_capture_raises_pcap_error():
    with pytest.raises(PcapError):
        from_pcap(b"\0" * 10)
    with pytest.raises(PcapError):
        from_pcap(to_pcap([V4])[:-3])


addr4 = st.ip_addresses(v=4).map(str)
addr6 = st.ip_addresses(v=6).map(str)
port = st.integers(0, 65535)


@given(
    st.lists(
        st.one_of(
            st.builds(Datagram, st.integers(0, 2**31).map(lambda us: us / 1e6), addr4, port, addr4, port, st.binary(max_size=300)),
            st.builds(Datagram, st.integers(0, 2**31).map(lambda us: us / 1e6), addr6, port, addr6, port, st.binary(max_size=300)),
        ),
        max_size=5,
    ),
    st.sampled_from(list(LinkType)),
)
def test_round_trip_property(records, link):
    _, back = from_pcap(to_pcap(records, link))
    assert [(r.src, r.sport, r.dst, r.dport, r.payload) for r in back] == [
        (r.src, r.sport, r.dst, r.dport, r.payload) for r in records
    ]
    for a, b in zip(back, records, strict=True):
        assert a.timestamp == pytest.approx(b.timestamp, abs=1e-6)


@pytest.mark.external
@pytest.mark.parametrize("link", list(LinkType))
def test_tshark_decodes_isakmp(tmp_path, link):
    tshark = shutil.which("tshark")
    if tshark is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is required under CI")
        pytest.skip("tshark not installed")
    path = tmp_path / "ike.pcap"
    path.write_bytes(to_pcap([V4, V6], link))
    fields = ["ip.checksum.status", "udp.checksum.status", "isakmp.ispi", "isakmp.exchangetype",
              "isakmp.version", "isakmp.length", "udp.dstport"]
    cmd = [tshark, "-r", str(path), "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-T", "fields", "-E", "separator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    rows = [line.split(",") for line in out.splitlines()]
    # checksum status 1 = good
    assert rows == [
        ["1", "1", "0123456789abcdef", "2", "0x10", "28", "500"],
        ["", "1", "0123456789abcdef", "2", "0x10", "28", "4500"],
    ]
