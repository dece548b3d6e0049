"""Junos operational commands for AS/MS PIC IPsec: show, clear, request (registered by name in
registry.HANDLERS). Show commands build a Record and return text so `| display json|xml`
works."""

from __future__ import annotations

from typing import Any

from ..op_commands import render
from ..registry import handler
from . import hooks, shows
from .config import child, entries, read, value
from .pics import configured_pics, pic_up, set_pic


def _tunnels(device: Any) -> list[Any]:
    tm = device.tunnels
    # es- tunnels (ES PIC, platforms/junos/security) have their own shows
    return [t for t in tm.tunnels() if "es-unit" not in t.spec.labels] if tm is not None else []


def _specs(device: Any) -> list[Any]:
    return device.driver.ipsec_specs or hooks.apply(device)


def _ike_sas(device: Any) -> tuple[list[Any], dict[str, str]]:
    tm = device.tunnels
    sas: list[Any] = []
    local_of: dict[str, str] = {}
    if tm is None:
        return sas, local_of
    for local in dict.fromkeys(s.local for s in _specs(device)):
        ep = tm.endpoint(local)
        db = getattr(ep, "sadb", None) if ep is not None else None
        for sa in (db.ike.values() if db is not None else ()):
            if not getattr(sa, "superseded", False):
                sas.append(sa)
                local_of[sa.peer[0]] = local
    return sas, local_of


@handler("op-show-ike-sa")
async def show_ike_sa(session, match, out, io):
    sas, local_of = _ike_sas(session.device)
    peer = match.args.get("peer-address")
    if peer:
        sas = [s for s in sas if s.peer[0] == str(peer)]
    rec, text = shows.ike_sas(sas, session.device.now(), bool(match.args.get("detail")), local_of)
    return render(session, rec, text)


@handler("op-show-ipsec-sa")
async def show_ipsec_sa(session, match, out, io):
    ss = match.args.get("service-set")
    peer = match.args.get("peer-address")
    rec, text = shows.ipsec_sas(_tunnels(session.device), session.device.now(), bool(match.args.get("detail")),
                                str(ss) if ss else None, str(peer) if peer else None)
    return render(session, rec, text)


@handler("op-show-ipsec-statistics")
async def show_ipsec_statistics(session, match, out, io):
    ss = match.args.get("service-set")
    gw = match.args.get("remote-gw")
    rec, text = shows.ipsec_statistics(_tunnels(session.device), str(ss) if ss else None, str(gw) if gw else None)
    return render(session, rec, text)


@handler("op-show-ipsec-certificates")
async def show_certificates(session, match, out, io):
    tree = session.device.store.active
    cfg = read(tree)
    sets = [s for s in cfg.service_sets.values() if not match.args.get("service-set") or s.name == match.args["service-set"]]
    pki = child(child(tree, "security"), "pki")
    cas = {p.key or "": value(p, "ca-identity") or (p.key or "") for p in entries(pki, "ca-profile")}
    from ..pki.state import store_of

    store = store_of(session.device)
    local: dict[str, list] = {}
    for ss in sets:  # the local certificates the service set's IKE policies name
        ids = dict.fromkeys(value(cfg.ike_policies.get(t.ike_policy or ""), "local-certificate")
                            for rule in cfg.rules_of(ss) for t in rule.terms)
        local[ss.name] = [store.local[i] for i in ids if i in store.local]
    rec, text = shows.certificates(sets, cas, dict(store.ca), local)
    return render(session, rec, text)


@handler("op-show-service-sets-summary")
async def show_service_sets_summary(session, match, out, io):
    dev = session.device
    cfg = read(dev.store.active)
    rec, text = shows.service_sets_summary(list(cfg.service_sets.values()), _tunnels(dev), lambda s: pic_up(dev, s))
    return render(session, rec, text)


@handler("op-show-service-sets-statistics")
async def show_service_sets_statistics(session, match, out, io):
    cfg = read(session.device.store.active)
    rec, text = shows.service_sets_statistics(list(cfg.service_sets.values()), _tunnels(session.device))
    return render(session, rec, text)


def _pic_slots(device: Any) -> list[tuple[str, bool, str]]:
    slots: dict[str, tuple[bool, str]] = {}
    for m in device.modules:
        parts = str(m.slot).split("/")
        if len(parts) < 2:  # not an FPC/PIC position (another platform's module numbering)
            continue
        kind = getattr(m, "kind", "")
        slots["/".join(parts[:2])] = (bool(m.up), "Adaptive Services PIC" if kind in ("services", "services-pic", "") else str(kind))
    for s in configured_pics(device.store.active):
        slots.setdefault(s, (pic_up(device, s), "Adaptive Services PIC"))
    return [(s, up, desc) for s, (up, desc) in sorted(slots.items())]


@handler("op-show-chassis-pic-status")
async def show_pic_status(session, match, out, io):
    rec, text = shows.pic_status(_pic_slots(session.device))
    return render(session, rec, text)


@handler("op-request-chassis-pic")
async def request_pic(session, match, out, io):
    dev = session.device
    fpc, pic = int(match.args["fpc-slot"]), int(match.args["pic-slot"])
    action = str(match.args.get("value"))
    slot = f"{fpc}/{pic}"
    if slot not in {s for s, _, _ in _pic_slots(dev)}:
        out.write(f"error: FPC {fpc} PIC {pic} is not present\n")
        return None
    set_pic(dev, slot, action == "online")
    dev.syslog(f"chassisd[1010]: CHASSISD_IFDEV_DETACH_PIC: PIC {slot} {'online' if action == 'online' else 'offline'} by request")
    hooks.pic_changed(dev, slot)
    out.write(f"fpc {fpc} pic {pic} {action} initiated, use \"show chassis fpc pic-status\" to verify\n")
    return None


@handler("op-request-ipsec-switch")
async def request_switch(session, match, out, io):
    dev = session.device
    local, remote = str(match.args["local-gateway"]), str(match.args["remote-gateway"])
    tm = dev.tunnels
    switched = tm.switch(local, remote, dev.now()) if tm is not None else []
    if not switched:
        out.write(f"error: no backup tunnel for local-gateway {local} remote-gateway {remote}\n")
        return None
    # say where the traffic went (the gateway given may be the one switched away from)
    for gw in dict.fromkeys(gw for _, gw in switched):
        out.write(f"IPSec tunnel switched to remote-gateway {gw}\n")
    return None


@handler("op-clear-ike-sa")
async def clear_ike(session, match, out, io):
    dev = session.device
    peer = match.args.get("peer-address") or match.args.get("remote-gateway")
    tm = dev.tunnels
    if tm is not None:
        tm.clear_ike(str(peer) if peer else None, dev.now())
    return None


@handler("op-clear-ipsec-sa")
async def clear_ipsec(session, match, out, io):
    dev = session.device
    tm = dev.tunnels
    if tm is None:
        return None
    ss = match.args.get("service-set")
    gw = match.args.get("remote-gateway")
    names = [t.spec.name for t in _tunnels(dev)
             if (not ss or t.spec.labels.get("service-set") == ss) and (not gw or t.active_gateway == str(gw))]
    if not ss and not gw and len(names) == len(tm.tunnels()):
        tm.clear_ipsec(None, dev.now())
    else:
        for n in names:
            tm.clear_ipsec(n, dev.now())
    return None
