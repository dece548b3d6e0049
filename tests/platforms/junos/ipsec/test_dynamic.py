"""Dynamic endpoints: a peer from an unknown address negotiates main mode with the access
profile's key; its proxy identity is checked against allowed-proxy-pair; the dynamic rule shows;
a reverse route (preference 1) is in `show route` — inet.0 or the inside interface's VRF table —
while the tunnel is up and gone when it goes.

The engine matches a responder's phase 2 identities exactly, so an allowed pair admits the peer
whose proxy identity is that pair (not a narrower subnet inside it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from routershell.labs.labfile import load_lab

from ..harness import Transcript, lab

LAB = Path(__file__).parent / "labs" / "dynamic.toml"


def _spec(**peer_changes):
    spec = load_lab(LAB)
    if peer_changes:
        spec = dataclasses.replace(spec, peers=(dataclasses.replace(spec.peers[0], **peer_changes),))
    return spec


async def test_dynamic_peer_connects_with_rule_and_reverse_route(mock_clock):
    async with lab(mock_clock, lab=_spec()) as app:
        t = Transcript(app)
        await t.run("lab clock advance 2s")
        out = await t.run("show services ipsec-vpn ipsec security-associations")
        assert out.startswith("Service set: dyn-ss\n\n  Rule: dynamic, Term: dynamic, Tunnel index: 1\n"
                              "  Local gateway: 10.20.1.1, Remote gateway: 198.18.0.5\n"
                              "  IPSec inside interface: sp-1/2/0.1\n")
        assert "198.18.0.5      Matured" in await t.run("show services ipsec-vpn ike security-associations")
        route = await t.run("show route protocol static")
        assert "inet.0: 1 destinations, 1 routes" in route  # only the reverse route is static
        assert "10.30.0.0/16       *[Static/1] 00:00:01\n                    > via sp-1/2/0.1\n" in route
        assert "10.30.0.0/16" not in await t.run("show route protocol direct")
        # the tunnel goes (the PIC fails): the reverse route goes with it
        await t.run("lab module r1 1/2 fail")
        assert "10.30.0.0/16" not in await t.run("show route protocol static")


async def test_reverse_route_in_the_vrf_table(mock_clock, tmp_path):
    conf = (LAB.parent / "dynamic_r1.conf").read_text()
    conf += "routing-instances {\n    vpn1 {\n        instance-type vrf;\n        interface sp-1/2/0.1;\n    }\n}\n"
    (tmp_path / "dynamic_r1.conf").write_text(conf)
    (tmp_path / "dynamic.toml").write_text(LAB.read_text())
    async with lab(mock_clock, lab=load_lab(tmp_path / "dynamic.toml")) as app:
        t = Transcript(app)
        await t.run("lab clock advance 2s")
        route = await t.run("show route table vpn1.inet.0")
        assert "vpn1.inet.0: 1 destinations, 1 routes" in route and "10.30.0.0/16       *[Static/1]" in route
        assert "10.30.0.0/16" not in await t.run("show route table inet.0")


async def test_proxy_identity_outside_the_allowed_pairs_is_refused(mock_clock):
    async with lab(mock_clock, lab=_spec(local_ts="10.99.0.0/16")) as app:
        t = Transcript(app)
        await t.run("lab clock advance 2s")
        assert await t.run("show services ipsec-vpn ipsec security-associations") == ""
        # phase 1 with the access profile's key worked; phase 2 was refused
        assert "198.18.0.5      Matured" in await t.run("show services ipsec-vpn ike security-associations")
        fails = [ev for _, _, ev in app.devices["r1"].tunnels.events if type(ev).__name__ == "NegotiationFailed"]
        assert fails and fails[0].reason == "invalid-id"
        assert "10.99.0.0/16" not in await t.run("show route")


async def test_wrong_key_gets_no_phase_1(mock_clock):
    async with lab(mock_clock, lab=_spec(psk="not-the-key")) as app:
        t = Transcript(app)
        await t.run("lab clock advance 2s")
        assert "Matured " not in await t.run("show services ipsec-vpn ike security-associations")
        assert await t.run("show services ipsec-vpn ipsec security-associations") == ""
