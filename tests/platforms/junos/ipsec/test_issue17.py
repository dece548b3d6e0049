"""Issue 17 defects in the default lab (r1: primary 198.51.100.1, backup 203.0.113.1, the
lan-to-hq flow running), each reproduced as the issue describes, on the virtual clock."""

from __future__ import annotations

import re

from routershell.engine import failover as fo

from ..harness import Transcript, lab

PRIMARY, BACKUP = "198.51.100.1", "203.0.113.1"
TUNNEL = "vpn-hq/to-hq/lan-to-hq"


def _when(app, kind, since: float = 0.0, **attrs) -> list[float]:
    return [round(t, 3) for t, _n, ev in app.devices["r1"].tunnels.events
            if t >= since and isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in attrs.items())]


def _stat(text: str, name: str) -> int:
    m = re.search(rf"{name}:\s+(\d+)", text)
    assert m, text
    return int(m.group(1))


async def test_defect_1_traffic_follows_the_tunnel_after_failover(mock_clock, tmp_path):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run(f"lab capture start {tmp_path / 'f.pcap'}")
        await t.run("lab clock advance 60s")
        await t.run(f"lab peer {PRIMARY} down")
        await t.run("lab clock advance 120s")
        await t.run("lab capture stop")
        out = await t.run("show services ipsec-vpn ipsec statistics")
        switched = _when(app, fo.Activated)
        assert len(switched) == 1 and 76 <= switched[0] < 77  # dead at the 70 s poll + 6 s
        # the backup tunnel decrypts the far host's replies (10 pps) from the failover on
        assert _stat(out, "Decrypted packets") >= 10 * (180 - 77)
        assert _stat(out, "Decrypted packets") == _stat(out, "Encrypted packets")
        # and the live backup, never idle, is never probed at the 10-s polls
        assert _when(app, fo.SendDpdHello, since=switched[0], gateway=BACKUP) == []
