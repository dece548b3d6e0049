"""The seed's configuration examples load and pass `commit check`; each refusal prints its Junos
message under the statement's [edit ...] level and `commit` keeps the candidate."""

from __future__ import annotations

import pytest

from routershell.platforms.junos.ipsec.checks import check, des_weakness

from ..harness import Transcript, lab
from .helpers import conf, load, tree

EXAMPLES = ["routed_tunnels.conf", "vrf_next_hop.conf", "dynamic_endpoints.conf", "interface_service.conf", "manual_sa.conf"]


@pytest.mark.parametrize("name", EXAMPLES)
async def test_seed_examples_load_and_pass_commit_check(mock_clock, name):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        assert (await load(t, conf(name))).endswith("\nload complete\n")
        assert await t.run("commit check") == "configuration check succeeds\n"
        assert await t.run("commit") == "commit complete\n"


BASE = conf("routed_tunnels.conf")


async def _refused(mock_clock, extra: list[str], text: str = BASE) -> str:
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await load(t, text)
        for line in extra:
            out = await t.run(line)
            assert out == "", (line, out)
        result = await t.run("commit check")
        # commit refuses with the same report and the candidate keeps the change
        assert await t.run("commit") == result
        assert (await t.run("show | compare")) != ""
        return result


async def test_weak_des_key_refused(mock_clock):
    out = await _refused(mock_clock, [
        "set services ipsec-vpn rule m term t then remote-gateway 10.1.1.2",
        "set services ipsec-vpn rule m term t then manual direction bidirectional protocol esp",
        "set services ipsec-vpn rule m term t then manual direction bidirectional spi 300",
        "set services ipsec-vpn rule m term t then manual direction bidirectional encryption algorithm des-cbc",
        "set services ipsec-vpn rule m term t then manual direction bidirectional encryption key hexadecimal 0101010101010101",
    ])
    assert "[edit services ipsec-vpn rule m term t then manual direction bidirectional encryption]\n" in out
    assert "    des-cbc key is a weak key\n" in out
    assert out.endswith("error: configuration check-out failed\n")


async def test_key_length_refused(mock_clock):
    out = await _refused(mock_clock, [
        "set services ipsec-vpn rule m term t then remote-gateway 10.1.1.2",
        "set services ipsec-vpn rule m term t then manual direction bidirectional protocol ah",
        "set services ipsec-vpn rule m term t then manual direction bidirectional spi 300",
        "set services ipsec-vpn rule m term t then manual direction bidirectional authentication algorithm hmac-sha1-96",
        "set services ipsec-vpn rule m term t then manual direction bidirectional authentication key ascii-text shortkey",
    ])
    assert "[edit services ipsec-vpn rule m term t then manual direction bidirectional authentication]\n" in out
    assert "Invalid key length for hmac-sha1-96: 64 bits, must be 160 bits (20 ASCII characters)\n" in out


async def test_backup_without_remote_and_undefined_policy(mock_clock):
    out = await _refused(mock_clock, [
        "delete services ipsec-vpn rule link_rule_1 term 1 then remote-gateway",
        "set services ipsec-vpn rule link_rule_1 term 2 then dynamic ike-policy nosuch",
    ])
    assert ("[edit services ipsec-vpn rule link_rule_1 term 1 then]\n"
            "  'backup-remote-gateway 10.8.7.1'\n"
            "    backup-remote-gateway requires remote-gateway\n") in out
    assert ("[edit services ipsec-vpn rule link_rule_1 term 2 then dynamic]\n"
            "  'ike-policy nosuch'\n"
            "    Referenced ike policy 'nosuch' is not defined\n") in out


async def test_lifetime_and_spi_range(mock_clock):
    out = await _refused(mock_clock, [
        "set services ipsec-vpn ipsec proposal p lifetime-seconds 100",
        "set services ipsec-vpn rule m term t then remote-gateway 10.1.1.2",
        "set services ipsec-vpn rule m term t then manual direction inbound protocol esp",
        "set services ipsec-vpn rule m term t then manual direction inbound spi 100",
        "set services ipsec-vpn rule m term t then manual direction inbound encryption algorithm aes-128-cbc",
        "set services ipsec-vpn rule m term t then manual direction inbound encryption key ascii-text 0123456789abcdef",
        "set services ipsec-vpn rule m term u then remote-gateway 10.1.1.3",
        "set services ipsec-vpn rule m term u then manual direction inbound protocol esp",
    ])
    assert "  'lifetime-seconds 100'\n    Value 100 is not within range (180..86400)\n" in out
    assert "  'spi 100'\n    SPI 100 is out of range (256..16639)\n" in out
    assert ("[edit services ipsec-vpn rule m term u then manual direction inbound]\n"
            "  'spi'\n    Missing mandatory statement: 'spi'\n") in out


async def test_service_set_and_interface_rules(mock_clock):
    out = await _refused(mock_clock, [
        "set services service-set link_type_ss_1 ipsec-vpn-rules nosuch",
        "delete interfaces sp-3/3/0 unit 5 service-domain",
        "set interfaces sp-3/3/0 unit 4 service-domain inside",
        "set interfaces sp-3/3/0 unit 3 dial-options ipsec-interface-id pool1",
        "set interfaces sp-3/3/0 unit 3 dial-options shared",
        "set interfaces sp-3/3/0 unit 3 dial-options l2tp-interface-id l2",
    ])
    assert "  'ipsec-vpn-rules nosuch'\n    Referenced ipsec-vpn rule or rule-set 'nosuch' is not defined\n" in out
    assert ("[edit interfaces sp-3/3/0 unit 5]\n  'service-domain'\n"
            "    service-domain must be configured on a services logical unit other than unit 0\n") in out
    assert ("[edit services service-set link_type_ss_1 next-hop-service]\n  'outside-service-interface sp-3/3/0.4'\n"
            "    service-domain outside must be configured on sp-3/3/0.4\n") in out
    assert ("[edit interfaces sp-3/3/0 unit 3 dial-options]\n  'ipsec-interface-id pool1'\n"
            "    dedicated must be configured with ipsec-interface-id\n") in out
    assert "    ipsec-interface-id and l2tp-interface-id cannot be configured together\n" in out


async def test_access_profile_rules(mock_clock):
    out = await _refused(mock_clock, [
        "set access profile second client * ike pre-shared-key ascii-text other",
        "set services service-set dyn-ss ipsec-vpn-options ike-access-profile second",
        "set services service-set other-ss interface-service service-interface sp-1/2/0.0",
        "set services service-set other-ss ipsec-vpn-options local-gateway 10.20.1.1",
        "set services service-set other-ss ipsec-vpn-rules r",
        "set services ipsec-vpn rule r term t then remote-gateway 10.9.9.9",
        "set services ipsec-vpn rule r term t then dynamic",
        "set services ipsec-vpn rule dyn term t then dynamic ike-policy aggr",
        "set services ipsec-vpn ike policy aggr mode aggressive",
        "set services ipsec-vpn ike policy aggr pre-shared-key ascii-text k",
        "set services service-set dyn-ss ipsec-vpn-rules dyn",
    ], conf("dynamic_endpoints.conf"))
    assert ("[edit services service-set dyn-ss ipsec-vpn-options]\n  'ike-access-profile second'\n"
            "    Only one ike-access-profile can be referenced in a service set\n") in out
    assert ("[edit services service-set other-ss ipsec-vpn-options]\n  'local-gateway 10.20.1.1'\n"
            "    local-gateway 10.20.1.1 is used by service-set dyn-ss with an ike-access-profile; it cannot be shared\n") in out
    assert ("[edit services ipsec-vpn ike policy aggr]\n  'mode aggressive'\n"
            "    Dynamic peers support only IKE main mode\n") in out


def test_backup_gateway_refused_on_j_series():
    cfg = tree(BASE)
    assert check(cfg, "m7i") == []
    errs = check(cfg, "j2320")
    assert [(e.statement, e.message) for e in errs] == [
        ("backup-remote-gateway 10.8.7.1", "backup-remote-gateway is not supported on this platform (j2320)")]


def test_des_weak_and_semiweak_keys_with_parity_masked():
    assert des_weakness(bytes.fromhex("0101010101010101")) == "a weak key"
    # same key with the parity bits flipped: DES ignores them, so still weak
    assert des_weakness(bytes.fromhex("0000000000000000")) == "a weak key"
    assert des_weakness(bytes.fromhex("FE01FE01FE01FE01")) == "a semi-weak key"
    assert des_weakness(bytes.fromhex("FF00FF00FF00FF00")) == "a semi-weak key"
    # 3DES: any weak 8-byte subkey
    assert des_weakness(bytes.fromhex("0123456789ABCDEF" "1F1F1F1F0E0E0E0E" "FEDCBA9876543210")) == "a weak key"
    assert des_weakness(bytes.fromhex("0123456789ABCDEF" "23456789ABCDEF01" "456789ABCDEF0123")) is None


async def test_display_inheritance_defaults_shows_table_55(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await load(t, conf("routed_tunnels.conf"))
        await t.run("set services ipsec-vpn ike proposal p1 dh-group group2")
        out = await t.run("show services ipsec-vpn ike | display inheritance default")
        assert "    dh-group group2;\n" in out
        assert "    /* inherited from defaults: Table 55 [V] J7 */\n    lifetime-seconds 3600;\n" in out
        assert "    /* inherited from defaults: Table 55 [U] */\n    encryption-algorithm 3des-cbc;\n" in out
        plain = await t.run("show services ipsec-vpn ike proposal p1")
        assert "lifetime-seconds" not in plain and "dh-group group2;" in plain
