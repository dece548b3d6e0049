"""Two endpoints negotiate through an in-memory pair: algorithm matrix, mismatches, auth failures."""

import pytest

from routershell.engine.constants import Notify
from routershell.engine.events import (
    Malformed,
    NegotiationFailed,
    Phase1Up,
    Phase2Up,
)
from routershell.engine.proposals import IkeProposal, IpsecProposal

from .helpers import A, B, make_pair, up


def assert_tunnel(pair, ike: IkeProposal | None = None, mode="main"):
    a1 = pair.all_events("a", Phase1Up)
    b1 = pair.all_events("b", Phase1Up)
    assert len(a1) == len(b1) == 1, (pair.events)
    assert (a1[0].role, b1[0].role) == ("initiator", "responder")
    assert a1[0].icookie == b1[0].icookie and a1[0].rcookie == b1[0].rcookie
    assert a1[0].mode == b1[0].mode == mode
    if ike is not None:
        for ev in (a1[0], b1[0]):
            assert (ev.auth, ev.cipher, ev.hash, ev.dh_group) == (
                ike.auth, ike.cipher, ike.hash, ike.dh_group)
    a2 = pair.all_events("a", Phase2Up)
    b2 = pair.all_events("b", Phase2Up)
    assert len(a2) == len(b2) == 1
    assert a2[0].inbound_spi == b2[0].outbound_spi and a2[0].outbound_spi == b2[0].inbound_spi
    assert min(a2[0].inbound_spi, a2[0].outbound_spi) >= 256
    sa_a = pair.a.sadb.ipsec[a2[0].inbound_spi]
    sa_b = pair.b.sadb.ipsec[b2[0].inbound_spi]
    # both directions keyed, and each direction's keys agree across the peers
    assert (sa_a.enc_out, sa_a.auth_out) == (sa_b.enc_in, sa_b.auth_in)
    assert (sa_a.enc_in, sa_a.auth_in) == (sa_b.enc_out, sa_b.auth_out)
    assert sa_a.auth_in != sa_a.auth_out or not sa_a.auth_in
    assert not [e for side in "ab" for e in pair.events[side] if isinstance(e, Malformed)]
    return a2[0]


@pytest.mark.parametrize("mode", ["main", "aggressive"])
@pytest.mark.parametrize("hash_", ["md5", "sha1", "sha256"])
@pytest.mark.parametrize("cipher", ["des", "3des", "aes128", "aes192", "aes256"])
def test_psk_cipher_hash_matrix_group2(cipher, hash_, mode):
    ike = IkeProposal("psk", hash_, cipher, 2)
    pair = up(make_pair(dict(ike=(ike,), mode=mode), dict(ike=(ike,))))
    assert_tunnel(pair, ike, mode)


@pytest.mark.parametrize("mode", ["main", "aggressive"])
@pytest.mark.parametrize("auth", ["psk", "rsa-sig"])
@pytest.mark.parametrize("group", [1, 2, 5, 14])
def test_groups_and_auth_methods(group, auth, mode):
    ike = IkeProposal(auth, "sha1", "aes128", group)
    pair = up(make_pair(dict(ike=(ike,), mode=mode), dict(ike=(ike,))))
    assert_tunnel(pair, ike, mode)
    if auth == "rsa-sig":
        ev = pair.all_events("a", Phase1Up)[0]
        assert b"gw-b" in ev.remote_id and b"gw-a" in ev.local_id  # DER DN identities


@pytest.mark.parametrize("child", [
    IpsecProposal("esp", "des", "hmac-md5"),
    IpsecProposal("esp", "3des", "hmac-sha1"),
    IpsecProposal("esp", "aes192", "hmac-sha256"),
    IpsecProposal("esp", "aes256", None),
    IpsecProposal("esp", None, "hmac-sha1"),
    IpsecProposal("ah", None, "hmac-sha256"),
    IpsecProposal("esp", "aes128", "hmac-sha1", pfs_group=1),
    IpsecProposal("esp", "aes128", "hmac-sha1", pfs_group=5),
    IpsecProposal("esp", "aes128", "hmac-sha1", pfs_group=14),
    IpsecProposal("esp", "aes128", "hmac-sha1", encap="transport"),
])
def test_quick_mode_variants(child):
    pair = up(make_pair(dict(child=(child,)), dict(child=(child,))))
    ev = assert_tunnel(pair)
    assert (ev.protocol, ev.cipher, ev.auth, ev.pfs_group) == (
        child.protocol, child.cipher, child.auth, child.pfs_group)
    sa = pair.a.sadb.ipsec[ev.inbound_spi]
    assert len(sa.enc_in) == child.enc_key_len and len(sa.auth_in) == child.auth_key_len


def test_quick_mode_without_traffic_selectors():
    pair = up(make_pair(dict(ts=None), dict(ts=None)))
    assert_tunnel(pair)


def test_pfs_changes_keys():
    plain = up(make_pair(seed=3))
    pfs = IpsecProposal(pfs_group=2)
    with_pfs = up(make_pair(dict(child=(pfs,)), dict(child=(pfs,)), seed=3))
    k1 = plain.a.sadb.ipsec[assert_tunnel(plain).inbound_spi].enc_in
    k2 = with_pfs.a.sadb.ipsec[assert_tunnel(with_pfs).inbound_spi].enc_in
    assert k1 != k2


def test_responder_takes_first_acceptable_and_lower_lifetime():
    offers = (IkeProposal(cipher="3des", lifetime_s=86400), IkeProposal(cipher="aes256",
              lifetime_s=86400), IkeProposal(cipher="aes128", lifetime_s=86400))
    accepts = (IkeProposal(cipher="aes128", lifetime_s=3600),
               IkeProposal(cipher="aes256", lifetime_s=28800))
    child_a = (IpsecProposal(cipher="aes256", lifetime_s=3600, lifetime_kb=100000),)
    child_b = (IpsecProposal(cipher="aes256", lifetime_s=1200, lifetime_kb=0),)
    pair = up(make_pair(dict(ike=offers, child=child_a), dict(ike=accepts, child=child_b)))
    for side in "ab":
        p1 = pair.all_events(side, Phase1Up)[0]
        assert (p1.cipher, p1.lifetime_s) == ("aes256", 28800)
        p2 = pair.all_events(side, Phase2Up)[0]
        assert (p2.lifetime_s, p2.lifetime_kb) == (1200, 100000)


def _failed(pair, side):
    return pair.all_events(side, NegotiationFailed)


def test_phase1_no_proposal_chosen_both_sides():
    pair = up(make_pair(dict(ike=(IkeProposal(cipher="3des"),)),
                        dict(ike=(IkeProposal(cipher="aes256"),))))
    (fa,), (fb,) = _failed(pair, "a"), _failed(pair, "b")
    assert (fa.phase, fa.reason, fa.notify, fa.sent) == (1, "no-proposal-chosen", 14, False)
    assert (fb.phase, fb.reason, fb.notify, fb.sent) == (1, "no-proposal-chosen", 14, True)
    assert not pair.a.sadb.ike and not pair.b.sadb.ike
    assert pair.a.get_timer() is None  # nothing left to retransmit


@pytest.mark.parametrize("mode", ["main", "aggressive"])
def test_wrong_psk_is_an_authentication_failure(mode):
    pair = up(make_pair(dict(psk=b"right", mode=mode), dict(psk=b"wrong")))
    # the first failing message could be a damaged copy: dropped and counted, nothing fails
    assert not _failed(pair, "a") and not _failed(pair, "b")
    detecting = pair.b if mode == "main" else pair.a
    assert detecting.stats.unauthenticated == 1
    pair.advance(1.5)  # the peer's retransmission fails the same way: the keys differ
    (fa,), (fb,) = _failed(pair, "a"), _failed(pair, "b")
    assert fa.reason == fb.reason == "authentication-failed"
    assert fa.notify == fb.notify == Notify.INVALID_HASH_INFORMATION
    # main mode: the responder finds out at message 5; aggressive: the initiator at message 2
    detector, told = (fb, fa) if mode == "main" else (fa, fb)
    assert detector.sent and not told.sent
    assert not pair.all_events("a", Phase1Up) and not pair.all_events("b", Phase1Up)
    assert not pair.a.sadb.ike and not pair.b.sadb.ike


def test_rsa_untrusted_ca_fails():
    ike = (IkeProposal("rsa-sig"),)
    pair = up(make_pair(dict(ike=ike), dict(ike=ike, trusted_tag="other")))
    pair.advance(1.5)  # refused again on the retransmission (the first could be a forgery)
    (fa,), (fb,) = _failed(pair, "a"), _failed(pair, "b")
    assert fa.reason == fb.reason == "authentication-failed"
    assert fb.notify == Notify.INVALID_CERT_AUTHORITY and fb.sent


def test_remote_id_mismatch():
    from routershell.engine.constants import IdType
    pair = up(make_pair(dict(remote_id=(IdType.FQDN, b"other.example")), {}))
    pair.advance(1.5)  # refused again on the retransmission (the first could be a forgery)
    (fa,) = _failed(pair, "a")
    assert (fa.reason, fa.notify, fa.sent) == ("invalid-id", Notify.INVALID_ID_INFORMATION, True)
    assert _failed(pair, "b")[0].reason == "invalid-id"


def test_phase2_no_proposal_chosen_keeps_phase1():
    pair = up(make_pair(dict(child=(IpsecProposal(cipher="3des"),)),
                        dict(child=(IpsecProposal(cipher="aes128"),))))
    assert pair.all_events("a", Phase1Up) and pair.all_events("b", Phase1Up)
    (fa,), (fb,) = _failed(pair, "a"), _failed(pair, "b")
    assert (fa.phase, fa.reason, fa.notify, fa.sent, fa.child) == (
        2, "no-proposal-chosen", 14, False, "vpn")
    assert (fb.phase, fb.reason, fb.sent) == (2, "no-proposal-chosen", True)
    assert not pair.a.sadb.ipsec and not pair.b.sadb.ipsec
    assert pair.a.sadb.ike_for(B) is not None
    assert not any(ex for sa in pair.a.sadb.ike.values() for ex in sa.exchanges.values()
                   if ex.state != "done")


def test_pfs_mismatch_is_no_proposal_chosen():
    pair = up(make_pair(dict(child=(IpsecProposal(pfs_group=2),)),
                        dict(child=(IpsecProposal(),))))
    assert _failed(pair, "a")[0].reason == _failed(pair, "b")[0].reason == "no-proposal-chosen"


def test_traffic_selector_mismatch():
    pair = up(make_pair(dict(ts=("10.1.0.0/16", "10.2.0.0/16")),
                        dict(ts=("10.1.0.0/16", "10.9.0.0/16"))))
    (fa,), (fb,) = _failed(pair, "a"), _failed(pair, "b")
    assert fa.reason == fb.reason == "invalid-id"
    assert fa.notify == Notify.INVALID_ID_INFORMATION


def test_unknown_peer_is_reported_not_answered():
    pair = make_pair()
    pair.b.peers.clear()
    up(pair)
    assert _failed(pair, "b")[0].reason == "unknown-peer"
    assert not pair.log[1:]  # responder sent nothing


def test_second_child_reuses_phase1_and_determinism():
    p1, p2 = up(make_pair(seed=9)), up(make_pair(seed=9))
    assert [d for *_, d in p1.log] == [d for *_, d in p2.log]  # same seeds: same bytes
    p1.a.initiate(B, 1.0, "vpn")
    p1.pump()
    assert len(p1.all_events("a", Phase1Up)) == 1
    assert len(p1.all_events("a", Phase2Up)) == 2
    assert len(p1.a.sadb.ipsec) == len(p1.b.sadb.ipsec) == 2


def test_phase1_only_then_quick_mode():
    pair = up(make_pair(), child=None)
    assert pair.all_events("a", Phase1Up) and not pair.all_events("a", Phase2Up)
    pair.a.initiate(B, 5.0, "vpn")
    pair.pump()
    assert len(pair.all_events("b", Phase2Up)) == 1
    with pytest.raises(KeyError):
        pair.a.initiate(("203.0.113.9", 500), 5.0)
    assert A[0] in pair.b.peers
