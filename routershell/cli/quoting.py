"""Where a command line is inside a "double-quoted string" — the one rule the grammar
tokenizer (grammar/parser.tokenize), pipes, `-c` splitting and the front-ends' `?`/Tab share.

A double quote opens and closes a string; inside one, a backslash escapes the next character.
"""

from __future__ import annotations

from collections.abc import Iterator


def outside(text: str) -> Iterator[tuple[int, str]]:
    """(index, character) of every character outside quoted strings (quotes themselves excluded)."""
    quoted = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        else:
            yield i, ch
        i += 1


def open_quote(text: str) -> int | None:
    """Column of the quote left open at the end of `text`, or None."""
    quoted_at = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quoted_at is not None:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted_at = None
        elif ch == '"':
            quoted_at = i
        i += 1
    return quoted_at


def split(text: str, sep: str) -> list[tuple[str, int]]:
    """Cut `text` at every `sep` outside quotes: (piece, column where it starts)."""
    cuts = [i for i, ch in outside(text) if ch == sep]
    starts = [0] + [c + 1 for c in cuts]
    ends = cuts + [len(text)]
    return [(text[s:e], s) for s, e in zip(starts, ends, strict=True)]


def last(text: str, ch: str) -> int | None:
    """Column of the last `ch` outside quotes, or None."""
    at = None
    for i, c in outside(text):
        if c == ch:
            at = i
    return at
