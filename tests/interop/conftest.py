"""Fixtures for the strongSwan interop suite (marked external: skip without strongSwan on a
workstation, fail under CI=true where .ci/run installs it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require_tool

from .charon import CHARON, Charon, Conn


@pytest.fixture
def charon_factory(tmp_path: Path):
    require_tool("swanctl")
    require_tool("unshare")
    if not Path(CHARON).exists() or os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("strongSwan charon (run as root) is required in CI")
        pytest.skip("needs strongSwan's charon and root (mount namespace, tun device)")
    started: list[Charon] = []

    def make(conn: Conn | None = None, **kw) -> Charon:
        c = Charon(tmp_path / f"c{len(started)}", conn or Conn(), **kw)
        started.append(c)
        c.start()
        return c

    yield make
    for c in started:
        c.kill()
