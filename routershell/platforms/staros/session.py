"""The StarOS CLI session: Exec and the configuration modes on the shared grammar session, with
the context in the prompt (`[local]host#`, `[ipsec]host(config-ctx)#`).

Configuration commands change the running configuration at once (configure.py) and then
`device.changed()`; a line a sub-mode does not know is tried in the enclosing modes (the session
returns there), as StarOS does.
"""

from __future__ import annotations

from functools import cache

from ...cli.grammar_session import GrammarSession, Mode
from . import configure as cf
from . import messages as msg
from .config_text import tree
from .handlers import HANDLERS

SUFFIX = {
    cf.EXEC: "", cf.CONFIG: "(config)", cf.CTX: "(config-ctx)", cf.GROUP: "(config-crypto-group)",
    cf.MAP: "(cfg-crypto-isakmp-map)", cf.POLICY: "(cfg-ctx-ikev1-isakmp-policy)",
    cf.TSET: "(cfg-crypto-tform-ipsec-mode)", cf.ACL: "(config-acl)", cf.IFACE: "(config-if-eth)",
}
PARENT = {cf.CONFIG: None, cf.CTX: cf.CONFIG, cf.GROUP: cf.CTX, cf.MAP: cf.CTX, cf.POLICY: cf.CTX,
          cf.TSET: cf.CTX, cf.ACL: cf.CTX, cf.IFACE: cf.CTX, cf.EXEC: None}
PIPES = {"grep": "match"}  # `show … | grep PATTERN`


def _prompt(mode: str):
    return lambda s: f"[{s.context_name}]{s.hostname}{SUFFIX[mode]}# "


@cache
def modes() -> dict[str, Mode]:
    return {m: Mode(m, tree(m), _prompt(m), PARENT[m], PIPES if m == cf.EXEC else None) for m in SUFFIX}


class StarosSession(GrammarSession):
    platform = "staros"
    handlers = HANDLERS
    wording = msg.WORDING
    gc_paused = ("exec-show",)
    exchange_commands = frozenset({"clear", "crypto-group"})
    count_format = "{n} lines"

    def __init__(self, device, user: str = "admin", client: str = "terminal") -> None:
        self.modes = modes()
        super().__init__(device, user, client, cf.EXEC)
        self.exec_context = "local"  # `context NAME` in Exec mode
        if client == "lab":
            # lab objectives and `lab wait until` run one command each in a fresh session: it
            # starts in the first context holding crypto groups (a person logs in to `local`)
            self.exec_context = next((c.name for c in self.config.contexts.values() if c.groups), "local")
            self.screen_length = 0

    @property
    def driver(self):
        return self.device.driver

    @property
    def config(self):
        return self.device.driver.config

    @property
    def hostname(self) -> str:
        return self.config.hostname or self.device.name

    @property
    def context_name(self) -> str:
        """The context the prompt shows: the one being configured, else the Exec context."""
        name = self.find_context("context")
        if self.mode in (cf.EXEC, cf.CONFIG) or name is None:
            name = self.exec_context
        if name not in self.config.contexts:  # removed while we were in it
            self.exec_context = name = "local"
        return name


__all__ = ["StarosSession", "modes"]
