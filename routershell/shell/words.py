"""Small text helpers shared by both front-ends (no prompt_toolkit, no trio)."""

from __future__ import annotations

from routershell.cli import quoting


def in_quotes(text: str) -> bool:
    """True when `text` ends inside an open quoted string (the device's rule: double quotes)."""
    return quoting.open_quote(text) is not None


def partial_word(text: str) -> str:
    """The word being typed at the end of `text` ("" after a space)."""
    if not text or text[-1].isspace():
        return ""
    start = max((i + 1 for i, ch in quoting.outside(text) if ch.isspace()), default=0)
    return text[start:]


def help_request(line: str) -> str | None:
    """For a line typed as `text?` (the `?` outside quotes), the text help is asked for."""
    if line.endswith("?") and not in_quotes(line[:-1]):
        return line[:-1]
    return None
