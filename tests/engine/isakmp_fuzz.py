"""ISAKMP fuzzer: mutated datagrams into endpoints in the middle of real negotiations.

Each round is one negotiation (main or aggressive mode, PSK, with or without PFS, then DPD and
a delete) between two in-memory endpoints. Before a genuine datagram is delivered, mutated
copies of it (flipped bytes, truncations, junk tails, rewritten header fields, random bodies
behind the real cookies, replays of earlier datagrams) reach the same receiver, some of them the
other endpoint too. Checked:

* no exception escapes `receive` and no `Malformed("internal error ...")` is reported;
* where only integrity-protected traffic was mutated (encrypted messages: main mode 5 and 6,
  quick mode, informational) or the mutation cannot parse, the genuine exchange still
  completes: both sides report Phase1Up and Phase2Up and hold one IPsec SA pair.

Main-mode messages 1-4 and aggressive-mode message 1 carry no integrity protection (RFC 2409
authenticates them only afterwards, through HASH_I / HASH_R), so a modified copy that still
parses can legitimately take the exchange elsewhere; such rounds are counted ("derailed") but
only the first property is asserted for them.

Used by tests/engine/test_isakmp_fuzz.py (fixed seed, small budget) and scripts/fuzz_isakmp.py
(at scale, prints datagrams/s and failures).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from routershell.engine.constants import Flag
from routershell.engine.events import Malformed, NegotiationFailed, Phase1Up, Phase2Up
from routershell.engine.ike import IkeEndpoint
from routershell.engine.isakmp import DecodeError, decode, decode_header
from routershell.engine.pair import EndpointPair
from routershell.engine.proposals import IkeProposal, IpsecProposal

from .helpers import A, B, peer


@dataclass
class FuzzResult:
    rounds: int = 0
    mutated: int = 0  # mutated datagrams delivered
    completed: int = 0
    derailed: int = 0  # rounds that did not complete after a parseable unprotected mutation
    derail_reasons: Counter = field(default_factory=Counter)  # (mode, first failure reason)
    failures: list[str] = field(default_factory=list)  # property violations (must stay empty)


def _protected(data: bytes) -> bool:
    try:
        return bool(decode_header(data).flags & Flag.ENCRYPTED)
    except DecodeError:
        return False


def mutate(rng: random.Random, data: bytes, history: list[bytes]) -> bytes:
    """One hostile variant of `data` (never `data` itself)."""
    buf = bytearray(data)
    kind = rng.randrange(8)
    if kind == 0:  # flip bytes anywhere
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(buf))
            buf[i] ^= rng.randint(1, 255)
    elif kind == 1:  # flip bytes after the header
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(28, len(buf)) if len(buf) > 28 else rng.randrange(len(buf))
            buf[i] ^= rng.randint(1, 255)
    elif kind == 2:  # truncate
        buf = buf[: rng.randrange(len(buf))]
    elif kind == 3:  # junk tail, length field kept or fixed up
        buf += rng.randbytes(rng.randint(1, 64))
        if rng.random() < 0.5 and len(buf) >= 28:
            buf[24:28] = len(buf).to_bytes(4, "big")
    elif kind == 4:  # rewrite one header field
        field_at = rng.choice([(16, 1), (17, 1), (18, 1), (19, 1), (20, 4), (24, 4), (8, 8)])
        off, n = field_at
        if len(buf) >= off + n:
            buf[off:off + n] = rng.randbytes(n)
    elif kind == 5:  # random body behind the genuine header
        if len(buf) >= 28:
            body = rng.randbytes(rng.choice([8, 16, 32, 48, 80, rng.randint(1, 200)]))
            buf = buf[:28] + body
            if rng.random() < 0.7:
                buf[24:28] = len(buf).to_bytes(4, "big")
    elif kind == 6 and history:  # replay of an earlier genuine datagram
        buf = bytearray(rng.choice(history))
    else:  # bit-exact copy with the encryption flag toggled
        if len(buf) >= 20:
            buf[19] ^= Flag.ENCRYPTED
    out = bytes(buf)
    return out if out != data else out + b"\0"


def _pair(rng: random.Random, seed: int) -> tuple[EndpointPair, str]:
    mode = rng.choice(["main", "main", "aggressive"])
    group = rng.choice([1, 2])
    child = (IpsecProposal(pfs_group=rng.choice([None, 2])),)
    ike = (IkeProposal(dh_group=group),)
    a = IkeEndpoint(A, random.Random(seed), [peer(B[0], "a", ike=ike, child=child, mode=mode)])
    b = IkeEndpoint(B, random.Random(seed + 7), [peer(A[0], "b", ike=ike, child=child)])
    return EndpointPair(a, b), mode


def run(seed: int, rounds: int, rate: float = 0.5, protected_only: bool = False
        ) -> FuzzResult:
    """`rounds` fuzzed negotiations from `seed`; `rate`: chance that a genuine datagram is
    preceded by hostile copies; `protected_only`: only encrypted datagrams get them."""
    rng = random.Random(seed)
    res = FuzzResult()
    for r in range(rounds):
        pair, mode = _pair(rng, seed * 100_003 + r)
        history: list[bytes] = []
        sent: set[bytes] = set()
        state = {"unprotected_parsed": False}

        def hook(data: bytes, src: tuple, dst: tuple, now: float, pair=pair, history=history,
                 sent=sent, state=state, r=r) -> bool:
            target = pair.b if dst[0] == B[0] else pair.a
            other = pair.a if target is pair.b else pair.b
            if rng.random() < rate and (not protected_only or _protected(data)):
                for _ in range(rng.randint(1, 3)):
                    bad = mutate(rng, data, history)
                    if bad in sent:
                        # the same forged bytes twice look like the peer's retransmission
                        # to a phase 1 in progress (phase1._p1_rejected): not this fuzzer's
                        # property
                        continue
                    if bad not in history:
                        sent.add(bad)
                    to = other if rng.random() < 0.1 else target
                    frm = (other.local if to is target else target.local)
                    if not _protected(bad) and bad not in history:
                        try:
                            decode(bad)
                            state["unprotected_parsed"] = True
                        except DecodeError:
                            pass
                    res.mutated += 1
                    try:
                        to.receive(bad, frm, now)
                    except Exception as exc:  # noqa: BLE001 - the property under test
                        res.failures.append(f"seed {seed} round {r}: {type(exc).__name__}: {exc}")
            history.append(data)
            return False

        pair.drop = hook
        try:
            pair.a.initiate(B, 0.0, "vpn")
            pair.pump()
            pair.advance(30)  # retransmissions, DPD
            pair.a.delete_child(B, "vpn", pair.now)
            pair.pump()
        except Exception as e:  # noqa: BLE001
            res.failures.append(f"seed {seed} round {r}: {type(e).__name__}: {e}")
            continue
        res.rounds += 1
        for side in "ab":
            for ev in pair.all_events(side, Malformed):
                if ev.reason.startswith("internal error"):
                    res.failures.append(f"seed {seed} round {r} ({mode}): {ev.reason}")
        done = all(pair.all_events(s, Phase1Up) and pair.all_events(s, Phase2Up) for s in "ab")
        if done:
            res.completed += 1
        elif state["unprotected_parsed"]:
            res.derailed += 1
            fails = [e.reason for s in "ab" for e in pair.all_events(s, NegotiationFailed)]
            res.derail_reasons[(mode, fails[0] if fails else "stalled")] += 1
        else:
            fails = [(s, e.reason) for s in "ab" for e in pair.all_events(s, NegotiationFailed)]
            res.failures.append(f"seed {seed} round {r} ({mode}): genuine exchange did not "
                                f"complete after protected/unparseable mutations: {fails}")
    return res


__all__ = ["FuzzResult", "mutate", "run"]
