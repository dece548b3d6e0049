"""The AlliedWare lab in the rich shell on a pseudo-terminal: the prompt, Tab completing a
`KEY=value` word in lower case, `?` listing the parameters left, LOGOFF ending the shell."""

from __future__ import annotations

import sys

import pytest

from tests.shell.conftest import PYTHON, shell_env

pexpect = pytest.importorskip("pexpect")
pytestmark = [pytest.mark.pty, pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")]


def test_tab_question_mark_and_logoff():
    c = pexpect.spawn(PYTHON, ["-m", "routershell", "--clock", "virtual", "--lab", "alliedware-retry"],
                      env=shell_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1"),
                      dimensions=(40, 120), encoding="utf-8", timeout=30)
    try:
        c.expect_exact("Manager r1>")
        c.send("cre isa pol=x pe=any msgb=i\t")
        c.expect_exact("msgb=incremental")
        c.send("?")
        c.expect_exact("RETRYIKEattempts=")
        c.send("\r")
        c.expect_exact("Info (1082003): Operation successful.")
        c.send("show isakmp policy=x\r")
        c.expect_exact("Message Back-off .......................... Incremental")
        c.send("logoff\r")
        c.expect(pexpect.EOF)
    finally:
        if c.isalive():
            c.terminate(force=True)
