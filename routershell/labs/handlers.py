"""The registry of `lab …` handlers, by the handler names commands/lab/lab.grammar gives.

Two tables: CHANGES hold the commands that change the world (sync: a timed [[events]] entry runs
them from the scheduler, and only these may be timed), COMMANDS the ones that look, wait or
navigate (async, need a terminal's session). A handler returns the text it prints or raises
LabCommandError with the message to show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

H = TypeVar("H", bound=Callable[..., Any])

#: (control, match) -> text
ChangeHandler = Callable[[Any, Any], str]
#: (control, session, match) -> text
CommandHandler = Callable[[Any, Any, Any], Awaitable[str]]


class HandlerTable(Generic[H]):
    """Handlers by name; `@table.handler("lab-show")` registers one."""

    def __init__(self) -> None:
        self._table: dict[str, H] = {}

    def handler(self, name: str) -> Callable[[H], H]:
        def register(fn: H) -> H:
            if name in self._table:
                raise ValueError(f"lab handler {name!r} registered twice")
            self._table[name] = fn
            return fn

        return register

    def get(self, name: str) -> H | None:
        return self._table.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._table

    def names(self) -> list[str]:
        return sorted(self._table)


CHANGES: HandlerTable[ChangeHandler] = HandlerTable()
COMMANDS: HandlerTable[CommandHandler] = HandlerTable()
