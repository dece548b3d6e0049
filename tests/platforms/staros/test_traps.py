"""The six crypto group notifications as real SNMPv2c traps, received by net-snmp's snmptrapd,
in the order of their causes, with the lab uptime of the second they happened and the group/map
names as varbinds (OIDs: traps.py, ours in the Starent enterprise tree)."""

from __future__ import annotations

import os
import select
import textwrap
import time

import pytest

from routershell.labs.labfile import parse_lab
from tests.labs.test_traps import TrapReceiver
from tests.platforms.junos.harness import Transcript, lab


class BurstReceiver(TrapReceiver):
    """snmptrapd as in tests/labs, read without stdio buffering: several traps sent in one lab
    instant arrive together, and a buffered readline would hide all but the first from select."""

    def line(self, timeout: float) -> str:
        buf = self.__dict__.setdefault("_buf", b"")
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in buf:
                text, _, buf = buf.partition(b"\n")
                self._buf = buf
                decoded = text.decode(errors="replace") + "\n"
                if decoded.startswith("TRAP") or "NET-SNMP version" in decoded:
                    return decoded
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                self._buf = buf
                return ""
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return ""
            buf += chunk


@pytest.fixture
def trapd(tmp_path):
    r = BurstReceiver(tmp_path)
    yield r
    r.close()

CONFIG = """config
  snmp target nms 127.0.0.1 port {port} security-name lab version 2
  context vpn
    interface wan
      ip address 192.0.2.1 255.255.255.0
      crypto-map m-pri
      crypto-map m-sec
    #exit
    ip access-list acl
      permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
    #exit
    ikev1 keepalive dpd interval 10 timeout 10 num-retry 3
    ipsec transform-set ts
    #exit
    crypto-group cg
      match address acl
      switchover auto
    #exit
    crypto map m-pri ipsec-isakmp
      set peer 192.0.2.10
      set ike pre-shared-key k
      set transform-set ts
      match crypto-group cg primary
    #exit
    crypto map m-sec ipsec-isakmp
      set peer 192.0.2.20
      set ike pre-shared-key k
      set transform-set ts
      match crypto-group cg secondary
    #exit
  #exit
end
"""

PEER = """
[[peers]]
address = "{addr}"
psk = "k"
ike = [{{ auth = "psk", hash = "sha1", cipher = "3des", dh_group = 2 }}]
ipsec = [{{ protocol = "esp", cipher = "3des", auth = "hmac-sha1" }}]
local_ts = "10.2.0.0/16"
remote_ts = "10.1.0.0/16"
"""


def lab_spec(port: int):
    text = textwrap.dedent('''\
        [devices.asr]
        platform = "staros"
        ''') + f'config = """{CONFIG.format(port=port)}"""\n' + PEER.format(addr="192.0.2.10") + PEER.format(addr="192.0.2.20")
    # primary silent 30 s .. 200 s, secondary silent 100 s .. 300 s
    for at, what in (("30s", "peer 192.0.2.10 down"), ("100s", "peer 192.0.2.20 down"),
                     ("200s", "peer 192.0.2.10 up"), ("300s", "peer 192.0.2.20 up")):
        text += f'\n[[events]]\nat = "{at}"\ndo = "{what}"\n'
    return parse_lab(text, "traps.toml")


BASE = ".1.3.6.1.4.1.8164"


def fields(trap: str) -> dict[str, str]:
    out = {}
    for part in trap.removeprefix("TRAP ").split("\t"):
        oid, _, value = part.strip().partition(" = ")
        out[oid] = value
    return out


@pytest.mark.external
async def test_six_notifications_reach_snmptrapd_in_order(mock_clock, trapd):
    async with lab(mock_clock, lab=lab_spec(trapd.port)) as app:
        t = Transcript(app)
        await t.run("lab clock advance 400s")
        traps = [fields(trapd.line(10.0)) for _ in range(7)]
        assert trapd.line(0.5) == ""  # nothing more
        history = await t.run("context vpn") + await t.run("show snmp trap history")
    got = [(int(tr[".1.3.6.1.2.1.1.3.0"].split("(")[1].split(")")[0]) // 100,
            tr[".1.3.6.1.6.3.1.1.4.1.0"].removeprefix("OID: "),
            tr[f"{BASE}.1.9001.3"]) for tr in traps]
    # primary dead at 70 (probe 30, retries 40..60): fail-over to the secondary; secondary dead
    # at 140: nowhere to go; the primary's attempt of 190 answers at its retransmission of 201;
    # the secondary's attempt of 300 comes up at once
    assert got == [
        (70, f"{BASE}.2.9001", 'STRING: "m-pri"'),
        (70, f"{BASE}.2.9005", 'STRING: "m-sec"'),
        (140, f"{BASE}.2.9003", 'STRING: "m-sec"'),
        (140, f"{BASE}.2.9006", 'STRING: "m-pri"'),
        (201, f"{BASE}.2.9002", 'STRING: "m-pri"'),
        (201, f"{BASE}.2.9005", 'STRING: "m-pri"'),
        (300, f"{BASE}.2.9004", 'STRING: "m-sec"'),
    ]
    for tr in traps:
        assert tr[f"{BASE}.1.9001.1"] == 'STRING: "vpn"' and tr[f"{BASE}.1.9001.2"] == 'STRING: "cg"'
    assert traps[0][f"{BASE}.1.9001.4"] == 'STRING: "192.0.2.10"'
    assert traps[1][f"{BASE}.1.9001.5"] == 'STRING: "m-pri"'  # moved from
    assert traps[3][f"{BASE}.1.9001.5"] == 'STRING: "m-sec"'  # tried to move from
    assert f"{BASE}.1.9001.5" not in traps[0]
    assert "There are 7 historical trap records" in history
