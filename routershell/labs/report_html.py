"""The grade as one self-contained HTML page: the objectives table and a timeline of tunnel
states per peer over the lab clock, drawn as inline SVG (no script, no external file, no
plotting library). One row per (device, peer); each state is a coloured bar from the transition
that entered it to the next one (or the end of the lab time graded); fired events are dashed
vertical lines.
"""

from __future__ import annotations

from html import escape

from ..runtime.clock import format_hms
from .report import Report

__all__ = ["COLOURS", "render_html", "timeline_svg"]

COLOURS = {"up": "#2e9e44", "standby": "#7fb3d5", "negotiating": "#f0ad4e", "not-present": "#8e44ad",
           "down": "#c0392b"}

_ROW, _LABEL, _WIDTH, _TOP = 26, 230, 900, 30


def _ticks(end: float) -> list[float]:
    for step in (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400):
        if end / step <= 10:
            break
    n = int(end // step)
    return [i * step for i in range(n + 1)]


def timeline_svg(report: Report) -> str:
    """The tunnel timeline as an <svg> element (empty figure text when nothing was recorded)."""
    rows: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for t in report.timeline:
        rows.setdefault((t.device, t.peer), []).append((t.at, t.state))
    if not rows:
        return '<p class="empty">No tunnels were recorded during this lab.</p>'
    end = max([report.lab_time] + [t.at for t in report.timeline] + [e[0] for e in report.events]) or 1.0
    plot = _WIDTH - _LABEL - 20
    height = _TOP + _ROW * len(rows) + 40

    def x(at: float) -> float:
        return round(_LABEL + plot * min(max(at, 0.0), end) / end, 2)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
           f'viewBox="0 0 {_WIDTH} {height}" role="img" aria-label="tunnel states per peer over lab time">']
    for i, ((device, peer), states) in enumerate(sorted(rows.items())):
        y = _TOP + i * _ROW
        out.append(f'<text x="{_LABEL - 8}" y="{y + 16}" text-anchor="end" class="label">'
                   f'{escape(device)} &#8594; {escape(peer)}</text>')
        for j, (at, state) in enumerate(states):
            until = states[j + 1][0] if j + 1 < len(states) else end
            w = max(x(until) - x(at), 0.5)
            out.append(f'<rect class="state {escape(state)}" data-peer="{escape(peer)}" data-device="{escape(device)}" '
                       f'data-state="{escape(state)}" data-from="{at:g}" data-to="{until:g}" x="{x(at)}" y="{y + 3}" '
                       f'width="{round(w, 2)}" height="{_ROW - 8}" fill="{COLOURS.get(state, "#999")}">'
                       f'<title>{escape(peer)} {escape(state)} from {format_hms(at)} to {format_hms(until)}</title></rect>')
    axis_y = _TOP + _ROW * len(rows) + 4
    out.append(f'<line x1="{_LABEL}" y1="{axis_y}" x2="{_LABEL + plot}" y2="{axis_y}" stroke="#333"/>')
    for tick in _ticks(end):
        out.append(f'<line x1="{x(tick)}" y1="{axis_y}" x2="{x(tick)}" y2="{axis_y + 5}" stroke="#333"/>'
                   f'<text x="{x(tick)}" y="{axis_y + 18}" text-anchor="middle" class="tick">{format_hms(tick)}</text>')
    for at, do, _result in report.events:
        out.append(f'<line class="event" x1="{x(at)}" y1="{_TOP - 6}" x2="{x(at)}" y2="{axis_y}" stroke="#555" '
                   f'stroke-dasharray="4 3"><title>{format_hms(at)} lab {escape(do)}</title></line>')
    legend = [f'<rect x="{_LABEL + k * 120}" y="6" width="12" height="12" fill="{c}"/>'
              f'<text x="{_LABEL + k * 120 + 16}" y="16" class="tick">{s}</text>'
              for k, (s, c) in enumerate(COLOURS.items())]
    out.extend(legend)
    out.append("</svg>")
    return "\n".join(out)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
tr.pass td.result { color: #2e7d32; font-weight: bold; }
tr.fail td.result { color: #c62828; font-weight: bold; }
.label { font: 12px monospace; } .tick { font: 11px sans-serif; }
.score { font-size: 1.4em; }
"""


def render_html(report: Report) -> str:
    rows = []
    for o in report.objectives:
        notes = []
        if o.deadline is not None:
            notes.append(f"due {format_hms(o.deadline)}")
        if o.met_at is not None:
            notes.append(f"first met {format_hms(o.met_at)}")
        if o.hints_used:
            notes.append(f"{o.hints_used} hint(s)")
        rows.append(
            f'<tr class="{"pass" if o.passed else "fail"}"><td class="result">{"PASS" if o.passed else "FAIL"}</td>'
            f"<td>{o.points}/{o.max_points}</td><td>{escape(o.name)}</td><td>{escape(o.device)}: "
            f"<code>{escape(o.check)}</code></td><td>{escape('; '.join(notes))}</td><td>{escape(o.detail)}</td></tr>")
    events = "".join(f"<li>{format_hms(at)} <code>lab {escape(do)}</code>: {escape(result)}</li>"
                     for at, do, result in report.events)
    title = escape(f"Lab {report.lab}" + (f": {report.title}" if report.title else ""))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>{title}</h1>\n"
        f'<p class="score">Score: {report.points} of {report.max_points} points ({report.percent:g}%), '
        f"{report.passed} of {len(report.objectives)} objectives passed.</p>\n"
        f"<p>Graded at lab time {format_hms(report.lab_time)}, seed {report.seed}.</p>\n"
        "<table><tr><th>Result</th><th>Points</th><th>Objective</th><th>Check</th><th>Timing</th><th>Seen</th></tr>\n"
        + "\n".join(rows) + "</table>\n"
        "<h2>Tunnel states per peer</h2>\n" + timeline_svg(report) + "\n"
        + (f"<h2>Events</h2><ul>{events}</ul>\n" if events else "")
        + "</body></html>\n")
