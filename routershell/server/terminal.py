"""The line discipline of a served terminal: bytes in, lines out, echo as a router does it.

A router's CLI reads the keyboard itself instead of relying on a kernel tty, and so does this:

- Echo happens when a line is *consumed*, after the prompt was written. Bytes that arrive while a
  command runs (type-ahead: netmiko's first Enter, a script pasting ahead) wait unechoed and are
  echoed after the next prompt, so every prompt starts on its own line and reads
  `user@r1> show version` exactly as typed. Bytes arriving at the prompt echo at once.
- CR ends a line immediately; an LF or NUL right behind it (CRLF, telnet's CR NUL) is dropped
  whenever it comes, so a client sending a bare CR never waits for a byte that never comes.
- Backspace/DEL erase, Ctrl-U kills the line, Ctrl-C at the prompt abandons the line (during a
  command it interrupts the command and flushes type-ahead), Ctrl-D on an empty line ends the
  session, escape sequences (arrow keys) and other control characters are ignored.
- Input is UTF-8; a broken sequence becomes U+FFFD and gets the device's syntax error.
- At the command prompt (`next_line(help_key=True)`) a `?` outside quotes asks for help at
  once, as on a router: it echoes, the line so far comes back with the `?` appended, and the
  reader keeps the line and types it again after the next prompt, where typing goes on
  (`user@r1> show ?`, the help, `user@r1> show `). Elsewhere (answers to questions) `?` is a
  character like any other.
- A line holds at most MAX_LINE bytes; what is typed beyond is dropped unechoed (a pasted
  megabyte on one line cannot make every later keystroke or `?` work on all of it).
"""

from __future__ import annotations

from collections.abc import Callable

import trio

_ERASE = (0x7F, 0x08)
MAX_LINE = 16384  # bytes of one input line (longer than any configuration statement)


def to_wire(text: str, crlf: bool) -> bytes:
    """Session text ("\\n" line ends) as bytes for the client: CRLF on a terminal (pty, telnet)."""
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("utf-8", "replace")


class LineReader:
    """Lines from a byte stream with router-style echo (see the module docstring)."""

    def __init__(self, write: Callable[[bytes], None], *, crlf: bool = True) -> None:
        self._write = write
        self.crlf = crlf
        self.echo = True  # off while a password is read
        self._buf = bytearray()
        self._line = bytearray()
        # quote state after each byte of _line (0 outside, 1 in quotes, 2 after a backslash in
        # quotes; quoting.open_quote's rule): `?` asks it in O(1), erasing pops it (a paste of
        # `"` and thousands of `?` rescanned the line per `?` and stalled every session)
        self._qstate = bytearray()
        self._reading = False
        self._skip_lf = False
        self._esc = 0  # 0: none, 1: after ESC, 2: inside CSI/SS3
        self._help_key = False
        self._retype = False  # the kept line is typed again before reading on
        self._eof = False
        self._ready: str | None = None  # a line take_outside completed for next_line
        self._changed = trio.Event()
        self.on_interrupt: Callable[[], None] | None = None

    # ---- input side (called from trio, in the lab's thread) ---------------------------------
    def feed(self, data: bytes) -> None:
        if not data:
            return
        if not self._reading and 0x03 in data:
            # Ctrl-C during a command: interrupt it and throw away what was typed ahead
            data = data[data.rindex(0x03) + 1:]
            self._buf.clear()
            if self.on_interrupt is not None:
                self.on_interrupt()
        self._buf += data
        self._wake()

    def take_outside(self, data: bytes) -> bool | None:
        """Bytes from the host loop, outside trio (the same thread, between trio's turns):
        handled here when trio has nothing to do yet, which saves a trio wake-up per packet.
        Type-ahead during a command is only buffered; at the prompt the bytes are echoed at
        once. True: a line (or the end of input) is ready, wake trio (`wake`); False: nothing
        for trio; None: not taken (a Ctrl-C interrupts a command: `feed` it inside trio)."""
        if not data or 0x03 in data:
            return None
        self._buf += data
        if not self._reading:
            return False
        line = self._consume()
        if line is None:
            return self._eof
        self._ready = line
        self._reading = False  # what follows is type-ahead until next_line asks again
        return True

    def wake(self) -> None:
        """Inside trio: let next_line see what take_outside prepared."""
        self._wake()

    def feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    @property
    def at_eof(self) -> bool:
        return self._eof and not self._buf

    # ---- LineSource ---------------------------------------------------------------------------
    def may_have_more(self) -> bool:
        return not self.at_eof

    async def next_line(self, help_key: bool = False) -> str | None:
        self._reading = True
        self._help_key = help_key
        if self._retype:
            self._retype = False
            self._out(bytes(self._line))
        try:
            while True:
                if self._ready is not None:
                    line, self._ready = self._ready, None
                    return line
                line = self._consume()
                if line is not None:
                    return line
                if self._eof:
                    if self._line:
                        line = self._take()
                        return line
                    return None
                await self._changed.wait()
        finally:
            self._reading = False

    # ---- the discipline ------------------------------------------------------------------------
    def _out(self, data: bytes) -> None:
        if self.echo and data:
            self._write(data)

    def _quoted(self) -> bool:
        return bool(self._qstate) and self._qstate[-1] != 0

    def _append(self, b: int) -> None:
        s = self._qstate[-1] if self._qstate else 0
        if s == 2:
            s = 1  # the escaped character, whatever it is
        elif s == 1:
            s = 2 if b == 0x5C else 0 if b == 0x22 else 1
        elif b == 0x22:
            s = 1
        self._line.append(b)
        self._qstate.append(s)

    def _pop(self) -> None:
        self._line.pop()
        self._qstate.pop()

    def _clear(self) -> None:
        self._line.clear()
        self._qstate.clear()

    def _take(self) -> str:
        text = bytes(self._line).decode("utf-8", "replace")
        self._clear()
        return text

    def _consume(self) -> str | None:
        """Process buffered bytes up to the end of one line; the line, or None if incomplete."""
        buf = self._buf
        i = 0
        echo = bytearray()
        line: str | None = None
        while i < len(buf):
            b = buf[i]
            i += 1
            if self._skip_lf:
                self._skip_lf = False
                if b in (0x0A, 0x00):
                    continue
            if self._esc == 1:
                self._esc = 2 if b in (0x5B, 0x4F) else 0  # ESC [ / ESC O start a sequence
                continue
            if self._esc == 2:
                if 0x40 <= b <= 0x7E:
                    self._esc = 0
                continue
            if b in (0x0D, 0x0A):
                self._skip_lf = b == 0x0D
                echo += b"\r\n" if self.crlf else b"\n"
                line = self._take()
                break
            if b in _ERASE:
                if self._line:
                    # drop a whole UTF-8 character (its continuation bytes first)
                    while self._line and (self._line[-1] & 0xC0) == 0x80:
                        self._pop()
                    if self._line:
                        self._pop()
                    echo += b"\b \b"
                continue
            if b == 0x15:  # Ctrl-U
                echo += b"\b \b" * len(bytes(self._line).decode("utf-8", "replace"))
                self._clear()
                continue
            if b == 0x03:  # Ctrl-C at the prompt: abandon the line
                self._clear()
                echo += b"^C\r\n" if self.crlf else b"^C\n"
                line = ""
                break
            if b == 0x04:  # Ctrl-D: end of input on an empty line
                if not self._line:
                    self._eof = True
                    del buf[:i]
                    self._out(bytes(echo))
                    return None
                continue
            if b == 0x1B:
                self._esc = 1
                continue
            if b < 0x20 and b != 0x09:
                continue
            if b == 0x3F and self._help_key and not self._quoted():
                echo += b"?\r\n" if self.crlf else b"?\n"
                line = bytes(self._line).decode("utf-8", "replace") + "?"
                self._retype = True
                break
            if b == 0x09:
                b = 0x20  # no completion on a line terminal: a Tab is a blank
            if len(self._line) >= MAX_LINE:
                continue  # the line is full: further characters are not taken (nor echoed)
            self._append(b)
            echo.append(b)
        del buf[:i]
        self._out(bytes(echo))
        return line
