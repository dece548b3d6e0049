"""The `lab …` commands: routershell's own controls over the simulated world.

Every platform's session hands a line whose first word is `lab` to `LabControl.execute` (the
hook is in cli/session.py), so these work in every mode of every platform; `?` and Tab after
`lab` come from `help()` / `complete()`. The grammar is commands/lab/lab.grammar; handlers are
looked up by name in labs/handlers.py's tables (world changes in labs/changes.py, the rest
here). Messages are routershell's, not a vendor's: short sentences such as `Lab clock advanced
to 00:10:00 (virtual).` The `?` list and the pipes are the session's own, so `lab ?` looks like
the device's `?` and `lab show | match clock` works as on any show command; a command that
fails prints its error and no pipe runs over it.

LabControl sees the application only through the LabHost protocol (labs/host.py).

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
from functools import cache
from typing import TYPE_CHECKING, Any

from ..cli import pipes as pipemod
from ..cli import quoting
from ..cli.io import BufferIO, SessionIO
from ..cli.patterns import Deadline, Pattern, PatternError, PatternTimeout, compile_pattern
from ..grammar.loader import load_tree
from ..grammar.parser import (
    Candidate,
    CommandMatch,
    ParseError,
    Token,
    command_candidates,
    parse_command,
    tokenize,
)
from ..grammar.schema import Node
from ..runtime.clock import ClockError, format_hms, parse_duration, parse_offset
from .handlers import CHANGES, COMMANDS

if TYPE_CHECKING:
    from .host import LabHost
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


def pct(v: float) -> str:
    return f"{v:g}%"


class LabControl:
    """The `lab` commands of one lab: parse, run, and keep the lab-controlled state."""

    def __init__(self, host: LabHost) -> None:
        self.host = host
        self.peer_down: set[str] = {p.address for p in host.spec.peers if not p.reachable}
        self.link_down: set[str] = {x.name for x in host.spec.links if not x.up}
        self.loss: dict[str | None, float] = {}
        self.flows: dict[str, tuple[str, str, int]] = {}
        self.capture: str | None = None
        self.fired: list[tuple[float, str, str]] = []  # (lab time, command, result)
        self.pending: list[EventSpec] = []
        self.event_timers: list[Any] = []
        self.due: dict[EventSpec, float] = {}  # lab time each pending event fires at
        from .course import Course  # tasks, hints, grading, reset (labs/course.py)

        self.course = Course(self)

    def host_seed(self) -> int:
        return int(getattr(self.host, "seed", None) or self.host.spec.seed or 0)

    @property
    def world(self) -> Any:
        return self.host.world

    # ---- events --------------------------------------------------------------------------
    def start(self) -> None:
        """The lab is running: start the lab file's traffic flows, schedule its events."""
        for t in self.host.spec.traffic:
            self.world.traffic_start(t.name, t.src, t.dst, rate_pps=t.rate)
            self.flows[t.name] = (t.src, t.dst, t.rate)
        self.schedule_events()

    def schedule_events(self) -> None:
        origin = self.course.origin  # 0 at boot; the reset time after `lab reset`
        for ev in self.host.spec.events:
            if ev.after is not None:
                continue  # fired by the course when its objective is met
            self.pending.append(ev)
            self.due[ev] = origin + max(0.0, ev.at)
            self.event_timers.append(self.host.scheduler.call_at(
                origin + max(0.0, ev.at), lambda ev=ev: self._fire(ev), name=f"lab event {ev.do}"))
        self.course.start()

    def _fire(self, ev: EventSpec) -> None:
        if ev in self.pending:
            self.pending.remove(ev)
        try:
            result = self.apply(parse_lab_command(ev.do))
        except (LabCommandError, ClockError) as e:
            result = f"failed: {e}"
        self.fired.append((self.host.clock.now(), ev.do, result.rstrip("\n")))
        self.host.clock.notify()

    # ---- front-end entry points -------------------------------------------------------------
    @staticmethod
    def claims(line: str) -> bool:
        """True for a line this dispatcher runs (its first word is `lab`)."""
        return is_lab_line(line)

    async def execute(self, session: Any, line: str, io: SessionIO) -> None:
        """Run a lab line in the session's terms: its pipes (`lab show | match clock`), its
        pager; an error prints `lab: …` and no pipe runs over it."""
        text = line.strip()
        if text.endswith("?") and quoting.open_quote(text) is None:
            io.write(self.help(session, text[:-1]))  # the front-end already echoed the line
            return
        split = getattr(session, "split_pipes", None)
        try:
            command, pipes = split(text) if split is not None else (text, [])
        except pipemod.PipeError as e:
            session.pipe_error(e, io)  # the device's own caret and message
            return
        try:
            out = await self.run(session, parse_lab_command(command))
        except (LabCommandError, ClockError) as e:
            io.write(f"lab: {e}\n")
            _failed(session)
            return
        emit = getattr(session, "emit", None)
        if emit is None:
            io.write(out)
        else:
            await emit(out, pipes, io)

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
        return echo + completion_list(session, shown, executable and not partial)

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

    def top_candidate(self) -> Candidate:
        """`lab` itself, for the session's top-level `?` list."""
        node = lab_tree().children["lab"]
        return Candidate("lab", node.help, node, False, ">")

    # ---- commands --------------------------------------------------------------------------
    async def run(self, session: Any, m: CommandMatch) -> str:
        await self.course.catch_up()  # deadlines and triggers of this instant first
        command = COMMANDS.get(m.handler)
        if command is not None:
            return await command(self, session, m)
        self.caller = session
        try:
            text = self.apply(m)
        finally:
            self.caller = None
        return text

    @staticmethod
    def starts_exchanges(line: str) -> bool:
        """Lab commands after which the front-end waits for the world to settle, as after a
        platform's `request chassis pic … online`: a module restored or inserted brings its
        tunnels back, so the next show is what the module holds."""
        try:
            m = parse_lab_command(line.strip().partition("|")[0].strip())
        except LabCommandError:
            return False
        return m.handler.startswith("lab-module") and m.words[-1] != "fail"

    #: the session running the current command (None for timed lab events)
    caller: Any = None

    def user_path(self, name: str) -> Any:
        """A file a lab command names, by the session's rule (config/files.py); timed events
        are confined to the current device's home."""
        if self.caller is not None and hasattr(self.caller, "user_path"):
            return self.caller.user_path(name)
        from ..config.files import resolve_user_path

        return resolve_user_path(self.host.devices[self.host.current].home, name)

    def apply(self, m: CommandMatch) -> str:
        """Run a command that changes the world (also what timed events run)."""
        change = CHANGES.get(m.handler)
        if change is None:
            raise LabCommandError(f"'{' '.join(m.words)}' can't run here")
        return change(self, m)

    def need_peer(self, addr: str) -> None:
        if not any(p.address == addr for p in self.host.spec.peers):
            raise LabCommandError(f"no peer {addr} in this lab")

    # ---- waits and grading -------------------------------------------------------------------
    async def wait(self, session: Any, toks: list[Token]) -> str:
        clock = self.host.clock
        words = [t.text for t in toks]
        timeout = DEFAULT_WAIT
        if len(words) >= 2 and words[-2] == "timeout" and not toks[-2].quoted:
            timeout = parse_duration(words[-1])
            words, toks = words[:-2], toks[:-2]
        start = clock.now()
        if words == ["settled"]:
            ok = await clock.wait_until(self.host.settled, timeout)
            what = "the lab settled"
        elif len(words) == 3 and words[1] in ("matches", "lacks"):
            command, verb = words[0], words[1]
            try:
                rx = compile_pattern(words[2])
            except PatternError as e:
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

    async def _wait_output(self, device: str, command: str, rx: Pattern, want: bool, timeout: float) -> bool:
        clock = self.host.clock
        deadline = clock.now() + timeout
        while True:
            out = await self.run_hidden(device, command)
            try:
                hit = Deadline().search(rx, out)
            except PatternTimeout:
                raise LabCommandError("regular expression too complex (matching was stopped)") from None
            if hit == want:
                return True
            left = deadline - clock.now()
            if left <= 0:
                return False
            # wake at the next change in the world (the scheduler notifies) or a lab second
            await clock.wait_until(_after_first_check(), min(left, clock.poll))

    async def run_hidden(self, device: str, command: str) -> str:
        """Output of one command on a device, from a session nobody sees."""
        from ..platforms import registry

        dev = self.host.devices[device]
        s = registry.get(dev.platform).new_session(dev, "lab", "lab")
        s.screen_length = 0
        try:
            io = BufferIO()
            await s.execute(command, io)
            return io.text()
        finally:
            s.close()

    async def grade(self) -> str:
        """The grade as text (`lab grade`)."""
        return (await self.course.report()).to_text()

    # ---- views -----------------------------------------------------------------------------
    def clock_text(self) -> str:
        c = self.host.clock
        when = c.datetime().strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"Lab clock: {c.mode}, lab time {format_hms(c.now())} ({when}).\n"

    def events_text(self) -> str:
        now = self.host.clock.now()
        lines = []
        for ev in self.pending:
            # lab time prints rounded down, so the time left rounds up: at 00:00:00.3 an event
            # at 00:05:00 is "in 00:05:00", not 00:04:59
            at = self.due.get(ev, ev.at)
            lines.append(f"  {format_hms(at)}  in {format_hms(math.ceil(max(0.0, at - now)))}  {ev.do}")
        head = f"Pending events: {len(self.pending)}" + (" (lab time " + format_hms(now) + ")")
        done = [f"  {format_hms(t)}  {'FAILED' if res.startswith('failed: ') else 'done'}  {do}"
                + (f"  ({res[len('failed: '):]})" if res.startswith("failed: ") else "")
                for t, do, res in self.fired]
        out = head + "\n" + "".join(ln + "\n" for ln in lines)
        if done:
            out += f"Fired events: {len(done)}\n" + "".join(ln + "\n" for ln in done)
        return out

    def summary(self) -> str:
        host, spec = self.host, self.host.spec
        out = [f"Lab {spec.name}" + (f": {spec.description}" if spec.description else "")]
        out.append(self.clock_text().rstrip("\n"))
        out.append("Devices:")
        for name, dev in host.devices.items():
            mark = "  (this terminal)" if name == host.current else ""
            out.append(f"  {name:<10} {dev.platform:<8} {dev.model or '-':<8} {len(dev.ports)} ports{mark}")
            for mod in getattr(dev, "modules", []):
                state = "up" if getattr(mod, "up", True) else "failed"
                out.append(f"    module {mod.slot:<4} {mod.name:<12} {mod.kind:<10} capacity {mod.capacity:<6} {state}")
        served = getattr(host, "served", None)
        if served:
            out.append("Served (log in as USER@DEVICE; a bare USER logs in to "
                       f"{served['default']}):")
            out.extend(f"  {x}" for x in served["listeners"])
        if spec.peers:
            out.append("Peers:")
            for p in spec.peers:
                state = "down" if p.address in self.peer_down else "up"
                loss = self.loss.get(p.address)
                extra = f", loss {pct(loss)}" if loss else ""
                out.append(f"  {p.name:<10} {p.address:<16} {state}{extra}")
        if spec.links:
            out.append("Links:")
            for x in spec.links:
                state = "down" if x.name in self.link_down else "up"
                out.append(f"  {x.name:<12} {' - '.join(x.endpoints):<32} {state}")
        if None in self.loss and self.loss[None]:
            out.append(f"Network loss: {pct(self.loss[None])}")
        if self.flows:
            out.append("Traffic:")
            for name, (src, dst, rate) in self.flows.items():
                out.append(f"  {name:<10} {src} to {dst}  {rate} pps")
        if self.capture:
            out.append(f"Capturing to {self.capture}")
        out.append(f"Pending events: {len(self.pending)}")
        return "\n".join(out) + "\n"


def _failed(session: Any) -> None:
    mark = getattr(session, "mark_failed", None)
    if mark is not None:
        mark()


def completion_list(session: Any, cands: list[Candidate], executable: bool) -> str:
    """The `?` list in the session's own wording, so `lab ?` reads like the device's `?`."""
    # sorted whatever the platform's own order: values first, then the words alphabetically
    cands = sorted(cands, key=lambda c: (not c.is_value, c.word))
    wording = getattr(session, "wording", None)
    if wording is not None:
        return wording.completions(cands, executable, executable)
    width = max([len(c.word) for c in cands] + [7]) + 2
    lines = [f"  {c.word:<{width}} {c.help}".rstrip() for c in sorted(cands, key=lambda c: c.word)]
    if executable:
        lines.append(f"  {'<Enter>':<{width}} Run this command")
    return "\n".join(lines) + "\n"


# ---- the commands that look, wait or navigate (world changes: labs/changes.py) --------------
@COMMANDS.handler("lab-show")
async def _show(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    return ctl.summary()


@COMMANDS.handler("lab-events")
async def _events(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    return ctl.events_text()


@COMMANDS.handler("lab-grade")
async def _grade(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    from .course import grade_command

    return await grade_command(ctl, session, m)


@COMMANDS.handler("lab-attach")
async def _attach(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    name = str(m.args["device"])
    if name not in ctl.host.devices:
        raise LabCommandError(f"no device {name!r} in this lab (devices: {', '.join(ctl.host.devices)})")
    if session.device.name == name:
        return f"Already on {name}.\n"
    ctl.host.current = name
    session.switch_to = name
    return f"Attached to {name}.\n"


@COMMANDS.handler("lab-clock-show")
async def _clock_show(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    return ctl.clock_text()


MAX_ADVANCE = 366 * 86400.0  # one command moves the lab at most a year (Ctrl-C stops it sooner)


def _bounded(seconds: float) -> float:
    if seconds > MAX_ADVANCE:
        raise LabCommandError(f"the lab clock moves at most {MAX_ADVANCE / 86400:.0f} days at a time")
    return seconds


@COMMANDS.handler("lab-clock-advance")
async def _clock_advance(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    clock = ctl.host.clock
    await clock.advance(_bounded(parse_duration(str(m.args["duration"]))))
    return f"Lab clock advanced to {format_hms(clock.now())} ({clock.mode}).\n"


@COMMANDS.handler("lab-clock-advance-to")
async def _clock_advance_to(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    clock = ctl.host.clock
    target = parse_offset(str(m.args["time"]))
    _bounded(target - clock.now())
    await clock.advance_to(target)
    return f"Lab clock advanced to {format_hms(clock.now())} ({clock.mode}).\n"


@COMMANDS.handler("lab-wait")
async def _wait(ctl: LabControl, session: Any, m: CommandMatch) -> str:
    return await ctl.wait(session, m.rest.get("condition", []))


def _after_first_check():
    """A predicate false when first asked and true after: the wait ends at the next change."""
    asked = [False]

    def changed() -> bool:
        if asked[0]:
            return True
        asked[0] = True
        return False

    return changed


from . import changes as _changes  # noqa: E402,F401 - registers the world-changing handlers
