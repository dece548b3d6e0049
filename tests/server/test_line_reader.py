"""The served terminal's line discipline on its own (server/terminal.py)."""

from __future__ import annotations

import trio
import trio.testing

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


async def test_bytes_taken_outside_trio_echo_at_the_prompt_and_wake_only_for_a_line():
    r, sent = _reader()
    async with trio.open_nursery() as n:
        got: list[str | None] = []

        async def prompt() -> None:
            got.append(await r.next_line(help_key=True))

        n.start_soon(prompt)
        await trio.testing.wait_all_tasks_blocked()
        assert r.take_outside(b"show ver") is False  # echoed here, trio not needed
        assert bytes(sent) == b"show ver" and got == []
        assert r.take_outside(b"sion\rshow route\r") is True  # a line: wake trio
        assert r.take_outside(b"x") is False  # type-ahead now, until the next prompt
        r.wake()
    assert got == ["show version"]
    assert bytes(sent) == b"show version\r\n"  # "show route" waits, unechoed
    assert await r.next_line() == "show route"
    assert bytes(sent).endswith(b"show route\r\n")


async def test_ctrl_c_is_left_to_trio():
    r, sent = _reader()
    assert r.take_outside(b"abc\x03") is None and bytes(sent) == b""
