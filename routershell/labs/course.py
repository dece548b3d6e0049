"""The training side of a lab: tasks, hints, graded objectives with deadlines, objective-triggered
events, the tunnel timeline, `lab reset`, and the reports (`lab tasks|hint|grade|reset`).

One `Course` per LabControl (`ctl.course`). Objectives are checked two ways: an operational
command's output against a regular expression (run in a hidden session on the device), or the
live state of the device's tunnels to a peer (`tunnel = ADDRESS`, `state = "up"`).

Deadlines and triggers need the lab to look while time runs, so `watch()` (a trio task App
starts) evaluates objectives when asked to by the scheduler:

- an objective with a `deadline` is judged at that lab time; its result is final from then on
  (a later fix does not earn it, a later breakage does not lose it) — "up within 60 s of the
  primary failing" is a deadline 60 s after the failure event;
- an [[events]] entry with `after = "OBJECTIVE"` fires `at` seconds after that objective is
  first seen met. The watcher looks after every configuration change of a device and every burst
  of tunnel events while such an event waits or a deadline is still open (which also gives a
  deadline objective its "met at" time).

`lab reset` replays the scenario against the student's configuration: the world (peers, keys at
the peers, links, loss, modules, traffic) returns to what the lab file describes, the lab's
timeline restarts at the current lab time (events and deadlines count from there; the clock
never goes backwards), hints and grades start over. Device configurations are the student's
work and are left as they are.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import trio

from ..runtime.clock import format_hms
from .report import ObjectiveResult, Report
from .timeline import TunnelTimeline, peer_states

if TYPE_CHECKING:
    from .control import LabControl
    from .labfile import EventSpec, ObjectiveSpec

__all__ = ["Course"]


class Course:
    def __init__(self, ctl: LabControl) -> None:
        self.ctl = ctl
        host = ctl.host
        self.spec = host.spec
        self.origin = 0.0  # lab time the lab (re)started at
        self.timeline = TunnelTimeline(
            host.devices, host.clock.now,
            lambda fn: host.scheduler.call_later(0.0, fn, name="lab timeline"))
        self.timeline.listeners.append(self._poke_triggers)
        self.hints_used: dict[str, int] = {}
        self.met_at: dict[str, float] = {}
        self.judged: dict[str, tuple[bool, float, str]] = {}  # deadline objectives, final
        self.waiting: list[EventSpec] = []  # events waiting for their objective
        self._due: list[ObjectiveSpec] = []  # deadlines reached, to judge now
        self._timers: list[Any] = []
        self._wake: trio.Event | None = None
        self._asked = False
        self._lock = trio.Lock()
        for dev in host.devices.values():
            listeners = getattr(dev, "change_listeners", None)
            if listeners is not None:
                listeners.append(self._poke_triggers)

    # ---- timing ------------------------------------------------------------------------
    def start(self) -> None:
        """Sample the tunnels at the (re)start and arm deadlines and objective triggers."""
        self.timeline.sample_all()
        sched = self.ctl.host.scheduler
        for o in self.spec.objectives:
            if o.deadline is not None:
                self._timers.append(sched.call_at(self.origin + o.deadline, lambda o=o: self._deadline(o),
                                                  name=f"lab deadline {o.name}"))
        self.waiting = [e for e in self.spec.events if e.after is not None]
        if self.waiting:
            self._ask()

    def _deadline(self, o: ObjectiveSpec) -> None:
        self._due.append(o)
        self._ask()

    def _watched(self) -> list[ObjectiveSpec]:
        """Objectives whose first-met time matters now: triggers of waiting events, and
        deadlines not judged yet."""
        names = {e.after for e in self.waiting}
        return [o for o in self.spec.objectives if o.name not in self.met_at
                and (o.name in names or (o.deadline is not None and o.name not in self.judged))]

    def _poke_triggers(self) -> None:
        if self.waiting or any(o.deadline is not None and o.name not in self.judged for o in self.spec.objectives):
            self._ask()

    def _ask(self) -> None:
        self._asked = True
        if self._wake is not None:
            self._wake.set()

    async def watch(self) -> None:
        """Judge deadlines and look for trigger objectives when asked (runs for the lab's life)."""
        while True:
            if not self._asked:
                self._wake = trio.Event()
                await self._wake.wait()
            await self.catch_up()

    async def catch_up(self) -> None:
        """Do what the watcher was asked to (a lab command first lets it finish, so `lab events`
        right after a commit already lists the event the commit triggered)."""
        async with self._lock:
            while self._asked:
                self._asked = False
                await self.look()

    async def look(self) -> None:
        now = self.ctl.host.clock.now()
        due, self._due = self._due, []
        for o in due:
            ok, detail = await self.check(o)
            self.judged[o.name] = (ok, now - self.origin, detail)
        for o in self._watched():
            await self.check(o)
        for ev in [e for e in self.waiting if e.after in self.met_at]:
            self.waiting.remove(ev)
            self.ctl.pending.append(ev)
            self.ctl.due[ev] = now + ev.at
            self._timers.append(self.ctl.host.scheduler.call_later(
                ev.at, lambda ev=ev: self.ctl._fire(ev), name=f"lab event {ev.do}"))

    # ---- checks ------------------------------------------------------------------------
    async def check(self, o: ObjectiveSpec) -> tuple[bool, str]:
        """Is the objective met now? (passed, what was seen); remembers the first time it was."""
        if o.tunnel is not None:
            dev = self.ctl.host.devices[o.device]
            tunnels = getattr(dev, "tunnels", None)
            state = peer_states(tunnels.tunnels()).get(o.tunnel, "down") if tunnels is not None else "down"
            ok, detail = state == o.state, f"tunnel to {o.tunnel} is {state}"
        else:
            out = await self.ctl.run_hidden(o.device, o.command)
            hit = re.search(o.expect, out, re.MULTILINE)
            ok = (hit is not None) != o.absent
            if hit is not None:
                line_start = out.rfind("\n", 0, hit.start()) + 1
                line_end = out.find("\n", hit.end())
                detail = "found: " + out[line_start:line_end if line_end >= 0 else None].strip()[:120]
            else:
                detail = "not found"
        if ok and o.name not in self.met_at:
            at = self.ctl.host.clock.now() - self.origin
            if o.tunnel is not None:  # the timeline knows when it got there
                at = next((t.at for t in reversed(self.timeline.transitions)
                           if (t.device, t.peer) == (o.device, o.tunnel) and t.state != o.state), 0.0)
                at = next((t.at for t in self.timeline.transitions if (t.device, t.peer) == (o.device, o.tunnel)
                           and t.state == o.state and t.at >= at), at)
            self.met_at[o.name] = round(at, 3)
        return ok, detail

    async def report(self) -> Report:
        now = self.ctl.host.clock.now()
        results = []
        for o in self.spec.objectives:
            judged = self.judged.get(o.name)
            if judged is not None:
                ok, at, detail = judged
            else:
                ok, detail = await self.check(o)
                at = None
            results.append(ObjectiveResult(
                o.name, o.device, o.check_text(), o.points, ok, o.deadline, self.met_at.get(o.name), at,
                self.hints_used.get(o.name, 0), o.task, detail))
        self.timeline.sample_all()
        fired = [(t - self.origin, do, r) for t, do, r in self.ctl.fired if t >= self.origin]
        return Report(self.spec.name, self.spec.title or self.spec.description, self.ctl.host_seed(),
                      now - self.origin, results, fired, list(self.timeline.transitions))

    # ---- views -------------------------------------------------------------------------
    async def tasks_text(self) -> str:
        spec = self.spec
        if not spec.tasks and not spec.objectives:
            return "This lab has no tasks.\n"
        out = [f"Lab {spec.name}" + (f": {spec.title or spec.description}" if spec.title or spec.description else "")]
        now = self.ctl.host.clock.now() - self.origin
        out.append(f"Lab time {format_hms(now)}.")
        groups: list[tuple[str, str, list[tuple[int, ObjectiveSpec]]]] = []
        numbered = list(enumerate(spec.objectives, 1))
        for i, t in enumerate(spec.tasks, 1):
            groups.append((f"Task {i}: {t.title}", t.text, [(n, o) for n, o in numbered if o.task == i]))
        loose = [(n, o) for n, o in numbered if o.task is None]
        if loose:
            groups.append(("Objectives" if not spec.tasks else "Other objectives", "", loose))
        for head, text, objs in groups:
            out.append("")
            out.append(head)
            if text and text != head.split(": ", 1)[-1]:
                out.extend("  " + ln if ln.strip() else "" for ln in text.splitlines())
            for n, o in objs:
                notes = [f"{o.points} point{'s' if o.points != 1 else ''}"]
                if o.deadline is not None:
                    notes.append(f"due {format_hms(o.deadline)}")
                if o.hints:
                    notes.append(f"{len(o.hints)} hint{'s' if len(o.hints) != 1 else ''}: lab hint {n}")
                out.append(f"  {n}. {o.name} ({', '.join(notes)})")
        return "\n".join(out) + "\n"

    async def hint(self, which: str | None) -> str:
        from .control import LabCommandError

        objs = list(self.spec.objectives)
        if which is None:
            for o in objs:
                if o.hints and o.name not in self.met_at and self.hints_used.get(o.name, 0) < len(o.hints):
                    ok, _ = await self.check(o)
                    if not ok:
                        return self._next_hint(objs.index(o) + 1, o)
            return "No hints left for the objectives still open.\n"
        if which.isdigit() and 1 <= int(which) <= len(objs):
            n = int(which)
        else:
            n = next((i for i, o in enumerate(objs, 1) if o.name == which), 0)
            if not n:
                raise LabCommandError(f"no objective {which!r} (lab tasks lists them by number)")
        o = objs[n - 1]
        if not o.hints:
            return f"Objective {n} has no hints.\n"
        return self._next_hint(n, o)

    def _next_hint(self, n: int, o: ObjectiveSpec) -> str:
        used = self.hints_used.get(o.name, 0)
        if used >= len(o.hints):
            return f"Hint {len(o.hints)} of {len(o.hints)} for objective {n} ({o.name}): {o.hints[-1]}\n"
        self.hints_used[o.name] = used + 1
        return f"Hint {used + 1} of {len(o.hints)} for objective {n} ({o.name}): {o.hints[used]}\n"

    # ---- reset -------------------------------------------------------------------------
    def reset(self) -> str:
        ctl, host, spec = self.ctl, self.ctl.host, self.spec
        world = host.world
        for t in self._timers + ctl.event_timers:
            t.cancel()
        self._timers.clear()
        ctl.event_timers.clear()
        ctl.pending.clear()
        for p in spec.peers:
            live = getattr(world, "peer", lambda _a: None)(p.address)
            want = p.psk.encode() if isinstance(p.psk, str) else p.psk
            if live is not None and getattr(live, "spec", None) is not None and live.spec.psk != want:
                world.peer_config(p.address, psk=p.psk)
            if p.reachable:
                world.peer_up(p.address)
                ctl.peer_down.discard(p.address)
            else:
                world.peer_down(p.address)
                ctl.peer_down.add(p.address)
        for ca in getattr(world, "cas", {}).values():  # `lab ca NAME down` is a fault: undone
            ca.reachable = ca.spec.reachable
        for x in spec.links:
            (world.link_up if x.up else world.link_down)(x.name)
        ctl.link_down = {x.name for x in spec.links if not x.up}
        peer_loss = {p.address: p.loss for p in spec.peers}
        for key in list(ctl.loss):
            world.set_loss(peer_loss.get(key, 0.0) if key is not None else 0.0, key)
        ctl.loss.clear()
        for name, dev in host.devices.items():
            for mod in getattr(dev, "modules", []):
                if not getattr(mod, "up", True):
                    world.module_restore(name, str(mod.slot))
        boot = {t.name: t for t in spec.traffic}
        for name in [n for n in ctl.flows if n not in boot]:
            world.traffic_stop(name)
            del ctl.flows[name]
        for t in spec.traffic:
            if t.name not in ctl.flows:
                world.traffic_start(t.name, t.src, t.dst, rate_pps=t.rate)
                ctl.flows[t.name] = (t.src, t.dst, t.rate)
        self.origin = host.clock.now()
        self.hints_used.clear()
        self.met_at.clear()
        self.judged.clear()
        self._due.clear()
        ctl.fired.clear()
        self.timeline.restart()
        ctl.schedule_events()
        host.clock.notify()
        return f"Lab {spec.name} reset at lab time {format_hms(self.origin)}: the scenario starts over " \
               "(device configurations are kept).\n"


# ---- the commands ------------------------------------------------------------------------


async def grade_command(ctl: LabControl, session: Any, m: Any) -> str:
    """`lab grade [json|html] [to FILE]`: the report, printed or written (atomically)."""
    from .control import LabCommandError

    report = await ctl.course.report()
    if m.args.get("html"):
        from .report_html import render_html

        text = render_html(report)
    elif m.args.get("json"):
        text = report.to_json()
    else:
        text = report.to_text()
    target = m.args.get("to")
    if target is None:
        if m.args.get("html"):
            raise LabCommandError("an HTML report goes to a file: lab grade html to FILE")
        return text
    from ..config.files import FileAccessError, write_atomic

    try:
        write_atomic(ctl.user_path(str(target)), text)
    except FileAccessError:
        raise LabCommandError(f"can't write {target}: outside the device's home directory") from None
    except OSError as e:
        raise LabCommandError(f"can't write {target}: {e.strerror or e}") from None
    return f"Report written to {target}: {report.points} of {report.max_points} points ({report.percent:g}%).\n"


def _register() -> None:
    from .handlers import COMMANDS

    @COMMANDS.handler("lab-tasks")
    async def _tasks(ctl: LabControl, session: Any, m: Any) -> str:
        return await ctl.course.tasks_text()

    @COMMANDS.handler("lab-hint")
    async def _hint(ctl: LabControl, session: Any, m: Any) -> str:
        which = m.args.get("objective")
        return await ctl.course.hint(str(which) if which is not None else None)

    @COMMANDS.handler("lab-reset")
    async def _reset(ctl: LabControl, session: Any, m: Any) -> str:
        text = ctl.course.reset()
        await ctl.host.clock.wait_until(ctl.host.settled, 30.0)  # like a commit: return settled
        return text


_register()
