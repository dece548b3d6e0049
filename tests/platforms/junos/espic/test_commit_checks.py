"""ES PIC commit checks: manual SAs share the AS/MS PIC validation (SPI range, key lengths, weak
DES keys); es- units need a tunnel-mode SA and tunnel endpoints; routing protocols need a manual
bidirectional transport-mode SA."""

from __future__ import annotations

from ..harness import Transcript, lab

SA = "set security ipsec security-association {sa} "


async def _check(mock_clock, lines: list[str]) -> str:
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        for line in lines:
            out = await t.run(line)
            assert out == "", (line, out)
        return await t.run("commit check")


def _manual(sa: str, mode: str = "transport", spi: int = 300, key: str = "1234567890abcdef") -> list[str]:
    p = SA.format(sa=sa)
    return [p + f"mode {mode}", p + "manual direction bidirectional protocol ah",
            p + f"manual direction bidirectional spi {spi}",
            p + "manual direction bidirectional authentication algorithm hmac-md5-96",
            p + f"manual direction bidirectional authentication key ascii-text {key}"]


async def test_es_pic_manual_sa_weak_des_key_refused(mock_clock):
    p = SA.format(sa="w")
    out = await _check(mock_clock, [
        p + "mode tunnel", p + "manual direction bidirectional protocol esp",
        p + "manual direction bidirectional spi 300",
        p + "manual direction bidirectional encryption algorithm des-cbc",
        p + "manual direction bidirectional encryption key hexadecimal 0101010101010101",
    ])
    assert "[edit security ipsec security-association w manual direction bidirectional encryption]\n" in out
    assert "    des-cbc key is a weak key\n" in out
    assert out.endswith("error: configuration check-out failed\n")


async def test_es_pic_spi_range_and_key_length(mock_clock):
    out = await _check(mock_clock, _manual("a", spi=100) + _manual("b", key="short"))
    assert "  'spi 100'\n    SPI 100 is out of range (256..16639)\n" in out
    assert "Invalid key length for hmac-md5-96: 40 bits, must be 128 bits (16 ASCII characters)\n" in out


async def test_es_pic_valid_manual_sa_passes(mock_clock):
    assert await _check(mock_clock, _manual("ok", spi=16639)) == "configuration check succeeds\n"


async def test_ospf_needs_transport_mode_bidirectional_manual_sa(mock_clock):
    p = SA.format(sa="dyn")
    out = await _check(mock_clock, _manual("tun", mode="tunnel") + [
        p + "mode tunnel", "set security ipsec policy pol proposals prop",
        "set security ipsec proposal prop protocol esp", p + "dynamic ipsec-policy pol",
        "set protocols ospf area 0 interface ge-0/0/1.0 ipsec-sa tun",
        "set protocols ospf area 0 interface ge-0/0/2.0 ipsec-sa dyn",
    ])
    assert ("[edit protocols ospf area 0.0.0.0 interface ge-0/0/1.0]\n  'ipsec-sa tun'\n"
            "    OSPF requires a transport mode security association: tun\n") in out
    assert "    OSPF supports only manual bidirectional security associations: dyn\n" in out


async def test_es_unit_needs_tunnel_sa_and_endpoints(mock_clock):
    out = await _check(mock_clock, _manual("tr") + [
        "set interfaces es-1/0/0 unit 0 family inet ipsec-sa tr",
        "set interfaces es-1/0/0 unit 0 tunnel source 192.0.2.1",
        "set interfaces ge-0/0/1 unit 0 family inet ipsec-sa tr",
    ])
    assert "[edit interfaces es-1/0/0 unit 0]\n  'ipsec-sa tr'\n    security-association tr must be in tunnel mode\n" in out
    assert "[edit interfaces es-1/0/0 unit 0 tunnel]\n  'destination'\n    Missing mandatory statement: 'destination'\n" in out
    assert "    ipsec-sa is valid only on ES PIC (es-) interfaces: ge-0/0/1.0\n" in out


async def test_undefined_sa_and_missing_sa_type(mock_clock):
    out = await _check(mock_clock, [
        "set security ipsec security-association empty mode tunnel",
        "set firewall filter f term t then ipsec-sa nosuch",
        "set security ike policy 192.0.2.2 mode main",
    ])
    assert "  'ipsec-sa nosuch'\n    Referenced ipsec security-association 'nosuch' is not defined\n" in out
    assert "    Either dynamic or manual security association must be configured\n" in out
    assert ("[edit security ike policy 192.0.2.2]\n  'pre-shared-key'\n"
            "    pre-shared-key is required when the authentication method is pre-shared-keys\n") in out


async def test_ike_policy_is_named_by_an_address(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        out = await t.run("set security ike policy my-policy mode main")
        assert "syntax error" in out or "invalid" in out.lower(), out


async def test_vrf_with_an_es_interface_commits(mock_clock):
    out = await _check(mock_clock, _manual("tun", mode="tunnel") + [
        "set interfaces es-1/0/0 unit 0 tunnel source 192.0.2.1",
        "set interfaces es-1/0/0 unit 0 tunnel destination 192.0.2.2",
        "set interfaces es-1/0/0 unit 0 family inet ipsec-sa tun",
        "set routing-instances vpn-a instance-type vrf",
        "set routing-instances vpn-a interface es-1/0/0.0",
        "set routing-instances vpn-a route-distinguisher 65000:1",
        "set routing-instances vpn-a routing-options static route 10.9.0.0/16 next-hop es-1/0/0.0",
    ])
    assert out == "configuration check succeeds\n"
