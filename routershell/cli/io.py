"""What a command may do to its terminal, whatever the front-end (pty, pipe, SSH, telnet, test).

Handlers never print: they write through a SessionIO, ask questions through it and read
`load ... terminal` input through it, so every front-end behaves the same way.
"""

from __future__ import annotations

from typing import Protocol


class SessionIO(Protocol):
    #: True on a front-end that a person reads (pager allowed, broadcasts shown at once).
    interactive: bool

    def write(self, text: str) -> None:
        """Output text; newlines are "\\n" (front-ends translate for the wire)."""

    async def read_line(self, prompt: str = "") -> str | None:
        """One line of input without its newline; None at end of input (Ctrl-D)."""

    async def read_key(self, prompt: str = "") -> str:
        """One keystroke (pager): " ", "\\n", "q" ...; "q" at end of input."""


class BufferIO:
    """SessionIO that collects output and answers reads from a script (tests, -c, batch)."""

    interactive = False

    def __init__(self, lines: list[str] | None = None) -> None:
        self.out: list[str] = []
        self._lines = list(lines or [])

    def write(self, text: str) -> None:
        self.out.append(text)

    async def read_line(self, prompt: str = "") -> str | None:
        if prompt:
            self.write(prompt)
        if not self._lines:
            return None
        line = self._lines.pop(0)
        self.write(line + "\n")
        return line

    async def read_key(self, prompt: str = "") -> str:
        line = await self.read_line(prompt)
        return "q" if line is None else (line[:1] or "\n")

    def feed(self, *lines: str) -> None:
        self._lines.extend(lines)

    def text(self) -> str:
        return "".join(self.out)

    def take(self) -> str:
        t = "".join(self.out)
        self.out.clear()
        return t
