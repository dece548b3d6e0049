"""The rich shell on a real pseudo-terminal (100x40), driven by pexpect like a person."""

from __future__ import annotations

import re
import sys

import pytest

from .conftest import PYTHON, shell_env

pexpect = pytest.importorskip("pexpect")
pytestmark = [pytest.mark.pty,
              pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")]

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def shell():
    child = pexpect.spawn(PYTHON, ["-m", "routershell", "--clock", "virtual"],
                          env=shell_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1"),
                          dimensions=(40, 100), encoding="utf-8", timeout=15)
    child.expect_exact("user@r1>")  # prompt_toolkit draws no trailing space (stack.md §5.2)
    yield child
    if child.isalive():
        child.terminate(force=True)


def test_question_mark_lists_completions_and_keeps_the_line(shell):
    shell.send("show ?")
    shell.expect_exact("Possible completions:")
    shell.expect_exact("version")
    shell.send("version\r")  # the kept "show " + "version"
    shell.expect_exact("Hostname: r1")
    shell.expect_exact("user@r1>")
    assert "\x1b[6n" not in shell.before  # no cursor-position requests


def test_tab_completes_a_unique_prefix(shell):
    shell.send("show vers\t")
    shell.expect_exact("version")
    shell.send("\r")
    shell.expect_exact("Hostname: r1")


def test_ctrl_c_cancels_the_line_and_the_shell_stays(shell):
    shell.send("show vers")
    shell.sendcontrol("c")
    shell.expect_exact("user@r1>")
    shell.send("show version\r")
    shell.expect_exact("Hostname: r1")
    shell.expect_exact("user@r1>")
    assert shell.isalive()


def test_ctrl_d_exits_zero(shell):
    shell.sendcontrol("d")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0


def test_configuration_prompt_carries_the_edit_banner(shell):
    shell.send("configure\r")
    shell.expect_exact("Entering configuration mode")
    shell.expect(r"\[edit\]")
    shell.expect_exact("user@r1#")
    shell.send("exit\r")
    shell.expect_exact("Exiting configuration mode")
    shell.expect_exact("user@r1>")
    shell.send("exit\r")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0


def _spawn(rows: int = 40, cols: int = 100, **env: str):
    child = pexpect.spawn(PYTHON, ["-m", "routershell", "--clock", "virtual"],
                          env=shell_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", **env),
                          dimensions=(rows, cols), encoding="utf-8", timeout=15)
    child.expect_exact("user@r1>")
    return child


def test_ctrl_c_at_the_pager_returns_to_a_live_prompt(shell):
    for _ in range(2):
        shell.send("show configuration\r")
        shell.expect(r"---\(more \d+%\)---")
        shell.sendcontrol("c")
        shell.expect_exact("user@r1>")
    shell.send("show version\r")  # echoes and runs: the terminal is not left detached
    shell.expect_exact("Hostname: r1")
    shell.expect_exact("user@r1>")
    assert shell.isalive()


def test_the_pager_follows_the_window_until_set_cli_fixes_it():
    child = _spawn(rows=30, cols=120)
    try:
        child.send("show cli\r")
        child.expect_exact("CLI screen-length set to 30")
        child.expect_exact("CLI screen-width set to 120")
        child.expect_exact("user@r1>")
        child.setwinsize(20, 90)
        child.send("show cli\r")
        child.expect_exact("CLI screen-length set to 20")
        child.expect_exact("CLI screen-width set to 90")
        child.expect_exact("user@r1>")
        child.send("set cli screen-length 12\r")
        child.expect_exact("Screen length set to 12")
        child.expect_exact("user@r1>")
        child.setwinsize(40, 100)
        child.send("show cli\r")
        child.expect_exact("CLI screen-length set to 12")  # fixed by the user
        child.expect_exact("CLI screen-width set to 100")  # still the window's
    finally:
        child.terminate(force=True)


def test_no_color_draws_no_colours():
    child = _spawn(NO_COLOR="1")
    try:
        child.send('show version "x" 10')
        child.expect_exact('10')
        child.send("\x15show version\r")
        child.expect_exact("Hostname: r1")
        child.expect_exact("user@r1>")
        colours = re.compile(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|38;5;\d+)m")
        assert not colours.search(child.before or "")
    finally:
        child.terminate(force=True)


def test_loading_line_shows_then_gives_way_to_the_prompt():
    child = pexpect.spawn(PYTHON, ["-m", "routershell", "--clock", "virtual"],
                          env=shell_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1"),
                          dimensions=(40, 100), encoding="utf-8", timeout=15)
    try:
        child.expect_exact("routershell: loading lab default ...")
        child.expect_exact("user@r1>")
        assert "\x1b[K" in child.before  # the status line was erased before the prompt
    finally:
        child.terminate(force=True)


def test_ctrl_d_logs_out_at_the_login_mode_of_any_platform():
    # StarOS's exec prompt ends in '#': the mode decides, not the prompt's last character
    child = pexpect.spawn(PYTHON, ["-m", "routershell", "--clock", "virtual", "--lab",
                                   "staros-crypto-group"],
                          env=shell_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1"),
                          dimensions=(40, 100), encoding="utf-8", timeout=15)
    try:
        child.expect_exact("[local]asr5k#")
        child.send("configure\r")
        child.expect_exact("[local]asr5k(config)#")
        child.sendcontrol("d")  # ignored in configuration mode
        child.send("exit\r")
        child.expect(r"\[local\]asr5k# ?\x1b\[")  # back at exec
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        child.terminate(force=True)
