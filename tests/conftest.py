"""Shared test helpers: external tools skip on a workstation without them but fail under CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (installed by .ci/run)")
        pytest.skip(f"{name} not installed (apt-get install it; CI installs it)")
    return path
