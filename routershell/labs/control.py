"""The `lab …` commands: routershell's own controls over the simulated world.

Every platform's session hands a line whose first word is `lab` to `LabControl.execute` (the
hook is in cli/session.py), so these work in every mode of every platform; `?` and Tab after
`lab` come from `help()` / `complete()`. The grammar is commands/lab/lab.grammar. Messages are
routershell's, not a vendor's: short sentences such as `Lab clock advanced to 00:10:00
(virtual).`

Timed lab events ([[events]] in a lab file) run the same fault commands through `apply()`.

`lab wait until` conditions:

    lab wait until settled [timeout DURATION]
    lab wait until "COMMAND" matches REGEX [timeout DURATION]
    lab wait until "COMMAND" lacks REGEX [timeout DURATION]

COMMAND runs on the current device (as a hidden session) every time the world changes and at
least once per lab second; REGEX is a Python regular expression searched in its output (quote
it if it has blanks). The default timeout is 10m.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from ..cli import quoting
from ..cli.io import BufferIO
from ..grammar.loader import load_tree
from ..grammar.parser import (
    CommandMatch,
    ParseError,
    Token,
    command_candidates,
    parse_command,
    tokenize,
)
from ..grammar.schema import Node
from ..runtime.clock import ClockError, format_hms, parse_duration, parse_mode, parse_offset

if TYPE_CHECKING:
    from ..app import App
    from .labfile import EventSpec

__all__ = ["LabCommandError", "LabControl", "is_lab_line", "lab_tree", "parse_lab_command"]

DEFAULT_WAIT = 600.0


class LabCommandError(ValueError):
    """A `lab` command that can't run; the message is shown to the user as is."""


@cache
def lab_tree() -> Node:
    return load_tree("lab", "lab.grammar")


def is_lab_line(line: str) -> bool:
    """True if the line's first word is `lab` (the lab dispatcher takes it)."""
    words = line.split(None, 1)
    return bool(words) and words[0] == "lab"


def _parse_error_text(e: ParseError, line: str) -> str:
    where = f" at '{e.token}'" if e.token else ""
    if e.kind == "ambiguous":
        return f"ambiguous word{where}: " + ", ".join(c.word for c in e.candidates)
    if e.kind in ("missing-argument", "expecting-command"):
        words = line.strip()
        return f"incomplete command '{words}' (type '{words} ?' for what may follow)"
    if e.kind == "invalid-value":
        return f"invalid value{where}"
    if e.kind == "unterminated-quote":
        return "unterminated quote"
    return f"unknown command{where} (type 'lab ?' for the list)"


def parse_lab_command(text: str) -> CommandMatch:
    """Parse a lab command given with or without its leading `lab`."""
    line = text.strip()
    if not line.startswith("lab ") and line != "lab":
        line = "lab " + line
    try:
        return parse_command(lab_tree(), line)
    except ParseError as e:
        raise LabCommandError(_parse_error_text(e, line)) from None


def _percent(text: str) -> float:
    try:
        v = float(text.rstrip("%"))
    except ValueError:
        raise LabCommandError(f"loss must be a percentage (0..100), not {text!r}") from None
    if not 0 <= v <= 100:
        raise LabCommandError("loss must be between 0 and 100 percent")
    return v


def _pct(v: float) -> str:
    return f"{v:g}%"


class LabControl:
    """The `lab` commands of one App: parse, run, and keep the lab-controlled state."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.peer_down: set[str] = {p.address for p in app.spec.peers if not p.reachable}
        self.link_down: set[str] = {x.name for x in app.spec.links if not x.up}
        self.loss: dict[str | None, float] = {}
        self.flows: dict[str, tuple[str, str, int]] = {}
        self.capture: str | None = None
        self.fired: list[tuple[float, str, str]] = []  # (lab time, command, result)
        self.pending: list[EventSpec] = []

    # ---- events --------------------------------------------------------------------------
    def schedule_events(self) -> None:
        for ev in self.app.spec.events:
            self.pending.append(ev)
            self.app.scheduler.call_at(max(0.0, ev.at), lambda ev=ev: self._fire(ev), name=f"lab event {ev.do}")

    def _fire(self, ev: EventSpec) -> None:
        if ev in self.pending:
            self.pending.remove(ev)
        try:
            result = self.apply(parse_lab_command(ev.do))
        except LabCommandError as e:
            result = f"failed: {e}"
        self.fired.append((self.app.clock.now(), ev.do, result.rstrip("\n")))
        self.app.clock.notify()

    # ---- front-end entry points -------------------------------------------------------------
    async def execute(self, session: Any, line: str, io: Any) -> None:
        text = line.strip()
        if text.endswith("?") and quoting.open_quote(text) is None:
            io.write(self.help(session, text[:-1]))  # the front-end already echoed the line
            return
        try:
            match = parse_lab_command(text)
            io.write(await self.run(session, match))
        except (LabCommandError, ClockError) as e:
            io.write(f"lab: {e}\n")

    @staticmethod
    def claims(line: str) -> bool:
        """True for a line this dispatcher runs (its first word is `lab`)."""
        return is_lab_line(line)

    def help(self, session: Any, text: str) -> str:
        """The `?` list after `text` (CliSession.help puts the echoed line before it)."""
        echo = ""
        try:
            toks = tokenize(text)
        except ParseError:
            return echo + "lab: unterminated quote\n"
        partial = ""
        if toks and not text.endswith((" ", "\t")):
            partial = toks[-1].text
            toks = toks[:-1]
        try:
            cands, executable = command_candidates(lab_tree(), toks)
        except ParseError as e:
            return echo + f"lab: {_parse_error_text(e, text)}\n"
        shown = [c for c in cands if c.is_value or c.word.startswith(partial)]
        if not shown and not executable:
            return echo + "lab: nothing matches here (type 'lab ?' for the list)\n"
        width = max([len(c.word) for c in shown] + [7]) + 2
        lines = [f"  {c.word:<{width}} {c.help}".rstrip() for c in shown]
        if executable and not partial:
            lines.append(f"  {'<Enter>':<{width}} Run this command")
        return echo + "\n".join(lines) + "\n"

    def complete(self, text: str) -> list[tuple[str, str, str]]:
        try:
            toks = tokenize(text)
            partial = ""
            if toks and not text.endswith((" ", "\t")):
                partial = toks[-1].text
                toks = toks[:-1]
            cands, _ = command_candidates(lab_tree(), toks)
        except ParseError:
            return []
        words = sorted({c.word for c in cands if not c.is_value and c.word.startswith(partial)})
        helps = {c.word: c.help for c in cands}
        return [(w, w, helps.get(w, "")) for w in words]

    # ---- commands --------------------------------------------------------------------------
    @property
    def world(self) -> Any:
        return self.app.world

    async def run(self, session: Any, m: CommandMatch) -> str:
        h = m.handler
        clock = self.app.clock
        if h == "lab-show":
            return self.summary()
        if h == "lab-events":
            return self.events_text()
        if h == "lab-grade":
            return await self.grade()
        if h == "lab-attach":
            name = str(m.args["device"])
            if name not in self.app.devices:
                raise LabCommandError(f"no device {name!r} in this lab (devices: {', '.join(self.app.devices)})")
            if session.device.name == name:
                return f"Already on {name}.\n"
            self.app.current = name
            session.switch_to = name
            return f"Attached to {name}.\n"
        if h == "lab-clock-show":
            return self.clock_text()
        if h == "lab-clock-advance":
            seconds = parse_duration(str(m.args["duration"]))
            await clock.advance(seconds)
            return f"Lab clock advanced to {format_hms(clock.now())} ({clock.mode}).\n"
        if h == "lab-clock-advance-to":
            await clock.advance_to(parse_offset(str(m.args["time"])))
            return f"Lab clock advanced to {format_hms(clock.now())} ({clock.mode}).\n"
        if h == "lab-wait":
            return await self.wait(session, m.rest.get("condition", []))
        return self.apply(m)

    def apply(self, m: CommandMatch) -> str:
        """Run a command that changes the world (also what timed events run)."""
        h, a = m.handler, m.args
        if h == "lab-clock-mode":
            _, rate = parse_mode(str(a["mode"]))
            if self.app.bridges and rate != 1.0:
                # a real peer on the other side of a bridge lives in real time
                raise LabCommandError(
                    f"an IKE bridge is open ({', '.join(sorted(self.app.bridges))}): "
                    "the lab clock stays in real time (real or x1)"
                )
            self.app.clock.set_mode(str(a["mode"]))
            return f"Lab clock mode: {self.app.clock.mode} (lab time {format_hms(self.app.clock.now())}).\n"
        if h == "lab-peer-state":
            addr = str(a["address"])
            self._peer(addr)
            if m.words[-1] == "down":
                self.world.peer_down(addr)
                self.peer_down.add(addr)
                return f"Peer {addr} is down.\n"
            self.world.peer_up(addr)
            self.peer_down.discard(addr)
            return f"Peer {addr} is up.\n"
        if h == "lab-peer-psk":
            addr = str(a["address"])
            self._peer(addr)
            self.world.peer_config(addr, psk=str(a["key"]))
            return f"Peer {addr} now uses a new pre-shared key.\n"
        if h == "lab-link":
            name = str(a["name"])
            if not any(x.name == name for x in self.app.spec.links):
                raise LabCommandError(f"no link {name!r} in this lab")
            down = m.words[-1] == "down"
            if down:
                self.world.link_down(name)
                self.link_down.add(name)
            else:
                self.world.link_up(name)
                self.link_down.discard(name)
            self._link_traps(name, up=not down)
            return f"Link {name} is {'down' if down else 'up'}.\n"
        if h == "lab-loss":
            pct = _percent(str(a["percent"]))
            addr = a.get("peer")
            if addr is not None:
                self._peer(str(addr))
            self.world.set_loss(pct, str(addr) if addr is not None else None)
            self.loss[str(addr) if addr is not None else None] = pct
            where = f" towards peer {addr}" if addr is not None else ""
            return f"Packet loss{where} set to {_pct(pct)}.\n"
        if h == "lab-module":
            dev, slot = str(a["device"]), str(a["slot"])
            device = self.app.devices.get(dev)
            if device is None:
                raise LabCommandError(f"no device {dev!r} in this lab")
            if not any(str(mod.slot) == slot for mod in getattr(device, "modules", [])):
                raise LabCommandError(f"device {dev} has no module in slot {slot}")
            if m.words[-1] == "fail":
                self.world.module_fail(dev, slot)
                return f"Module {slot} of {dev} failed.\n"
            self.world.module_restore(dev, slot)
            return f"Module {slot} of {dev} restored.\n"
        if h == "lab-traffic-start":
            name = str(a["name"])
            if name in self.flows:
                raise LabCommandError(f"traffic flow {name!r} is already running")
            src, dst, rate = str(a["from"]), str(a["to"]), int(a.get("rate", 10))
            self.world.traffic_start(name, src, dst, rate_pps=rate)
            self.flows[name] = (src, dst, rate)
            return f"Traffic flow {name} started: {src} to {dst} at {rate} pps.\n"
        if h == "lab-traffic-stop":
            name = str(a["name"])
            if name not in self.flows:
                raise LabCommandError(f"no traffic flow {name!r} running")
            self.world.traffic_stop(name)
            del self.flows[name]
            return f"Traffic flow {name} stopped.\n"
        if h == "lab-capture-start":
            if self.capture is not None:
                raise LabCommandError(f"already capturing to {self.capture}")
            path = str(a["file"])
            try:
                self.world.capture_start(path)
            except OSError as e:
                raise LabCommandError(f"can't write {path}: {e.strerror or e}") from None
            self.capture = path
            return f"Capturing lab datagrams to {path}.\n"
        if h == "lab-capture-stop":
            if self.capture is None:
                raise LabCommandError("no capture is running")
            n = self.world.capture_stop()
            path, self.capture = self.capture, None
            return f"Capture stopped: {n} datagram{'s' if n != 1 else ''} written to {path}.\n"
        raise LabCommandError(f"'{' '.join(m.words)}' can't run here")

    def _link_traps(self, name: str, up: bool) -> None:
        """IF-MIB linkUp/linkDown from each device port on the link (ifIndex: port order)."""
        from ..runtime import notify

        link = next(x for x in self.app.spec.links if x.name == name)
        for ep in link.endpoints:
            dev_name, sep, port = ep.partition(":")
            dev = self.app.devices.get(dev_name) if sep else None
            if dev is None:
                continue
            names = [p.name for p in dev.ports]
            if port in names:
                index = names.index(port) + 1
                notify.emit(dev, "link-up" if up else "link-down", notify.link_varbinds(index, port, up))

    def _peer(self, addr: str) -> None:
        if not any(p.address == addr for p in self.app.spec.peers):
            raise LabCommandError(f"no peer {addr} in this lab")

    # ---- waits and grading -------------------------------------------------------------------
    async def wait(self, session: Any, toks: list[Token]) -> str:
        clock = self.app.clock
        words = [t.text for t in toks]
        timeout = DEFAULT_WAIT
        if len(words) >= 2 and words[-2] == "timeout" and not toks[-2].quoted:
            timeout = parse_duration(words[-1])
            words, toks = words[:-2], toks[:-2]
        start = clock.now()
        if words == ["settled"]:
            ok = await clock.wait_until(self.app.settled, timeout)
            what = "the lab settled"
        elif len(words) == 3 and words[1] in ("matches", "lacks"):
            command, verb = words[0], words[1]
            try:
                rx = re.compile(words[2])
            except re.error as e:
                raise LabCommandError(f"bad regular expression {words[2]!r}: {e}") from None
            ok = await self._wait_output(session.device.name, command, rx, verb == "matches", timeout)
            what = f"'{command}' {verb} {words[2]}"
        else:
            raise LabCommandError(
                'condition: settled | "COMMAND" matches REGEX | "COMMAND" lacks REGEX, then optionally timeout DURATION')
        waited = format_hms(clock.now() - start)
        if ok:
            return f"Condition met at {format_hms(clock.now())} after {waited}: {what}.\n"
        return f"Timed out at {format_hms(clock.now())} after {waited}: {what} is still not true.\n"

    async def _wait_output(self, device: str, command: str, rx: re.Pattern, want: bool, timeout: float) -> bool:
        clock = self.app.clock
        deadline = clock.now() + timeout
        while True:
            out = await self.run_hidden(device, command)
            if (rx.search(out) is not None) == want:
                return True
            left = deadline - clock.now()
            if left <= 0:
                return False
            # wake at the next change in the world (the scheduler notifies) or a lab second
            await clock.wait_until(_after_first_check(), min(left, clock.poll))

    async def run_hidden(self, device: str, command: str) -> str:
        """Output of one command on a device, from a session nobody sees."""
        from ..platforms import registry

        dev = self.app.devices[device]
        s = registry.get(dev.platform).new_session(dev, "lab", "lab")
        s.screen_length = 0
        try:
            io = BufferIO()
            await s.execute(command, io)
            return io.text()
        finally:
            s.close()

    async def grade(self) -> str:
        objs = self.app.spec.objectives
        if not objs:
            return "This lab has no objectives.\n"
        lines, passed = [], 0
        width = max(len(o.name) for o in objs)
        for o in objs:
            out = await self.run_hidden(o.device, o.command)
            hit = re.search(o.expect, out, re.MULTILINE) is not None
            ok = hit != o.absent
            passed += ok
            lines.append(f"{'PASS' if ok else 'FAIL'}  {o.name:<{width}}  {o.device}: {o.command}")
        lines.append(f"{passed} of {len(objs)} objective{'s' if len(objs) != 1 else ''} passed.")
        return "\n".join(lines) + "\n"

    # ---- views -----------------------------------------------------------------------------
    def clock_text(self) -> str:
        c = self.app.clock
        when = c.datetime().strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"Lab clock: {c.mode}, lab time {format_hms(c.now())} ({when}).\n"

    def events_text(self) -> str:
        now = self.app.clock.now()
        lines = []
        for ev in self.pending:
            # lab time prints rounded down, so the time left rounds up: at 00:00:00.3 an event
            # at 00:05:00 is "in 00:05:00", not 00:04:59
            lines.append(f"  {format_hms(ev.at)}  in {format_hms(math.ceil(max(0.0, ev.at - now)))}  {ev.do}")
        head = f"Pending events: {len(self.pending)}" + (" (lab time " + format_hms(now) + ")")
        done = [f"  {format_hms(t)}  done  {do}" for t, do, _ in self.fired]
        out = head + "\n" + "".join(ln + "\n" for ln in lines)
        if done:
            out += f"Fired events: {len(done)}\n" + "".join(ln + "\n" for ln in done)
        return out

    def summary(self) -> str:
        app, spec = self.app, self.app.spec
        out = [f"Lab {spec.name}" + (f": {spec.description}" if spec.description else "")]
        out.append(self.clock_text().rstrip("\n"))
        out.append("Devices:")
        for name, dev in app.devices.items():
            mark = "  (this terminal)" if name == app.current else ""
            out.append(f"  {name:<10} {dev.platform:<8} {dev.model or '-':<8} {len(dev.ports)} ports{mark}")
            for mod in getattr(dev, "modules", []):
                state = "up" if getattr(mod, "up", True) else "failed"
                out.append(f"    module {mod.slot:<4} {mod.name:<12} {mod.kind:<10} capacity {mod.capacity:<6} {state}")
        if spec.peers:
            out.append("Peers:")
            for p in spec.peers:
                state = "down" if p.address in self.peer_down else "up"
                loss = self.loss.get(p.address)
                extra = f", loss {_pct(loss)}" if loss else ""
                out.append(f"  {p.name:<10} {p.address:<16} {state}{extra}")
        if spec.links:
            out.append("Links:")
            for x in spec.links:
                state = "down" if x.name in self.link_down else "up"
                out.append(f"  {x.name:<12} {' - '.join(x.endpoints):<32} {state}")
        if None in self.loss and self.loss[None]:
            out.append(f"Network loss: {_pct(self.loss[None])}")
        if self.flows:
            out.append("Traffic:")
            for name, (src, dst, rate) in self.flows.items():
                out.append(f"  {name:<10} {src} to {dst}  {rate} pps")
        if self.capture:
            out.append(f"Capturing to {self.capture}")
        out.append(f"Pending events: {len(self.pending)}")
        return "\n".join(out) + "\n"


def _after_first_check():
    """A predicate false when first asked and true after: the wait ends at the next change."""
    asked = [False]

    def changed() -> bool:
        if asked[0]:
            return True
        asked[0] = True
        return False

    return changed
