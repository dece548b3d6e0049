"""The datagrams r1 puts on the wire, captured to a pcap and decoded by tshark, agree with what
the shows say: every send second of the incremental schedule, the number of messages sent and
the next retransmission of `SHow ISAkmp EXchange`, and one new initiator cookie per retry
(retryIkeAttemptsPh1)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import require_tool

from .helpers import PEER, R1, Lab, peer
from .test_retry import counter


def decode(path, home) -> list[tuple[float, str, str, int]]:
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-e", "frame.time_epoch", "-e", "ip.src",
         "-e", "isakmp.ispi", "-e", "isakmp.exchangetype"],
        capture_output=True, text=True, timeout=60, check=True, env={**os.environ, "HOME": str(home)},
    ).stdout
    rows = []
    for line in out.splitlines():
        t, src, ispi, ex = line.split("\t")
        rows.append((float(t), src, ispi.replace(":", ""), int(ex)))
    return rows


@pytest.mark.external
async def test_pcap_send_times_agree_with_the_exchange_show(mock_clock, world, tmp_path):
    require_tool("tshark")
    lab = Lab(world)
    world.network.capture = None  # the lab's capture takes the tap
    world.add_peer(peer(reachable=False))
    world.capture_start(tmp_path / "r1.pcap")
    lab.configure("retryikeattempts=1")
    await lab.advance(300)  # first exchange timed out at 292; the retry sent at 292 and 296
    show = lab.cmd("show isakmp exchange=2")
    counters = counter(lab, "retryIkeAttemptsPh1")
    await lab.advance(0)
    assert world.capture_stop() == 11
    rows = decode(tmp_path / "r1.pcap", tmp_path)
    epoch = world.clock.epoch.timestamp()
    assert {src for _, src, _, _ in rows} == {R1}
    assert {ex for *_, ex in rows} == {2}  # identity protection (main mode)
    cookies = list(dict.fromkeys(ispi for _, _, ispi, _ in rows))
    assert len(cookies) == 1 + counters == 2
    first = [round(t - epoch, 3) for t, _, c, _ in rows if c == cookies[0]]
    second = [round(t - epoch, 3) for t, _, c, _ in rows if c == cookies[1]]
    assert first == [0, 4, 12, 28, 52, 84, 124, 172, 228]
    assert second == [292, 296]
    # the show: the retry's exchange has sent 2 messages, the next is due 8 s after the last
    assert f"Messages Sent ............................. {len(second)}\n" in show
    assert f"Started (s) ............................... {int(second[0])}\n" in show
    assert f"Next Event (s) ............................ {int(second[-1] + 8 - 300)}\n" in show
    assert f"Peer Address .............................. {PEER}\n" in show
