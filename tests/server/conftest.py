"""A served lab in a background thread (ephemeral ports on 127.0.0.1) for the real clients."""

from __future__ import annotations

import pytest

from routershell.app import App
from routershell.server.host import ServerThread

USER, PASSWORD = "user", "lab123"  # the default lab's r1 (routershell/labs/default_r1.conf)


@pytest.fixture(scope="module")
def server():
    app = App(clock_mode="virtual")
    with ServerThread(app, ["ssh:0", "telnet:0", "netconf:0"]) as srv:
        yield srv


@pytest.fixture
def fresh_server():
    app = App(clock_mode="virtual")
    with ServerThread(app, ["ssh:0", "telnet:0"]) as srv:
        yield srv


MULTI_LAB = """
name = "two"
[devices.r1]
platform = "junos"
config_file = "{conf}"
[devices.r2]
platform = "junos"
config_file = "{conf}"
hostname = "r2"
"""


@pytest.fixture(scope="module")
def multi_server(tmp_path_factory):
    from pathlib import Path

    import routershell.labs as labs

    conf = Path(labs.__file__).parent / "default_r1.conf"
    text = conf.read_text().replace("host-name r1;", "")
    d = tmp_path_factory.mktemp("lab")
    (d / "r.conf").write_text(text)
    (d / "two.toml").write_text(MULTI_LAB.format(conf="r.conf"))
    app = App(clock_mode="virtual", lab=d / "two.toml")
    with ServerThread(app, ["ssh:0", "telnet:0"]) as srv:
        yield srv
