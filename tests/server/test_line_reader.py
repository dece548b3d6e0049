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


async def test_quote_state_follows_typing_and_erasing_without_rescanning(monkeypatch):
    """`?` inside quotes is a character; the reader knows it is inside quotes from state kept per
    byte, so a paste of `"` and thousands of `?` costs one step each (the reader never rescans
    the line: the rule's reference function is not called)."""
    from routershell.cli import quoting

    def rescanned(text):
        raise AssertionError("the line was rescanned")

    monkeypatch.setattr(quoting, "open_quote", rescanned)
    r, sent = _reader()
    r.feed(b'"' + b"?" * 10000 + b"\r")
    assert await r.next_line(help_key=True) == '"' + "?" * 10000
    # escapes and erasing: (typed, the line next_line returns)
    cases = [
        (b'a "b\\" c?z\r', 'a "b\\" c?z'),  # \" stays inside: ? is typed
        (b'x "\\\\" ?\r', 'x "\\\\" ?'),  # \\ is one escaped \: the quote closes, ? asks
        (b'"ab\x7f\x7f\x7f?\r', '?'),  # the quote erased: ? asks
        (b'"a"\x7f?z\r', '"a?z'),  # the closing quote erased: inside again
        (b'"\\\x7f"?\r', '""?'),  # the backslash erased: the next " closes
    ]
    for typed, line in cases:
        r, _ = _reader()
        r.feed(typed)
        assert await r.next_line(help_key=True) == line, typed


async def test_a_line_longer_than_the_limit_is_cut_unechoed():
    from routershell.server.terminal import MAX_LINE

    r, sent = _reader()
    r.feed(b"x" * (MAX_LINE + 500) + b"\r")
    assert await r.next_line() == "x" * MAX_LINE
    assert bytes(sent) == b"x" * MAX_LINE + b"\r\n"
