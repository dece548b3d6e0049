"""The informational fast path against the general one on AUTHENTICATED but unusual messages.

test_info_fast_path sends genuine traffic plus forged copies (which fail HASH(1) on both paths).
Here a peer holding the keys writes odd shapes with a correct HASH(1): several payloads, a notify
whose SPI size lies, a DPD number that is not 4 bytes, a Delete whose SPI count does not match,
padding longer than a block, unknown protocols, a second payload after the notify, a flipped
hash. Whatever the general path refuses, answers or reports, the fast path must do the same:
events, datagrams, statistics, DPD state and timers are compared after every message."""

from __future__ import annotations

import dataclasses
import random
import struct

import pytest

from routershell.engine import crypto
from routershell.engine.constants import HEADER_LEN, Exchange, Flag, Notify, Payload, Proto
from routershell.engine.dpd import DpdPolicy
from routershell.engine.proposals import IkeProposal

from .helpers import A, B, make_pair, up
from .test_info_fast_path import _general_only

DPD = DpdPolicy(10.0, 2.0, 2)
PROPOSALS = [IkeProposal("psk", "sha1", "aes128", 2), IkeProposal("psk", "md5", "3des", 2),
             IkeProposal("psk", "sha256", "aes256", 2)]


def _pair(ike: IkeProposal, fast: bool):
    pair = make_pair(dict(ike=(ike,), dpd=DPD), dict(ike=(ike,), dpd=DPD))
    if not fast:
        _general_only(pair.b)
    up(pair)
    pair.advance(5)
    return pair


def _notify(sa, rng: random.Random, dpd) -> bytes:
    nt = rng.choice([Notify.R_U_THERE, Notify.R_U_THERE_ACK] * 6 + [24578, 16384 + 7, 14])
    proto = Proto.ESP if nt == 14 else rng.choice([Proto.ISAKMP] * 6 + [Proto.ESP, 0, 9])
    spi = rng.choice([sa.icookie + sa.rcookie, b"", b"abcd", rng.randbytes(rng.randrange(0, 20))])
    if dpd is not None and dpd.outstanding and rng.random() < 0.5:
        seq = rng.choice(sorted(dpd.outstanding))  # an ACK the probe state is waiting for
    else:
        seq = rng.choice([1, 2, 3, 5, 100, 2**31, rng.getrandbits(32)])
    data = seq.to_bytes(4, "big")
    if rng.random() < 0.2:
        data = rng.choice([b"", data[:3], data + b"\0", rng.randbytes(8)])
    spi_size = len(spi)
    if rng.random() < 0.1:
        spi_size = rng.choice([spi_size + 1, spi_size + 9, 255])  # the SPI overruns the payload
    return struct.pack("!IBBH", rng.choice([1, 1, 1, 0]), proto, spi_size, nt) + spi + data


def _delete(rng: random.Random) -> bytes:
    proto = rng.choice([Proto.ISAKMP, Proto.ESP, Proto.ESP, Proto.AH, 7, 7])
    spi_len = rng.choice([16, 4, 4, 0, 3])
    count = rng.choice([0, 1, 1, 2])
    spis = b"".join(rng.randbytes(spi_len) for _ in range(count))
    claimed = count + (1 if rng.random() < 0.15 else 0)  # sometimes one SPI more than present
    return struct.pack("!IBBH", 1, proto, spi_len, claimed) + spis


def _craft(sa, rng: random.Random, dpd) -> bytes:
    """One encrypted informational on `sa`, authenticated with its SKEYID_a (mostly)."""
    prop = sa.proposal
    block = prop.block
    payloads = [(Payload.N, _notify(sa, rng, dpd)) if rng.random() < 0.85 else (Payload.D, _delete(rng))
                for _ in range(rng.choice([1, 1, 1, 1, 2, 3, 0]))]
    chain = b""
    for i, (_kind, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else rng.choice([0] * 9 + [Payload.N])
        chain += struct.pack("!BBH", nxt, rng.choice([0] * 9 + [1]), len(body) + 4) + body
    first = payloads[0][0] if payloads else 0
    msgid = rng.getrandbits(32)
    h = crypto.keyed_prf(prop.hash, sa.skeyid_a, msgid.to_bytes(4, "big") + chain)
    if rng.random() < 0.1:
        h = h[:-1] + bytes([h[-1] ^ 1])
    if rng.random() < 0.05:
        h += b"x"
    plain = struct.pack("!BBH", first, 0, len(h) + 4) + h + chain
    pad = -len(plain) % block + block * rng.choice([0, 0, 0, 1, 2])  # sometimes > one block
    plain += bytes(pad) if rng.random() < 0.8 else rng.randbytes(pad)
    iv = crypto.phase2_iv(prop.hash, sa.p1_last_block, msgid, block)
    ct = crypto.encrypt(prop.cipher, sa.enc_key, iv, plain)  # a context of its own
    if rng.random() < 0.05:
        ct = ct[:-1]
    first_type = rng.choice([Payload.HASH] * 19 + [Payload.N])
    flags = rng.choice([Flag.ENCRYPTED] * 19 + [Flag.ENCRYPTED | Flag.COMMIT])
    hdr = struct.pack("!8s8sBBBBII", sa.icookie, sa.rcookie, first_type, 0x10,
                      Exchange.INFORMATIONAL, flags, msgid, HEADER_LEN + len(ct))
    return hdr + ct + (b"junk" if rng.random() < 0.05 else b"")


def _state(ep) -> tuple:
    sas = sorted((s.icookie, s.state, s.bytes_in, s.packets_in, s.bytes_out, s.packets_out,
                  None if s.dpd is None else (s.dpd.last_received, tuple(sorted(s.dpd.outstanding)),
                                              s.dpd.attempts, s.dpd.next_at, s.dpd.last_peer_seq,
                                              s.dpd.duplicates, s.dpd.seq), s.timer_at)
                 for s in ep.sadb.ike.values())
    return sas, sorted(ep.sadb.ipsec), dataclasses.asdict(ep.stats), ep.get_timer()


def _drain(ep) -> tuple[list[str], list]:
    events = []
    while (e := ep.next_event()) is not None:
        events.append(repr(e))
    return events, ep.datagrams_to_send()


def _trace(ike: IkeProposal, seed: int, fast: bool, steps: int = 150) -> list:
    pair = _pair(ike, fast)
    rng = random.Random(seed)
    asa = pair.a.sadb.ike_for(B)
    trace: list = []
    for _ in range(steps):
        bsa = pair.b.sadb.ike_for(A)
        data = _craft(asa, rng, bsa.dpd if bsa is not None else None)
        pair.now += rng.choice([0, 0.5, 3, 11])
        pair.b.receive(data, A, pair.now)
        trace.append((_drain(pair.b), _state(pair.b)))
        if rng.random() < 0.3:
            pair.b.handle_timer(pair.now)
            trace.append(("timer", _drain(pair.b), _state(pair.b)))
        if pair.b.sadb.ike_for(A) is None:
            trace.append("IKE SA gone")
            break
    return trace


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("ike", PROPOSALS, ids=lambda p: f"{p.hash}-{p.cipher}")
def test_authenticated_odd_informationals_get_the_general_paths_answer(ike, seed):
    fast, general = _trace(ike, seed, True), _trace(ike, seed, False)
    for i, (f, g) in enumerate(zip(fast, general, strict=False)):
        assert f == g, f"message {i}"
    assert len(fast) == len(general)


def test_the_crafted_messages_reach_every_outcome():
    """The generator is not vacuous: across the seeds it makes answers, refusals of every kind
    and SA removals (else agreeing would prove nothing)."""
    seen = " ".join(str(step) for seed in range(8) for step in _trace(PROPOSALS[0], seed, True))
    for needle in ("DpdAnswered", "DpdAck", "Malformed", "NotifyReceived", "Phase2Down",
                   "'unauthenticated': 1"):
        assert needle in seen, needle


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_genuine_r_u_there_from_another_address_is_refused(fast):
    """The SA is found by cookies; the datagram must also come from the SA's peer (a copy
    replayed from elsewhere is not answered)."""
    pair = _pair(PROPOSALS[0], fast)
    asa = pair.a.sadb.ike_for(B)
    pair.a.probe(B, pair.now)
    (data, dst), = pair.a.datagrams_to_send()
    assert dst == B and asa is not None
    pair.b.receive(data, ("203.0.113.9", 500), pair.now)
    events, sent = _drain(pair.b)
    assert sent == [] and not any("DpdAnswered" in e for e in events)
    assert any(e.startswith("Malformed(") for e in events)
    pair.b.receive(data, A, pair.now)  # the same bytes from the peer itself are answered
    events, sent = _drain(pair.b)
    assert len(sent) == 1 and any("DpdAnswered" in e for e in events)
