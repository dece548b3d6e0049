"""The one "list of gaps" every waiting policy of the engine is made of.

`Gaps.gap(n)` is the wait after the n-th event (n = 1 first). Past the end of the list a
schedule either gives up (`None`: retransmission, DPD probes) or holds its last step for ever
(`hold=True`: back-off between failed negotiations). `retransmit.Schedule` and `retry.Backoff`
are the two named uses; `retry.BackoffTimer` is the one stateful counter over a back-off, used
by the distribution and crypto-group policies alike.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gaps:
    gaps: tuple[float, ...]
    source: str = ""
    hold: bool = False  # past the end: repeat the last gap (True) or give up (False)

    def gap(self, n: int) -> float | None:
        """Wait after event number `n` (1 = the first); None = no further wait (give up)."""
        if n < 1 or not self.gaps:
            return None
        if n <= len(self.gaps):
            return self.gaps[n - 1]
        return self.gaps[-1] if self.hold else None

    def sequence(self, n: int) -> list[float | None]:
        """The first `n` waits."""
        return [self.gap(k) for k in range(1, n + 1)]


__all__ = ["Gaps"]
