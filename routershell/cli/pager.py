"""The `---(more N%)---` pager between a command's output and an interactive terminal.

Junos pages with a prompt on the last screen row: `---(more)---` while output is still being
produced and `---(more N%)---` once its length is known (transcripts show both). Our commands
hand over complete text, so the percentage form is used: N = share of characters shown so far,
rounded down. After each key the prompt is overwritten with CR, 40 spaces, CR, as Junos does,
so the next line starts clean. Keys: space (or f) = next screenful, Enter (or j) = one more line,
q/Q = stop (nothing more is printed); other keys redraw the prompt.
"""

from __future__ import annotations

from routershell.cli.io import SessionIO

MORE_PROMPT = "---(more {pct}%)---"
ERASE = "\r" + " " * 40 + "\r"
_PAGE_KEYS = frozenset({" ", "f"})
_LINE_KEYS = frozenset({"\n", "\r", "j"})
_QUIT_KEYS = frozenset({"q", "Q"})


def _rows(line: str, width: int) -> int:
    """Screen rows a line takes when the terminal wraps at `width` (0 = no wrapping)."""
    n = len(line.rstrip("\r\n"))
    return max(1, -(-n // width)) if width > 0 else 1


def _size(io: SessionIO, length: int, width: int) -> tuple[int, int]:
    """The screen as it is now: a front-end on a window (io.terminal_size) reports the rows
    and columns it follows (None for a value `set cli` fixed), so a resize applies to the
    next page."""
    sizer = getattr(io, "terminal_size", None)
    if sizer is None:
        return length, width
    rows, cols = sizer()
    return (length if rows is None or length <= 0 else rows,
            width if cols is None else cols)


async def page(io: SessionIO, text: str, screen_length: int, screen_width: int = 0,
               *, hold: bool = False, prompt: str = MORE_PROMPT) -> bool:
    """Write `text` through `io`, a screenful at a time when the terminal is interactive.

    screen_length counts the prompt row (Junos `set cli screen-length`); 0 disables paging.
    Long lines count as the rows they wrap to at screen_width.
    `hold` (the `| hold` pipe) keeps the prompt up after the last line until q. `prompt` is
    the platform's pager prompt (`{pct}` is replaced by the share shown so far).
    Returns False if the reader quit early.
    """
    lines = text.splitlines(keepends=True)
    if not io.interactive or screen_length <= 0:
        io.write(text)
        return True
    length, width = _size(io, screen_length, screen_width)
    if sum(_rows(ln, width) for ln in lines) <= length - 1 and not hold:
        io.write(text)
        return True
    total = len(text)
    shown = 0  # characters written
    i = 0  # next line

    def advance(limit: int) -> None:
        nonlocal i, shown
        used = 0
        # Always at least one line, even if it alone is taller than the screen.
        while i < len(lines) and (used == 0 or used + _rows(lines[i], width) <= limit):
            io.write(lines[i])
            shown += len(lines[i])
            used += _rows(lines[i], width)
            i += 1

    advance(max(length - 1, 1))
    while i < len(lines) or hold:
        io.write(prompt.format(pct=shown * 100 // total if total else 100))
        key = await io.read_key()
        io.write(ERASE)
        if key in _QUIT_KEYS:
            return i >= len(lines)
        if i >= len(lines):
            continue  # held at the end: only q leaves
        length, width = _size(io, screen_length, screen_width)
        if key in _PAGE_KEYS:
            advance(max(length - 1, 1))
        elif key in _LINE_KEYS:
            advance(1)
    return True
