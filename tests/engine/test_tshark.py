"""Wireshark decodes our ISAKMP: write a pcap of a negotiation and read it back with tshark."""

import os
import shutil
import subprocess

import pytest

from routershell.engine.pcap import Datagram, to_pcap

from .helpers import B, make_pair, up


@pytest.mark.external
def test_tshark_decodes_main_quick_informational(tmp_path):
    if shutil.which("tshark") is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is required under CI")
        pytest.skip("tshark not installed (apt-get install tshark)")
    pair = up(make_pair())
    pair.a.delete_child(B, "vpn", 1.0)
    pair.pump()
    records = [Datagram(t, s[0], s[1], d[0], d[1], data) for t, s, d, data in pair.log]
    path = tmp_path / "ike.pcap"
    path.write_bytes(to_pcap(records))
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-e", "isakmp.exchangetype", "-e",
         "isakmp.ispi", "-e", "isakmp.flags"],
        capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    ).stdout.split("\n")
    rows = [line.split("\t") for line in out if line.strip()]
    assert [int(r[0]) for r in rows] == [2] * 6 + [32] * 3 + [5]
    icookie = pair.log[0][3][:8].hex()
    assert all(r[1].replace(":", "").endswith(icookie) for r in rows)
    # messages 5 and 6 and everything after phase 1 carry the encryption flag
    assert [int(r[2], 16) & 1 for r in rows] == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
