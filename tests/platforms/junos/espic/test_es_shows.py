"""ES PIC show ipsec security-associations / show ipsec redundancy / request ipsec switch, read
from the committed configuration and the device's switch state."""

from __future__ import annotations

from pathlib import Path

from ..harness import Transcript, lab

SEED = Path(__file__).parents[1] / "seed002"


async def _loaded(app, extra: list[str] = ()) -> Transcript:
    t = Transcript(app)
    await t.run("configure")
    text = (SEED / "19_filter_based_forwarding.conf").read_text()
    await t.run("load merge terminal", answers=text.splitlines() + ["\x04"])
    for line in extra:
        assert await t.run(line) == "", line
    assert await t.run("commit and-quit") == "commit complete\nExiting configuration mode\n\n"
    return t


async def test_show_ipsec_security_associations_from_the_commit(mock_clock):
    async with lab(mock_clock) as app:
        t = await _loaded(app)
        out = await t.run("show ipsec security-associations")
        assert out == ("Security association: sa-name\n"
                       "  Direction SPI         AUX-SPI     Mode       Type     Protocol\n"
                       "  inbound   16000       0           tunnel     manual   ESP\n"
                       "  outbound  16000       0           tunnel     manual   ESP\n")
        detail = await t.run("show ipsec security-associations sa-name detail")
        assert "  Interface: es-0/0/0.0, Local gateway: 192.0.2.1, Remote gateway: 192.0.2.2 (primary)\n" in detail
        assert "    Authentication: hmac-sha1-96, Encryption: 3des-cbc\n" in detail
        assert await t.run("show ipsec security-associations nosuch") == "error: security association nosuch not found\n"


async def test_request_ipsec_switch_moves_to_backup_and_back(mock_clock):
    async with lab(mock_clock) as app:
        t = await _loaded(app, ["set interfaces es-0/0/0 unit 0 tunnel backup-destination 192.0.2.3"])
        assert "  Active: 192.0.2.2 (primary)\n" in await t.run("show ipsec redundancy")
        assert await t.run("request ipsec switch interface es-0/0/0.0") == \
            "es-0/0/0.0: switched to backup destination 192.0.2.3\n"
        assert "  Active: 192.0.2.3 (backup)\n" in await t.run("show ipsec redundancy interface es-0/0/0.0")
        assert "KMD_VPN_SWITCH: es-0/0/0.0 switched from primary to backup" in await t.run("show log messages")
        await t.run("request ipsec switch interface es-0/0/0.0")
        assert "  Active: 192.0.2.2 (primary)\n" in await t.run("show ipsec redundancy")


async def test_switch_without_backup_is_refused(mock_clock):
    async with lab(mock_clock) as app:
        t = await _loaded(app)
        assert await t.run("request ipsec switch interface es-0/0/0.0") == \
            "error: interface es-0/0/0.0 has no backup-destination\n"
        assert await t.run("request ipsec switch interface es-9/0/0.0") == \
            "error: interface es-9/0/0.0 is not an ES PIC tunnel interface\n"


async def test_changed_endpoints_forget_the_switch(mock_clock):
    async with lab(mock_clock) as app:
        t = await _loaded(app, ["set interfaces es-0/0/0 unit 0 tunnel backup-destination 192.0.2.3"])
        await t.run("request ipsec switch interface es-0/0/0.0")
        await t.run("configure")
        await t.run("set interfaces es-0/0/0 unit 0 tunnel backup-destination 192.0.2.4")
        await t.run("commit and-quit")
        assert "  Active: 192.0.2.2 (primary)\n" in await t.run("show ipsec redundancy")


async def test_shipped_redundancy_lab(mock_clock):
    import trio

    from routershell.app import App
    from routershell.labs.labfile import load_lab

    path = Path(__file__).parents[4] / "routershell" / "labs" / "junos-es-redundancy.toml"
    app = App("virtual", trio_clock=mock_clock, lab=load_lab(path))
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            t = Transcript(app)
            assert "  Active: 198.51.100.1 (primary)\n" in await t.run("show ipsec redundancy")
            assert "1 of 1 objective passed.\n" in await t.run("lab grade")
            await t.run("request ipsec switch interface es-1/0/0.0")
            assert "  Active: 203.0.113.1 (backup)\n" in await t.run("show ipsec redundancy")
            assert "0 of 1 objective passed.\n" in await t.run("lab grade")
        finally:
            n.cancel_scope.cancel()
            await app.aclose()
