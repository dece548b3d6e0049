"""The rich front-end in-process: prompt_toolkit on a pipe input, trio as asyncio's guest.

Plain `def` tests calling asyncio.run (pytest-trio's trio_mode only takes `async def`)."""

from __future__ import annotations

import asyncio
import io
import os
import signal
from datetime import UTC, datetime

import pytest
import trio
from prompt_toolkit.application import create_app_session
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.plain_text import PlainTextOutput

from routershell.shell.completer import RouterCompleter
from routershell.shell.guest import INTERRUPTED, TrioGuest, run_interruptible
from routershell.shell.rich import rich_main, toolbar_text

from .fake_session import FakeApp, FakeClock, FakeSession


class Screen:
    def __init__(self) -> None:
        self.buf = io.StringIO()

    def text(self) -> str:
        return self.buf.getvalue().replace("\r\n", "\n")

    async def wait_for(self, needle: str, count: int = 1, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while self.text().count(needle) < count:
                await asyncio.sleep(0.005)


    async def wait_after(self, first: str, then: str, timeout: float = 5.0) -> None:
        """Until `then` is drawn after the last `first` (the next prompt is up)."""
        async with asyncio.timeout(timeout):
            while self.text().rfind(then) < self.text().rfind(first):
                await asyncio.sleep(0.005)


def drive(app: FakeApp, script) -> tuple[int, str]:
    """Run rich_main with `script(inp, screen)` typing into it; return (rc, screen text)."""
    screen = Screen()

    async def main() -> int:
        with create_pipe_input() as inp:
            with create_app_session(input=inp, output=PlainTextOutput(screen.buf)):
                task = asyncio.ensure_future(rich_main(app))
                await script(inp, screen)
                async with asyncio.timeout(10):
                    return await task

    return asyncio.run(main()), screen.text()


def test_completer_yields_replacements_for_the_partial_word():
    comp = RouterCompleter(FakeSession())
    got = list(comp.get_completions(Document("show v"), None))
    assert [(c.text, c.start_position, c.display_meta_text) for c in got] == [
        ("version", -1, "Show software process revision levels"),
        ("vlans", -1, "Show VLANs"), ("vpn", -1, "Show VPN status")]
    assert [c.text for c in comp.get_completions(Document("show "), None)][0] == "version"
    assert list(comp.get_completions(Document("bogus x"), None)) == []


def test_completer_survives_a_failing_session():
    class Broken(FakeSession):
        def complete(self, text):
            raise KeyError(text)

    assert list(RouterCompleter(Broken()).get_completions(Document("sh"), None)) == []


def test_question_mark_shows_help_and_keeps_the_line():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("show v?")
        await screen.wait_for("Possible completions:")
        inp.send_text("e\t\r")  # the kept "show v" + "e" + Tab -> "show version "
        await screen.wait_for("Hostname: r1")
        inp.send_text("\x04")

    rc, text = drive(app, script)
    assert rc == 0 and app.closed
    assert "user@r1> show v?\nPossible completions:\n  version" in text
    assert "  vpn                  Show VPN status\n" in text
    assert app.session.executed == ["show version ", "exit"]  # Ctrl-D logs out


def test_tab_extends_common_prefix_then_lists_when_stuck():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("sh\t")      # unique: "show "
        inp.send_text("v\t")       # version/vlans/vpn share only "v": list them
        await screen.wait_for("Possible completions:")
        inp.send_text("p\t\r")     # "show vp" -> "show vpn "
        await screen.wait_for("unknown command.")
        inp.send_text("\x04")

    rc, text = drive(app, script)
    assert app.session.executed == ["show vpn ", "exit"]
    assert "user@r1> show v\nPossible completions:" in text  # no `?` nobody typed
    assert "show v?" not in text


def test_space_completes_when_the_session_says_so():
    app = FakeApp()
    app.session.complete_on_space = True

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("sh ver v \r")  # "show version" then "v" (no completions): kept
        await screen.wait_for("Hostname: r1")
        app.session.complete_on_space = False
        inp.send_text("sh ver\r")
        await screen.wait_for("unknown command.")
        inp.send_text("\x04")

    drive(app, script)
    assert app.session.executed == ["show version v ", "sh ver", "exit"]


def test_question_mark_inside_quotes_is_typed():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text('ping "why?"\r')
        await screen.wait_for("reply 4")
        inp.send_text("\x04")

    drive(app, script)
    assert app.session.executed == ['ping "why?"', "exit"]


def test_ctrl_c_drops_the_line_and_ctrl_d_in_config_is_ignored():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("show ver\x03")
        inp.send_text("configure\r")
        await screen.wait_for("user@r1#")
        inp.send_text("\x04")          # ignored in configuration mode
        inp.send_text("exit\r")
        await screen.wait_for("Exiting configuration mode")
        inp.send_text("exit\r")

    rc, _ = drive(app, script)
    assert rc == 0
    assert app.session.executed == ["configure", "exit", "exit"]
    assert app.session.closed


def test_question_and_pager_reads_go_through_nested_prompts():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("request question\r")
        await screen.wait_for("Continue? [yes,no] (no)")
        inp.send_text("yes\r")
        await screen.wait_for("answer: yes")
        inp.send_text("request page\r")
        await screen.wait_for("---(more)---")
        inp.send_text(" ")
        await screen.wait_for("key: ' '")
        inp.send_text("\x04")

    rc, _ = drive(app, script)
    assert rc == 0 and app.session.answers == ["yes"]


def test_broadcast_prints_above_the_prompt():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("request broadcast\r")
        await screen.wait_for("Message from r1: hello")
        inp.send_text("\x04")

    rc, text = drive(app, script)
    assert rc == 0 and "sent\n" in text


def test_sigint_cancels_the_running_command_only():
    app = FakeApp(mode="real", rate=1.0)

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("ping\r")
        await screen.wait_for("reply 0")
        os.kill(os.getpid(), signal.SIGINT)
        await screen.wait_for("user@r1>", count=2)
        inp.send_text("show version\r")
        await screen.wait_for("Hostname: r1")
        inp.send_text("\x04")

    rc, text = drive(app, script)
    assert rc == 0 and app.session.cancelled
    assert "reply 4" not in text


def test_toolbar_shows_mode_and_lab_time():
    clock = FakeClock("x60")
    clock.trio_clock.jump(3 * 86400 + 3723)
    assert toolbar_text(clock) == " clock: x60   lab time: 3d 01:02:03"
    clock.epoch = datetime(2024, 1, 1, tzinfo=UTC)
    clock.now = clock.trio_clock.current_time
    assert toolbar_text(clock) == " clock: x60   lab time: 2024-01-04 01:02:03 UTC"


def test_guest_calls_cross_both_ways_and_cancel():
    async def main():
        clock = trio.testing.MockClock(autojump_threshold=0)
        guest = TrioGuest(clock)

        async def setup(nursery):
            return trio.current_time()

        assert await guest.start(setup) == 0.0

        async def slow():
            await trio.sleep(3600)  # virtual: autojump
            return trio.current_time()

        assert await guest.call(slow) == 3600.0

        async def ask_host():
            async def host_side():
                await asyncio.sleep(0)
                return "from asyncio"
            return await guest.on_host(host_side)

        assert await guest.call(ask_host) == "from asyncio"

        async def boom():
            raise ValueError("bad")

        with pytest.raises(ValueError):
            await guest.call(boom)

        cancelled = []

        async def forever():
            try:
                await trio.sleep_forever()
            except trio.Cancelled:
                cancelled.append(True)
                raise

        clock.autojump_threshold = float("inf")
        res = await run_interruptible(guest.call(forever), lambda t: asyncio.get_running_loop()
                                      .call_later(0.01, t.cancel))
        assert res is INTERRUPTED
        (await guest.aclose()).unwrap()
        assert cancelled == [True]

    asyncio.run(main())


def test_ctrl_c_at_the_pager_ends_the_listing_and_the_prompt_keeps_working():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("request page\r")
        await screen.wait_for("---(more)---")
        inp.send_text("\x03")
        await screen.wait_for("key: 'q'")
        inp.send_text("show version\r")
        await screen.wait_for("Hostname: r1")
        inp.send_text("\x04")

    rc, _ = drive(app, script)
    assert rc == 0 and app.session.executed == ["request page", "show version", "exit"]


def test_a_broadcast_that_changes_the_prompt_redraws_it_at_once():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        app.session.host = "r9"  # e.g. a rollback that ends the commit-confirmed banner
        app.session.notifier("Message from r1: rolled back")
        await screen.wait_for("user@r9>")
        inp.send_text("\x04")

    rc, text = drive(app, script)
    assert rc == 0 and text.index("rolled back") < text.rindex("user@r9>")


def test_each_mode_keeps_its_own_history():
    app = FakeApp()
    up = "\x1b[A"

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("show version\r")
        await screen.wait_for("Hostname: r1")
        inp.send_text("configure\r")
        await screen.wait_for("user@r1#")
        inp.send_text("set system\r")
        await screen.wait_for("unknown command.")
        inp.send_text("exit\r")
        await screen.wait_for("Exiting configuration mode")
        inp.send_text(up + up + "\r")  # configure, then show version: never `set system`
        await screen.wait_for("Hostname: r1", count=2)
        inp.send_text("configure\r")
        await screen.wait_for("Entering configuration mode", count=2)
        await screen.wait_after("Entering configuration mode", "user@r1#")
        inp.send_text(up + up + "\r")  # exit, then set system
        await screen.wait_for("unknown command.", count=2)
        inp.send_text("exit\r")
        await screen.wait_for("Exiting configuration mode", count=2)
        inp.send_text("\x04")

    drive(app, script)
    assert app.session.executed == ["show version", "configure", "set system", "exit",
                                    "show version", "configure", "set system", "exit", "exit"]


def test_ctrl_u_deletes_the_whole_line_and_ctrl_z_types_nothing():
    app = FakeApp()
    left = "\x1b[D"

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("show vpn" + left * 3 + "\x15" + "show ver\x1asion\r")
        await screen.wait_for("Hostname: r1")
        inp.send_text("show vpn\x18show version\r")  # Ctrl-X as Ctrl-U
        await screen.wait_for("Hostname: r1", count=2)
        inp.send_text("\x04")

    drive(app, script)
    assert app.session.executed == ["show version", "show version", "exit"]


def test_ctrl_d_at_an_empty_operational_prompt_logs_out_as_exit():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("show vers\x04\x04")  # not empty: Ctrl-D deletes under the cursor
        inp.send_text("ion\r")
        await screen.wait_for("Hostname: r1")
        inp.send_text("\x04")

    rc, text = drive(app, script)
    assert rc == 0 and app.session.closed
    assert app.session.executed == ["show version", "exit"]
    assert text.rstrip().endswith("user@r1> exit")


def test_boot_status_counts_tunnels_up_of_all():
    from routershell.app import App
    from routershell.shell.rich import boot_status

    app = App("virtual")
    assert boot_status(app) == "routershell: starting lab default: 0 of 1 tunnel up, lab time 00:00:00"

    async def boot():
        async with trio.open_nursery() as n:
            await app.start(n)
            n.cancel_scope.cancel()

    trio.run(boot, clock=app.clock.trio_clock)
    assert boot_status(app).startswith("routershell: starting lab default: 1 of 1 tunnel up")


def test_boot_progress_redraws_one_line_and_erases_it():
    from routershell.shell.rich import show_boot_progress

    written: list[str] = []

    class Booting:
        spec = type("Spec", (), {"name": "big"})()
        devices: dict = {}
        clock = type("Clock", (), {"now": staticmethod(lambda: 12.0)})()

    async def main():
        task = asyncio.ensure_future(show_boot_progress(Booting(), written.append, quiet=0, every=0))
        while len(written) < 3:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert written[0] == "\rroutershell: starting lab big: 0 of 0 tunnels up, lab time 00:00:12 (0 s)\x1b[K"
    assert written[-1] == "\r\x1b[K"  # gone before the first prompt


def test_a_quick_boot_shows_no_progress():
    app = FakeApp()
    app.devices = {}

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("\x04")

    _, text = drive(app, script)
    assert "starting lab" not in text


def test_waiting_for_a_key_or_an_answer_holds_the_lab_clock():
    app = FakeApp()

    async def script(inp, screen):
        await screen.wait_for("user@r1>")
        inp.send_text("request question\r")
        await screen.wait_for("Continue? [yes,no] (no)")
        assert app.clock.holds == ["hold"]  # still waiting for the answer
        inp.send_text("yes\r")
        await screen.wait_for("answer: yes")
        inp.send_text("request page\r")
        await screen.wait_for("---(more)---")
        inp.send_text(" ")
        await screen.wait_for("key: ' '")
        inp.send_text("\x04")

    drive(app, script)
    assert app.clock.holds == ["hold", "release"] * 2


def test_ctrl_c_as_a_signal_while_the_pager_waits_leaves_a_working_prompt():
    # On a cooked tty Ctrl-C is SIGINT until the pager's raw read starts: the command is
    # cancelled then, and its key reader must be gone before the next prompt reads keys.
    app = FakeApp(mode="real", rate=1.0)

    async def script(inp, screen):
        for n in (1, 2):
            await screen.wait_for("user@r1>", count=n)
            inp.send_text("request page\r")
            await screen.wait_for("---(more)---", count=n)
            os.kill(os.getpid(), signal.SIGINT)
            await screen.wait_after("---(more)---", "user@r1>")
        inp.send_text("show version\r")
        await screen.wait_for("Hostname: r1")
        inp.send_text("\x04")

    rc, text = drive(app, script)
    assert rc == 0 and "key:" not in text
    assert app.session.executed == ["request page", "request page", "show version", "exit"]
