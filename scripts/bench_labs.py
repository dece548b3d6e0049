"""Training-lab overhead: a shipped lab run through App with the course watcher and the tunnel
timeline on, then graded and reported. Prints one `name: value unit` per line (wall time).

Usage: python scripts/bench_labs.py [LAB] [LAB_SECONDS] [--no-timeline]   (default: junose-ism 900)
(--no-timeline unsubscribes the tunnel timeline: the difference in run_wall is its cost)
"""

from __future__ import annotations

import sys
import time

import trio

from routershell.app import App
from routershell.labs.catalog import find_lab
from routershell.labs.labfile import load_lab
from routershell.labs.report_html import render_html


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    name = args[0] if args else "junose-ism"
    seconds = float(args[1]) if len(args) > 1 else 900.0
    path = find_lab(name)
    assert path is not None, name
    spec = load_lab(path)
    t0 = time.perf_counter()
    app = App(clock_mode="virtual", lab=spec)
    if "--no-timeline" in sys.argv:
        app.control.course.timeline.close()
    out: dict[str, float] = {}

    async def go() -> None:
        async with trio.open_nursery() as nursery:
            await app.start(nursery)
            out["boot_s"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            await app.clock.advance_to(seconds)
            out["run_s"] = time.perf_counter() - t1
            t2 = time.perf_counter()
            report = await app.control.course.report()
            out["grade_ms"] = (time.perf_counter() - t2) * 1000
            t3 = time.perf_counter()
            html = render_html(report)
            out["html_ms"] = (time.perf_counter() - t3) * 1000
            out["html_kb"] = len(html) / 1024
            out["transitions"] = len(report.timeline)
            nursery.cancel_scope.cancel()
        await app.aclose()

    trio.run(go, clock=app.clock.trio_clock)
    print(f"lab: {name}")
    print(f"lab_seconds: {seconds:g} s")
    print(f"boot_wall: {out['boot_s']:.3f} s")
    print(f"run_wall: {out['run_s']:.3f} s")
    print(f"grade_wall: {out['grade_ms']:.1f} ms")
    print(f"html_render_wall: {out['html_ms']:.1f} ms")
    print(f"html_size: {out['html_kb']:.1f} KiB")
    print(f"timeline_transitions: {out['transitions']:.0f} count")


if __name__ == "__main__":
    main()
