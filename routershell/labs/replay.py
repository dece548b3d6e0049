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


async def run_transcript(app: Any, text: str, until: float | None = None) -> Report:
    """Run `text` on a started App and grade it (at lab time `until`, if that is later)."""
    from ..cli.io import BufferIO

    session = app.new_session()
    io = BufferIO()
    lines = transcript_lines(text)
    recorded = any(ln.startswith(_prompt_line(session).rstrip()) and _prompt_line(session).strip()
                   for ln in lines)
    for ln in lines:
        if recorded:
            prompt = _prompt_line(session)
            if not (prompt.strip() and ln.startswith(prompt.rstrip())):
                continue
            command = ln[len(prompt.rstrip()):].strip()
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
