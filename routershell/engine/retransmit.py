"""Retransmission schedules: when an unanswered IKE message is sent again, and when the exchange
gives up. Each schedule is data (its gaps) with the source it comes from, not a code path.

`gaps` are seconds after the previous transmission: gaps[0] is the wait after the first send
before the first retransmission, and so on. The last element is the wait after the final
retransmission before the exchange times out, so len(gaps) == retries + 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backoff import Gaps


@dataclass(frozen=True)
class Schedule(Gaps):
    """A finite `Gaps` (hold=False): `gap(sent)` is the wait after transmission number `sent`
    (1 = the first send); None = give up now."""

    @property
    def retries(self) -> int:
        return len(self.gaps) - 1

    def timeout(self) -> float:
        """Total time from the first send until the exchange times out."""
        return float(sum(self.gaps))

    def send_times(self) -> list[float]:
        """Offsets of every transmission (first send at 0)."""
        t, out = 0.0, [0.0]
        for g in self.gaps[:-1]:
            t += g
            out.append(t)
        return out


def fixed(interval: float, retries: int, source: str = "") -> Schedule:
    """Same gap every time (Junos-like fixed interval with a retry limit; AlliedWare msgbackoff=none)."""
    return Schedule(tuple([float(interval)] * (retries + 1)), source)


def incremental(msgtimeout: float = 4, retry_limit: int = 8) -> Schedule:
    """AlliedWare 2.8.1 `msgbackoff=incremental` (seed 004 / release note C613-10477-00 rev B p.170-171).

    Worked example of the release note: 4, 8, then 16, 24, 32, 40, 48, 56 s between the
    retransmissions; the exchange times out after the 8th retransmission. The wait after the 8th
    is not stated; we continue the pattern (+8 s: 64 s). With other msgtimeout values the steps
    scale: t, 2t, then 4t, 6t, 8t, ...
    """
    t = float(msgtimeout)
    gaps = [t, 2 * t] + [2 * t * (k + 2) for k in range(max(0, retry_limit - 1))]
    return Schedule(tuple(gaps[: retry_limit + 1]), "msgbackoff=incremental")


def constant(msgtimeout: float = 4, retry_limit: int = 8) -> Schedule:
    """AlliedWare 2.8.1 `msgbackoff=none`: every gap equals msgtimeout."""
    return fixed(msgtimeout, retry_limit, "msgbackoff=none")


def exponential(first: float, base: float, retries: int, cap: float = 0, source: str = "") -> Schedule:
    """first * base^(n-1), optionally capped (strongSwan charon: 4 s, 1.8, 5 tries)."""
    gaps = []
    for n in range(retries + 1):
        g = first * base**n
        gaps.append(min(g, cap) if cap else g)
    return Schedule(tuple(gaps), source)
