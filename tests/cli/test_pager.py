"""Pager: screenfuls, the more-prompt, keys, and no paging for scripts."""

from routershell.cli.io import BufferIO
from routershell.cli.pager import ERASE, page


class KeyIO:
    """Interactive SessionIO double: records output, answers read_key from a script."""

    interactive = True

    def __init__(self, keys: str = "") -> None:
        self.keys = list(keys)
        self.out: list[str] = []
        self.reads = 0

    def write(self, text: str) -> None:
        self.out.append(text)

    async def read_line(self, prompt: str = "") -> str | None:
        raise AssertionError("pager must not read lines")

    async def read_key(self, prompt: str = "") -> str:
        self.reads += 1
        return self.keys.pop(0) if self.keys else "q"

    def text(self) -> str:
        return "".join(self.out)


TEN = "".join(f"line{i}\n" for i in range(10))  # 60 characters


def more(pct: int) -> str:
    return f"---(more {pct}%)---"


async def test_non_interactive_writes_everything() -> None:
    io = BufferIO()
    assert await page(io, TEN, screen_length=3)
    assert io.text() == TEN


async def test_fits_on_screen_or_paging_off() -> None:
    for length in (0, 11, 24):
        io = KeyIO()
        assert await page(io, TEN, screen_length=length)
        assert io.text() == TEN and io.reads == 0


async def test_space_pages_enter_scrolls_q_stops() -> None:
    io = KeyIO(" \nq")
    assert not await page(io, TEN, screen_length=4)
    ln = [f"line{i}\n" for i in range(10)]
    assert io.text() == (
        "".join(ln[0:3]) + more(30) + ERASE
        + "".join(ln[3:6]) + more(60) + ERASE
        + ln[6] + more(70) + ERASE
    )
    assert io.reads == 3


async def test_reads_to_the_end_without_trailing_prompt() -> None:
    io = KeyIO("    ")
    assert await page(io, TEN, screen_length=6)
    assert io.text() == TEN[:30] + more(50) + ERASE + TEN[30:]
    assert io.reads == 1


async def test_other_keys_redraw_prompt() -> None:
    io = KeyIO("x ")
    assert await page(io, "a\nb\nc\n", screen_length=3)
    assert io.text() == "a\nb\n" + more(66) + ERASE + more(66) + ERASE + "c\n"


async def test_wrapped_lines_take_several_rows() -> None:
    text = "x" * 25 + "\n" + "short\n" + "end\n"
    io = KeyIO(" ")
    assert await page(io, text, screen_length=4, screen_width=10)
    # the 25-character line takes 3 rows: screen of 3 rows holds only it
    assert io.text() == text[:26] + more(72) + ERASE + "short\nend\n"


async def test_hold_keeps_prompt_until_q() -> None:
    io = KeyIO("  q")
    assert await page(io, "a\nb\n", screen_length=10, hold=True)
    assert io.text() == "a\nb\n" + (more(100) + ERASE) * 3
    assert io.reads == 3


async def test_quit_at_first_prompt_prints_nothing_more() -> None:
    io = KeyIO("q")
    assert not await page(io, TEN, screen_length=5)
    assert io.text() == TEN[:24] + more(40) + ERASE


class WindowIO(KeyIO):
    """A front-end on a window: terminal_size() reports the rows/columns it follows."""

    def __init__(self, keys: str, sizes: list[tuple[int | None, int | None]]) -> None:
        super().__init__(keys)
        self.sizes = sizes

    def terminal_size(self) -> tuple[int | None, int | None]:
        return self.sizes[0] if len(self.sizes) == 1 else self.sizes.pop(0)


async def test_the_window_size_applies_to_each_page_and_a_fixed_value_stays() -> None:
    # 4 rows at first, 6 after a resize (the next page), width wraps "line0" to 2 rows at 3
    io = WindowIO("  ", [(4, None), (6, None)])
    await page(io, TEN, screen_length=24)
    assert io.text() == ("line0\nline1\nline2\n" + more(30) + ERASE
                         + "line3\nline4\nline5\nline6\nline7\n" + more(80) + ERASE
                         + "line8\nline9\n")
    io = WindowIO(" ", [(None, 3)])  # rows fixed by `set cli screen-length 5`; 3 columns
    await page(io, TEN, screen_length=5)
    assert io.text().startswith("line0\nline1\n" + more(20))
