"""The plain front-end end to end: `python -m routershell` with -c, pipes and TERM=dumb."""

import subprocess
import sys

import pytest

from .conftest import PYTHON, shell_env


def run(*args, stdin="", **env):
    return subprocess.run([PYTHON, "-m", "routershell", *args], input=stdin,
                          capture_output=True, text=True, env=shell_env(**env), timeout=60)


def test_c_prints_prompt_echo_output_and_no_final_prompt():
    r = run("-c", "show version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("user@r1> show version\nHostname: r1\n")
    assert "user@r1> " not in r.stdout[len("user@r1> "):]
    assert "\x1b" not in r.stdout and r.stderr == ""


def test_c_runs_commands_in_order_split_on_semicolons():
    r = run("-c", "show version; configure", "-c", "exit")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.index("user@r1> show version\n") < out.index("user@r1> configure\n")
    assert "Entering configuration mode\n" in out
    assert "\n[edit]\nuser@r1# exit\n" in out


def test_piped_stdin_reads_like_a_device_session():
    r = run(stdin="show version\nshow ver?\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("user@r1> show version\nHostname: r1\n")
    assert "user@r1> show ver?\nPossible completions:\n" in r.stdout
    assert r.stdout.count("user@r1> show ver?") == 1  # help echo drawn once
    assert r.stdout.endswith("user@r1> \n")  # last prompt, then end of input


def test_unknown_command_gets_a_caret_not_a_traceback():
    r = run("-c", "shwo version")
    assert r.returncode == 1  # the script had a failing command
    assert "unknown command." in r.stdout and "Traceback" not in r.stderr


def test_term_dumb_and_plain_flag_stay_plain():
    for args, env in ((["--plain"], {}), ([], {"TERM": "dumb"})):
        r = run(*args, stdin="show version\n", **env)
        assert r.returncode == 0
        assert "\x1b" not in r.stdout and "Hostname: r1" in r.stdout


def test_exit_at_operational_prompt_ends_the_session():
    r = run(stdin="exit\nshow version\n")
    assert r.returncode == 0
    assert r.stdout == "user@r1> exit\n"


def test_plain_mode_never_imports_prompt_toolkit():
    code = ("import sys; from routershell.main import main; rc = main(['-c', 'show version']);"
            "sys.exit(10 if 'prompt_toolkit' in sys.modules else rc)")
    r = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=shell_env(),
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_output_to_a_closed_pipe_is_quiet():
    p1 = subprocess.Popen([PYTHON, "-m", "routershell", "-c", "; ".join(["show version"] * 500)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=shell_env())
    p1.stdout.read(10)
    p1.stdout.close()
    err = p1.stderr.read().decode()
    p1.wait(timeout=60)
    assert "Traceback" not in err and "Exception ignored" not in err
    assert p1.returncode == 1  # stopped early: the reader went away


pexpect = pytest.importorskip("pexpect")


@pytest.mark.pty
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_plain_on_a_tty_lets_the_terminal_echo_and_handles_ctrl_c_and_eof():
    child = pexpect.spawn(PYTHON, ["-m", "routershell", "--plain"], env=shell_env(TERM="xterm"),
                          dimensions=(40, 100), encoding="utf-8", timeout=15)
    child.expect_exact("user@r1> ")
    child.send("show version\r")
    child.expect_exact("show version\r\nHostname: r1\r\n")
    child.expect_exact("user@r1> ")
    child.send("show ver")
    child.sendintr()  # Ctrl-C drops the half-typed line, the shell stays
    child.expect_exact("user@r1> ")
    child.send("show version\r")
    child.expect_exact("Hostname: r1")
    child.expect_exact("user@r1> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "\x1b" not in child.before


def test_plain_on_a_terminal_never_pages():
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(PYTHON, ["-m", "routershell", "--plain", "--clock", "virtual"],
                          env=shell_env(TERM="xterm"), dimensions=(24, 80), encoding="utf-8",
                          timeout=15)
    try:
        child.expect_exact("user@r1> ")
        child.send("show configuration\r")
        child.expect_exact("user@r1> ")
        assert "---(more" not in child.before
        child.send("show version\r")  # the next command runs: nothing swallowed it
        child.expect_exact("Hostname: r1")
    finally:
        child.terminate(force=True)


@pytest.mark.parametrize("script", ["show version; show bogus; show version",
                                    "configure; set system host-name; exit",
                                    "lab link nowhere down"])
def test_a_script_with_a_failed_command_exits_1(script):
    r = run("-c", script)
    assert r.returncode == 1, r.stdout
    assert r.stderr == ""
    piped = run(stdin=script.replace("; ", "\n") + "\n")
    assert piped.returncode == 1, piped.stdout


def test_a_clean_script_exits_0_and_help_says_what_fails():
    assert run("-c", "show version; show ver?; lab show | match clock").returncode == 0
    r = run("--help")
    assert "1 when a -c or piped script had a command that printed an error" in " ".join(r.stdout.split())


@pytest.mark.pty
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_ctrl_c_stops_a_long_lab_clock_advance():
    """Issue 18: a 300-day advance is interruptible; the lab keeps the time it reached."""
    child = pexpect.spawn(PYTHON, ["-m", "routershell", "--plain", "--clock", "virtual"],
                          env=shell_env(TERM="xterm"), encoding="utf-8", timeout=90)
    child.expect_exact("user@r1> ")
    child.send("lab clock advance 300d\r")
    child.expect_exact("lab clock advance 300d\r\n")
    child.sendintr()
    child.expect_exact("user@r1> ")
    child.send("lab show | match clock\r")
    child.expect(r"lab time (\d+):")
    hours = int(child.match.group(1))
    child.expect_exact("user@r1> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    assert hours < 300 * 24  # stopped well short of the 300 days asked for


@pytest.mark.parametrize("lab,bad,good", [
    ("junose-ism", "show interfaces tunnel ipsec:nosuch", "show version"),
    ("staros-crypto-group", "context nosuch", "show clock"),
    ("alliedware-retry", "show nonsense", "show system"),
])
def test_every_platforms_refusals_fail_a_script(lab, bad, good):
    assert run("--lab", lab, "-c", good).returncode == 0
    r = run("--lab", lab, "-c", f"{bad}; {good}")
    assert r.returncode == 1, r.stdout


def test_sigint_stops_a_script_with_status_130():
    """Review: `-c 'lab clock advance 365d'` ignored SIGINT and needed SIGTERM."""
    import signal

    proc = subprocess.Popen([PYTHON, "-m", "routershell", "--clock", "virtual", "-c",
                             "lab clock advance 365d; show version"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=shell_env(), text=True)
    line = proc.stdout.readline()  # the echoed command: the advance is running
    assert "lab clock advance 365d" in line
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Hostname" not in out


def test_a_piped_non_utf8_byte_gets_the_device_error_not_a_replacement_character():
    """Review: piped input stored U+FFFD silently while -c refused the byte."""
    out = subprocess.run([PYTHON, "-m", "routershell", "--clock", "virtual"],
                         input=b"configure\nset system host-name r\xe9\n", capture_output=True,
                         env=shell_env(), timeout=60)
    text = out.stdout.decode("utf-8", "replace")
    assert "syntax error." in text and out.returncode == 1
    assert "host-name r" not in text.split("syntax error.")[-1]
