"""Compile: Junos configuration -> runtime TunnelSpecs (order, defaults, keys, failover, manual SAs,
dynamic-peer responder template, PIC state)."""

from __future__ import annotations

from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.platforms.junos.ipsec import defaults as d
from routershell.platforms.junos.ipsec.compile import FAILOVER, ManualSa, compile_specs

from .helpers import conf, tree


def test_routed_tunnels_order_defaults_and_backup():
    specs = compile_specs(tree(conf("routed_tunnels.conf")))
    assert [s.name for s in specs] == ["link_type_ss_1/link_rule_1/1", "link_type_ss_1/link_rule_1/2"]
    t1, t2 = specs
    assert t1.local == "10.8.7.2" and t1.gateways == ("10.10.7.3", "10.8.7.1")
    # no proposals configured: Table 55 defaults
    assert t1.peer.ike_proposals == (IkeProposal("psk", "sha1", "3des", 1, 3600),)
    assert t1.child.proposals == (IpsecProposal("esp", "3des", "hmac-sha1", None, 28800),)
    assert t1.peer.psk == b"routed-tunnels-key" and t1.peer.mode == "main"
    # backup gateway: DPD initiated by the seed-001 failover policy; term 2 has neither
    assert t1.dpd_initiate and t1.failover is FAILOVER and not t2.dpd_initiate and t2.failover is None
    assert (FAILOVER.poll_interval, FAILOVER.inactivity, FAILOVER.max_failovers) == (10.0, 10.0, 6)
    assert FAILOVER.probe.send_times() == [0.0, 2.0, 4.0] and FAILOVER.probe.timeout() == 6.0
    assert t1.peer.retransmit.timeout() == d.PHASE1_TIMEOUT
    assert t1.peer.dpd.respond and not t1.peer.dpd.initiate
    assert t1.labels["inside-interface"] == "sp-3/3/0.3" and t2.labels["inside-interface"] == "sp-3/3/0.5"
    assert t1.establish == "immediately"


def test_configured_proposals_pfs_selectors_and_on_traffic():
    text = conf("interface_service.conf").replace("establish-tunnels immediately", "establish-tunnels on-traffic")
    (spec,) = compile_specs(tree(text))
    assert spec.peer.ike_proposals == (IkeProposal("psk", "sha1", "aes128", 2, 3600),)
    assert spec.child.proposals == (IpsecProposal("esp", "3des", "hmac-sha1", 2, 28800),)
    assert (spec.child.local_ts, spec.child.remote_ts) == ("172.16.1.0/24", "172.16.2.0/24")
    assert spec.selectors == (("172.16.1.0/24", "172.16.2.0/24"),)
    assert spec.establish == "on-traffic" and spec.labels["match-direction"] == "output"


def test_encoded_psk_is_decoded():
    from random import Random

    from routershell.platforms.junos.secrets import encrypt9

    enc = encrypt9("s3cret", Random(1))
    (spec,) = compile_specs(tree(conf("interface_service.conf").replace('"primary-key"', f'"{enc}"')))
    assert spec.peer.psk == b"s3cret"


def test_manual_sa_spec():
    (spec,) = compile_specs(tree(conf("manual_sa.conf")))
    assert isinstance(spec.manual, ManualSa) and spec.child is None
    (md,) = spec.manual.directions
    assert (md.direction, md.protocol, md.spi, md.auth_alg, md.enc_alg) == ("bidirectional", "esp", 16000, "hmac-md5-96", "3des-cbc")
    assert md.auth_key == b"1234567890123456" and md.enc_key == bytes.fromhex("0123456789abcdef23456789abcdef01456789abcdef0123")


def test_dynamic_peers_responder_after_static_rules():
    text = conf("dynamic_endpoints.conf") + conf("routed_tunnels.conf")
    specs = compile_specs(tree(text))
    assert [s.name for s in specs][-1] == "dyn-ss/dynamic"
    resp = specs[-1]
    assert resp.establish == "responder" and resp.local == "10.20.1.1"
    assert resp.selectors == (("192.168.10.0/24", "10.30.0.0/16"),)  # (local, remote)
    assert resp.peer.psk == b"dynamic-peer-key" and resp.peer.mode == "main"
    # Table 56: every combination offered
    assert len(resp.peer.ike_proposals) == 20 and len(resp.child.proposals) == 10
    assert resp.labels["reverse-route-table"] == "inet.0"


def test_dynamic_default_proxy_pair_and_vrf_table():
    text = conf("dynamic_endpoints.conf").replace(
        "                allowed-proxy-pair {\n                    remote 10.30.0.0/16 local 192.168.10.0/24;\n                }\n", "")
    text += "routing-instances { vpn1 { instance-type vrf; interface sp-1/2/0.1; } }\n"
    (resp,) = compile_specs(tree(text))
    assert resp.selectors == (("0.0.0.0/0", "0.0.0.0/0"),)
    assert resp.labels["reverse-route-table"] == "vpn1.inet.0"


def test_offline_pic_drops_its_service_sets():
    cfg = tree(conf("routed_tunnels.conf") + conf("manual_sa.conf"))
    assert len(compile_specs(cfg)) == 3
    names = [s.name for s in compile_specs(cfg, pic_up=lambda slot: slot != "3/3")]
    assert names == ["manual-ss/manual-rule/t1"]
