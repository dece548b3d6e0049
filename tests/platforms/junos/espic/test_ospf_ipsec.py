"""OSPFv2 with an IPsec transport SA between two emulated routers (seed 002, "Configuring IPSec
for OSPFv2"): matching SAs form a Full adjacency on the lab clock; a different SPI or key keeps it
down and shows as refused hellos, never as a silent adjacency."""

from __future__ import annotations

import trio

from routershell.app import App

from ..harness import Transcript
from .ospf_lab import ospf_lab


async def _run(mock_clock, spec, seconds: float, *cmds: str) -> list[str]:
    app = App("virtual", trio_clock=mock_clock, lab=spec)
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            t = Transcript(app)
            await t.run(f"lab clock advance {seconds}s")
            return [await t.run(c) for c in cmds]
        finally:
            n.cancel_scope.cancel()
            await app.aclose()


async def test_matching_sa_forms_full_adjacency(mock_clock):
    nbr, detail = await _run(mock_clock, ospf_lab(), 25, "show ospf neighbor", "show ospf interface detail")
    assert nbr.splitlines()[1].split()[:4] == ["10.0.12.2", "ge-0/0/1.0", "Full", "10.255.0.2"]
    # r2 has the higher router ID: DR; r1 is BDR (seed 002 example layout)
    assert detail.splitlines()[1].split() == ["ge-0/0/1.0", "BDR", "0.0.0.0", "10.255.0.2", "10.255.0.1", "1"]
    assert "  DR addr 10.0.12.2, BDR addr 10.0.12.1, Adj count 1, Priority 128\n" in detail
    assert detail.endswith("  Hello 10, Dead 40, ReXmit 5, Not Stub\n  IPsec SA Name: sa1\n")


async def test_adjacency_needs_hellos_both_ways(mock_clock):
    # at boot the first hellos cross: Init, then 2Way/Full on the next hello (10 s later)
    (nbr,) = await _run(mock_clock, ospf_lab(), 1, "show ospf neighbor")
    assert nbr.splitlines()[1].split()[2] == "Init"


async def test_spi_mismatch_keeps_adjacency_down(mock_clock):
    nbr, stats = await _run(mock_clock, ospf_lab(r2_spi=257), 60, "show ospf neighbor", "show ospf statistics")
    assert len(nbr.splitlines()) == 1  # header only: no neighbour at all
    row = stats.splitlines()[1].split()
    assert row[0] == "ge-0/0/1.0" and int(row[1]) >= 6 and row[2] == "0" and int(row[3]) >= 6 and row[4] == "0"


async def test_key_mismatch_counts_authentication_failures(mock_clock):
    nbr, stats, itf = await _run(mock_clock, ospf_lab(r2_key="fedcba0987654321"), 60,
                                 "show ospf neighbor", "show ospf statistics", "show ospf interface")
    assert len(nbr.splitlines()) == 1
    row = stats.splitlines()[1].split()
    assert row[3] == "0" and int(row[4]) >= 6
    assert itf.splitlines()[1].split()[1] == "DR" and itf.splitlines()[1].split()[-1] == "0"


async def test_sa_on_one_side_only_keeps_adjacency_down(mock_clock):
    (nbr,) = await _run(mock_clock, ospf_lab(r2_sa=False), 60, "show ospf neighbor")
    assert len(nbr.splitlines()) == 1


async def test_neighbor_goes_down_after_dead_interval(mock_clock):
    app = App("virtual", trio_clock=mock_clock, lab=ospf_lab())
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            t = Transcript(app)
            await t.run("lab clock advance 25s")
            assert "Full" in await t.run("show ospf neighbor")
            await t.run("lab attach r2")
            await t.run("configure")
            await t.run("set security ipsec security-association sa1 manual direction bidirectional spi 999")
            assert await t.run("commit") == "commit complete\n"
            await t.run("exit")
            await t.run("lab clock advance 41s")
            assert "Full" not in await t.run("show ospf neighbor")
            log = await t.run("show log messages")
            assert ("r2 rpd[1201]: RPD_OSPF_NBRDOWN: OSPF neighbor 10.0.12.1 (realm ospf-v2 ge-0/0/1.0 area 0.0.0.0) "
                    "state changed from Full to Down due to KillNbr\n") in log
            await t.run("lab attach r1")
            assert "Full" not in await t.run("show ospf neighbor")
            # r1 hears nothing it can accept: the neighbour dies 40 s after r2's last good hello
            log = await t.run("show log messages")
            assert ("RPD_OSPF_NBRDOWN: OSPF neighbor 10.0.12.2 (realm ospf-v2 ge-0/0/1.0 area 0.0.0.0) "
                    "state changed from Full to Down due to InactivityTimer\n") in log
        finally:
            n.cancel_scope.cancel()
            await app.aclose()
