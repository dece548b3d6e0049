"""Handlers by name: a grammar entry says `=> op-show-version`, a module registers the function.

One table for operational (`op-…`) and configuration-mode (`cfg-…`) handlers; the grammar a mode
parses with decides which names can be reached from it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[..., Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        if name in HANDLERS and HANDLERS[name] is not fn:
            raise ValueError(f"handler {name!r} registered twice")
        HANDLERS[name] = fn
        return fn

    return deco
