"""`lab …` commands that change the world: peers, links, loss, modules, traffic, capture, clock
mode. Synchronous, so a timed [[events]] entry runs them from the scheduler; these are the only
commands a lab file's events may name (labfile checks against CHANGES)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config.files import FileAccessError
from ..grammar.parser import CommandMatch
from ..runtime.clock import format_hms, parse_mode
from .control import LabCommandError, pct
from .handlers import CHANGES

if TYPE_CHECKING:
    from .control import LabControl


def _percent(text: str) -> float:
    try:
        v = float(text.rstrip("%"))
    except ValueError:
        raise LabCommandError(f"loss must be a percentage (0..100), not {text!r}") from None
    if not 0 <= v <= 100:
        raise LabCommandError("loss must be between 0 and 100 percent")
    return v


@CHANGES.handler("lab-clock-mode")
def clock_mode(ctl: LabControl, m: CommandMatch) -> str:
    host = ctl.host
    _, rate = parse_mode(str(m.args["mode"]))
    if host.bridges and rate != 1.0:
        # a real peer on the other side of a bridge lives in real time
        raise LabCommandError(
            f"an IKE bridge is open ({', '.join(sorted(host.bridges))}): "
            "the lab clock stays in real time (real or x1)")
    host.clock.set_mode(str(m.args["mode"]))
    return f"Lab clock mode: {host.clock.mode} (lab time {format_hms(host.clock.now())}).\n"


@CHANGES.handler("lab-peer-state")
def peer_state(ctl: LabControl, m: CommandMatch) -> str:
    addr = str(m.args["address"])
    ctl.need_peer(addr)
    if m.words[-1] == "down":
        ctl.world.peer_down(addr)
        ctl.peer_down.add(addr)
        return f"Peer {addr} is down.\n"
    ctl.world.peer_up(addr)
    ctl.peer_down.discard(addr)
    return f"Peer {addr} is up.\n"


@CHANGES.handler("lab-peer-delete")
def peer_delete(ctl: LabControl, m: CommandMatch) -> str:
    addr = str(m.args["address"])
    ctl.need_peer(addr)
    n = ctl.world.peer_delete(addr)
    if not n:
        raise LabCommandError(f"peer {addr} has no IPsec SA to delete")
    return f"Peer {addr} deleted its most recent IPsec SA{'s' if n > 1 else ''} (Delete sent).\n"


@CHANGES.handler("lab-peer-psk")
def peer_psk(ctl: LabControl, m: CommandMatch) -> str:
    addr = str(m.args["address"])
    ctl.need_peer(addr)
    ctl.world.peer_config(addr, psk=str(m.args["key"]))
    return f"Peer {addr} now uses a new pre-shared key.\n"


def _ca(ctl: LabControl, m: CommandMatch):
    name = str(m.args["name"])
    ca = getattr(ctl.world, "cas", {}).get(name)
    if ca is None:
        raise LabCommandError(f"no CA {name!r} in this lab")
    return ca


@CHANGES.handler("lab-ca-revoke")
def ca_revoke(ctl: LabControl, m: CommandMatch) -> str:
    ca = _ca(ctl, m)
    text = str(m.args["serial"]).lower().removeprefix("0x")
    try:
        serial = int(text, 16)
    except ValueError:
        raise LabCommandError(f"{text!r} is not a hexadecimal serial number") from None
    if serial in ca.revoked:
        return f"Certificate {serial:x} is already revoked by CA {ca.spec.name}.\n"
    if not ca.revoke(serial):
        raise LabCommandError(f"CA {ca.spec.name} issued no certificate with serial {serial:x}")
    return f"CA {ca.spec.name} revoked certificate {serial:x}; its next CRL lists it.\n"


@CHANGES.handler("lab-ca-state")
def ca_state(ctl: LabControl, m: CommandMatch) -> str:
    ca = _ca(ctl, m)
    up = m.words[-1] == "up"
    ca.reachable = up
    return f"CA {ca.spec.name} is {'answering' if up else 'not answering'}.\n"


@CHANGES.handler("lab-link")
def link(ctl: LabControl, m: CommandMatch) -> str:
    name = str(m.args["name"])
    spec = next((x for x in ctl.host.spec.links if x.name == name), None)
    if spec is None:
        raise LabCommandError(f"no link {name!r} in this lab")
    down = m.words[-1] == "down"
    if down:
        ctl.world.link_down(name)
        ctl.link_down.add(name)
    else:
        ctl.world.link_up(name)
        ctl.link_down.discard(name)
    _link_traps(ctl, spec.endpoints, up=not down)
    return f"Link {name} is {'down' if down else 'up'}.\n"


def _link_traps(ctl: LabControl, endpoints: tuple[str, ...], up: bool) -> None:
    """IF-MIB linkUp/linkDown from each device port on the link (ifIndex: port order)."""
    from ..runtime import notify

    for ep in endpoints:
        dev_name, sep, port = ep.partition(":")
        dev = ctl.host.devices.get(dev_name) if sep else None
        if dev is None:
            continue
        names = [p.name for p in dev.ports]
        if port in names:
            index = names.index(port) + 1
            notify.emit(dev, "link-up" if up else "link-down", notify.link_varbinds(index, port, up))


@CHANGES.handler("lab-loss")
def loss(ctl: LabControl, m: CommandMatch) -> str:
    value = _percent(str(m.args["percent"]))
    addr = m.args.get("peer")
    if addr is not None:
        ctl.need_peer(str(addr))
    ctl.world.set_loss(value, str(addr) if addr is not None else None)
    ctl.loss[str(addr) if addr is not None else None] = value
    where = f" towards peer {addr}" if addr is not None else ""
    return f"Packet loss{where} set to {pct(value)}.\n"


@CHANGES.handler("lab-module")
def module(ctl: LabControl, m: CommandMatch) -> str:
    dev, slot = str(m.args["device"]), str(m.args["slot"])
    device = ctl.host.devices.get(dev)
    if device is None:
        raise LabCommandError(f"no device {dev!r} in this lab")
    if not any(str(mod.slot) == slot for mod in getattr(device, "modules", [])):
        raise LabCommandError(f"device {dev} has no module in slot {slot}")
    if m.words[-1] == "fail":
        ctl.world.module_fail(dev, slot)
        return f"Module {slot} of {dev} failed.\n"
    ctl.world.module_restore(dev, slot)
    return f"Module {slot} of {dev} restored.\n"


@CHANGES.handler("lab-module-insert")
def module_insert(ctl: LabControl, m: CommandMatch) -> str:
    dev, slot = str(m.args["device"]), str(m.args["slot"])
    device = ctl.host.devices.get(dev)
    if device is None:
        raise LabCommandError(f"no device {dev!r} in this lab")
    mods = list(getattr(device, "modules", []))
    if not mods:
        raise LabCommandError(f"device {dev} has no module slots")
    if any(str(mod.slot) == slot for mod in mods):
        raise LabCommandError(f"device {dev} already has a module in slot {slot}")
    capacity = int(m.args.get("capacity", mods[0].capacity))
    ctl.world.module_insert(dev, slot, mods[0].kind, capacity)
    return f"Module {slot} of {dev} inserted ({capacity} tunnels).\n"


@CHANGES.handler("lab-traffic-start")
def traffic_start(ctl: LabControl, m: CommandMatch) -> str:
    name = str(m.args["name"])
    if name in ctl.flows:
        raise LabCommandError(f"traffic flow {name!r} is already running")
    src, dst, rate = str(m.args["from"]), str(m.args["to"]), int(m.args.get("rate", 10))
    ctl.world.traffic_start(name, src, dst, rate_pps=rate)
    ctl.flows[name] = (src, dst, rate)
    return f"Traffic flow {name} started: {src} to {dst} at {rate} pps.\n"


@CHANGES.handler("lab-traffic-stop")
def traffic_stop(ctl: LabControl, m: CommandMatch) -> str:
    name = str(m.args["name"])
    if name not in ctl.flows:
        raise LabCommandError(f"no traffic flow {name!r} running")
    ctl.world.traffic_stop(name)
    del ctl.flows[name]
    return f"Traffic flow {name} stopped.\n"


@CHANGES.handler("lab-capture-start")
def capture_start(ctl: LabControl, m: CommandMatch) -> str:
    if ctl.capture is not None:
        raise LabCommandError(f"already capturing to {ctl.capture}")
    path = str(m.args["file"])
    try:
        ctl.world.capture_start(ctl.user_path(path))
    except FileAccessError:
        raise LabCommandError(f"can't write {path}: outside the device's home directory") from None
    except (OSError, ValueError) as e:  # WorldError, CaptureError: the capture never starts
        raise LabCommandError(f"can't write {path}: {getattr(e, 'strerror', None) or e}") from None
    ctl.capture = path
    return f"Capturing lab datagrams to {path}.\n"


@CHANGES.handler("lab-capture-stop")
def capture_stop(ctl: LabControl, m: CommandMatch) -> str:
    if ctl.capture is None:
        raise LabCommandError("no capture is running")
    path, ctl.capture = ctl.capture, None  # stopped whatever happens to the file
    try:
        n = ctl.world.capture_stop()
    except (OSError, ValueError) as e:  # WorldError, CaptureError: nothing written
        raise LabCommandError(f"capture stopped, but {path} was not written: {e}") from None
    return f"Capture stopped: {n} datagram{'s' if n != 1 else ''} written to {path}.\n"
