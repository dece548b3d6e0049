"""Junos operational-mode handlers. Each builds its output from the device state it reads; show
commands build one record tree from which text, `| display json` and `| display xml` come."""

from __future__ import annotations

import ipaddress
import re
import zlib
from datetime import datetime, timedelta

from ...cli.records import Record
from ...config.store import EditMode, StoreError
from ...grammar.parser import ParseError, parse_command
from . import display
from . import messages as msg
from .interfaces import interface_table, route_table
from .registry import HANDLERS, handler


def render(session, record: Record, text: str) -> str:
    """Honour `| display json|xml` on a record-backed command; otherwise the text layout."""
    for p in session.current_pipes:
        if p.kind == "display" and p.args and p.args[0] == "json":
            return display.to_json(record)
        if p.kind == "display" and p.args[:2] == ("xml", "rpc"):
            return display.rpc_xml(record, session.device.facts.get("version", ""),
                                   session.current_line)
        if p.kind == "display" and p.args and p.args[0] == "xml":
            return display.to_xml(record, session.device.facts.get("version", ""))
    return text


def fmt_time(session, when) -> str:
    """Lab seconds or a datetime, as Junos prints timestamps."""
    dt = when if isinstance(when, datetime) else session.device.clock.epoch + timedelta(seconds=when)
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def lab_seconds(session, when) -> float:
    return (when - session.device.clock.epoch).total_seconds() if isinstance(when, datetime) else float(when)


def fmt_ago(seconds: float) -> str:
    s = int(max(0, seconds))
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    hms = f"{h:02d}:{m:02d}:{s:02d}"
    return f"{d}d {hms}" if d else hms


# ---- session and mode ---------------------------------------------------------------------


@handler("op-configure")
async def configure(session, match, out, io):
    store = session.device.store
    exclusive = bool(match.args.get("exclusive"))
    private = bool(match.args.get("private"))
    mode = EditMode.EXCLUSIVE if exclusive else EditMode.PRIVATE if private else EditMode.SHARED
    others = [e for e in store.editors() if e.session != session.key]
    try:
        store.open(session.key, mode, session.user, session.client, session.device.clock.datetime())
    except StoreError as e:
        if e.code == "locked":
            out.write(lock_message(session, e.holder))
        elif e.code == "modified":
            out.write("error: configuration database modified\n" + _editing_users(session))
        else:
            out.write("error: shared configuration database modified\n" + _editing_users(session))
        return None
    if mode is not EditMode.SHARED:
        out.write(msg.EXCLUSIVE_WARNING)
    elif others:
        out.write(_editing_users(session, exclude=session.key))
        if store.is_modified():
            out.write("The configuration has been changed but not committed\n")
    session.database = mode.value
    out.write(msg.ENTERING)
    session.mode = "configuration"
    session.edit = ()
    session.edit_history.clear()
    return None


def lock_message(session, holder) -> str:
    return "error: configuration database locked by:\n" + _editor_lines(session, holder)


def session_pid(sid: int) -> int:
    """The process id a session's management process has (mgd handles each login on Junos):
    what lock messages show and `request system logout pid` takes."""
    return 1000 + sid


def _editor_lines(session, es) -> str:
    """`  user terminal p1 (pid 1001) on since ...` and the level the user edits."""
    from .grammar import edit_banner

    if es is None:
        return ""
    sid = int(es.session) if es.session.isdigit() else 0
    other = session.device.sessions.get(sid)
    since = es.since.strftime("%Y-%m-%d %H:%M:%S UTC") if es.since else ""
    banner = edit_banner(other.edit, other.g.schema) if other is not None else "[edit]"
    mode = "" if es.mode is EditMode.SHARED else f"{es.mode.value} "
    return f"  {es.user} {es.client} p{sid} (pid {session_pid(sid)}) on since {since}\n      {mode}{banner}\n"


def _editing_users(session, exclude: str | None = None) -> str:
    lines = ["Users currently editing the configuration:\n"]
    for es in session.device.store.editors():
        if es.session != exclude:
            lines.append(_editor_lines(session, es))
    return "".join(lines)


@handler("op-quit")
async def quit_(session, match, out, io):
    session.close()
    return None


@handler("op-set-cli-screen-width")
async def screen_width(session, match, out, io):
    session.screen_width = int(match.args["width"])
    out.write(f"Screen width set to {session.screen_width}\n")


@handler("op-set-cli-screen-length")
async def screen_length(session, match, out, io):
    session.screen_length = int(match.args["length"])
    out.write(f"Screen length set to {session.screen_length}\n")


@handler("op-set-cli-complete-on-space")
async def complete_on_space(session, match, out, io):
    on = match.args["value"] == "on"
    session.complete_on_space = on
    out.write("Enabling complete-on-space\n" if on else "Disabling complete-on-space\n")


@handler("op-show-cli")
async def show_cli(session, match, out, io):
    if "history" in match.args:
        entries = session.history
        n = match.args.get("count")
        if n is not None:
            entries = entries[-int(n) :] if int(n) else []
        rec = Record("cli-history")
        for e in entries:
            h = rec.add("history-entry")
            h.add("time", fmt_time(session, e.when)[11:])
            h.add("command", e.line)
        text = "".join(f"{h.findtext('time')} -- {h.findtext('command')}\n" for h in rec.children)
        return render(session, rec, text)
    rec = Record("cli-settings")
    rec.add("complete-on-space", "on" if session.complete_on_space else "off")
    rec.add("screen-length", session.screen_length)
    rec.add("screen-width", session.screen_width)
    text = (
        f"CLI complete-on-space set to {'on' if session.complete_on_space else 'off'}\n"
        "CLI idle-timeout disabled\n"
        "CLI restart-on-upgrade set to on\n"
        f"CLI screen-length set to {session.screen_length}\n"
        f"CLI screen-width set to {session.screen_width}\n"
        "CLI terminal is 'vt100'\n"
        "CLI is operating in enhanced mode\n"
        "CLI timestamp disabled\n"
        f"CLI working directory is '/var/home/{session.user}'\n"
    )
    return render(session, rec, text)


@handler("op-clear-cli-history")
async def clear_cli_history(session, match, out, io):
    session.history.clear()


# ---- show commands ------------------------------------------------------------------------


@handler("op-show-version")
async def show_version(session, match, out, io):
    dev = session.device
    version = dev.facts.get("version", "9.3R4.4")
    rec = Record("software-information")
    rec.add("host-name", session.hostname)
    rec.add("product-model", dev.model)
    rec.add("product-name", dev.model)
    packages = [
        # package names as `show version | display xml` gives them (PyEZ reads "junos")
        ("junos", "JUNOS Base OS boot"),
        ("jbase", "JUNOS Base OS Software Suite"),
        ("jkernel", "JUNOS Kernel Software Suite"),
        ("jcrypto", "JUNOS Crypto Software Suite"),
        ("jpfe-common", "JUNOS Packet Forwarding Engine Support (M/T Common)"),
        ("jdocs", "JUNOS Online Documentation"),
        ("jservices-ipsec", "JUNOS Services IPSec"),
        ("jroute", "JUNOS Routing Software Suite"),
    ]
    for name, comment in packages:
        p = rec.add("package-information")
        p.add("name", name)
        p.add("comment", f"{comment} [{version}]")
    lines = [f"Hostname: {session.hostname}", f"Model: {dev.model}"]
    lines += [p.findtext("comment") or "" for p in rec.findall("package-information")]
    return render(session, rec, "\n".join(lines) + "\n")


@handler("op-show-system-uptime")
async def show_uptime(session, match, out, io):
    dev = session.device
    now = dev.now()
    store = dev.store
    rec = Record("system-uptime-information")
    rec.add("current-time").add("date-time", fmt_time(session, now))
    b = rec.add("system-booted-time")
    b.add("date-time", fmt_time(session, dev.booted_at))
    b.add("time-length", fmt_ago(now - dev.booted_at))
    last = store.history[0] if store.history else None
    lines = [
        f"Current time: {fmt_time(session, now)}",
        f"System booted: {fmt_time(session, dev.booted_at)} ({fmt_ago(now - dev.booted_at)} ago)",
        f"Protocols started: {fmt_time(session, dev.booted_at)} ({fmt_ago(now - dev.booted_at)} ago)",
    ]
    if last is not None:
        c = rec.add("last-configured-time")
        c.add("date-time", fmt_time(session, last.when))
        c.add("time-length", fmt_ago(now - lab_seconds(session, last.when)))
        c.add("user", last.user)
        lines.append(f"Last configured: {fmt_time(session, last.when)} ({fmt_ago(now - lab_seconds(session, last.when))} ago) by {last.user}")
    up = now - dev.booted_at
    users = len(dev.sessions)
    clock = (dev.clock.epoch + timedelta(seconds=now)).strftime("%I:%M%p").lstrip("0")
    if up < 3600:
        upt = f"{int(up // 60)} min{'s' if int(up // 60) != 1 else ''}"
    else:
        d, rem = divmod(int(up), 86400)
        upt = (f"{d} day{'s' if d != 1 else ''}, " if d else "") + f"{rem // 3600}:{rem % 3600 // 60:02d}"
    lines.append(f"{clock:>8}  up {upt}, {users} user{'s' if users != 1 else ''}, load averages: 0.00, 0.00, 0.00")
    return render(session, rec, "\n".join(lines) + "\n")


@handler("op-show-system-commit")
async def show_commit(session, match, out, io):
    store = session.device.store
    rec = Record("commit-information")
    lines = []
    for i, entry in enumerate(store.history):
        c = rec.add("commit-history")
        c.add("sequence-number", i)
        c.add("user", entry.user)
        c.add("client", entry.client)
        c.add("date-time", fmt_time(session, entry.when))
        line = f"{i:<3} {fmt_time(session, entry.when)} by {entry.user} via {entry.client}"
        if i == 0 and store.confirm_deadline is not None:
            mins = max(1, int(-(-(store.confirm_deadline - session.device.now()) // 60)))
            line += f" commit confirmed, rollback in {mins}mins"
        lines.append(line)
        if entry.comment:
            c.add("comment", entry.comment)
            lines.append(f"    {entry.comment}")
    return render(session, rec, "".join(ln + "\n" for ln in lines))


@handler("op-show-configuration")
async def show_configuration(session, match, out, io):
    from .cfg_commands import show_tree

    return show_tree(session, session.device.store.active, match.rest.get("statement", []), (), out, io, operational=True)


@handler("op-show-interfaces")
async def show_interfaces(session, match, out, io):
    rec, text = interface_table(session, match.args)
    if rec is None:
        out.write(text)
        return None
    return render(session, rec, text)


@handler("op-show-route")
async def show_route(session, match, out, io):
    if match.args.get("summary"):
        from .system_commands import show_route_summary

        return await show_route_summary(session, match, out, io)
    rec, text = route_table(session, match.args)
    return render(session, rec, text)


def log_line(session, when: float, text: str) -> str:
    """One line of the messages file as `show log messages` and `monitor start` print it."""
    return f"{_syslog_stamp(session, when)}  {session.hostname} {_with_pid(text)}\n"


@handler("op-show-log")
async def show_log(session, match, out, io):
    return "".join(log_line(session, ln.when, ln.text) for ln in session.device.log)


@handler("op-clear-log")
async def clear_log(session, match, out, io):
    session.device.log.clear()


# Process ids as a running router shows them (stable, so transcripts are reproducible).
_PIDS = {"mgd": 3022, "kmd": 1215, "mib2d": 1198, "chassisd": 1133, "rpd": 1201, "dcd": 1142}
_PROC = re.compile(r"^([a-z][a-z0-9_]*): ")


def _with_pid(text: str) -> str:
    """`kmd: KMD_…` as Junos logs it: `kmd[1215]: KMD_…`."""
    m = _PROC.match(text)
    if m is None:
        return text
    name = m.group(1)
    pid = _PIDS.get(name, 1000 + zlib.crc32(name.encode()) % 9000)
    return f"{name}[{pid}]: {text[m.end():]}"


def _syslog_stamp(session, when: float) -> str:
    dt = session.device.clock.epoch + timedelta(seconds=when)
    return dt.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)


@handler("op-ping")
async def ping(session, match, out, io):
    """Echo requests answered from the lab: local addresses at once; others through the
    device's tunnel that covers (source, host) — moving its counters — or in the clear after
    the path's latency (loss, partitions and down peers apply); anything else times out.
    Replies are streamed and the statistics kept as running sums (count may be 2000000000);
    Ctrl-C (the command cancelled) still prints the statistics, as Junos does."""
    host = str(match.args.get("host"))
    try:
        target = ipaddress.ip_address(host)
    except ValueError:
        out.write(f"ping: cannot resolve {host}: Unknown host\n")
        return None
    count = int(match.args.get("count", 5))
    size = int(match.args.get("size", 56))
    local = {ipaddress.ip_interface(a).ip for a in _local_addresses(session)}
    source = match.args.get("source") or _source_for(session, target)
    tunnels = session.device.tunnels
    io.write(f"PING {host} ({host}): {size} data bytes\n")
    stats = _PingStats()
    try:
        for seq in range(count):
            stats.sent += 1
            if target in local or target.is_loopback:
                rtt: float | None = 0.00003 + 0.000002 * (seq % 5)
            elif source is None:
                io.write("ping: sendto: No route to host\n")
                rtt = None
            else:
                # an IP packet of `size` data bytes: 8 of ICMP header, 20 of IP header
                rtt = tunnels.echo(str(source), host, size + 28) if tunnels is not None else None
                if rtt is None:
                    io.write(f"Request timeout for icmp_seq {seq}\n")
            if rtt is not None:
                stats.add(rtt * 1000)
                io.write(f"{size + 8} bytes from {host}: icmp_seq={seq} ttl=64 time={rtt * 1000:.3f} ms\n")
            if seq + 1 < count:
                await session.device.clock.sleep(1.0)  # one request a lab second
    finally:  # also on Ctrl-C: the summary of what was sent
        io.write(stats.summary(host))
    return None


class _PingStats:
    """Running ping statistics: no list of reply times, whatever the count."""

    def __init__(self) -> None:
        self.sent = self.received = 0
        self.total = self.squares = 0.0
        self.low = self.high = 0.0

    def add(self, ms: float) -> None:
        if not self.received:
            self.low = self.high = ms
        self.low, self.high = min(self.low, ms), max(self.high, ms)
        self.received += 1
        self.total += ms
        self.squares += ms * ms

    def summary(self, host: str) -> str:
        loss = round(100 * (self.sent - self.received) / self.sent) if self.sent else 0
        text = (f"\n--- {host} ping statistics ---\n"
                f"{self.sent} packets transmitted, {self.received} packets received, {loss}% packet loss\n")
        if self.received:
            mean = self.total / self.received
            sd = max(0.0, self.squares / self.received - mean * mean) ** 0.5
            text += f"round-trip min/avg/max/stddev = {self.low:.3f}/{mean:.3f}/{self.high:.3f}/{sd:.3f} ms\n"
        return text


def _source_for(session, target) -> str | None:
    """The local address a packet to `target` leaves from: the interface of its best route."""
    from .interfaces import routes

    best = None
    for r in routes(session):
        if r.prefix.version == target.version and target in r.prefix:
            if best is None or r.prefix.prefixlen > best.prefix.prefixlen:
                best = r
    if best is None:
        return None
    via = best.via or (best.nexthop.rsplit(" via ", 1)[-1] if " via " in best.nexthop else "")
    from .interfaces import configured_units

    for u in configured_units(session.device.store.active):
        if u.name == via and u.addresses:
            return str(ipaddress.ip_interface(u.addresses[0]).ip)
    return None


def _local_addresses(session) -> list[str]:
    from .interfaces import configured_units

    return [a for u in configured_units(session.device.store.active) for a in u.addresses]


def run_operational(session, tokens_text: str):
    """Parse an operational command given after `run` (errors are reported by the caller)."""
    return parse_command(session.g.operational, tokens_text)


__all__ = ["HANDLERS", "ParseError", "run_operational"]

from . import monitor as _monitor  # noqa: E402,F401 - registers monitor and help
from . import ospf_shows as _ospf_shows  # noqa: E402,F401  (registers its handlers)
from .ipsec import handlers as _ipsec_handlers  # noqa: E402,F401  (registers its handlers)
from .pki import handlers as _pki_handlers  # noqa: E402,F401  (registers its handlers)
from .security import shows as _es_pic_shows  # noqa: E402,F401  (registers its handlers)
