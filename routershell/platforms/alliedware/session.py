"""The AlliedWare CLI session: one command tree for every login, read as KEYWORD=value
(grammar/keyvalue.py), with the prompt and the privilege of the login's level.

Levels are modes of the shared grammar session: `user` (prompt `>`), `manager` (`Manager >`)
and `secoff` (`SecOff >`); with a system name set the prompt carries it (`Manager ar450s>`).
A User-level login may run the commands the grammar marks `@user` (shows, LOGOFF); the others
get the device's privilege error. There are no pipes and no pager questions beyond the device's
own `--More--`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ...cli.grammar_session import GrammarSession, HandlerTable, Mode
from ...cli.io import SessionIO
from ...grammar.keyvalue import kv_candidates, parse_kv_command
from ...grammar.parser import CommandMatch, ParseError
from . import messages as msg
from .commands import Ctx
from .operations import Executor, refused, tree

LEVEL_MODE = {"USER": "user", "MANAGER": "manager", "SECURITYOFFICER": "secoff"}
# commands after which the front-end waits for the world: those that can start or stop
# negotiations (the tunnels follow the running configuration at once)
EXCHANGE_HANDLERS = frozenset({
    "create-isakmp-policy", "set-isakmp-policy", "destroy-isakmp-policy", "enable-isakmp",
    "disable-isakmp", "enable-ipsec", "disable-ipsec", "create-ipsec-saspec",
    "create-ipsec-bundle", "create-ipsec-policy", "set-ipsec-policy", "destroy-ipsec-policy",
    "destroy-ipsec-saspec", "destroy-ipsec-bundle", "create-enco-key", "destroy-enco-key",
    "enable-ip", "disable-ip", "add-ip-interface", "delete-ip-interface",
})


@cache
def handler_table() -> HandlerTable:
    """The platform's one handler table: every grammar handler name runs the Executor's
    function with the session's login."""
    table = HandlerTable("alliedware")
    for name in Executor.handler_names():
        async def run(session: AlliedWareSession, match: CommandMatch, out: Any, io: SessionIO,
                      _name: str = name) -> str:
            return session.run_handler(_name, match)

        table.handler(name)(run)
    return table


def _prompt(session: AlliedWareSession) -> str:
    name = session.router.config.system_name
    head = {"user": "", "manager": "Manager ", "secoff": "SecOff "}[session.mode]
    return f"{head}{name}> " if name else f"{head}> "


class AlliedWareSession(GrammarSession):
    platform = "alliedware"
    wording = msg.WORDING

    def __init__(self, device, user: str = "manager", client: str = "terminal") -> None:
        self.router = device.driver
        self.executor = Executor(self.router)
        t = tree()
        self.modes = {m: Mode(m, t, _prompt) for m in ("user", "manager", "secoff")}
        self.handlers = handler_table()
        u = self.router.config.users.get(user.lower())
        if u is None and client in ("terminal", "lab"):
            # the console (and the lab's hidden sessions) open as the factory login, as after
            # `login: manager` / `Password: friend`; servers authenticate against the table
            u = self.router.config.users.get("manager")
            user = u.name if u is not None else user
        level = u.privilege if u is not None else "USER"
        super().__init__(device, user.lower(), client, LEVEL_MODE[level])
        self.ctx = Ctx(user=self.user, level=level)
        self.complete_on_space = False  # the device never completes a word on space

    def parse(self, command: str) -> CommandMatch:
        match = parse_kv_command(self.tree_root(), command)
        refusal = refused(self.router, match, self.ctx.level)
        if refusal is not None:
            raise ParseError(refusal, 0, command)
        return match

    def run_handler(self, name: str, match: CommandMatch) -> str:
        text = self.executor.handlers[name](self.router, match.args, self.ctx)
        if self.ctx.logoff:
            self.close()
        return text

    def starts_exchanges(self, line: str) -> bool:
        try:
            return parse_kv_command(self.tree_root(), line).handler in EXCHANGE_HANDLERS
        except ParseError:
            return False

    # ---- Tab and ? ---------------------------------------------------------------------------
    def platform_help(self, text: str) -> str:
        cands = kv_candidates(self.tree_root(), text)
        top = getattr(self.lab, "top_candidate", None)
        first_word = not text.strip() or (len(text.split()) == 1 and not text[-1].isspace())
        if top is not None and first_word and "lab".startswith(text.strip().lower()):
            cands.append(top())  # `lab` works here too: listed with the first words
        if not cands:
            return self.wording.no_completions(0, 0)
        return msg.completions(cands)

    def platform_complete(self, text: str) -> list[tuple[str, str, str]]:
        """Tab: (what replaces the word being typed, what the list shows, help). Keywords go in
        lower case (the manual's capitals are only the minimum); a value after `KEY=` replaces
        the whole `KEY=value` word."""
        out = []
        word = "" if not text or text[-1].isspace() else text.split()[-1]
        key, eq, _ = word.partition("=")
        for c in kv_candidates(self.tree_root(), text):
            if eq and not c.word.endswith("="):
                out.append((f"{key}={c.word.lower()}", c.word, c.help))
            else:
                out.append((c.word.lower(), c.word, c.help))
        return out
