"""Command-line entry point: parse options, build the App, pick the plain or rich front-end.

Dispatch rule (our measurements of prompt_toolkit with trio as guest): prompt_toolkit only when both stdin and stdout are
terminals, TERM names a real terminal and neither -c nor --plain was given. Everything else
(pipes, scripts, TERM=dumb, automation) gets the plain line front-end, which never imports
prompt_toolkit so scripted runs start fast and print no escape codes.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

_CLOCK_RE = re.compile(r"^(real|frozen|virtual|x(\d+(\.\d+)?))$")
_DUMB_TERMS = frozenset({"", "dumb", "unknown"})


def split_commands(text: str) -> list[str]:
    """Split a -c argument on ';' outside single or double quotes; drop empty commands."""
    out: list[str] = []
    cur: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ";":
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return [c.strip() for c in out if c.strip()]


def clock_mode(text: str) -> str:
    """argparse type for --clock: real, frozen, virtual or xN (N > 0)."""
    m = _CLOCK_RE.match(text)
    if not m or (m.group(2) is not None and float(m.group(2)) <= 0):
        raise argparse.ArgumentTypeError(
            f"invalid clock {text!r}: use real, frozen, virtual or xN (e.g. x60)")
    return text


def _platform_names() -> list[str]:
    from .platforms import registry

    return registry.names()


def _existing_file(text: str) -> Path:
    """argparse type for --lab: a lab file, or the name of a lab shipped in routershell/labs
    (`--lab alliedware-retry` is routershell/labs/alliedware-retry.toml)."""
    p = Path(text)
    if not p.is_file():
        shipped = Path(__file__).parent / "labs" / f"{text}.toml"
        if re.fullmatch(r"[A-Za-z0-9_.-]+", text) and shipped.is_file():
            return shipped
        raise argparse.ArgumentTypeError(f"no such lab file: {text}")
    return p


def _state_dir(text: str) -> Path:
    """argparse type for --state: the directory may be new, but its parent must exist (a
    mistyped path is reported instead of silently creating a whole tree)."""
    p = Path(text).expanduser()
    if p.exists():
        if not p.is_dir():
            raise argparse.ArgumentTypeError(f"--state {text}: exists and is not a directory")
        return p
    parent = p.absolute().parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"--state {text}: the parent directory {parent} does not exist "
            f"(create it first, or name a directory inside an existing one)")
    return p


def _seed(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: expected an integer") from None


def _ike_bridge(text: str) -> tuple[str, tuple[str, int]]:
    """argparse type for --ike-bridge DEVICE=ADDRESS:PORT."""
    from routershell.runtime.bridge import BridgeError, parse_bridge_option

    try:
        return parse_bridge_option(text)
    except BridgeError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _listen(text: str):
    """argparse type for --listen PROTO:[ADDRESS:]PORT."""
    from routershell.server.host import ListenError, parse_listen

    try:
        return parse_listen(text)
    except ListenError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class _VersionAction(argparse.Action):
    """--version, reading package metadata only when asked (keeps startup lean)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("routershell")
        except PackageNotFoundError:
            v = "unknown"
        print(f"routershell {v}")  # stdout, as argparse's own version action does
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="routershell",
        description="Terminal router-shell emulator over a simulated IPsec world.",
        epilog="Exit status: 0; 1 when a -c or piped script had a command that printed an "
               "error (parse error, refused command, failed lab command), or the lab did not "
               "load; 2 for a bad option. Training: routershell lab list|start|check|grade, "
               "routershell practice (see docs/labs.md). Platforms a lab file may name: "
               + ", ".join(_platform_names()) + "; shipped labs: `routershell lab list`.")
    p.add_argument("--lab", type=_existing_file, metavar="FILE", help="lab file (TOML), or the name of a shipped lab")
    p.add_argument("--device", metavar="NAME", help="device of the lab to log in to")
    p.add_argument("--clock", type=clock_mode, metavar="MODE",
                   help="real | xN (scaled, e.g. x60) | frozen | virtual "
                        "(default: real on a terminal, virtual for -c and pipes)")
    p.add_argument("--seed", type=_seed, default=None, metavar="N",
                   help="seed of every random stream (default: the lab's seed, else 0)")
    p.add_argument("-c", dest="commands", action="append", metavar="'CMD; CMD'",
                   help="run these commands and exit (repeatable; ';' separates commands); "
                        "exits 1 if any printed an error")
    p.add_argument("--plain", action="store_true",
                   help="plain line front-end: no colours, no escape codes")
    p.add_argument("--state", type=_state_dir, metavar="DIR",
                   help="directory that keeps configurations across runs (created if "
                        "missing; its parent must exist)")
    p.add_argument("--listen", nargs="+", type=_listen, metavar="PROTO:PORT",
                   help="serve every device of the lab over ssh/telnet/netconf, e.g. ssh:2222 "
                        "telnet:2323 netconf:8300 (PROTO:ADDRESS:PORT binds another address "
                        "than 127.0.0.1; log in as USER@DEVICE); the clock runs real unless "
                        "--clock says otherwise")
    p.add_argument("--ike-bridge", dest="ike_bridges", action="append", type=_ike_bridge,
                   metavar="DEVICE=ADDRESS:PORT",
                   help="expose DEVICE's IKE endpoint on a real UDP socket, e.g. "
                        "r1=127.0.0.1:500; its NAT-T socket is port 4500 beside 500, else "
                        "PORT+1; an address other than loopback is used with a warning; the "
                        "clock runs real unless --clock x1")
    p.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    return p


def wants_plain(*, plain_flag: bool, has_commands: bool, env: Mapping[str, str],
                stdin_tty: bool, stdout_tty: bool) -> bool:
    """True when the plain front-end must be used (see module docstring)."""
    return (plain_flag or has_commands or env.get("TERM", "") in _DUMB_TERMS
            or not stdin_tty or not stdout_tty)


def default_clock(*, plain: bool, has_commands: bool, stdin_tty: bool) -> str:
    """Real time for a person at a terminal, virtual time for scripts and pipes."""
    if has_commands or not stdin_tty:
        return "virtual"
    return "real"


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def _leaf(exc: BaseException) -> BaseException:
    """The one real error inside trio's nursery exception groups."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _lab_has_bridge(path: Path | None) -> bool:
    """Does the lab file ask for an IKE bridge (`ike_bridge` on a device)? A lab that does not
    load says no here; App reports why it does not load."""
    if path is None:
        return False  # the default lab has no bridge
    from routershell.labs.labfile import load_lab

    try:
        spec = load_lab(path)
    except Exception:  # noqa: BLE001 - reported by App with the file and line
        return False
    return any(d.ike_bridge for d in spec.devices)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lab"]:  # training subcommands (routershell/lab_cli.py)
        from routershell.lab_cli import lab_main

        return lab_main(argv[1:])
    if argv[:1] == ["practice"]:
        from routershell.lab_cli import practice_main

        return practice_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.listen and args.commands is not None:
        # serving never returns, so -c would silently never run
        parser.error("-c runs commands and exits; --listen serves until interrupted: use one")
    if args.listen or (args.commands is None and _lab_listens(args.lab)):
        return _serve(args)
    commands: list[str] | None = None
    if args.commands is not None:
        commands = [c for arg in args.commands for c in split_commands(arg)]
    stdin_tty, stdout_tty = _isatty(sys.stdin), _isatty(sys.stdout)
    plain = wants_plain(plain_flag=args.plain, has_commands=commands is not None,
                        env=os.environ, stdin_tty=stdin_tty, stdout_tty=stdout_tty)
    mode = args.clock or default_clock(plain=plain, has_commands=commands is not None,
                                       stdin_tty=stdin_tty)
    if not args.clock and (args.ike_bridges or _lab_has_bridge(args.lab)):
        mode = "real"  # a real peer's timers run on the wall clock
    if not plain:  # a person at a terminal: say what the wait is for (a large lab loads slowly)
        print(f"routershell: loading lab {args.lab or 'default'} ...", end="\r", flush=True)
    from routershell.app import App

    try:
        app = App(clock_mode=mode, seed=args.seed, state_dir=args.state, lab=args.lab,
                  device=args.device, ike_bridges=dict(args.ike_bridges or ()))
    except Exception as exc:  # a bad lab or state dir is the user's input: no traceback
        if not plain:
            print("\r\x1b[K", end="", flush=True)  # the loading line goes
        if os.environ.get("ROUTERSHELL_DEBUG"):
            raise
        print(f"routershell: error: {exc}", file=sys.stderr)
        return 1
    try:
        if plain:
            from routershell.shell.plain import run_plain

            return run_plain(app, commands, stdin_tty=stdin_tty)
        from routershell.shell.rich import run_rich

        return run_rich(app)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # e.g. a lab that fails to boot: one line, not a traceback
        if os.environ.get("ROUTERSHELL_DEBUG"):
            raise
        logging.getLogger(__name__).debug("front-end failed", exc_info=True)
        print(f"routershell: error: {_leaf(exc)} (ROUTERSHELL_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1


def _lab_listens(path: Path | None) -> bool:
    """Does the lab file give a device its own ports (`listen` on a device)?"""
    if path is None:
        return False
    from routershell.labs.labfile import load_lab

    try:
        spec = load_lab(path)
    except Exception:  # noqa: BLE001 - reported by App with the file and line
        return False
    return any(getattr(d, "listen", ()) for d in spec.devices)


def _serve(args: argparse.Namespace) -> int:
    """--listen: serve the lab until interrupted (a served lab runs on the real clock)."""
    import asyncio

    from routershell.app import App
    from routershell.server.host import serve

    try:
        app = App(clock_mode=args.clock or "real", seed=args.seed, state_dir=args.state,
                  lab=args.lab, device=args.device, ike_bridges=dict(args.ike_bridges or ()))
    except Exception as exc:
        if os.environ.get("ROUTERSHELL_DEBUG"):
            raise
        print(f"routershell: error: {exc}", file=sys.stderr)
        return 1

    def ready(host) -> None:
        for b in host.bound:
            print(f"routershell: serving {app.spec.name} on {b} "
                  f"(log in as USER@DEVICE; devices: {', '.join(app.devices)})", flush=True)

    try:
        asyncio.run(serve(app, list(args.listen or ()), ready))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:  # port in use, address not available
        print(f"routershell: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
