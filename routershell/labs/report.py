"""A lab's grade as data, and its text and JSON forms (the HTML form: labs/report_html.py).

The JSON form is a stable schema for LMS/CI integration (`SCHEMA`; new keys may be added, none
renamed or removed within a schema version):

    {"schema": "routershell-lab-report/1", "lab": NAME, "title": ..., "seed": N,
     "lab_time": SECONDS, "points": EARNED, "max_points": TOTAL, "percent": P,
     "passed": N, "objectives_total": N,
     "objectives": [{"name", "device", "check", "points", "max_points", "passed",
                     "deadline", "met_at", "judged_at", "hints_used", "task", "detail"}],
     "events": [{"at", "do", "result"}],
     "timeline": [{"at", "device", "peer", "state"}]}

Times are lab seconds since the lab (re)started, rounded to milliseconds; `deadline`, `met_at`
and `judged_at` are null when there is none.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ..runtime.clock import format_hms
from .timeline import Transition

__all__ = ["SCHEMA", "ObjectiveResult", "Report"]

SCHEMA = "routershell-lab-report/1"


@dataclass(frozen=True)
class ObjectiveResult:
    name: str
    device: str
    check: str
    max_points: int
    passed: bool
    deadline: float | None = None
    met_at: float | None = None  # first time the lab saw it met (None: not seen)
    judged_at: float | None = None  # the deadline passed: the result is final since then
    hints_used: int = 0
    task: int | None = None
    detail: str = ""

    @property
    def points(self) -> int:
        return self.max_points if self.passed else 0


@dataclass
class Report:
    lab: str
    title: str
    seed: int
    lab_time: float
    objectives: list[ObjectiveResult]
    events: list[tuple[float, str, str]] = field(default_factory=list)
    timeline: list[Transition] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(o.points for o in self.objectives)

    @property
    def max_points(self) -> int:
        return sum(o.max_points for o in self.objectives)

    @property
    def percent(self) -> float:
        return round(100.0 * self.points / self.max_points, 1) if self.max_points else 0.0

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.objectives)

    # ---- text --------------------------------------------------------------------------
    def to_text(self) -> str:
        objs = self.objectives
        if not objs:
            return "This lab has no objectives.\n"
        width = max(len(o.name) for o in objs)
        pw = max(len(f"{o.points}/{o.max_points}") for o in objs)
        lines = []
        for o in objs:
            notes = []
            if o.deadline is not None:
                notes.append(f"due {format_hms(o.deadline)}" + (", judged" if o.judged_at is not None else ""))
            if o.met_at is not None and o.deadline is not None:
                notes.append(f"met {format_hms(o.met_at)}")
            if o.hints_used:
                notes.append(f"{o.hints_used} hint{'s' if o.hints_used != 1 else ''}")
            tail = f"  [{'; '.join(notes)}]" if notes else ""
            score = f"{o.points}/{o.max_points}"
            lines.append(f"{'PASS' if o.passed else 'FAIL'}  {score:>{pw}}  {o.name:<{width}}  {o.device}: {o.check}{tail}")
        n = len(objs)
        lines.append(f"{self.passed} of {n} objective{'s' if n != 1 else ''} passed.")
        lines.append(f"Score: {self.points} of {self.max_points} points ({self.percent:g}%).")
        return "\n".join(lines) + "\n"

    # ---- JSON --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        def objective(o: ObjectiveResult) -> dict[str, Any]:
            d = asdict(o)
            d["points"] = o.points
            return {k: d[k] for k in ("name", "device", "check", "points", "max_points", "passed", "deadline",
                                      "met_at", "judged_at", "hints_used", "task", "detail")}

        return {
            "schema": SCHEMA, "lab": self.lab, "title": self.title, "seed": self.seed,
            "lab_time": round(self.lab_time, 3), "points": self.points, "max_points": self.max_points,
            "percent": self.percent, "passed": self.passed, "objectives_total": len(self.objectives),
            "objectives": [objective(o) for o in self.objectives],
            "events": [{"at": round(t, 3), "do": do, "result": r} for t, do, r in self.events],
            "timeline": [asdict(t) for t in self.timeline],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"
