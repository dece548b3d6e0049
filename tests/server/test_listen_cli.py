"""The --listen command line: combinations that would silently drop an option."""

from __future__ import annotations

import pytest

from routershell.main import main

from .conftest import minimal_config


def test_listen_with_commands_is_refused(capsys):
    # serving never returns: -c would never run, so say so instead of ignoring it
    with pytest.raises(SystemExit) as e:
        main(["--listen", "ssh:0", "-c", "show version"])
    assert e.value.code == 2
    assert "use one" in capsys.readouterr().err


def test_commands_run_on_a_lab_that_has_ports_of_its_own(tmp_path, capsys):
    # a lab file with `listen` is served without --listen, but -c asks to run and exit
    (tmp_path / "r1.conf").write_text(minimal_config("r1"))
    (tmp_path / "one.toml").write_text('name = "one"\n[devices.r1]\nplatform = "junos"\n'
                                       'config_file = "r1.conf"\nlisten = ["ssh:0"]\n')
    assert main(["--lab", str(tmp_path / "one.toml"), "-c", "show version"]) == 0
    out = capsys.readouterr().out
    assert "Hostname: r1" in out
    assert "serving" not in out
