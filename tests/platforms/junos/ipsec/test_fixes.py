"""Fixes: `load merge` stores secrets $9$-encoded; `| display inheritance defaults`;
`show route protocol static`; `show interfaces sp-…` follows the PIC."""

from __future__ import annotations

from routershell.platforms.junos.secrets import decrypt9

from ..harness import Transcript, lab
from .helpers import conf, load


async def test_load_merge_encodes_secret_leaves(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await load(t, conf("interface_service.conf"))
        out = await t.run("show services ipsec-vpn ike policy ike-pol")
        assert "primary-key" not in out
        stored = out.split('pre-shared-key ascii-text "')[1].split('"')[0]
        assert stored.startswith("$9$") and decrypt9(stored) == "primary-key"
        assert await t.run("commit check") == "configuration check succeeds\n"  # the encoded key passes


async def test_display_inheritance_defaults_spelling(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        out = await t.run("show services ipsec-vpn ipsec proposal esp-3des-sha1 | display inheritance defaults")
        assert "syntax error" not in out and "protocol esp;" in out
        assert out == await t.run("show services ipsec-vpn ipsec proposal esp-3des-sha1 | display inheritance default")


async def test_show_route_protocol_static(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        out = await t.run("show route protocol static")
        assert "inet.0: 1 destinations, 1 routes" in out and "0.0.0.0/0          *[Static/5]" in out
        assert "Local" not in out and "Direct" not in out
        assert "Static" not in await t.run("show route protocol direct")


async def test_show_interfaces_sp_follows_the_pic(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        assert "Physical interface: sp-1/2/0, Enabled, Physical link is Up" in await t.run("show interfaces sp-1/2/0")
        await t.run("request chassis pic fpc-slot 1 pic-slot 2 offline")
        assert "Physical interface: sp-1/2/0, Enabled, Physical link is Down" in await t.run("show interfaces sp-1/2/0")
        assert "sp-1/2/0.0              up    down inet" in await t.run("show interfaces terse")
