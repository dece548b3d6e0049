"""User-supplied regular expressions with a time limit.

`| match`, `| except`, `| find` and `lab wait … matches` take patterns from whoever types at
the prompt — over SSH, a stranger. A catastrophic pattern such as `(.*.*)*=` would otherwise
backtrack for hours while the lab clock, every session and the IKE bridge wait: the `regex`
engine's per-call timeout bounds the whole filter to BUDGET seconds of wall time and the
session prints its error instead.
"""

from __future__ import annotations

import time

import regex

BUDGET = 1.0  # wall seconds one command's pattern matching may take in all

Pattern = regex.Pattern


class PatternError(ValueError):
    """Not a valid pattern (message from the engine)."""


class PatternTimeout(Exception):
    """Matching ran past the budget."""


def compile_pattern(text: str, ignore_case: bool = False) -> Pattern:
    try:
        return regex.compile(text, regex.IGNORECASE if ignore_case else 0)
    except (regex.error, OverflowError, RecursionError) as e:
        raise PatternError(str(e)) from None


class Deadline:
    """The wall-clock budget of one command's matching (a safety limit, not lab time)."""

    def __init__(self, budget: float | None = None) -> None:
        self.end = time.monotonic() + (BUDGET if budget is None else budget)

    def search(self, pattern: Pattern, text: str) -> bool:
        left = self.end - time.monotonic()
        if left <= 0:
            raise PatternTimeout
        try:
            return pattern.search(text, timeout=left) is not None
        except TimeoutError:
            raise PatternTimeout from None
