"""`| save FILE` writes a command's output into the device home (the path rule of `save`) and
`| hold` keeps the pager at the end of the output (issue 10)."""

from __future__ import annotations

from .harness import Transcript, lab


async def test_pipe_save_writes_the_filtered_output_to_the_home(mock_clock):
    """A served session (here: as over SSH) saves inside the device home only."""
    async with lab(mock_clock) as app:
        t = Transcript(app)
        t.session.close()
        t.session = app.new_session(client="ssh")
        home = app.devices["r1"].home
        version = await t.run("show version")
        assert await t.run("show version | save ver.txt") == f"Wrote {len(version.splitlines())} lines of output to 'ver.txt'\n"
        assert (home / "ver.txt").read_text() == version
        assert await t.run("show configuration | match host-name | save sub/../host.txt") == "Wrote 1 lines of output to 'sub/../host.txt'\n"
        assert (home / "host.txt").read_text() == "    host-name r1;\n"
        assert await t.run("show version | save ../outside.txt") == "error: invalid filename: ../outside.txt\n"
        assert not (home.parent / "outside.txt").exists()
        await t.run("configure")
        assert (await t.run("show system | save sys.conf")).startswith("Wrote ")
        assert (home / "sys.conf").read_text() == await t.run("show system")


class _Keys:
    interactive = True

    def __init__(self, keys: str) -> None:
        self.keys, self.out, self.reads = list(keys), [], 0

    def write(self, text: str) -> None:
        self.out.append(text)

    async def read_line(self, prompt: str = "") -> str | None:
        return None

    async def read_key(self, prompt: str = "") -> str:
        self.reads += 1
        return self.keys.pop(0) if self.keys else "q"


async def test_pipe_hold_keeps_the_pager_at_the_end(mock_clock):
    async with lab(mock_clock) as app:
        session = app.new_session()
        io = _Keys(" q")
        await app.run(session, "show version | hold", io)
        text = "".join(io.out)
        assert io.reads == 2 and "---(more" in text  # a short output still waits for q
        io = _Keys("")
        await app.run(session, "show version", io)
        assert io.reads == 0 and "---(more" not in "".join(io.out)
