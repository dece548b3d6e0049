"""`routershell lab …` and `routershell practice`: the training command line (composition layer:
it builds Apps and runs trio; the lab layer in routershell/labs/ does the rest).

    routershell lab list                      shipped labs: name, platforms, title (+ pending)
    routershell lab start NAME [OPTIONS]      the shell on a lab (same as --lab NAME OPTIONS)
    routershell lab check FILE...             validate lab files; errors as file:line: reason
    routershell lab grade --transcript FILE [--lab NAME] [--seed N] [--format text|json|html]
                          [--output FILE]     replay a recorded session and grade it
    routershell practice [--seed N] [--lab NAME] [--answers FILE] [--format text|json]
                         [--state DIR] [--history] [--plain]

Exit status: 0; 1 for a lab file that does not validate, a transcript that can't be read, or a
grade below 100% with --fail-under; 2 for a bad option.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from .labs.catalog import catalog, find_lab, pending
from .labs.labfile import LabError, LabSpec, load_lab
from .labs.report import Report

__all__ = ["lab_main", "practice_main"]


def _seed(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: expected an integer") from None


def _lab_arg(text: str) -> Path:
    p = find_lab(text)
    if p is None:
        raise argparse.ArgumentTypeError(f"no such lab file or shipped lab: {text}")
    return p


def lab_main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="routershell lab", description="Training labs: list, start, check, grade.")
    sub = p.add_subparsers(dest="what", required=True, metavar="{list,start,check,grade}")
    sub.add_parser("list", help="list the shipped labs")
    st = sub.add_parser("start", help="start the shell on a lab (other options as for routershell)")
    st.add_argument("name", help="a shipped lab's name or a lab file")
    st.add_argument("options", nargs=argparse.REMAINDER, help="routershell options (--clock, --seed, -c, ...)")
    ck = sub.add_parser("check", help="validate lab files")
    ck.add_argument("files", nargs="+", metavar="FILE")
    gr = sub.add_parser("grade", help="grade a recorded session offline")
    gr.add_argument("--transcript", required=True, type=Path, metavar="FILE",
                    help="commands, one a line, or a recorded session with prompts")
    gr.add_argument("--lab", type=_lab_arg, metavar="NAME", help="the lab (default: the transcript's '# lab: NAME')")
    gr.add_argument("--seed", type=_seed, default=None, metavar="N")
    gr.add_argument("--format", choices=("text", "json", "html"), default="text")
    gr.add_argument("--output", type=Path, metavar="FILE", help="write the report here (atomically)")
    gr.add_argument("--fail-under", type=float, default=None, metavar="PERCENT",
                    help="exit 1 when the score is below PERCENT (for CI)")
    args = p.parse_args(list(argv))
    if args.what == "list":
        return _list()
    if args.what == "start":
        path = find_lab(args.name)
        if path is None:
            print(f"routershell lab start: no such lab: {args.name} (routershell lab list)", file=sys.stderr)
            return 2
        from .main import main

        return main(["--lab", str(path), *args.options])
    if args.what == "check":
        return _check(args.files)
    return _grade(args)


def _list() -> int:
    entries = catalog()
    later = pending()
    width = max([len(e.name) for e in entries] + [len(n) for n, *_ in later] + [4])
    pw = max([len(e.platforms) for e in entries] + [9])
    print(f"{'name':<{width}}  {'platforms':<{pw}}  title")
    for e in entries:
        print(f"{e.name:<{width}}  {e.platforms:<{pw}}  {e.title}")
    for name, platforms, title, where in later:
        print(f"{name:<{width}}  {platforms:<{pw}}  {title} (pending: {where})")
    return 0


def _check(files: list[str]) -> int:
    bad = 0
    for f in files:
        try:
            spec = load_lab(find_lab(f) or f)  # a path, or a shipped lab's name
        except LabError as e:
            print(str(e))
            bad += 1
            continue
        points = sum(o.points for o in spec.objectives)
        print(f"{f}: ok: {len(spec.devices)} device{'s' if len(spec.devices) != 1 else ''}, "
              f"{len(spec.tasks)} task{'s' if len(spec.tasks) != 1 else ''}, {len(spec.objectives)} "
              f"objective{'s' if len(spec.objectives) != 1 else ''} ({points} point{'s' if points != 1 else ''}), "
              f"{len(spec.events)} event{'s' if len(spec.events) != 1 else ''}")
    return 1 if bad else 0


def _grade(args: argparse.Namespace) -> int:
    from .labs.replay import lab_named_in, write_report

    try:
        text = args.transcript.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"routershell lab grade: can't read {args.transcript}: {getattr(e, 'strerror', None) or e}", file=sys.stderr)
        return 1
    lab = args.lab
    if lab is None:
        named = lab_named_in(text)
        lab = find_lab(named) if named else None
        if lab is None:
            print("routershell lab grade: which lab? give --lab NAME or start the transcript with "
                  "'# lab: NAME'", file=sys.stderr)
            return 2
    try:
        report = replay(load_lab(lab), text, args.seed)
    except LabError as e:
        print(f"routershell lab grade: {e}", file=sys.stderr)
        return 1
    out = write_report(report, args.format, args.output)
    if args.output is None:
        sys.stdout.write(out)
    else:
        print(f"Report written to {args.output}: {report.points} of {report.max_points} points ({report.percent:g}%).")
    if args.fail_under is not None and report.percent < args.fail_under:
        return 1
    return 0


def practice_main(argv: Sequence[str]) -> int:
    from .labs.practice import (
        draw_exam,
        history_path,
        history_text,
        load_history,
        practice_labs,
        record,
    )

    p = argparse.ArgumentParser(prog="routershell practice",
                                description="Timed exam-style tasks drawn from the shipped labs, graded and kept.")
    p.add_argument("--seed", type=_seed, default=None, metavar="N", help="which exam (default: a new one)")
    p.add_argument("--lab", metavar="NAME", help=f"practise this lab ({', '.join(practice_labs())})")
    p.add_argument("--answers", type=Path, metavar="FILE", help="grade these commands instead of a shell")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--state", type=Path, metavar="DIR", help="keep the score history here")
    p.add_argument("--history", action="store_true", help="show the score history and exit")
    p.add_argument("--plain", action="store_true", help="plain line front-end")
    args = p.parse_args(list(argv))
    path = history_path(args.state)
    if args.history:
        sys.stdout.write(history_text(load_history(path)))
        return 0
    seed = args.seed
    if seed is None:
        from .runtime.rng import Streams

        seed = Streams.system().randrange(1, 1_000_000)  # a new exam: the seed is printed to redo it
    try:
        exam = draw_exam(seed, args.lab)
    except LabError as e:
        print(f"routershell practice: {e}", file=sys.stderr)
        return 2
    spec = exam.spec
    header = (f"Practice exam: {exam.lab} (seed {seed}), {exam.minutes} minutes of lab time.\n"
              f"{spec.title or spec.description}\n"
              "`lab tasks` lists the tasks, `lab grade` shows the score; what holds when time is up counts.\n")
    if args.answers is not None:
        try:
            text = args.answers.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            print(f"routershell practice: can't read {args.answers}: {getattr(e, 'strerror', None) or e}", file=sys.stderr)
            return 1
        report = replay(spec, text, seed, until=exam.minutes * 60.0)
    else:
        report = _interactive(spec, seed, args.plain, header)
        if report is None:
            return 1
    scores = record(path, exam, report, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if args.format == "json":
        sys.stdout.write(report.to_json())
    else:
        if args.answers is not None:
            sys.stdout.write(header)
        sys.stdout.write(report.to_text())
        print(f"Score kept in {path} ({len(scores)} exam{'s' if len(scores) != 1 else ''}; "
              "routershell practice --history).")
    return 0


def replay(spec: LabSpec | Path, text: str, seed: int | None = None, until: float | None = None) -> Report:
    """Replay `text` on a fresh lab (virtual clock) and grade it (at lab time `until`, if later)."""
    import trio

    from .app import App
    from .labs.replay import run_transcript

    app = App(clock_mode="virtual", seed=seed, lab=spec)

    async def go() -> Report:
        async with trio.open_nursery() as nursery:
            await app.start(nursery)
            report = await run_transcript(app, text, until)
            nursery.cancel_scope.cancel()
        await app.aclose()
        return report

    return trio.run(go, clock=app.clock.trio_clock)


def _interactive(spec: LabSpec, seed: int, plain: bool, header: str) -> Report:
    """The shell on the exam's lab; graded when the student leaves it."""
    import os

    import trio

    from .app import App
    from .main import _isatty, default_clock, wants_plain

    stdin_tty, stdout_tty = _isatty(sys.stdin), _isatty(sys.stdout)
    plain = wants_plain(plain_flag=plain, has_commands=False, env=os.environ, stdin_tty=stdin_tty,
                        stdout_tty=stdout_tty)
    app = App(clock_mode=default_clock(plain=plain, has_commands=False, stdin_tty=stdin_tty), seed=seed, lab=spec)
    sys.stdout.write(header)
    sys.stdout.flush()
    if plain:
        from .shell.plain import run_plain

        run_plain(app, None, stdin_tty=stdin_tty)
    else:
        from .shell.rich import run_rich

        run_rich(app)
    # the lab's state outlives the front-end's trio run: grade it in a short run of its own
    return trio.run(app.control.course.report, clock=app.clock.trio_clock)
