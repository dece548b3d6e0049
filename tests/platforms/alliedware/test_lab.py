"""The shipped alliedware-retry lab on the virtual clock: hq is silent for 10 minutes, refuses
r1's proposals once, then accepts. r1 (retryikeattempts=continuous) times out at 292 s and
584 s, its third exchange retransmits into the refusal at 612 s, the retry comes up at once."""

from __future__ import annotations

from routershell.engine.events import NegotiationFailed, Phase2Up
from routershell.engine.retry import Retry, Trigger
from routershell.labs.labfile import load_lab

from .harness import LAB, Transcript, lab


def _when(app, kind, **attrs) -> list[float]:
    return [round(t, 3) for t, _n, ev in app.devices["r1"].tunnels.events
            if isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in attrs.items())]


def test_the_lab_file_loads_with_its_refusing_peer():
    spec = load_lab(LAB)
    assert spec.devices[0].platform == "alliedware" and spec.devices[0].model == "AR450S"
    hq = spec.peers[0]
    assert (hq.reachable, hq.reject_proposals) == (False, 1)
    assert [(e.at, e.do) for e in spec.events] == [(600.0, "peer 203.0.113.2 up")]


async def test_timeline_of_the_permanent_vpn(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        assert "Tunnel State .............................. Negotiating" in await t.run("show ipsec policy=vpn")
        await t.run("lab clock advance-to 00:09:59")
        assert _when(app, NegotiationFailed, reason="timeout") == [292, 584]
        retries = [(round(x, 3), ev.trigger) for x, _n, ev in app.devices["r1"].tunnels.events
                   if isinstance(ev, Retry)]
        assert retries == [(292, Trigger.TIMEOUT), (584, Trigger.TIMEOUT)]
        await t.run("lab clock advance-to 00:10:30")
        refused = _when(app, NegotiationFailed, reason="no-proposal-chosen")
        assert len(refused) == 1 and 612 < refused[0] < 612.05
        assert len(_when(app, Retry)) == 3 and _when(app, Retry)[2] == refused[0]
        up = _when(app, Phase2Up)
        assert len(up) == 1 and refused[0] < up[0] < 612.2
        assert "Tunnel State .............................. Established" in await t.run("show ipsec policy=vpn")
        grade = await t.run("lab grade")
        assert "2 of 2 objectives passed." in grade


async def test_the_lab_settles_into_one_sa_each_way(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab clock advance 15m")
        assert len((await t.run("show ipsec sa")).strip().splitlines()) == 3
        assert len((await t.run("show isakmp sa")).strip().splitlines()) == 3
        peer = app.world.peer("203.0.113.2")
        assert peer.rejects_left == 0 and peer.established()


def test_the_lab_is_found_by_name():
    import argparse

    import pytest

    from routershell.main import _existing_file

    assert _existing_file("alliedware-retry").samefile(LAB)
    with pytest.raises(argparse.ArgumentTypeError):
        _existing_file("../alliedware-retry")
    with pytest.raises(argparse.ArgumentTypeError):
        _existing_file("no-such-lab")
