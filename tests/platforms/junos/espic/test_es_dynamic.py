"""ES PIC dynamic SAs: two routers negotiate IKE (policy named by the peer's address, seed 002)
and IPsec for their es- tunnels; show ike security-associations lists the IKE SA, show ipsec
security-associations the negotiated SPIs, and the flow's packets move the counters."""

from __future__ import annotations

import trio

from routershell.app import App

from ..harness import Transcript
from .es_lab import es_dynamic_lab


async def _shows(mock_clock, spec) -> tuple[str, str, str]:
    app = App("virtual", trio_clock=mock_clock, lab=spec)
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            t = Transcript(app)
            await t.run("lab clock advance 10s")
            return (await t.run("show ike security-associations"), await t.run("show ipsec security-associations"),
                    await t.run("show ipsec security-associations detail"))
        finally:
            n.cancel_scope.cancel()
            await app.aclose()


async def test_dynamic_sa_negotiates_between_two_routers(mock_clock):
    ike, ipsec, detail = await _shows(mock_clock, es_dynamic_lab())
    assert ike.splitlines()[1].split()[:2] == ["192.0.2.2", "Matured"], ike
    rows = [ln.split() for ln in ipsec.splitlines() if "dynamic" in ln]
    assert [r[0] for r in rows] == ["inbound", "outbound"] and all(r[5] == "ESP" for r in rows), ipsec
    assert "Errors: bad SPI 0, authentication 0" in detail
    packets_in = int(detail.split("Packets in ")[1].split(",")[0])
    assert packets_in > 0


async def test_psk_mismatch_gives_no_sa(mock_clock):
    ike, ipsec, _ = await _shows(mock_clock, es_dynamic_lab(r2_psk="other"))
    assert "Matured" not in ike
    assert "dynamic" not in ipsec
