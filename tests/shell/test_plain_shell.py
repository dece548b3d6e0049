"""The plain line loop in-process, on trio's MockClock."""

import os

import trio

from routershell.shell.plain import FdLines, PlainShell, ScriptLines

from .fake_session import FakeApp


def make_shell(lines, *, echo=True, final_prompt=False, interactive=False):
    app = FakeApp()
    out: list[str] = []
    shell = PlainShell(app, app.session, ScriptLines(lines), out.append, echo=echo,
                       interactive=interactive, final_prompt=final_prompt)
    return app, shell, out


async def test_each_command_is_prompt_echo_output_and_no_trailing_prompt():
    app, shell, out = make_shell(["show version", "configure", "exit"])
    assert await shell.run() == 0
    assert "".join(out) == (
        "user@r1> show version\nHostname: r1\n"
        "user@r1> configure\nEntering configuration mode\n"
        "\n[edit]\nuser@r1# exit\nExiting configuration mode\n")
    assert app.session.executed == ["show version", "configure", "exit"]


async def test_stdin_mode_ends_with_a_prompt_then_newline_at_eof():
    _, shell, out = make_shell(["show version"], final_prompt=True)
    await shell.run()
    assert "".join(out).endswith("Hostname: r1\nuser@r1> \n")


async def test_exit_closes_without_another_prompt():
    app, shell, out = make_shell(["exit", "show version"], final_prompt=True)
    assert await shell.run() == 0
    assert "".join(out) == "user@r1> exit\n"
    assert app.session.executed == ["exit"]


async def test_no_echo_on_a_terminal():
    _, shell, out = make_shell(["show version"], echo=False)
    await shell.run()
    assert "".join(out) == "user@r1> Hostname: r1\n"


async def test_question_mark_line_prints_help_once_and_runs_nothing():
    app, shell, out = make_shell(["show v?"])
    await shell.run()
    assert "".join(out) == (
        "user@r1> show v?\nPossible completions:\n"
        "  version              Show software process revision levels\n"
        "  vlans                Show VLANs\n"
        "  vpn                  Show VPN status\n")
    assert app.session.executed == []


async def test_question_inside_quotes_is_a_command():
    app, shell, _ = make_shell(['show "why?'])
    await shell.run()
    assert app.session.executed == ['show "why?']


async def test_questions_read_the_next_line_and_echo_it():
    app, shell, out = make_shell(["request question", "yes", "show version"])
    await shell.run()
    text = "".join(out)
    assert "user@r1> request question\nContinue? [yes,no] (no) yes\nanswer: yes\n" in text
    assert app.session.answers == ["yes"]
    assert text.endswith("user@r1> show version\nHostname: r1\n")


async def test_pager_key_from_a_line():
    _, shell, out = make_shell(["request page", "q"])
    await shell.run()
    assert "---(more)---q\nkey: 'q'\n" in "".join(out)


async def test_question_at_end_of_input_reads_none():
    app, shell, _ = make_shell(["request question"])
    await shell.run()
    assert app.session.answers == [None]


async def test_broadcast_at_prompt_redraws_the_prompt():
    app, shell, out = make_shell([])
    shell._at_prompt = app.session.prompt()
    shell.notify("Message from r1: rollback done\n")
    assert "".join(out) == "\nMessage from r1: rollback done\nuser@r1> "


async def test_broadcast_during_a_command_waits_for_its_output():
    _, shell, out = make_shell(["request broadcast", "show version"])
    await shell.run()
    assert "".join(out) == ("user@r1> request broadcast\nsent\n\nMessage from r1: hello\n"
                            "user@r1> show version\nHostname: r1\n")


async def test_interrupt_cancels_only_the_running_command(autojump_clock):
    app, shell, out = make_shell(["ping", "show version"])

    async def ctrl_c():
        await trio.sleep(2.5)
        shell.interrupt()

    async with trio.open_nursery() as n:
        n.start_soon(ctrl_c)
        assert await shell.run() == 0
    text = "".join(out)
    assert "reply 2\n" in text and "reply 3" not in text
    assert app.session.cancelled
    assert text.endswith("reply 2\n\nuser@r1> show version\nHostname: r1\n")


async def test_interrupt_at_prompt_redraws_it():
    app, shell, out = make_shell([])
    shell._at_prompt = app.session.prompt()
    shell.interrupt()
    assert "".join(out) == "\nuser@r1> "


async def test_fd_lines_split_and_keep_partial_last_line(autojump_clock):
    r, w = os.pipe()
    os.write(w, b"show version\r\nconfigure\nlast")
    os.close(w)
    src = FdLines(r)
    async with trio.open_nursery() as n:
        n.start_soon(src.reader)
        got = [await src.next_line() for _ in range(4)]
    os.close(r)
    assert got == ["show version", "configure", "last", None]
    assert not src.may_have_more()


async def test_fd_lines_survive_a_cancelled_wait(autojump_clock):
    r, w = os.pipe()
    src = FdLines(r)
    async with trio.open_nursery() as n:
        n.start_soon(src.reader)
        with trio.move_on_after(0.05):
            await src.next_line()
        os.write(w, b"kept\n")
        os.close(w)
        assert await src.next_line() == "kept"
        assert await src.next_line() is None
    os.close(r)


def test_a_line_read_before_a_ctrl_c_at_the_prompt_is_discarded_even_if_heard_after():
    """The reader thread finished reading `lab clock advance 300d` before the Ctrl-C, but trio
    handled the signal first: the line must not run after the interrupt (under load it did,
    and the 300-day advance ran uninterrupted). A line read after the discard is kept."""
    r, w = os.pipe()
    src = FdLines(r)
    os.write(w, b"lab clock advance 300d\n")
    data, stamp = src._read()  # the thread's read returned ...
    src.discard()  # ... then Ctrl-C at the prompt was handled ...
    src._deliver(data, stamp)  # ... then trio heard of the read
    assert src._buf == b""
    os.write(w, b"show version\n")
    src._deliver(*src._read())  # typed after the interrupt
    assert src._buf == b"show version\n"
    os.close(w)
    src._deliver(*src._read())  # end of input is never discarded
    assert src._eof
    os.close(r)
