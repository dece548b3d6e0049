"""The rich front-end (prompt_toolkit: `?`, Tab, colour, resize) on an SSH channel with a pty.

Which front-end a shell channel gets (first rule that applies):

1. no pty, or TERM=dumb/unknown: plain (exec-like clients, `ssh -T`);
2. the client's `ROUTERSHELL_UI` environment variable, `rich` or `plain`
   (OpenSSH: `ssh -o SetEnv=ROUTERSHELL_UI=rich -t …`);
3. the listener's setting: `--listen ssh:2222/plain` or `ssh:2222/rich`;
4. detection: a terminal emulator announcing colours (`*-256color`, `*-truecolor`, `xterm-kitty`,
   `alacritty`, `foot`, `wezterm`) gets rich; everything else plain. Automation asks for
   `vt100` (netmiko/paramiko), `xterm` (scrapli's system transport, libssh2) or nothing
   (asyncssh), so it always gets the plain front-end.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from typing import Any

from .served import Target, open_session

log = logging.getLogger(__name__)

_DUMB = frozenset({"", "dumb", "unknown"})
_RICH_TERMS = ("xterm-kitty", "alacritty", "foot", "wezterm")


def wants_rich(*, pty: bool, term: str, env: dict[str, str], listener_ui: str) -> bool:
    """The rule in the module docstring."""
    term = (term or "").lower()
    if not pty or term in _DUMB:
        return False
    asked = (env.get("ROUTERSHELL_UI") or "").strip().lower()
    if asked in ("rich", "plain"):
        return asked == "rich"
    if listener_ui in ("rich", "plain"):
        return listener_ui == "rich"
    return term.endswith(("-256color", "-truecolor", "-direct")) or term.startswith(_RICH_TERMS)


class _ChannelStdout:
    """The file object prompt_toolkit's Vt100 output writes to: the SSH channel (CRLF ends,
    as a pty's ONLCR gives them)."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, send: Any) -> None:
        self._send = send

    def write(self, data: str) -> int:
        self._send(data.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("not a file")


class RichConnection:
    """One rich shell on a channel; lives on the asyncio host, runs commands in trio."""

    def __init__(self, host: Any, target: Target, send: Any, close: Any, *, term: str,
                 size: tuple[int, int], origin: str) -> None:
        self.host = host
        self.target = target
        self._send = send
        self._close = close
        self.term = term
        self.size = size  # (columns, rows)
        self.origin = origin
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._input: Any = None
        self._task: asyncio.Task[Any] | None = None
        self._pending: list[str] = []
        self._shell: Any = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def feed(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        shell = self._shell
        if "\x03" in text and shell is not None and shell._running is not None:
            # Ctrl-C while a command runs: nobody reads keys then (a terminal's SIGINT)
            shell.cancel_command()
            text = text[text.rindex("\x03") + 1:]
        if self._input is None:
            self._pending.append(text)
        elif text:
            self._input.send_text(text)

    def resize(self, cols: int, rows: int) -> None:
        self.size = (cols or self.size[0], rows or self.size[1])
        from prompt_toolkit.application import get_app_or_none

        app = get_app_or_none()
        if app is not None:
            app._on_resize()

    def lost(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _get_size(self) -> Any:
        from prompt_toolkit.data_structures import Size

        cols, rows = self.size
        return Size(rows=max(rows, 1), columns=max(cols, 1))

    async def _run(self) -> None:
        from prompt_toolkit.application import create_app_session
        from prompt_toolkit.input import create_pipe_input
        from prompt_toolkit.output.color_depth import ColorDepth

        from ..shell.rich import RichShell, _NoCprOutput

        session = None
        try:
            with create_pipe_input() as inp:
                self._input = inp
                for text in self._pending:
                    inp.send_text(text)
                self._pending.clear()
                output = _NoCprOutput(_ChannelStdout(self._send), self._get_size,
                                      term=self.term, default_color_depth=ColorDepth.DEPTH_8_BIT,
                                      enable_cpr=False)
                with create_app_session(input=inp, output=output):
                    session = open_session(self.host.app, self.target, "ssh", self.origin,
                                           self.lost)
                    shell = self._shell = RichShell(self.host.app, session, self.host.guest)
                    await shell.run()
                    session = shell.session  # after `lab attach`
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("rich session failed")
        finally:
            if session is not None:
                session.close()
            try:
                self._close(0)
            except Exception:
                log.debug("close failed", exc_info=True)
