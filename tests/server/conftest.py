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


def minimal_config(host: str) -> str:
    return ("system { host-name " + host + "; login { user user { class super-user; "
            'authentication { encrypted-password "$9$wEs4ZUDkmPQZG69pu1I"; } } } }\n')


@pytest.fixture(scope="module")
def multi_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("lab")
    for name in ("r1", "r2"):
        (d / f"{name}.conf").write_text(minimal_config(name))
    # r2 also has a port of its own (a bare login name lands on r2 there)
    (d / "two.toml").write_text('name = "two"\n' + "".join(
        f'[devices.{n}]\nplatform = "junos"\nconfig_file = "{n}.conf"\n' for n in ("r1", "r2"))
        + 'listen = ["ssh:0", "telnet:0"]\n')
    app = App(clock_mode="virtual", lab=d / "two.toml")
    with ServerThread(app, ["ssh:0", "telnet:0"]) as srv:
        yield srv


@pytest.fixture
def fresh_netconf():
    app = App(clock_mode="virtual")
    with ServerThread(app, ["ssh:0", "netconf:0"]) as srv:
        yield srv
