"""The informational fast paths (`IkeEndpoint._info_fast`, `_send_dpd`): an R-U-THERE or its
ACK on an established IKE SA is read and written field by field, and a Delete read so, without
Message or payload objects.
They must be invisible: the same datagrams, events, counters and timers as the general path
(`_receive` -> `_info_receive` -> `_info_notify` / `_info_delete`; sending as `_send_info` did before it used
`crypto.Phase2Keys.seal`), also for forged, damaged, replayed and padded copies, which the
fast path hands to the general one. The scenario's Delete goes through `_send_info` too."""

from __future__ import annotations

import dataclasses

import pytest

from routershell.engine import crypto
from routershell.engine import ike as ike_module
from routershell.engine.constants import Exchange, Notify, Proto
from routershell.engine.dpd import DpdPolicy
from routershell.engine.events import DpdAck, DpdAnswered, DpdSent, PeerDead
from routershell.engine.ike import IkeEndpoint
from routershell.engine.isakmp import NotifyPayload, decode
from routershell.engine.proposals import IkeProposal

from .helpers import A, B, make_pair, up

PROPOSALS = [
    IkeProposal("psk", "sha1", "aes128", 2),
    IkeProposal("psk", "md5", "3des", 2),  # 8-byte blocks: the 56-byte chain needs no padding
    IkeProposal("psk", "sha256", "aes256", 2),
    IkeProposal("psk", "sha1", "des", 1),
]
DPD = DpdPolicy(10.0, 2.0, 2)
ANSWER = DpdPolicy(10.0, 2.0, 2, initiate=False)  # answers only, as the runtime's peers do
MUTE = DpdPolicy(7.0, 3.0, 1, respond=False)  # probes, never answers (an R-U-THERE still counts)


def _reference_send_info(ep: IkeEndpoint, sa, payloads) -> None:
    """`_send_info` as it was before `Phase2Keys.seal`: the HASH(1) chain, IV and encryption of
    the quick mode's building blocks, one after the other."""
    msgid = ep._new_msgid(sa)
    first, chain = ep._hashed_chain(sa, msgid.to_bytes(4, "big"), payloads)
    iv = crypto.phase2_iv(sa.proposal.hash, sa.p1_last_block, msgid, sa.proposal.block)
    data, _ = ep._encrypt_chain(sa, Exchange.INFORMATIONAL, msgid, first, chain, iv)
    ep._emit(sa, data, sa.peer)


def _general_only(ep: IkeEndpoint) -> None:
    """Make `ep` take the general paths only (what the engine did before the fast paths)."""
    ep._info_fast = lambda data, src, now: False  # type: ignore[method-assign]
    ep._send_info = lambda sa, payloads: _reference_send_info(  # type: ignore[method-assign]
        ep, sa, payloads)
    ep._send_dpd = lambda sa, notify, seq: _reference_send_info(  # type: ignore[method-assign]
        ep, sa, [NotifyPayload(notify, Proto.ISAKMP, sa.icookie + sa.rcookie, seq)])


def _variants(data: bytes, earlier: list[bytes], genuine: bool = True) -> list[bytes]:
    """Copies of an informational datagram an attacker or a bad network could deliver (with
    `genuine`, also two that authenticate: another minor version, bytes after the message)."""
    flipped = bytearray(data)
    flipped[-1] ^= 0x5A  # the tail of the plaintext: HASH(1) fails
    longer = bytearray(data + bytes(range(32)))  # two junk blocks that decrypt fine
    longer[24:28] = len(longer).to_bytes(4, "big")
    minor = bytearray(data)
    minor[17] = 0x11  # ISAKMP 1.1: not the shape `_send_dpd` writes, read field by field
    trailing = data + bytes(4)  # bytes after the ISAKMP length
    out = [bytes(flipped), bytes(longer), data[:-8]]  # last: header length > datagram
    if genuine:
        out += [bytes(minor), trailing]
    if earlier:
        out.append(earlier[len(earlier) // 2])  # a replay of an older one
    return out


def _run(ike: IkeProposal, fast: bool, b_dpd: DpdPolicy = ANSWER):
    """Phase 1 + quick mode, DPD rounds with a forged copy ahead of every informational
    datagram, an on-demand probe, a Delete, then a silent peer until it is declared dead."""
    pair = None
    infos: list[bytes] = []
    state = {"silent": False, "n": 0}

    def hook(data, src, dst, now):
        if data[18] == Exchange.INFORMATIONAL and decode(data).flags:
            target = pair.b if dst[0] == B[0] else pair.a
            variants = _variants(data, infos, not state["silent"])
            target.receive(variants[state["n"] % len(variants)], src, now)
            state["n"] += 1
            infos.append(data)
        return state["silent"] and src[0] == B[0]

    pair = make_pair(dict(ike=(ike,), dpd=DPD), dict(ike=(ike,), dpd=b_dpd), drop=hook)
    if not fast:
        _general_only(pair.a)
        _general_only(pair.b)
    up(pair)
    pair.advance(45)
    pair.a.probe(B, pair.now)
    pair.pump()
    pair.advance(70)
    pair.b.delete_child(A, "vpn", pair.now)
    pair.pump()
    state["silent"] = True
    pair.advance(120)
    sas = [(sa.bytes_in, sa.bytes_out, sa.packets_in, sa.packets_out)
           for ep in (pair.a, pair.b) for sa in ep.sadb.ike.values()]
    return {
        "wire": pair.log,
        "events": {k: [repr(e) for e in v] for k, v in pair.events.items()},
        "stats": [dataclasses.asdict(ep.stats) for ep in (pair.a, pair.b)],
        "timers": [ep.get_timer() for ep in (pair.a, pair.b)],
        "sas": sas,
        "dpd": [e for e in pair.events["a"] + pair.events["b"]
                if isinstance(e, DpdSent | DpdAck | DpdAnswered | PeerDead)],
    }


@pytest.mark.parametrize("ike", PROPOSALS, ids=lambda p: f"{p.cipher}-{p.hash}")
def test_fast_and_general_paths_agree(ike):
    fast, general = _run(ike, True), _run(ike, False)
    kinds = {type(e) for e in fast["dpd"]}
    assert {DpdSent, DpdAck, DpdAnswered, PeerDead} <= kinds  # the scenario exercised them
    assert fast["stats"][0]["unauthenticated"] > 0  # and forgeries were refused
    assert fast == general


@pytest.mark.parametrize("ike", PROPOSALS[:2], ids=lambda p: f"{p.cipher}-{p.hash}")
def test_fast_and_general_paths_agree_with_a_peer_that_does_not_answer(ike):
    fast, general = _run(ike, True, MUTE), _run(ike, False, MUTE)
    assert any(isinstance(e, DpdAck) for e in fast["dpd"])  # b's probes were answered
    assert fast == general


def test_a_dpd_round_trip_builds_no_message_objects(monkeypatch):
    """Once established, a probe and its ACK go through neither `decode` nor `_info_receive`
    nor `_send_info`: both ends take the fast paths."""
    pair = up(make_pair(dict(dpd=DPD), dict(dpd=ANSWER)))
    pair.advance(1)
    calls = []
    monkeypatch.setattr(ike_module, "decode", lambda data: calls.append("decode"))
    for name in ("_info_receive", "_send_info"):
        monkeypatch.setattr(IkeEndpoint, name, lambda *a, _n=name: calls.append(_n))
    pair.advance(40)
    assert pair.a.probe(B, pair.now)
    pair.pump()
    acks = pair.all_events("a", DpdAck) + pair.all_events("b", DpdAck)
    assert len(acks) >= 4 and not calls


def test_an_unexpected_notify_in_an_informational_takes_the_general_path():
    """HASH(1) + a notify other than DPD's (here INITIAL-CONTACT) is not the fast path's:
    the general path reports it as before."""
    pair = up(make_pair(dict(dpd=DPD), dict(dpd=DPD)))
    sa = pair.a.sadb.ike_for(B)
    pair.a._send_info(sa, [NotifyPayload(Notify.INITIAL_CONTACT, Proto.ISAKMP,
                                         sa.icookie + sa.rcookie)])
    pair.pump()
    got = [e for e in pair.events["b"] if type(e).__name__ == "NotifyReceived"]
    assert [e.notify for e in got] == [Notify.INITIAL_CONTACT]


def _deletes(ike: IkeProposal, fast: bool, who: str):
    """Two children, one deleted by each side, then the IKE SA deleted by `who`."""
    pair = make_pair(dict(ike=(ike,), dpd=DPD), dict(ike=(ike,), dpd=ANSWER))
    if not fast:
        _general_only(pair.a)
        _general_only(pair.b)
    up(pair)
    pair.a.initiate(B, pair.now, "vpn")  # a second IPsec SA for the same child
    pair.pump()
    pair.advance(15)
    pair.a.delete_child(B, "vpn", pair.now)
    pair.pump()
    up(pair)
    pair.advance(30)
    ep, other = (pair.a, B) if who == "a" else (pair.b, A)
    assert ep.delete_ike(other, pair.now)
    pair.pump()
    pair.advance(60)
    return pair.log, {k: [repr(e) for e in v] for k, v in pair.events.items()}, \
        [(len(ep.sadb.ike), len(ep.sadb.ipsec)) for ep in (pair.a, pair.b)]


@pytest.mark.parametrize("who", ["a", "b"])
@pytest.mark.parametrize("ike", PROPOSALS[:2], ids=lambda p: f"{p.cipher}-{p.hash}")
def test_deletes_agree_on_both_paths(ike, who):
    fast, general = _deletes(ike, True, who), _deletes(ike, False, who)
    assert any("Phase2Down" in e and "peer-delete" in e for e in fast[1]["b"])
    assert any("Phase1Down" in e and "peer-delete" in e for e in fast[1]["b" if who == "a" else "a"])
    assert fast == general


def test_a_delete_is_read_without_message_objects(monkeypatch):
    pair = up(make_pair(dict(dpd=DPD), dict(dpd=ANSWER)))
    pair.advance(1)
    calls = []
    monkeypatch.setattr(ike_module, "decode", lambda data: calls.append("decode"))
    monkeypatch.setattr(IkeEndpoint, "_info_receive", lambda *a: calls.append("_info_receive"))
    assert pair.a.delete_child(B, "vpn", pair.now)
    pair.pump()
    assert not calls and not pair.b.sadb.ipsec
    assert [e.reason for e in pair.events["b"] if type(e).__name__ == "Phase2Down"] == ["peer-delete"]


def test_dpd_messages_as_sent_are_compared_not_parsed(monkeypatch):
    """A probe and an ACK exactly as `_send_dpd` writes them are read against the SA's
    `_DpdWire` (no `_info_fields`); a copy of another shape (ISAKMP 1.1, bytes after the
    ISAKMP length) is read field by field and still answered as the general path does."""
    pair = up(make_pair(dict(dpd=DPD), dict(dpd=ANSWER)))
    pair.advance(1)
    fields = []
    real = IkeEndpoint._info_fields
    monkeypatch.setattr(IkeEndpoint, "_info_fields",
                        lambda self, *a: fields.append(a[1]) or real(self, *a))
    assert pair.a.probe(B, pair.now)
    ((probe, _),) = pair.a.datagrams_to_send()
    pair.b.receive(probe, A, pair.now)
    ((ack, _),) = pair.b.datagrams_to_send()
    pair.a.receive(ack, B, pair.now)
    assert not fields
    assert [type(e) for e in pair.a._events][-1] is DpdAck
    for copy in (probe[:17] + b"\x11" + probe[18:], probe + bytes(4)):
        pair.b.receive(copy, A, pair.now)  # a replay, answered again (RFC 3706 duplicates)
        assert fields[-1] == copy
        ((again, _),) = pair.b.datagrams_to_send()
        assert again[20:24] != ack[20:24] and len(again) == len(ack)


@pytest.mark.parametrize("b_dpd", [ANSWER, MUTE], ids=["answering", "mute"])
@pytest.mark.parametrize("ike", PROPOSALS[:2], ids=lambda p: f"{p.cipher}-{p.hash}")
def test_probe_idle_shortcut_matches_the_general_timer_loop(ike, b_dpd, monkeypatch):
    """`_probe_idle` (handle_timer's shortcut for an idle IKE SA due for a probe) sends, reports
    and schedules what the general loop does: the whole scenario (probes, retries, a dead peer,
    a rekey-free lifetime) is the same with the shortcut refused every time."""
    taken = []
    real = IkeEndpoint._probe_idle
    monkeypatch.setattr(IkeEndpoint, "_probe_idle",
                        lambda self, *a: taken.append(r := real(self, *a)) or r)
    fast = _run(ike, True, b_dpd)
    assert True in taken and False in taken  # the shortcut was taken, and refused (dead peer)
    monkeypatch.setattr(IkeEndpoint, "_probe_idle", lambda self, *a: False)
    assert _run(ike, True, b_dpd) == fast


def test_dpd_wire_is_made_again_when_the_keys_it_was_made_from_change():
    """The SA's `_DpdWire` is checked by identity against the keys it was made from, like
    `Phase2Keys`: other key objects (here equal copies, so the peer still reads the probe)
    give a new wire, and the probe and its ACK still go through."""
    pair = up(make_pair(dict(dpd=DPD), dict(dpd=ANSWER)))
    pair.advance(1)
    sa = pair.a.sadb.ike_for(B)
    assert pair.a.probe(B, pair.now)
    pair.pump()
    first = sa.crypto_cache[ike_module._DPD_WIRE]
    sa.p1_last_block = bytes(bytearray(sa.p1_last_block))  # equal, another object
    assert pair.a.probe(B, pair.now)
    pair.pump()
    second = sa.crypto_cache[ike_module._DPD_WIRE]
    assert second is not first and second.last_block is sa.p1_last_block
    assert len(pair.all_events("a", DpdAck)) == 2
