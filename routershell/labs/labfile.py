"""Lab files: TOML scenarios validated into a LabSpec tree before anything is built.

A lab file holds devices, remote peers, links, traffic flows, timed events and graded
objectives (see routershell/labs/default.toml for a commented example). `load_lab(path)`
and `parse_lab(text, origin)` return a frozen `LabSpec` or raise `LabError` whose message
starts with `file:line:` — tomllib's own line for syntax errors, the line of the offending
key for schema errors. Nothing is half-loaded: the world is built only from a LabSpec that
validated completely.
"""

from __future__ import annotations

import ipaddress
import math
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..engine.proposals import IkeProposal, IpsecProposal
from ..platforms import registry
from ..runtime.ca_spec import CaSpec
from ..runtime.clock import ClockError, parse_duration, parse_offset

__all__ = [
    "DeviceSpec",
    "EventSpec",
    "LabError",
    "LabPeer",
    "LabSpec",
    "LinkSpec",
    "ModuleSpec",
    "ObjectiveSpec",
    "TaskSpec",
    "TrafficSpec",
    "load_lab",
    "parse_lab",
]

class LabError(ValueError):
    """A lab file that can't be used; str() is `file:line: what is wrong`."""

    def __init__(self, origin: str, line: int | None, message: str) -> None:
        where = f"{origin}:{line}" if line else origin
        super().__init__(f"{where}: {message}")
        self.origin = origin
        self.line = line
        self.message = message


# ---- the spec tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleSpec:
    slot: str
    name: str
    kind: str
    capacity: int


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    platform: str
    hostname: str
    config: str  # startup configuration, in the device's own syntax
    model: str
    ports: tuple[str, ...]
    modules: tuple[ModuleSpec, ...] = ()
    ike_bridge: tuple[str, int] | None = None  # real (address, port) of its IKE bridge
    # real peers the bridge may send to before hearing from them: (address, port, nat_port)
    ike_bridge_peers: tuple[tuple[str, int, int], ...] = ()
    config_origin: str = ""  # where the startup text came from (for error messages)
    config_line: int = 0  # line of that origin holding the text's first line
    options: tuple[tuple[str, Any], ...] = ()  # [devices.NAME.options]: platform-specific knobs
    # `listen = ["ssh:2223"]`: ports that serve this device alone (a bare login name lands
    # here); routershell/server opens them whenever the lab is served
    listen: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabPeer:
    """A remote gateway described by the lab (becomes a runtime PeerSpec)."""

    name: str
    address: str
    psk: str | None
    ike_proposals: tuple[IkeProposal, ...]
    ipsec_proposals: tuple[IpsecProposal, ...]
    mode: str = "main"
    answers_dpd: bool = True
    initiates_dpd: bool = False
    dpd_interval: float = 10.0
    dpd_retries: int = 5
    initiates: bool = False
    target: str | None = None  # the device address it initiates to
    local_ts: str | None = None  # the peer's side
    remote_ts: str | None = None
    reachable: bool = True
    latency: float = 0.0  # seconds, one way
    loss: float = 0.0  # percent
    line: int = 0  # of its `address` in the lab file (errors found when the lab is built)
    reject_proposals: int = 0  # refuse the first N phase-1 negotiations (NO-PROPOSAL-CHOSEN)


@dataclass(frozen=True)
class LinkSpec:
    name: str
    endpoints: tuple[str, ...]  # "device:port" or a peer address
    latency: float = 0.0
    loss: float = 0.0
    up: bool = True


@dataclass(frozen=True)
class TrafficSpec:
    name: str
    src: str
    dst: str
    rate: int = 10  # packets per second


@dataclass(frozen=True)
class EventSpec:
    at: float  # lab seconds since the lab (re)started; with `after`: delay after the objective
    do: str  # a `lab` command without the word `lab`
    line: int = 0
    after: str | None = None  # fire `at` seconds after this objective is first met


@dataclass(frozen=True)
class ObjectiveSpec:
    name: str
    device: str
    command: str  # "" for a live-state check (`tunnel`)
    expect: str  # regular expression the command's output must match
    absent: bool = False  # true: the expression must NOT match
    line: int = 0
    points: int = 1
    hints: tuple[str, ...] = ()
    deadline: float | None = None  # lab time by which it must hold (judged then, final after)
    tunnel: str | None = None  # live state: the device's tunnel(s) to this peer address ...
    state: str = "up"  # ... are in this state (up, down, negotiating, standby, not-present)
    task: int | None = None  # the [[tasks]] entry (1-based) it belongs to

    def check_text(self) -> str:
        """What is checked, in a line: the command, or the live tunnel state."""
        if self.tunnel is not None:
            return f"tunnel to {self.tunnel} is {self.state}"
        return self.command


@dataclass(frozen=True)
class TaskSpec:
    title: str
    text: str
    line: int = 0


@dataclass(frozen=True)
class LabSpec:
    name: str
    origin: str
    devices: tuple[DeviceSpec, ...]
    peers: tuple[LabPeer, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    traffic: tuple[TrafficSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    objectives: tuple[ObjectiveSpec, ...] = ()
    epoch: datetime | None = None
    seed: int | None = None
    description: str = ""
    # addresses beyond loopback that devices may send SNMP traps to (a configured target
    # elsewhere is not sent to: traps leave this machine only where the lab file says)
    trap_targets_allowed: tuple[str, ...] = ()
    tasks: tuple[TaskSpec, ...] = ()
    title: str = ""  # one line for `routershell lab list` (default: the description)
    practice: tuple[tuple[str, Any], ...] = ()  # [practice]: what practice mode may vary
    cas: tuple[CaSpec, ...] = ()  # [ca.NAME]: certificate authorities in the lab (runtime/ca.py)
    # lab seconds the boot may run the world for it to settle before the first prompt; 0 opens
    # the console at 00:00:00 (a lab whose first seconds are the thing to watch)
    boot_wait: float = 60.0

    def device(self, name: str) -> DeviceSpec | None:
        return next((d for d in self.devices if d.name == name), None)


# ---- finding the line of a key ------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*\.?""")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _PART.findall(dotted))


class KeyLines:
    """Line numbers of tables and keys in TOML text, by path; arrays of tables get an index
    (`("peers", 1, "psk")`). Keys inside inline tables resolve to their parent key's line."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        current: tuple = ()
        in_string = ""
        for no, raw in enumerate(text.splitlines(), 1):
            if in_string:
                if raw.count(in_string) % 2 == 1:
                    in_string = ""
                continue
            m = _HEADER.match(raw)
            if m and not _KEY.match(raw):
                parts = _parts(m.group(2))
                resolved = self._resolve(parts[:-1], counts) + parts[-1:]
                if m.group(1) == "[[":
                    n = counts.get(resolved, -1) + 1
                    counts[resolved] = n
                    resolved = resolved + (n,)
                current = resolved
                self.lines.setdefault(current, no)
                continue
            k = _KEY.match(raw)
            if k:
                path = current + _parts(k.group(1))
                self.lines.setdefault(path, no)
                rest = raw[k.end():]
                for q in ('"""', "'''"):
                    if rest.count(q) % 2 == 1:
                        in_string = q

    @staticmethod
    def _resolve(parts: tuple[str, ...], counts: dict[tuple, int]) -> tuple:
        # [devices.r1.modules] under [[x]] arrays: insert the current index of each array
        out: tuple = ()
        for p in parts:
            out = out + (p,)
            if out in counts:
                out = out + (counts[out],)
        return out

    def line(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            # a table only written as [path.child]: the first line below it
            below = [n for p, n in self.lines.items() if p[:len(path)] == path]
            if below:
                return min(below)
            path = path[:-1]
        return None


# ---- validation ---------------------------------------------------------------------------


class _Checker:
    def __init__(self, text: str, origin: str) -> None:
        self.origin = origin
        self.keys = KeyLines(text)

    def fail(self, path: tuple, message: str) -> LabError:
        return LabError(self.origin, self.keys.line(path), message)

    def table(self, value: Any, path: tuple, allowed: set[str], what: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"{what} must be a table")
        for key in value:
            if key not in allowed:
                raise self.fail(path + (key,), f"unknown key {key!r} in {what} (expected one of: {', '.join(sorted(allowed))})")
        return value

    def req(self, d: dict, key: str, path: tuple, what: str) -> Any:
        if key not in d:
            raise self.fail(path, f"{what} needs {key!r}")
        return d[key]

    def string(self, d: dict, key: str, path: tuple, default: Any = ..., what: str = "") -> Any:
        if key not in d:
            if default is ...:
                raise self.fail(path, f"{what or path_name(path)} needs {key!r}")
            return default
        v = d[key]
        if not isinstance(v, str):
            raise self.fail(path + (key,), f"{key!r} must be a string")
        return v

    def boolean(self, d: dict, key: str, path: tuple, default: bool) -> bool:
        v = d.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(path + (key,), f"{key!r} must be true or false")
        return v

    def integer(self, d: dict, key: str, path: tuple, default: int, lo: int = 0, hi: int | None = None) -> int:
        v = d.get(key, default)
        if not isinstance(v, int) or isinstance(v, bool) or v < lo or (hi is not None and v > hi):
            rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise self.fail(path + (key,), f"{key!r} must be an integer ({rng})")
        return v

    def seconds(self, d: dict, key: str, path: tuple, default: float) -> float:
        """A duration: a number of seconds or a string such as "20ms", "10s", "00:05:00"."""
        v = d.get(key, default)
        if isinstance(v, bool):
            raise self.fail(path + (key,), f"{key!r} must be a duration")
        if isinstance(v, int | float):
            if not math.isfinite(v):
                raise self.fail(path + (key,), f"{key!r} must be a finite duration")
            if v < 0:
                raise self.fail(path + (key,), f"{key!r} can't be negative")
            if v > MAX_SECONDS:
                raise self.fail(path + (key,), f"{key!r} is longer than a lab can run ({MAX_SECONDS:.0f} s)")
            return float(v)
        if isinstance(v, str):
            try:
                secs = parse_duration(v)
            except ClockError as e:
                raise self.fail(path + (key,), str(e)) from None
            if not math.isfinite(secs) or secs > MAX_SECONDS:
                raise self.fail(path + (key,), f"{key!r} is longer than a lab can run ({MAX_SECONDS:.0f} s)")
            return secs
        raise self.fail(path + (key,), f"{key!r} must be a duration (e.g. \"20ms\")")

    def positive_seconds(self, d: dict, key: str, path: tuple, default: float) -> float:
        v = self.seconds(d, key, path, default)
        if v <= 0:
            raise self.fail(path + (key,), f"{key!r} must be more than 0")
        return v

    def percent(self, d: dict, key: str, path: tuple) -> float:
        v = d.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 100:
            raise self.fail(path + (key,), f"{key!r} must be a percentage (0..100)")
        return float(v)

    def address(self, d: dict, key: str, path: tuple, default: Any = ...) -> Any:
        v = self.string(d, key, path, default)
        if v is None:
            return None
        try:
            return str(ipaddress.ip_address(v))
        except ValueError:
            raise self.fail(path + (key,), f"{key!r}: {v!r} is not an IP address") from None

    def prefix(self, d: dict, key: str, path: tuple) -> str | None:
        v = self.string(d, key, path, None)
        if v is None:
            return None
        try:
            return str(ipaddress.ip_network(v, strict=False))
        except ValueError:
            raise self.fail(path + (key,), f"{key!r}: {v!r} is not an address prefix") from None

    def array(self, value: Any, path: tuple, what: str) -> list:
        if not isinstance(value, list):
            raise self.fail(path, f"{what} must be an array of tables ([[{path_name(path)}]])")
        return value


MAX_SECONDS = 366 * 86400.0  # a year of lab time: the longest anything in a lab file may last


def path_name(path: tuple) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int))


_TOP = {"name", "description", "epoch", "seed", "devices", "peers", "links", "traffic", "events", "objectives",
        "trap_targets_allowed", "tasks", "title", "practice", "ca", "boot_wait"}
_CA = {"identity", "url", "subject", "crl_url", "key_size", "validity_days", "ca_validity_days", "crl_hours",
       "approval_delay", "reachable", "reject"}
_DEVICE = {"platform", "hostname", "config", "config_file", "model", "ports", "modules", "ike_bridge",
           "ike_bridge_peers", "options", "listen"}
_LISTEN = re.compile(r"^(ssh|telnet|netconf):(([0-9.]+|\[?[0-9A-Fa-f:]+\]?):)?\d{1,5}(/(plain|rich|auto))?$")
_BRIDGE_PEER = {"address", "port", "nat_port"}
_MODULE = {"slot", "name", "kind", "capacity"}
_PEER = {"name", "address", "psk", "ike", "ipsec", "mode", "answers_dpd", "initiates_dpd",
         "dpd_interval", "dpd_retries", "initiates", "target", "local_ts", "remote_ts",
         "reachable", "latency", "loss", "reject_proposals"}
_LINK = {"name", "endpoints", "latency", "loss", "up"}
_TRAFFIC = {"name", "from", "to", "rate"}
_EVENT = {"at", "do", "after"}
_OBJECTIVE = {"name", "device", "command", "expect", "absent", "points", "hints", "deadline", "tunnel",
              "state", "task"}
_TASK = {"title", "text"}
TUNNEL_STATES = ("up", "down", "negotiating", "standby", "not-present")
_IKE = {"auth", "hash", "cipher", "dh_group", "lifetime_s", "lifetime_kb"}
_IPSEC = {"protocol", "cipher", "auth", "pfs_group", "lifetime_s", "lifetime_kb", "encap"}


def parse_lab(text: str, origin: str = "<lab>", base: Path | None = None) -> LabSpec:
    """Validate a lab file's text; `base` is where `config_file` paths are relative to."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        if not _looks_like_toml(text):
            raise LabError(origin, None, "not a lab file (a lab file is TOML with [devices.NAME] "
                           "tables; see routershell/labs/default.toml)") from None
        if m:
            raise LabError(origin, int(m.group(1)), f"column {m.group(2)}: {msg}") from None
        raise LabError(origin, None, msg) from None
    c = _Checker(text, origin)
    c.table(data, (), _TOP, "the lab file")
    name = c.string(data, "name", (), Path(origin).stem)
    description = c.string(data, "description", (), "")
    epoch = None
    if "epoch" in data:
        v = data["epoch"]
        if isinstance(v, str):
            try:
                v = datetime.fromisoformat(v)
            except ValueError:
                raise c.fail(("epoch",), f"'epoch': {v!r} is not a date and time (e.g. 2026-01-01T00:00:00Z)") from None
        if not isinstance(v, datetime):
            raise c.fail(("epoch",), "'epoch' must be a date and time (e.g. 2026-01-01T00:00:00Z)")
        epoch = v if v.tzinfo is not None else v.replace(tzinfo=UTC)
        if not 1970 <= epoch.year <= 2200:  # the lab clock runs from here for up to a year
            raise c.fail(("epoch",), "'epoch' must be between 1970 and 2200")
    seed = c.integer(data, "seed", (), 0) if "seed" in data else None

    devices = _devices(c, data.get("devices"), base)
    peers = tuple(_peer(c, p, ("peers", i)) for i, p in enumerate(c.array(data.get("peers", []), ("peers",), "peers")))
    links = tuple(_link(c, x, ("links", i)) for i, x in enumerate(c.array(data.get("links", []), ("links",), "links")))
    traffic = tuple(_traffic(c, x, ("traffic", i)) for i, x in enumerate(c.array(data.get("traffic", []), ("traffic",), "traffic")))
    events = tuple(_event(c, x, ("events", i)) for i, x in enumerate(c.array(data.get("events", []), ("events",), "events")))
    tasks = tuple(_task(c, x, ("tasks", i)) for i, x in enumerate(c.array(data.get("tasks", []), ("tasks",), "tasks")))
    objectives = tuple(
        _objective(c, x, ("objectives", i), devices, len(tasks))
        for i, x in enumerate(c.array(data.get("objectives", []), ("objectives",), "objectives"))
    )
    names = {o.name for o in objectives}
    for i, ev in enumerate(events):
        if ev.after is not None and ev.after not in names:
            raise c.fail(("events", i, "after"), f"'after': no objective named {ev.after!r}")
    title = c.string(data, "title", (), description)
    practice = c.table(data.get("practice", {}), ("practice",), _PRACTICE, "[practice]")
    _practice(c, practice)
    _unique(c, [(p.address, ("peers", i, "address")) for i, p in enumerate(peers)], "peer address")
    _unique(c, [(p.name, ("peers", i, "name")) for i, p in enumerate(peers)], "peer name")
    _unique(c, [(x.name, ("links", i, "name")) for i, x in enumerate(links)], "link name")
    _unique(c, [(x.name, ("traffic", i, "name")) for i, x in enumerate(traffic)], "traffic flow name")
    _unique(c, [(x.name, ("objectives", i, "name")) for i, x in enumerate(objectives)], "objective name")
    for i, link in enumerate(links):
        for ep in link.endpoints:
            dev, sep, port = ep.partition(":")
            if sep and not _is_address(ep):
                spec = next((d for d in devices if d.name == dev), None)
                if spec is None:
                    raise c.fail(("links", i, "endpoints"), f"link {link.name!r}: no device {dev!r}")
                if port not in spec.ports:
                    raise c.fail(("links", i, "endpoints"), f"link {link.name!r}: device {dev!r} has no port {port!r}")
            elif not _is_address(ep) and not any(p.name == ep for p in peers):
                raise c.fail(("links", i, "endpoints"), f"link {link.name!r}: {ep!r} is neither device:port nor a peer")
    allowed = c.array(data.get("trap_targets_allowed", []), ("trap_targets_allowed",), "trap_targets_allowed")
    for i, a in enumerate(allowed):
        if not isinstance(a, str) or not _is_address(a):
            raise c.fail(("trap_targets_allowed", i), f"'trap_targets_allowed': {a!r} is not an IP address")
    ca_tables = c.table(data.get("ca", {}), ("ca",), set(data.get("ca", {}) or ()), "ca")
    cas = tuple(_ca(c, name, x, ("ca", name)) for name, x in ca_tables.items())
    _unique(c, [(x.url, ("ca", x.name, "url")) for x in cas], "CA url")
    boot_wait = c.seconds(data, "boot_wait", (), 60.0)
    if not 0 <= boot_wait <= 3600:
        raise c.fail(("boot_wait",), "'boot_wait' must be from 0 to 3600 s")
    return LabSpec(name, origin, devices, peers, links, traffic,
                   tuple(sorted(events, key=lambda e: e.at)), objectives, epoch, seed, description,
                   tuple(allowed), tasks, title, tuple(sorted(practice.items())), cas, boot_wait)


def _ca(c: _Checker, name: str, x: Any, path: tuple) -> CaSpec:
    """`[ca.NAME]`: a CA devices enroll with (its `url` is what a CA profile's `enrollment url`
    names) and that publishes a CRL."""
    c.table(x, path, _CA, "ca")
    key_size = c.integer(x, "key_size", path, 2048, 1024, 4096)
    if key_size not in (1024, 2048, 4096):
        raise c.fail(path + ("key_size",), "'key_size' is 1024, 2048 or 4096")
    subject = c.string(x, "subject", path, "")
    if subject:
        try:
            from ..runtime.pki import parse_subject  # cryptography only for labs with a CA

            parse_subject(subject)
        except ValueError as e:
            raise c.fail(path + ("subject",), f"'subject': {e}") from None
    return CaSpec(name, c.string(x, "identity", path, name), c.string(x, "url", path), subject,
                  c.string(x, "crl_url", path, ""), key_size, c.integer(x, "validity_days", path, 365, 1, 36500),
                  c.integer(x, "ca_validity_days", path, 3650, 1, 36500), float(c.integer(x, "crl_hours", path, 24, 1, 8784)),
                  c.seconds(x, "approval_delay", path, 0.0), c.boolean(x, "reachable", path, True),
                  c.boolean(x, "reject", path, False))


_TOML_LINE = re.compile(r"""\s*(#.*|\[\[?[\w"'. \-]+\]\]?\s*(#.*)?|[\w"'.\-]+\s*=.*)?""")


def _looks_like_toml(text: str) -> bool:
    """Is the start of the file TOML (blank, comment, [table] or key = value lines)? Tells a
    lab file with a typo (reported with its line) from another kind of file altogether."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    return bool(lines) and all(_TOML_LINE.fullmatch(ln) for ln in lines[:5])


def load_lab(path: str | Path) -> LabSpec:
    """Read and validate a lab file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LabError(str(p), None, f"can't read lab file: {getattr(e, 'strerror', None) or e}") from None
    return parse_lab(text, str(p), p.parent)


def default_lab() -> LabSpec:
    """The lab that ships inside the package (routershell/labs/default.toml)."""
    import importlib.resources

    res = importlib.resources.files("routershell.labs")
    text = res.joinpath("default.toml").read_text(encoding="utf-8")
    return parse_lab(text, "default.toml", Path(str(res)))


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _unique(c: _Checker, items: list[tuple[str, tuple]], what: str) -> None:
    seen: set[str] = set()
    for value, path in items:
        if value in seen:
            raise c.fail(path, f"duplicate {what} {value!r}")
        seen.add(value)


def _devices(c: _Checker, value: Any, base: Path | None) -> tuple[DeviceSpec, ...]:
    if value is None:
        raise c.fail((), "a lab needs at least one device ([devices.NAME])")
    if not isinstance(value, dict) or not value:
        raise c.fail(("devices",), "devices must be tables: [devices.NAME]")
    out = []
    for name, d in value.items():
        path = ("devices", name)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]{0,62}", name):
            raise c.fail(path, f"bad device name {name!r} (letters, digits, - and _)")
        c.table(d, path, _DEVICE, f"device {name!r}")
        platform = c.string(d, "platform", path, what=f"device {name!r}")
        if platform not in registry.names():
            raise c.fail(path + ("platform",), f"unknown platform {platform!r} (available: {', '.join(registry.names())})")
        if ("config" in d) == ("config_file" in d):
            raise c.fail(path, f"device {name!r} needs exactly one of 'config' (text) or 'config_file'")
        if "config" in d:
            config = c.string(d, "config", path)
            origin, first = c.origin, (c.keys.line(path + ("config",)) or 0) + 1
        else:
            rel = c.string(d, "config_file", path)
            file = (base or Path(".")) / rel
            try:
                config = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                # say where: a copied lab file reads its config_file beside itself, not in
                # the directory the shell was started from
                hint = (" (a relative config_file is read from the lab file's directory)"
                        if not Path(rel).is_absolute() else "")
                raise c.fail(path + ("config_file",),
                             f"can't read {rel!r}: {getattr(e, 'strerror', None) or e}: "
                             f"looked for {file.absolute()}{hint}") from None
            origin, first = str(file) if base is not None else rel, 1
        problem = _check_startup(platform, config)
        if problem is not None:
            line, message = problem
            raise LabError(origin, first + line - 1, f"device {name!r}: startup configuration: {message}")
        ports = d.get("ports", [])
        if not isinstance(ports, list) or not all(isinstance(p, str) and p for p in ports):
            raise c.fail(path + ("ports",), "'ports' must be a list of port names")
        if len(set(ports)) != len(ports):
            raise c.fail(path + ("ports",), "duplicate port name")
        mods = []
        for i, m in enumerate(c.array(d.get("modules", []), path + ("modules",), "modules")):
            mp = path + ("modules", i)
            c.table(m, mp, _MODULE, "module")
            mods.append(ModuleSpec(
                str(c.string(m, "slot", mp, what="module")), c.string(m, "name", mp, what="module"),
                c.string(m, "kind", mp, "services"), c.integer(m, "capacity", mp, 0, 0, 1_000_000)))
        _unique(c, [(m.slot, path + ("modules", i, "slot")) for i, m in enumerate(mods)], "module slot")
        bridge, bridge_peers = _bridge(c, d, path)
        options = d.get("options", {})
        if not isinstance(options, dict):
            raise c.fail(path + ("options",), "'options' must be a table: [devices.NAME.options]")
        listen = d.get("listen", [])
        if not isinstance(listen, list) or not all(isinstance(x, str) and _LISTEN.match(x)
                                                   and int(x.split("/")[0].rsplit(":", 1)[1]) < 65536
                                                   for x in listen):
            raise c.fail(path + ("listen",), 'listen wants a list such as ["ssh:2223", '
                         '"telnet:2324", "netconf:8301"] (PROTO:[ADDRESS:]PORT)')
        out.append(DeviceSpec(
            name, platform, c.string(d, "hostname", path, name), config, c.string(d, "model", path, ""),
            tuple(ports), tuple(mods), bridge, bridge_peers, origin, first, tuple(sorted(options.items())),
            tuple(listen)))
    return tuple(out)


def _bridge(c: _Checker, d: dict, path: tuple) -> tuple[tuple[str, int] | None, tuple[tuple[str, int, int], ...]]:
    """`ike_bridge = "127.0.0.1:500"` (same as --ike-bridge) and its `ike_bridge_peers`."""
    from ..runtime.bridge import BridgeError, parse_bridge_option

    text = c.string(d, "ike_bridge", path, None)
    where = None
    if text is not None:
        try:
            where = parse_bridge_option(f"{path[-1]}={text}")[1]
        except BridgeError:
            raise c.fail(path + ("ike_bridge",), f"ike_bridge wants \"ADDRESS:PORT\", not {text!r}") from None
    peers = []
    raw = d.get("ike_bridge_peers", [])
    if raw and where is None:
        raise c.fail(path + ("ike_bridge_peers",), "ike_bridge_peers needs ike_bridge")
    for i, p in enumerate(c.array(raw, path + ("ike_bridge_peers",), "ike_bridge_peers")):
        pp = path + ("ike_bridge_peers", i)
        c.table(p, pp, _BRIDGE_PEER, "bridge peer")
        addr = c.address(p, "address", pp)
        peers.append((addr, c.integer(p, "port", pp, 500, 1, 65535), c.integer(p, "nat_port", pp, 4500, 1, 65535)))
    return where, tuple(peers)


def _check_startup(platform: str, text: str) -> tuple[int, str] | None:
    """(line within the text, message) if the platform can't read this startup configuration."""
    return registry.get(platform).check_startup(text)


def _proposals(c: _Checker, value: Any, path: tuple, kind: str) -> tuple:
    cls, allowed = (IkeProposal, _IKE) if kind == "ike" else (IpsecProposal, _IPSEC)
    if value is None:
        return (cls(),)
    if not isinstance(value, list) or not value:
        raise c.fail(path, f"{path[-1]!r} must be a non-empty list of tables, e.g. [{{cipher = \"3des\"}}]")
    out = []
    for p in value:
        c.table(p, path, allowed, f"{kind} proposal")
        for key, lo in (("lifetime_s", 1), ("lifetime_kb", 0)):
            if key in p:
                v = p[key]
                if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= 0xFFFFFFFF:
                    raise c.fail(path, f"{kind} proposal: {key!r} must be an integer ({lo}..4294967295)")
        try:
            out.append(cls(**p))
        except (TypeError, ValueError, KeyError) as e:
            raise c.fail(path, f"bad {kind} proposal {p}: {e}") from None
    return tuple(out)


def _peer(c: _Checker, p: Any, path: tuple) -> LabPeer:
    c.table(p, path, _PEER, "peer")
    address = c.address(p, "address", path)
    mode = c.string(p, "mode", path, "main")
    if mode not in ("main", "aggressive"):
        raise c.fail(path + ("mode",), "'mode' is main or aggressive")
    local_ts, remote_ts = c.prefix(p, "local_ts", path), c.prefix(p, "remote_ts", path)
    if (local_ts is None) != (remote_ts is None):
        raise c.fail(path + ("local_ts" if local_ts is None else "remote_ts",), "give both local_ts and remote_ts, or neither")
    initiates = c.boolean(p, "initiates", path, False)
    target = c.address(p, "target", path, None)
    if initiates and target is None:
        raise c.fail(path + ("initiates",), "a peer that initiates needs 'target' (the device address)")
    ike = _proposals(c, p.get("ike"), path + ("ike",), "ike")
    psk = c.string(p, "psk", path, None)
    if any(x.auth == "psk" for x in ike) and not psk:
        raise c.fail(path, "a peer with pre-shared-key proposals needs 'psk'")
    return LabPeer(
        name=c.string(p, "name", path, address), address=address, psk=psk,
        ike_proposals=ike, ipsec_proposals=_proposals(c, p.get("ipsec"), path + ("ipsec",), "ipsec"),
        mode=mode, answers_dpd=c.boolean(p, "answers_dpd", path, True),
        initiates_dpd=c.boolean(p, "initiates_dpd", path, False),
        dpd_interval=c.positive_seconds(p, "dpd_interval", path, 10.0),
        dpd_retries=c.integer(p, "dpd_retries", path, 5, 1, 100),
        initiates=initiates, target=target, local_ts=local_ts, remote_ts=remote_ts,
        reachable=c.boolean(p, "reachable", path, True), latency=c.seconds(p, "latency", path, 0.0),
        line=c.keys.line(path + ("address",)) or 0,
        loss=c.percent(p, "loss", path),
        reject_proposals=c.integer(p, "reject_proposals", path, 0, 0, 1000))


def _link(c: _Checker, x: Any, path: tuple) -> LinkSpec:
    c.table(x, path, _LINK, "link")
    eps = c.req(x, "endpoints", path, "link")
    if not isinstance(eps, list) or len(eps) != 2 or not all(isinstance(e, str) for e in eps):
        raise c.fail(path + ("endpoints",), "'endpoints' must be two strings (\"device:port\" or a peer)")
    return LinkSpec(c.string(x, "name", path, what="link"), tuple(eps), c.seconds(x, "latency", path, 0.0),
                    c.percent(x, "loss", path), c.boolean(x, "up", path, True))


def _traffic(c: _Checker, x: Any, path: tuple) -> TrafficSpec:
    c.table(x, path, _TRAFFIC, "traffic flow")
    return TrafficSpec(c.string(x, "name", path, what="traffic flow"), c.address(x, "from", path),
                       c.address(x, "to", path), c.integer(x, "rate", path, 10, 1, 1_000_000))


def _event(c: _Checker, x: Any, path: tuple) -> EventSpec:
    c.table(x, path, _EVENT, "event")
    after = c.string(x, "after", path, None)
    at_text = c.req(x, "at", path, "event") if after is None else x.get("at", 0)
    try:
        at = parse_offset(at_text) if isinstance(at_text, str) else float(at_text)
        if isinstance(at_text, bool) or not math.isfinite(at) or not 0 <= at <= MAX_SECONDS:
            raise ClockError(f"{at_text!r} is not a time from 0 to {MAX_SECONDS:.0f} s after boot")
    except (ClockError, TypeError, ValueError) as e:
        raise c.fail(path + ("at",), f"'at': {e}") from None
    do = c.string(x, "do", path, what="event").strip()
    if do.startswith("lab "):
        do = do[4:].strip()
    from .control import LabCommandError, parse_lab_command
    from .handlers import CHANGES  # the commands that change the world; the rest can't be timed

    try:
        match = parse_lab_command(do)
    except LabCommandError as e:
        raise c.fail(path + ("do",), f"'do': {e}") from None
    if match.handler not in CHANGES:
        raise c.fail(path + ("do",), f"'do': `lab {do}` can't be a timed event")
    target = str(match.args.get("file", "")) if match.handler == "lab-capture-start" else ""
    if target and (Path(target).is_absolute() or ".." in Path(target).parts):
        # events are confined to the device home (config/files.py): say so now, not at run time
        raise c.fail(path + ("do",), f"'do': a timed capture writes into the device's home: "
                     f"name a file there, not {target!r}")
    return EventSpec(at, do, c.keys.line(path + ("do",)) or 0, after)


def _objective(c: _Checker, x: Any, path: tuple, devices: tuple[DeviceSpec, ...], ntasks: int = 0) -> ObjectiveSpec:
    c.table(x, path, _OBJECTIVE, "objective")
    device = c.string(x, "device", path, devices[0].name)
    if not any(d.name == device for d in devices):
        raise c.fail(path + ("device",), f"no device {device!r} in this lab")
    tunnel = c.address(x, "tunnel", path, None)
    state = c.string(x, "state", path, "up")
    if state not in TUNNEL_STATES:
        raise c.fail(path + ("state",), f"'state' is one of: {', '.join(TUNNEL_STATES)}")
    if tunnel is not None:
        for key in ("command", "expect", "absent"):
            if key in x:
                raise c.fail(path + (key,), f"an objective checks either 'tunnel' (live state) or 'command', not both ({key!r})")
        command = expect = ""
    else:
        if "state" in x:
            raise c.fail(path + ("state",), "'state' goes with 'tunnel'")
        expect = c.string(x, "expect", path, what="objective")
        try:
            re.compile(expect)
        except re.error as e:
            raise c.fail(path + ("expect",), f"'expect' is not a regular expression: {e}") from None
        command = c.string(x, "command", path, what="objective (or 'tunnel')")
    hints = x.get("hints", [])
    if isinstance(hints, str):
        hints = [hints]
    if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
        raise c.fail(path + ("hints",), "'hints' must be a list of strings")
    deadline = None
    if "deadline" in x:
        v = x["deadline"]
        try:
            deadline = parse_offset(v) if isinstance(v, str) else float(v)
            if isinstance(v, bool) or not math.isfinite(deadline) or not 0 <= deadline <= MAX_SECONDS:
                raise ClockError(f"{v!r} is not a lab time from 0 to {MAX_SECONDS:.0f} s")
        except (ClockError, TypeError, ValueError) as e:
            raise c.fail(path + ("deadline",), f"'deadline': {e}") from None
    task = c.integer(x, "task", path, 1, 1, max(ntasks, 1)) if "task" in x else None
    if task is not None and ntasks == 0:
        raise c.fail(path + ("task",), "'task' names a [[tasks]] entry, and this lab has none")
    name = c.string(x, "name", path, command or f"tunnel to {tunnel} {state}")
    return ObjectiveSpec(name, device, command, expect,
                         c.boolean(x, "absent", path, False), c.keys.line(path) or 0,
                         c.integer(x, "points", path, 1, 0, 1000), tuple(h.strip() for h in hints),
                         deadline, tunnel, state, task)


def _task(c: _Checker, x: Any, path: tuple) -> TaskSpec:
    c.table(x, path, _TASK, "task")
    text = c.string(x, "text", path, what="task").strip()
    if not text:
        raise c.fail(path + ("text",), "'text' is empty")
    return TaskSpec(c.string(x, "title", path, text.splitlines()[0][:60]), text, c.keys.line(path) or 0)


# [practice]: the values practice mode may redraw. `psk` lists the places a pre-shared key
# appears (every peer and the devices' startup texts get the same new key); `addresses` maps a
# lab address to a pool prefix it is redrawn from; `names` maps a name to a list to draw from.
_PRACTICE = {"psk", "addresses", "names", "minutes"}


def _practice(c: _Checker, p: dict) -> None:
    path = ("practice",)
    if "psk" in p and not isinstance(p["psk"], str):
        raise c.fail(path + ("psk",), "'psk' must be a string (the key to redraw)")
    addrs = p.get("addresses", {})
    if not isinstance(addrs, dict):
        raise c.fail(path + ("addresses",), "'addresses' must be a table: address = \"POOL/PREFIX\"")
    for a, pool in addrs.items():
        if not _is_address(a):
            raise c.fail(path + ("addresses",), f"'addresses': {a!r} is not an IP address")
        try:
            ipaddress.ip_network(pool, strict=False)
        except (TypeError, ValueError):
            raise c.fail(path + ("addresses",), f"'addresses': {pool!r} is not an address prefix") from None
    names = p.get("names", {})
    if not isinstance(names, dict) or not all(
            isinstance(v, list) and v and all(isinstance(n, str) and re.fullmatch(r"[A-Za-z][\w-]*", n) for n in v)
            for v in names.values()):
        raise c.fail(path + ("names",), "'names' must be a table: name = [\"choice\", ...]")
    if "minutes" in p:
        c.integer(p, "minutes", path, 10, 1, 600)
