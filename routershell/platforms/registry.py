"""The one table of platforms. Adding a vendor adds one line here and a package beside this one;
App, lab files and the servers find platforms only through `get()`. Modules load on first use,
so a lab of one vendor never imports the others."""

from __future__ import annotations

import importlib
from functools import cache

from .base import Platform

# name -> module defining PLATFORM (the only place outside a vendor package naming vendors)
PLATFORM_MODULES: dict[str, str] = {
    "junos": "routershell.platforms.junos.platform",
    "alliedware": "routershell.platforms.alliedware.platform",
    "staros": "routershell.platforms.staros.platform",
    "junose": "routershell.platforms.junose.platform",
}


class UnknownPlatform(ValueError):
    pass


def names() -> list[str]:
    return sorted(PLATFORM_MODULES)


@cache
def get(name: str) -> Platform:
    module = PLATFORM_MODULES.get(name)
    if module is None:
        raise UnknownPlatform(f"unknown platform {name!r} (available: {', '.join(names())})")
    return importlib.import_module(module).PLATFORM
