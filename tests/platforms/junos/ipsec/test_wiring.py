"""The Junos device in the world: its interface addresses follow the active configuration (boot
and every commit), the startup configuration's tunnels come up at boot, and the lab's module
fault and `request chassis pic` act on the same Device.modules."""

from __future__ import annotations

from ..harness import Transcript, lab


def _mine(app, name: str = "r1") -> set[str]:
    return {a for a, d in app.world.addresses.items() if d == name}


async def test_addresses_registered_at_boot_and_after_commit(mock_clock):
    async with lab(mock_clock) as app:
        assert {"192.0.2.1", "172.16.1.1", "10.255.0.1"} <= _mine(app)
        t = Transcript(app)
        await t.run("configure")
        await t.run("set interfaces ge-0/0/2 unit 0 family inet address 192.0.2.77/24")
        await t.run("delete interfaces lo0")
        assert await t.run("commit") == "commit complete\n"
        mine = _mine(app)
        assert "192.0.2.77" in mine and "10.255.0.1" not in mine
        assert app.world.network.links["r1"].addresses == mine  # the device's own link


async def test_links_hold_their_peer_addresses(mock_clock):
    async with lab(mock_clock) as app:
        links = app.world.network.links
        assert links["uplink"].addresses == {"198.51.100.1"}
        assert links["backup-path"].addresses == {"203.0.113.1"}
        t = Transcript(app)
        await t.run("lab link uplink down")
        assert not app.world.network.reachable("198.51.100.1")
        assert app.world.network.reachable("203.0.113.1")


async def test_lab_module_and_request_chassis_pic_agree(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        dev = app.devices["r1"]
        await t.run("lab module r1 1/2 fail")
        assert dev.modules[0].up is False
        assert "PIC 2  Offline" in await t.run("show chassis fpc pic-status")
        out = await t.run("request chassis pic fpc-slot 1 pic-slot 2 online")
        assert out.startswith("fpc 1 pic 2 online initiated")
        assert dev.modules[0].up is True
        assert "module 1/2  sp-1/2/0     services   capacity 1000   up" in await t.run("lab show")
        await t.run("request chassis pic fpc-slot 1 pic-slot 2 offline")
        assert dev.modules[0].up is False
        assert "capacity 1000   failed" in await t.run("lab show")
        await t.run("lab module r1 1/2 restore")
        assert "PIC 2  Online" in await t.run("show chassis fpc pic-status")


async def test_default_lab_boots_with_the_tunnel_up_to_the_primary(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        out = await t.run("show services ipsec-vpn ipsec security-associations")
        assert "Service set: vpn-hq" in out
        assert "  Local gateway: 192.0.2.1, Remote gateway: 198.51.100.1\n" in out
        assert "    inbound " in out and "    outbound " in out
        ike = await t.run("show services ipsec-vpn ike security-associations")
        assert "198.51.100.1    Matured" in ike
        # the pre-shared key is stored $9$-encoded and decodes to the peers' key
        conf = await t.run("show configuration services ipsec-vpn ike policy ike-hq")
        assert 'pre-shared-key ascii-text "$9$' in conf and "lab-secret" not in conf
        # traffic flows through the tunnel (the lab's [[traffic]] matches the rule's selectors)
        await t.run("lab clock advance 5s")
        flow = app.world.flows()[0]
        assert flow.delivered > 0 and "r1:vpn-hq/to-hq/lan-to-hq" in flow.tunnels


async def test_tour_fails_over_to_the_backup(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab clock advance 30s")
        out = await t.run("show services ipsec-vpn ipsec security-associations")
        assert "Remote gateway: 203.0.113.1\n" in out
