"""The Junos handler table: a grammar entry says `=> op-show-version`, a module registers the
coroutine under that name. Operational (`op-…`) and configuration-mode (`cfg-…`) handlers share
one table; the grammar a mode parses with decides which names can be reached from it."""

from __future__ import annotations

from ...cli.grammar_session import HandlerTable

HANDLERS = HandlerTable("junos")
handler = HANDLERS.handler
