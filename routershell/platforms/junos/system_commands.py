"""Operational commands automation calls first: `show system users`, `request system logout`,
`show route summary`, `show chassis hardware`, `file list`. Each builds a record from the
device's state (its sessions, routes, ports and modules, home directory) and renders text,
`| display json` and `| display xml` from it."""

from __future__ import annotations

import os
import random
from datetime import timedelta

from ...cli.records import Record
from .interfaces import routes
from .op_commands import fmt_ago, fmt_time, render, session_pid
from .registry import handler

# The chassis parts an M7i reports in `show chassis hardware` (Junos M7i hardware guide:
# components and part numbers); serial numbers come from the device's seeded stream.
_M7I_PARTS = [
    ("Midplane", "REV 03", "710-008761", "M7i Midplane"),
    ("Power Supply 0", "Rev 04", "740-008537", "AC Power Supply"),
    ("Routing Engine", "REV 01", "740-011202", "RE-850"),
    ("CFEB", "REV 07", "750-010463", "Internal ASIC Based Forwarding Engine"),
]
_PIC_KIND = {
    "ge": ("REV 12", "750-012518", "4x GE, IQ2"),
    "sp": ("REV 01", "750-009098", "Adaptive Services PIC"),
    "fe": ("REV 03", "750-002992", "4x F/E, 100 BASE-TX"),
}


def _clock(session, lab_seconds: float) -> str:
    """12-hour clock as `w` prints it: 3:41PM."""
    dt = session.device.clock.epoch + timedelta(seconds=lab_seconds)
    return dt.strftime("%I:%M%p").lstrip("0")


def _ttys(dev) -> dict[int, str]:
    """A terminal name per session: the console is d0, others pN as the configuration's
    editor list names them (`configure` shows `user ssh p3 (pid 1003)`)."""
    return {sid: "d0" if s.client == "terminal" else f"p{sid}"
            for sid, s in sorted(dev.sessions.items()) if s.client not in ("lab", "netconf")}


@handler("op-show-system-users")
async def show_system_users(session, match, out, io):
    dev = session.device
    now = dev.now()
    rec = Record("system-users-information")
    info = rec.add("uptime-information")
    up = now - dev.booted_at
    ttys = _ttys(dev)
    info.add("date-time", _clock(session, now))
    info.add("up-time", fmt_ago(up))
    info.add("active-user-count", len(ttys))
    info.add("load-average-1", "0.00")
    info.add("load-average-5", "0.00")
    info.add("load-average-15", "0.00")
    table = info.add("user-table")
    if up < 3600:
        upt = f"{int(up // 60)} min{'s' if int(up // 60) != 1 else ''}"
    else:
        d, rem = divmod(int(up), 86400)
        upt = (f"{d} day{'s' if d != 1 else ''}, " if d else "") + f"{rem // 3600}:{rem % 3600 // 60:02d}"
    n = len(ttys)
    lines = [f"{_clock(session, now):>8}  up {upt}, {n} user{'s' if n != 1 else ''}, "
             "load averages: 0.00, 0.00, 0.00",
             f"{'USER':<8} {'TTY':<8} {'FROM':<33} {'LOGIN@':>6}  IDLE WHAT"]
    for sid, tty in ttys.items():
        s = dev.sessions[sid]
        started = getattr(s, "started", dev.booted_at)
        last = s.history[-2].when if len(s.history) > 1 else started  # the running line is not idle time
        idle = int(now - last) // 60
        idle_text = "-" if idle < 1 else (f"{idle // 60}:{idle % 60:02d}" if idle >= 60 else str(idle))
        e = table.add("user-entry")
        e.add("user", s.user)
        e.add("tty", tty)
        e.add("from", s.origin or "-")
        e.add("login-time", _clock(session, started))
        e.add("idle-time", idle_text)
        e.add("command", "-cli (cli)")
        lines.append(f"{s.user:<8} {tty:<8} {s.origin or '-':<33} {_clock(session, started):>6} "
                     f"{idle_text:>5} -cli (cli)")
    return render(session, rec, "\n".join(lines) + "\n")


@handler("op-request-system-logout")
async def request_system_logout(session, match, out, io):
    """Ends login sessions by user, terminal or pid. NETCONF sessions have no terminal and are
    not in `show system users`, but they are the user's logins (`user`), and lock messages name
    their terminal and pid, so those end them too."""
    dev = session.device
    user = match.args.get("user")
    terminal = match.args.get("terminal")
    pid = match.args.get("pid")
    if user is None and terminal is None and pid is None:
        out.write("error: specify user or terminal\n")
        session.mark_failed()
        return None
    logins = {sid: s for sid, s in sorted(dev.sessions.items()) if s.client != "lab"}
    ttys = _ttys(dev)
    victims = [s for sid, s in logins.items()
               if (user is not None and s.user == str(user))
               or (terminal is not None and ttys.get(sid, f"p{sid}") == str(terminal))
               or (pid is not None and session_pid(sid) == int(pid))]
    if not victims:
        what = (f"user {user}" if user is not None else
                f"terminal {terminal}" if terminal is not None else f"pid {pid}")
        out.write(f"error: no login sessions found for {what}\n")
        session.mark_failed()
        return None
    for s in victims:
        if s is not session:
            s.force_logout()
    if session in victims:
        session.force_logout()
    return None


async def show_route_summary(session, match, out, io):
    dev = session.device
    active = dev.store.active
    rid = active.get((("routing-options", None), ("router-id", None)))
    rec = Record("route-summary-information")
    lines = []
    if rid is not None and rid.value:
        rec.add("router-id", rid.value)
        lines.append(f"Router ID: {rid.value}")
    tables: dict[str, list] = {}
    for r in routes(session):
        tables.setdefault(r.table or ("inet.0" if r.prefix.version == 4 else "inet6.0"), []).append(r)
    for table, rs in tables.items():
        t = rec.add("route-table")
        dests = len({r.prefix for r in rs})
        t.add("table-name", table)
        t.add("destination-count", dests)
        t.add("total-route-count", len(rs))
        t.add("active-route-count", len(rs))
        t.add("holddown-route-count", 0)
        t.add("hidden-route-count", 0)
        lines.append("")
        lines.append(f"{table}: {dests} destinations, {len(rs)} routes "
                     f"({len(rs)} active, 0 holddown, 0 hidden)")
        by_proto: dict[str, int] = {}
        for r in rs:
            by_proto[r.protocol] = by_proto.get(r.protocol, 0) + 1
        for proto, count in sorted(by_proto.items()):
            p = t.add("protocols")
            p.add("protocol-name", proto)
            p.add("protocol-route-count", count)
            p.add("active-route-count", count)
            lines.append(f"{proto + ':':>21} {count:>6} routes, {count:>6} active")
    return render(session, rec, "\n".join(lines) + "\n")


def _hw_rng(dev) -> random.Random:
    """A generator for the chassis's serial numbers: seeded once from the device's stream, so
    every `show chassis …` prints the same numbers (and the same seed gives the same lab)."""
    seed = dev.facts.get("hardware-seed")
    if seed is None:
        seed = dev.facts["hardware-seed"] = str(dev.rng("chassis-hardware").getrandbits(64))
    return random.Random(int(seed))


def chassis_serial(dev) -> str:
    """The chassis serial number (the first draw of the hardware generator)."""
    return str(_hw_rng(dev).randrange(10000, 99999))


@handler("op-show-chassis-hardware")
async def show_chassis_hardware(session, match, out, io):
    dev = session.device
    rng = _hw_rng(dev)
    serial = str(rng.randrange(10000, 99999))  # chassis_serial's draw
    rec = Record("chassis-inventory")
    ch = rec.add("chassis", style="inventory")
    ch.add("name", "Chassis")
    ch.add("serial-number", serial)
    ch.add("description", dev.model.upper())
    rows = [("Chassis", "", "", serial, dev.model.upper())]
    for name, ver, part, desc in _M7I_PARTS:
        sn = f"{rng.choice('ABCDEFGHJK')}{rng.choice('ABCDEFGHJK')}{rng.randrange(1000, 9999)}"
        m = ch.add("chassis-module")
        for tag, val in (("name", name), ("version", ver), ("part-number", part),
                         ("serial-number", sn), ("description", desc)):
            m.add(tag, val)
        rows.append((name, ver, part, sn, desc))
    # FPCs and PICs from the ports (type-fpc/pic/port) and the lab's service modules
    pics: dict[tuple[int, int], str] = {}
    for port in dev.ports:
        kind, _, rest = port.name.partition("-")
        bits = rest.split("/")
        if kind in _PIC_KIND and len(bits) == 3 and all(b.isdigit() for b in bits):
            pics.setdefault((int(bits[0]), int(bits[1])), kind)
    for mod in getattr(dev, "modules", []):
        kind, _, rest = mod.name.partition("-")
        bits = rest.split("/")
        if len(bits) == 3 and all(b.isdigit() for b in bits):
            pics[(int(bits[0]), int(bits[1]))] = kind if kind in _PIC_KIND else "sp"
    for fpc in sorted({f for f, _ in pics}):
        m = ch.add("chassis-module")
        m.add("name", f"FPC {fpc}")
        m.add("description", "E-FPC")
        rows.append((f"FPC {fpc}", "", "", "", "E-FPC"))
        for (f, pic), kind in sorted(pics.items()):
            if f != fpc:
                continue
            ver, part, desc = _PIC_KIND[kind]
            sn = f"{rng.choice('DEFGHJ')}{rng.choice('ABCDEFGHJK')}{rng.randrange(1000, 9999)}"
            sub = m.add("chassis-sub-module")
            for tag, val in (("name", f"PIC {pic}"), ("version", ver), ("part-number", part),
                             ("serial-number", sn), ("description", desc)):
                sub.add(tag, val)
            rows.append((f"  PIC {pic}", ver, part, sn, desc))
    lines = ["Hardware inventory:",
             f"{'Item':<16} {'Version':<8} {'Part number':<12} {'Serial number':<17} Description"]
    for item, ver, part, sn, desc in rows:
        lines.append(f"{item:<16} {ver:<8} {part:<12} {sn:<17} {desc}".rstrip())
    return render(session, rec, "\n".join(lines) + "\n")


@handler("op-file-list")
async def file_list(session, match, out, io):
    """The device's home directory (or a path in it): names, directories with a slash."""
    from ...config.files import FileAccessError

    name = str(match.args.get("path") or ".")
    if name in ("~", "~/"):  # the user's home is the device's home directory
        name = "."
    home = f"/var/home/{session.user}/"
    shown = home if name == "." else name
    try:
        path = session.user_path(name)
    except FileAccessError as e:
        out.write(f"error: {e}\n")
        session.mark_failed()
        return None
    if not path.exists():
        out.write(f"\n{name}: No such file or directory\n")
        session.mark_failed()
        return None
    rec = Record("directory-list", attrs={"root-path": home})
    d = rec.add("directory")
    d.add("directory-name", shown)
    if path.is_dir():
        entries = sorted(p for p in os.listdir(path) if not p.startswith("."))
        lines = [f"{shown}:"]
        for e in entries:
            is_dir = (path / e).is_dir()
            f = d.add("file-information")
            f.add("file-name", e)
            if is_dir:
                f.add("file-directory")
            lines.append(e + ("/" if is_dir else ""))
    else:
        d.add("file-information").add("file-name", name)
        lines = [name]
    return render(session, rec, "\n".join(lines) + "\n")


@handler("op-show-chassis-routing-engine")
async def show_chassis_routing_engine(session, match, out, io):
    """The one Routing Engine of the chassis: master since boot (PyEZ's RE facts read it)."""
    dev = session.device
    now = dev.now()
    up = now - dev.booted_at
    rec = Record("route-engine-information")
    re0 = rec.add("route-engine")
    start = fmt_time(session, dev.booted_at)
    fields = [("slot", "0"), ("mastership-state", "master"), ("mastership-priority", "master"),
              ("status", "OK"), ("temperature", "30 degrees C / 86 degrees F"),
              ("memory-dram-size", "768 MB"), ("memory-buffer-utilization", "22"),
              ("cpu-user", "0"), ("cpu-background", "0"), ("cpu-system", "1"),
              ("cpu-interrupt", "0"), ("cpu-idle", "99"), ("model", "RE-850"),
              ("serial-number", chassis_serial(dev) + "RE0"), ("start-time", start),
              ("up-time", _uptime_text(up)),
              ("last-reboot-reason", "Router rebooted after a normal shutdown."),
              ("load-average-one", "0.00"), ("load-average-five", "0.00"),
              ("load-average-fifteen", "0.00")]
    for tag, value in fields:
        re0.add(tag, value)
    text = (
        "Routing Engine status:\n"
        "    Temperature                 30 degrees C / 86 degrees F\n"
        "    DRAM                       768 MB\n"
        "    Memory utilization          22 percent\n"
        "    CPU utilization:\n"
        "      User                       0 percent\n"
        "      Background                 0 percent\n"
        "      Kernel                     1 percent\n"
        "      Interrupt                  0 percent\n"
        "      Idle                      99 percent\n"
        "    Model                          RE-850\n"
        f"    Serial ID                      {chassis_serial(dev)}RE0\n"
        f"    Start time                     {start}\n"
        f"    Uptime                         {_uptime_text(up)}\n"
        "    Last reboot reason             Router rebooted after a normal shutdown.\n"
        "    Load averages:                 1 minute   5 minute  15 minute\n"
        "                                       0.00       0.00       0.00\n")
    return render(session, rec, text)


def _uptime_text(seconds: float) -> str:
    """`2 days, 3 hours, 4 minutes, 5 seconds` as the Routing Engine status prints it."""
    s = int(max(0, seconds))
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, s = divmod(s, size)
        if n or (unit == "second" and not parts):
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return ", ".join(parts)
