"""ES PIC manual SAs between two emulated routers carry the lab's traffic flow; both ends must
agree (seed 002: "Be sure that these choices are configured exactly the same way on the remote
IPSec gateway"): another key shows as authentication errors, another SPI as bad-SPI errors, and
no packet gets through — never a tunnel that silently works."""

from __future__ import annotations

import re

import trio

from routershell.app import App

from ..harness import Transcript
from .es_lab import es_lab


async def _detail(mock_clock, spec, seconds: int = 10) -> tuple[str, str]:
    app = App("virtual", trio_clock=mock_clock, lab=spec)
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            t = Transcript(app)
            await t.run(f"lab clock advance {seconds}s")
            r1 = await t.run("show ipsec security-associations detail")
            await t.run("lab attach r2")
            r2 = await t.run("show ipsec security-associations detail")
            return r1, r2
        finally:
            n.cancel_scope.cancel()
            await app.aclose()


def _counts(text: str) -> tuple[int, int, int, int]:
    m = re.search(r"Packets in (\d+), out (\d+);.*\n    Errors: bad SPI (\d+), authentication (\d+)", text)
    assert m, text
    return tuple(int(x) for x in m.groups())  # type: ignore[return-value]


async def test_matching_manual_sas_carry_the_flow(mock_clock):
    r1, r2 = await _detail(mock_clock, es_lab())
    # 10 pps each way from t=0 to t=10 (11 ticks)
    assert _counts(r1) == (110, 110, 0, 0)
    assert _counts(r2) == (110, 110, 0, 0)
    assert "  Interface: es-0/0/0.0, Local gateway: 192.0.2.1, Remote gateway: 192.0.2.2 (primary)\n" in r1


async def test_key_mismatch_shows_authentication_errors(mock_clock):
    r1, r2 = await _detail(mock_clock, es_lab(r2_key="abcdefghij0123456789"))
    assert _counts(r1) == (0, 110, 0, 110)
    assert _counts(r2) == (0, 110, 0, 110)


async def test_spi_mismatch_shows_bad_spi_errors(mock_clock):
    r1, r2 = await _detail(mock_clock, es_lab(r2_spi=16001))
    assert _counts(r1) == (0, 110, 110, 0)
    assert _counts(r2) == (0, 110, 110, 0)


async def test_counters_move_with_the_lab_clock(mock_clock):
    r1, _ = await _detail(mock_clock, es_lab(), seconds=30)
    assert _counts(r1)[:2] == (310, 310)


async def test_show_interfaces_es_counters_move_with_traffic(mock_clock):
    app = App("virtual", trio_clock=mock_clock, lab=es_lab(r2_key="abcdefghij0123456789"))
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            t = Transcript(app)
            await t.run("lab clock advance 10s")
            first = await t.run("show interfaces es-0/0/0")
            await t.run("lab clock advance 10s")
            second = await t.run("show interfaces es-0/0/0")
        finally:
            n.cancel_scope.cancel()
            await app.aclose()
    assert "    Flags: Point-To-Point SNMP-Traps Encapsulation: IPSec\n" in first
    assert "    Input packets : 0, bytes: 0\n    Output packets: 110, bytes: 11000\n    Input errors  : 110\n" in first
    assert "    Output packets: 210, bytes: 21000\n    Input errors  : 210\n" in second
