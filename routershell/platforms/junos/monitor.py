"""`monitor start|stop|list` (watch a log file live) and `help apropos` (search the commands).

Junos's `monitor start messages` prints nothing, then shows each batch of new lines of the
system log on the terminal as it is written, under a `*** messages ***` header, until
`monitor stop` (all files, or one by name). `monitor list` names the files being watched. A file
the device does not have gets `error: could not resolve file: NAME`. Lines logged at the same
lab instant arrive as one batch (one header), as one read of the file would return them.

`help apropos STRING` lists the operational commands and configuration statements whose words
or help text contain STRING: the path, then the help text indented, as Junos prints it
(configuration statements with a `set` prefix).
"""

from __future__ import annotations

from typing import Any

import trio

from .registry import handler

LOG_FILES = ("messages",)  # the log files this device writes (device.log is `messages`)


class LogMonitor:
    """One session's live view of the system log."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.files: dict[str, float] = {}  # file -> lab time monitoring started
        self._batch: list[str] = []
        self._batch_at = 0.0

    def start(self, name: str) -> None:
        if not self.files:
            self.session.device.listeners.append(self._logged)
        self.files[name] = self.session.device.now()

    def stop(self, name: str | None = None) -> None:
        if name is None:
            self.files.clear()
        else:
            self.files.pop(name, None)
        if not self.files and self._logged in self.session.device.listeners:
            self.session.device.listeners.remove(self._logged)

    def _logged(self, text: str) -> None:
        if self.session.closed:
            self.stop()
            return
        if "messages" not in self.files:
            return
        from .op_commands import log_line

        now = self.session.device.now()
        if self._batch and now != self._batch_at:
            self._flush()  # a later instant: the earlier batch is complete
        self._batch_at = now
        self._batch.append(log_line(self.session, now, text))
        if len(self._batch) == 1:
            try:
                trio.lowlevel.current_trio_token().run_sync_soon(self._flush)
            except RuntimeError:  # not inside trio (a unit test calling syslog directly)
                self._flush()

    def _flush(self) -> None:
        lines, self._batch = self._batch, []
        if lines and not self.session.closed:
            self.session.notify("*** messages ***\n" + "".join(lines))


def monitor_of(session: Any) -> LogMonitor:
    mon = getattr(session, "log_monitor", None)
    if mon is None:
        mon = session.log_monitor = LogMonitor(session)
    return mon


@handler("op-monitor-start")
async def monitor_start(session, match, out, io):
    name = str(match.args["filename"])
    if name not in LOG_FILES:
        out.write(f"error: could not resolve file: {name}\n")
        return
    monitor_of(session).start(name)


@handler("op-monitor-stop")
async def monitor_stop(session, match, out, io):
    name = match.args.get("filename")
    if name is not None and str(name) not in monitor_of(session).files:
        out.write(f"error: not monitoring {name}\n")
        return
    monitor_of(session).stop(None if name is None else str(name))


@handler("op-monitor-list")
async def monitor_list(session, match, out, io):
    from .op_commands import _syslog_stamp

    for name, since in monitor_of(session).files.items():
        last = session.device.log[-1].when if session.device.log else since
        out.write(f'monitor start "{name}" (Last changed {_syslog_stamp(session, last)})\n')


@handler("op-help-apropos")
async def help_apropos(session, match, out, io):
    needle = str(match.args["topic"]).lower()
    g = session.g
    for prefix, root in (("", g.operational), ("set ", g.schema)):
        for path, help_text in _walk(root, ()):
            words = " ".join(path)
            if needle in words.lower() or needle in help_text.lower():
                out.write(f"{prefix}{words}\n    {help_text}\n")


def _walk(node: Any, path: tuple[str, ...]):
    """(words, help) of every keyword below `node`, depth first in the grammar's order."""
    for word, child in node.children.items():
        here = path + (word,)
        yield here, child.help
        if child.arg is not None and child.children:  # a keyed list: `rule <rule-name> term ...`
            here += (f"<{child.arg.name}>",)
        yield from _walk(child, here)
