"""Grade a recorded session offline: replay it against a fresh lab on the virtual clock
(routershell/lab_cli.py builds the App and runs trio; this module only drives it).

A transcript is either a list of commands (one a line; blank lines and lines starting with `#`
are skipped) or a recorded session with prompts and output (what a plain front-end prints).
In a recorded session the replay knows the prompt the device shows before each command, so a
line that starts with the current prompt is a command (the rest of the line) and every other
line is output, which is skipped. A first line `# lab: NAME` names the lab when the command line
does not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..cli.io import BufferIO
from .report import Report

__all__ = ["lab_named_in", "run_transcript", "transcript_lines", "write_report"]

_LAB_LINE = re.compile(r"^#\s*lab:\s*(\S+)\s*$")


def lab_named_in(text: str) -> str | None:
    first = text.splitlines()[:1]
    m = _LAB_LINE.match(first[0]) if first else None
    return m.group(1) if m else None


def transcript_lines(text: str) -> list[str]:
    return [ln.rstrip("\r") for ln in text.splitlines()]


def _prompt_line(session: Any) -> str:
    return session.prompt().splitlines()[-1] if session.prompt() else ""


class _TranscriptIO(BufferIO):
    """Answers a command's question (`[yes,no]`) from the transcript, as the terminal did: in a
    command list the next line; in a recorded session the text after the question on its line."""

    def __init__(self, lines: list[str], recorded: bool) -> None:
        super().__init__()
        self.lines = lines
        self.recorded = recorded
        self.pos = 0  # the next transcript line not yet consumed
        self.prompt = ""  # the device prompt of the command running (recorded sessions)

    async def read_line(self, prompt: str = "") -> str | None:
        if prompt:
            self.write(prompt)
        asked = prompt.rstrip()
        while self.pos < len(self.lines):
            ln = self.lines[self.pos]
            if not self.recorded:
                self.pos += 1
                if ln.strip().startswith("#"):
                    continue
                return ln.strip()
            if asked and ln.startswith(asked):
                self.pos += 1
                return ln[len(asked):].strip()
            if self.prompt and ln.startswith(self.prompt):
                return None  # the next command: the recorded session shows no answer
            self.pos += 1  # output the command printed before its question
        return None


async def run_transcript(app: Any, text: str, until: float | None = None) -> Report:
    """Run `text` on a started App and grade it (at lab time `until`, if that is later)."""
    session = app.new_session()
    lines = transcript_lines(text)
    recorded = any(ln.startswith(_prompt_line(session).rstrip()) and _prompt_line(session).strip()
                   for ln in lines)
    io = _TranscriptIO(lines, recorded)
    while io.pos < len(lines):
        ln = lines[io.pos]
        io.pos += 1
        if recorded:
            prompt = _prompt_line(session)
            if not (prompt.strip() and ln.startswith(prompt.rstrip())):
                continue
            command = ln[len(prompt.rstrip()):].strip()
            io.prompt = prompt.rstrip()
        else:
            command = ln.strip()
            if command.startswith("#"):
                continue
        if not command:
            continue
        await app.run(session, command, io)
        if session.switch_to is not None:  # `lab attach NAME`
            old, session = session, app.new_session()
            old.close()
    if until is not None and app.clock.now() < until:  # an exam: time runs out before the grade
        await app.clock.advance_to(until)
    return await app.control.course.report()


def write_report(report: Report, fmt: str, output: Path | None) -> str:
    """The report in `fmt` (text, json, html), written atomically to `output` if given."""
    if fmt == "json":
        text = report.to_json()
    elif fmt == "html":
        from .report_html import render_html

        text = render_html(report)
    else:
        text = report.to_text()
    if output is not None:
        from ..config.files import write_atomic

        write_atomic(output, text)
    return text
