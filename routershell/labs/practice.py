"""Practice mode: an exam-style run of a shipped lab, redrawn from a seed, timed, graded, kept.

A shipped lab opts in with a [practice] table (labfile.py): the addresses it may move (each to a
fresh host address in a pool prefix), the names it may rename (to one of a list), the
pre-shared key it may change, and the time allowed (`minutes` of lab time, default 15). The
draw comes from the seeded streams (`Streams(seed).stream("practice", ...)`), so one seed gives
one exam. Every objective gets the time limit as its deadline (an earlier deadline stays): what
holds when time is up is the grade.

Redrawing is textual, over the lab file and its startup configurations: an address is replaced
where it stands alone (not inside a longer address) and in its regular-expression form
(`198\\.51\\.100\\.1`); a name where it is a whole word. `Exam.substitute()` applies the same map
to any text (a task's commands, a scripted answer).

Scores are kept in `practice-history.json` under the state directory (`--state`), else
$XDG_DATA_HOME/routershell (default ~/.local/share/routershell); written atomically.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import string
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..runtime.rng import Streams
from .catalog import catalog
from .labfile import LabError, LabSpec, parse_lab
from .report import Report

__all__ = ["Exam", "HISTORY_FILE", "draw_exam", "history_path", "load_history", "record"]

HISTORY_FILE = "practice-history.json"
_ADDR = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d])")


@dataclass(frozen=True)
class Exam:
    spec: LabSpec
    lab: str  # the shipped lab it was drawn from
    seed: int
    minutes: int
    mapping: tuple[tuple[str, str], ...]  # (old, new), applied in this order

    def substitute(self, text: str) -> str:
        return _substitute(text, self.mapping)


def practice_labs() -> list[str]:
    return [e.name for e in catalog() if e.spec is not None and e.spec.practice]


def _forms(old: str, new: str) -> list[tuple[re.Pattern[str], str]]:
    if _ADDR.fullmatch(old):
        out = []
        for sep in ("\\\\.", "\\.", "."):  # TOML basic-string regex, literal-string regex, plain
            pat = re.escape(sep.join(old.split(".")))
            out.append((re.compile(r"(?<![\d.\\])" + pat + r"(?![\d])"), sep.join(new.split("."))))
        return out
    return [(re.compile(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])"), new)]


def _substitute(text: str, mapping: tuple[tuple[str, str], ...]) -> str:
    for old, new in mapping:
        for pat, repl in _forms(old, new):
            text = pat.sub(lambda _m, r=repl: r, text)
    return text


def draw_exam(seed: int, lab: str | None = None) -> Exam:
    """The exam for `seed`: which lab (unless given), and what is redrawn in it."""
    rng = Streams(seed).stream("practice", "lab")
    names = practice_labs()
    if lab is None:
        if not names:
            raise LabError("practice", None, "no shipped lab has a [practice] table")
        lab = rng.choice(sorted(names))
    entry = next((e for e in catalog() if e.name == lab), None)
    if entry is None or entry.spec is None or not entry.spec.practice:
        raise LabError(lab, None, f"no practice in lab {lab!r} (labs with practice: {', '.join(names)})")
    text = entry.path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    practice = dict(entry.spec.practice)
    configs = {d["config_file"]: (entry.path.parent / d["config_file"]).read_text(encoding="utf-8")
               for d in data.get("devices", {}).values() if "config_file" in d}
    everything = text + "".join(configs.values())
    taken = set(_ADDR.findall(everything))
    mapping: list[tuple[str, str]] = []
    draw = Streams(seed).stream("practice", "draw", lab)
    for old, pool in sorted(practice.get("addresses", {}).items()):
        net = ipaddress.ip_network(pool, strict=False)
        for _ in range(1000):
            host = str(net.network_address + 1 + draw.randrange(max(1, net.num_addresses - 2)))
            if host not in taken:
                break
        taken.add(host)
        mapping.append((old, host))
    for old, choices in sorted(practice.get("names", {}).items()):
        mapping.append((old, draw.choice(list(choices))))
    if "psk" in practice:
        alphabet = string.ascii_lowercase + string.digits
        mapping.append((practice["psk"], "k-" + "".join(draw.choice(alphabet) for _ in range(10))))
    mapping = [(a, b) for a, b in mapping if a != b]
    minutes = int(practice.get("minutes", 15))
    with tempfile.TemporaryDirectory(prefix="routershell-practice-") as tmp:
        for rel, body in configs.items():
            dest = Path(tmp) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(_substitute(body, tuple(mapping)), encoding="utf-8")
        spec = parse_lab(_substitute(text, tuple(mapping)), f"{lab}.toml (practice, seed {seed})", Path(tmp))
    limit = minutes * 60.0
    objectives = tuple(dataclasses.replace(o, deadline=min(o.deadline, limit) if o.deadline is not None else limit)
                       for o in spec.objectives)
    # the startup texts were read from a temporary directory: name them after the shipped files
    devices = tuple(dataclasses.replace(d, config_origin=Path(d.config_origin).name) for d in spec.devices)
    spec = dataclasses.replace(spec, objectives=objectives, devices=devices, name=f"{spec.name}-practice", seed=seed)
    return Exam(spec, lab, seed, minutes, tuple(mapping))


# ---- history -------------------------------------------------------------------------------


def history_path(state_dir: Path | None = None, env: dict[str, str] | None = None) -> Path:
    if state_dir is not None:
        return Path(state_dir) / HISTORY_FILE
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local" / "share")
    return Path(base) / "routershell" / HISTORY_FILE


def load_history(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []  # a damaged history is started over rather than stopping practice
    return [x for x in data.get("scores", []) if isinstance(x, dict)] if isinstance(data, dict) else []


def record(path: Path, exam: Exam, report: Report, when: str) -> list[dict[str, Any]]:
    """Append this exam's score to the history (atomically); returns the whole history."""
    from ..config.files import write_atomic

    scores = load_history(path)
    scores.append({"when": when, "lab": exam.lab, "seed": exam.seed, "points": report.points,
                   "max_points": report.max_points, "percent": report.percent,
                   "lab_time": round(report.lab_time, 3), "minutes": exam.minutes})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"schema": "routershell-practice-history/1", "scores": scores}, indent=2) + "\n")
    return scores


def history_text(scores: list[dict[str, Any]]) -> str:
    if not scores:
        return "No practice scores yet.\n"
    lines = [f"{'when':<20} {'lab':<22} {'seed':>6} {'score':>9} {'%':>6}"]
    for s in scores:
        lines.append(f"{str(s.get('when', ''))[:19]:<20} {str(s.get('lab', '')):<22} {s.get('seed', ''):>6} "
                     f"{str(s.get('points', 0)) + '/' + str(s.get('max_points', 0)):>9} {s.get('percent', 0):>6g}")
    best = max(float(s.get("percent", 0)) for s in scores)
    lines.append(f"{len(scores)} exam{'s' if len(scores) != 1 else ''}, best {best:g}%.")
    return "\n".join(lines) + "\n"
