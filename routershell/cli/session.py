"""The transport-agnostic CLI session every front-end drives.

A front-end asks `prompt()`, offers `complete(text)` on Tab and `help(text)` on `?`, and awaits
`execute(line, io)`. A platform subclass supplies the modes, the command trees and the wording;
this base keeps what every platform shares: history, terminal settings, broadcast delivery, and
the rule that no input ever escapes as a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .io import SessionIO

log = logging.getLogger(__name__)


@dataclass
class HistoryEntry:
    when: float  # lab seconds
    line: str


class CliSession:
    #: set by the platform subclass
    platform: str = ""
    #: the lab's `lab …` dispatcher, set by App.new_session: anything with claims(line),
    #: execute(session, line, io), help(session, text) (the list only) and complete(text)
    lab = None
    #: a device name after `lab attach NAME`: the front-end replaces this session with one on it
    switch_to: str | None = None
    #: where a served session comes from (the client's address; "" for a local terminal)
    origin: str = ""
    #: set by a front-end that can end the connection when another user logs this session out
    on_logout: Callable[[], None] | None = None

    def __init__(self, device, user: str = "user", client: str = "terminal") -> None:
        self.device = device
        self.user = user
        self.client = client
        self.closed = False
        self.screen_width = 80
        self.screen_length = 24
        self.complete_on_space = True
        self.history: list[HistoryEntry] = []
        self._notifier: Callable[[str], None] | None = None
        self._pending: list[str] = []
        #: the last line printed an error (parse error, refused command, lab error); `errors`
        #: counts such lines: scripts exit non-zero when it is not 0
        self.failed = False
        self.errors = 0
        self.sid = device.register(self)

    # ---- front-end interface -------------------------------------------------------------
    def prompt(self) -> str:
        raise NotImplementedError

    def platform_help(self, text: str) -> str:
        """The `?` list after `text`, without the echoed line."""
        raise NotImplementedError

    def platform_complete(self, text: str) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    async def execute(self, line: str, io: SessionIO) -> None:
        line = line.rstrip("\r\n")
        self.failed = False
        if line.strip():
            self.history.append(HistoryEntry(self.device.now(), line.strip()))
            del self.history[:-1000]
        try:
            if self.lab is not None and self.lab.claims(line):
                await self.lab.execute(self, line, io)
            else:
                await self.run_line(line, io)
        except Exception:  # the device never shows a traceback; the log keeps it for us
            log.exception("internal error running %r", line)
            io.write(self.internal_error_text())
            self.mark_failed()

    def mark_failed(self) -> None:
        """The line being run printed an error (once per line, however many it printed)."""
        if not self.failed:
            self.failed = True
            self.errors += 1

    def help(self, text: str) -> str:
        """What `?` shows after `text`: the echoed line (prompt, `text?`), then the list."""
        return self.help_echo(text) + self.help_body(text)

    def help_echo(self, text: str) -> str:
        """The one echo rule for `?`: the prompt's last line, the text, `?`, newline."""
        return self.prompt().rsplit("\n", 1)[-1] + text + "?\n"

    def help_body(self, text: str) -> str:
        """The list `?` shows after `text`, without the echoed line."""
        if self.lab is not None and self.lab.claims(text):
            return self.lab.help(self, text)
        return self.platform_help(text)

    def complete(self, text: str) -> list[tuple[str, str, str]]:
        """Tab candidates as (word, display, help)."""
        if self.lab is not None and self.lab.claims(text):
            return self.lab.complete(text)
        out = self.platform_complete(text)
        if (self.lab is not None and text.strip() and " " not in text.strip()
                and "lab".startswith(text.strip()) and all(w != "lab" for w, _, _ in out)):
            out = sorted(out + [("lab", "lab", "Control the lab (routershell)")])
        return out

    #: clients that are a person at their own terminal: they name their own files
    LOCAL_CLIENTS = frozenset({"terminal"})

    @property
    def confined(self) -> bool:
        """True when this session's file names stay inside the device's home (served
        sessions, lab events, hidden lab sessions): config/files.py has the rule."""
        return self.client not in self.LOCAL_CLIENTS

    def user_path(self, name: str):
        """The file `name` means for this session (config.files.FileAccessError if refused)."""
        from ..config.files import resolve_user_path

        return resolve_user_path(self.device.home, name, confined=self.confined)

    def starts_exchanges(self, line: str) -> bool:
        """True for a command that may start protocol exchanges (the front-end then waits
        for the world to settle before the next prompt). Platforms name theirs."""
        return False

    def settles_after(self, line: str) -> bool:
        """Whether the world must settle after `line`: the lab's own commands answer for
        theirs (a module restored), the platform for its commands."""
        if self.lab is not None and self.lab.claims(line):
            return bool(self.lab.starts_exchanges(line))
        return self.starts_exchanges(line)

    def set_notifier(self, cb: Callable[[str], None] | None) -> None:
        self._notifier = cb
        if cb is not None:
            for msg in self._pending:
                cb(msg)
            self._pending.clear()

    def notify(self, text: str) -> None:
        """Called by the device for broadcasts; queued until a front-end listens."""
        if self._notifier is not None:
            self._notifier(text)
        else:
            self._pending.append(text)

    def take_pending(self) -> list[str]:
        msgs, self._pending = self._pending, []
        return msgs

    def force_logout(self) -> None:
        """Another session logged this one out: end the connection too, where there is one."""
        hook = self.on_logout
        self.close()
        if hook is not None:
            hook()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.device.unregister(self.sid)

    # ---- for subclasses --------------------------------------------------------------------
    async def run_line(self, line: str, io: SessionIO) -> None:
        raise NotImplementedError

    def internal_error_text(self) -> str:
        return "error: internal error\n"
