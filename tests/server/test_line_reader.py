"""The served terminal's line discipline on its own (server/terminal.py)."""

from __future__ import annotations

from routershell.server.terminal import LineReader


def _reader() -> tuple[LineReader, bytearray]:
    sent = bytearray()
    return LineReader(sent.extend, crlf=True), sent


async def test_question_mark_at_the_prompt_keeps_and_retypes_the_line():
    r, sent = _reader()
    r.feed(b"show ro?ute\r")
    assert await r.next_line(help_key=True) == "show ro?"
    assert bytes(sent) == b"show ro?\r\n"
    sent.clear()
    assert await r.next_line(help_key=True) == "show route"
    assert bytes(sent) == b"show route\r\n"  # the kept "show ro" typed again, then the rest


async def test_question_mark_is_a_character_in_answers_and_quotes():
    r, sent = _reader()
    r.feed(b"why?\r")
    assert await r.next_line() == "why?"
    r.feed(b'show log | match "a?b"\r')
    assert await r.next_line(help_key=True) == 'show log | match "a?b"'


async def test_erasing_after_help_works_on_the_kept_line():
    r, sent = _reader()
    r.feed(b"show?")
    assert await r.next_line(help_key=True) == "show?"
    r.feed(b"\x7f\x7fx\r")
    assert await r.next_line(help_key=True) == "shx"
