"""The JunosE CLI session: user exec (`host1>`), privileged exec (`host1#`), configuration
(`host1(config)#`) and its sub-modes, on the shared grammar session. Lines a sub-mode does not
know fall back to global configuration (IOS style); changes apply at once."""

from __future__ import annotations

from ...cli.grammar_session import GrammarSession, Mode
from . import messages as msg
from .grammar import CONFIG_MODES, MODES, tree
from .handlers import HANDLERS

__all__ = ["JunoseSession"]


def _prompt(suffix: str):
    return lambda s: f"{s.hostname}{s.vr_part(suffix)}{suffix}"


class JunoseSession(GrammarSession):
    platform = "junose"
    handlers = HANDLERS
    wording = msg.WORDING
    gc_paused = ("show-",)
    count_format = "Count: {n} lines"

    def __init__(self, device, user: str = "user", client: str = "terminal") -> None:
        self.modes = {
            name: Mode(name, tree(name), _prompt(suffix), parent=parent, pipes=msg.PIPE_NAMES)
            for name, (_, parent, suffix) in MODES.items()
        }
        super().__init__(device, user, client, "exec")

    @property
    def hostname(self) -> str:
        return self.device.driver.cfg.hostname

    def vr_part(self, suffix: str) -> str:
        """`:vr1` while configuring in a virtual router other than default."""
        if "(" not in suffix:
            return ""
        vr = self.find_context("vr")
        return f":{vr}" if vr and vr != "default" else ""

    @property
    def driver(self):
        return self.device.driver

    def starts_exchanges(self, line: str) -> bool:
        """Configuration applies at once and may start negotiations; so may `clear`."""
        if self.mode in CONFIG_MODES:
            return True
        words = line.split()
        return bool(words) and "clear".startswith(words[0]) and len(words[0]) >= 2
