"""Services PIC failure and return (lab module / request chassis pic), clear-*-on-pic-restart,
and the clear commands renegotiating, in the default lab."""

from __future__ import annotations

from ..harness import Transcript, lab


def _spis(text: str) -> list[str]:
    return [line.split()[1] for line in text.splitlines() if line.strip().startswith(("inbound", "outbound"))]


def _cookies(text: str, peer: str) -> str:
    return next(line.split()[2] for line in text.splitlines() if line.startswith(peer))


IPSEC = "show services ipsec-vpn ipsec security-associations"
IKE = "show services ipsec-vpn ike security-associations"


async def test_pic_fail_takes_sas_down_and_return_renegotiates_keeping_ike(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        before_ipsec, before_ike = await t.run(IPSEC), await t.run(IKE)
        await t.run("request chassis pic fpc-slot 1 pic-slot 2 offline")
        assert await t.run(IPSEC) == ""
        assert "sp-1/2/0                 1              0  Offline" in await t.run("show services service-sets summary")
        assert "sp-1/2/0                up    down" in await t.run("show interfaces sp-1/2/0 terse")
        await t.run("request chassis pic fpc-slot 1 pic-slot 2 online")
        after = await t.run(IPSEC)
        assert "Remote gateway: 198.51.100.1" in after
        assert set(_spis(after)).isdisjoint(_spis(before_ipsec))  # new IPsec SAs
        # no clear-ike-sas-on-pic-restart: the IKE SA lived on; quick mode only
        assert _cookies(await t.run(IKE), "198.51.100.1") == _cookies(before_ike, "198.51.100.1")


async def test_clear_ike_sas_on_pic_restart_starts_phase_1_again(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set services ipsec-vpn clear-ike-sas-on-pic-restart")
        await t.run("set services ipsec-vpn clear-ipsec-sas-on-pic-restart")
        assert await t.run("commit") == "commit complete\n"
        await t.run("exit")
        before = await t.run(IKE)
        await t.run("lab module r1 1/2 fail")
        assert await t.run(IPSEC) == ""
        assert "PIC 2  Offline" in await t.run("show chassis fpc pic-status")
        await t.run("lab module r1 1/2 restore")
        await t.run("lab clock advance 2s")
        ike = await t.run(IKE)
        assert "198.51.100.1    Matured" in ike
        assert _cookies(ike, "198.51.100.1") != _cookies(before, "198.51.100.1")
        assert "Remote gateway: 198.51.100.1" in await t.run(IPSEC)


async def test_clear_commands_renegotiate(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        first = await t.run(IPSEC)
        assert await t.run("clear services ipsec-vpn ipsec security-associations") == ""
        second = await t.run(IPSEC)
        assert "Remote gateway: 198.51.100.1" in second and set(_spis(second)).isdisjoint(_spis(first))
        peer = app.world.peer("198.51.100.1")
        assert any(type(ev).__name__ == "Phase2Down" and ev.reason == "peer-delete" for _, ev in peer.events)
        ike1 = await t.run(IKE)
        await t.run("clear services ipsec-vpn ike security-associations remote-gateway 198.51.100.1")
        await t.run("clear services ipsec-vpn ipsec security-associations")
        ike2 = await t.run(IKE)
        assert "198.51.100.1    Matured" in ike2
        assert _cookies(ike2, "198.51.100.1") != _cookies(ike1, "198.51.100.1")
