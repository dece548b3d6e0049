import subprocess

import pytest

from routershell.main import build_parser, default_clock, main, split_commands, wants_plain

from .conftest import PYTHON, shell_env


def test_split_commands_on_semicolons_outside_quotes():
    assert split_commands("show version; show route") == ["show version", "show route"]
    assert split_commands('set system login message "a; b"; commit') == [
        'set system login message "a; b"', "commit"]
    assert split_commands("set x 'it;s'") == ["set x 'it;s'"]
    assert split_commands(" ; ;show version;") == ["show version"]


def test_c_is_repeatable_and_options_parse():
    a = build_parser().parse_args(["-c", "show version", "-c", "a; b", "--clock", "x60",
                                   "--seed", "7", "--plain"])
    assert a.commands == ["show version", "a; b"] and a.clock == "x60"
    assert a.seed == 7 and a.plain


@pytest.mark.parametrize("clock", ["x0", "fast", "x-1", "60"])
def test_bad_clock_is_a_usage_error(clock, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--clock", clock])
    assert exc.value.code == 2
    assert "invalid clock" in capsys.readouterr().err


def test_bad_seed_and_missing_lab_are_usage_errors(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["--seed", "abc"])
    with pytest.raises(SystemExit):
        main(["--lab", str(tmp_path / "nope.toml")])
    err = capsys.readouterr().err
    assert "invalid seed" in err and "no such lab file" in err
    assert "Traceback" not in err


def test_bad_listen_is_refused_cleanly(capsys):
    for bad in ("ftp:21", "ssh:port", "ssh:70000"):
        with pytest.raises(SystemExit) as e:
            main(["--listen", bad])
        assert e.value.code == 2
    err = capsys.readouterr().err
    assert "invalid listen" in err and "Traceback" not in err


def test_dispatch_rules():
    tty = dict(stdin_tty=True, stdout_tty=True)
    env = {"TERM": "xterm-256color"}
    assert not wants_plain(plain_flag=False, has_commands=False, env=env, **tty)
    assert wants_plain(plain_flag=True, has_commands=False, env=env, **tty)
    assert wants_plain(plain_flag=False, has_commands=True, env=env, **tty)
    for term in ("dumb", "unknown", ""):
        assert wants_plain(plain_flag=False, has_commands=False, env={"TERM": term}, **tty)
    assert wants_plain(plain_flag=False, has_commands=False, env={}, **tty)
    assert wants_plain(plain_flag=False, has_commands=False, env=env, stdin_tty=False,
                       stdout_tty=True)
    assert wants_plain(plain_flag=False, has_commands=False, env=env, stdin_tty=True,
                       stdout_tty=False)


def test_default_clock_is_real_for_people_and_virtual_for_scripts():
    assert default_clock(plain=False, has_commands=False, stdin_tty=True) == "real"
    assert default_clock(plain=True, has_commands=False, stdin_tty=True) == "real"
    assert default_clock(plain=True, has_commands=True, stdin_tty=True) == "virtual"
    assert default_clock(plain=True, has_commands=False, stdin_tty=False) == "virtual"


def test_version_and_no_traceback_for_unknown_option():
    r = subprocess.run([PYTHON, "-m", "routershell", "--version"], capture_output=True,
                       text=True, env=shell_env(), timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("routershell ")
    r = subprocess.run([PYTHON, "-m", "routershell", "--bogus"], capture_output=True,
                       text=True, env=shell_env(), timeout=30)
    assert r.returncode == 2 and "unrecognized arguments" in r.stderr
    assert "Traceback" not in r.stderr


class _FailingApp:
    def __init__(self, **kw):
        from .fake_session import FakeClock

        self.clock = FakeClock()

    async def start(self, nursery):
        raise ValueError("lab r9 failed to boot")


class _BadLabApp:
    def __init__(self, **kw):
        raise ValueError("lab.toml: unknown device r9")


@pytest.mark.parametrize("app_cls, message", [
    (_FailingApp, "routershell: error: lab r9 failed to boot"),
    (_BadLabApp, "routershell: error: lab.toml: unknown device r9"),
])
def test_startup_failures_are_one_line_and_exit_1(monkeypatch, capsys, app_cls, message):
    import routershell.app

    monkeypatch.delenv("ROUTERSHELL_DEBUG", raising=False)
    monkeypatch.setattr(routershell.app, "App", app_cls)
    assert main(["-c", "show version"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and "Traceback" not in err


def test_state_dir_whose_parent_does_not_exist_is_refused(tmp_path, capsys):
    missing = tmp_path / "nonexistent" / "deep" / "dir"
    with pytest.raises(SystemExit) as exc:
        main(["--state", str(missing), "-c", "show version"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"the parent directory {missing.parent} does not exist" in err
    assert not (tmp_path / "nonexistent").exists()
    a = build_parser().parse_args(["--state", str(tmp_path / "new")])  # a new leaf is fine
    assert a.state == tmp_path / "new"
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit):
        main(["--state", str(tmp_path / "file")])


def test_lab_takes_a_file_or_a_shipped_lab_name(tmp_path, capsys):
    a = build_parser().parse_args(["--lab", "default"])
    assert a.lab.name == "default.toml" and a.lab.is_file()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--lab", "no-such-lab"])
    assert "no such lab file: no-such-lab" in capsys.readouterr().err
