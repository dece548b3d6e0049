"""ES PIC operational commands: `show ipsec security-associations [NAME] [detail]`,
`show ipsec redundancy [interface es-...]`, `request ipsec switch interface es-...`.

Manual SAs are installed at commit (there is no negotiation), so what the SA table shows is the
active configuration: each SA with its directions, SPIs, mode, protocol and algorithms, and the
es- units, filters and routing protocols that use it. Redundancy: an es- unit with a
`tunnel backup-destination` sends to its destination until `request ipsec switch` moves it to the
backup (and back); the choice is kept per device (`device.es_active`) and forgotten when the
unit's tunnel endpoints change in a commit.
"""

from __future__ import annotations

from typing import Any

from ....cli.records import Record
from ..op_commands import render
from ..registry import handler
from .config import EsConfig, EsUnit, read


def _cfg(session: Any) -> EsConfig:
    return read(session.device.store.active)


def active_destination(device: Any, unit: EsUnit) -> tuple[str | None, str]:
    """(address, "primary"|"backup") the unit's tunnel uses now."""
    state: dict[str, tuple] = getattr(device, "es_active", None) or {}
    key = (unit.destination, unit.backup)
    saved = state.get(unit.name)
    if saved is not None and saved[0] == key and saved[1] == "backup" and unit.backup:
        return unit.backup, "backup"
    return unit.destination, "primary"


def tunnel_counters(device: Any, unit: str) -> dict[str, int] | None:
    """Traffic on an es- unit's manual SA (runtime SA counters) and the packets its SA refused
    (another SPI or other keys at the far end); None when the unit has no tunnel running."""
    tm = device.tunnels
    st = tm.tunnel(f"es/{unit}") if tm is not None else None
    if st is None:
        return None
    sas = st.ipsec_sas or []
    errors = tm.errors.get(f"es/{unit}", {})
    return {"input-packets": sum(s.packets_in for s in sas), "output-packets": sum(s.packets_out for s in sas),
            "input-bytes": sum(s.bytes_in for s in sas), "output-bytes": sum(s.bytes_out for s in sas),
            "bad-spi-errors": errors.get("bad-spi", 0) + tm.errors.get("", {}).get("bad-spi", 0),
            "authentication-errors": errors.get("authentication", 0)}


@handler("op-show-es-ipsec-sa")
async def show_ipsec_sas(session, match, out, io):
    cfg = _cfg(session)
    want = match.args.get("sa-name")
    detail = "detail" in match.args
    users: dict[str, list[str]] = {}
    for use in cfg.uses:
        users.setdefault(use.sa, []).append(f"{use.kind} {use.where}")
    rec = Record("ipsec-security-associations-information")
    text = ""
    for sa in cfg.sas.values():
        if want and sa.name != want:
            continue
        r = rec.add("ipsec-security-associations-block")
        r.add("sa-name", sa.name)
        text += f"Security association: {sa.name}\n"
        if detail:
            units = [u for u in cfg.es_units.values() if u.ipsec_sa == sa.name]
            for u in units:
                dest, role = active_destination(session.device, u)
                text += f"  Interface: {u.name}, Local gateway: {u.source}, Remote gateway: {dest} ({role})\n"
                c = tunnel_counters(session.device, u.name)
                if c is not None:
                    st = r.add("ipsec-tunnel-statistics")
                    for k, v in c.items():
                        st.add(k, v)
                    text += (f"    Packets in {c['input-packets']}, out {c['output-packets']}; "
                             f"Bytes in {c['input-bytes']}, out {c['output-bytes']}\n"
                             f"    Errors: bad SPI {c['bad-spi-errors']}, authentication {c['authentication-errors']}\n")
            if users.get(sa.name):
                text += f"  Used by: {', '.join(users[sa.name])}\n"
        text += "  Direction SPI         AUX-SPI     Mode       Type     Protocol\n"
        mode = sa.mode or "tunnel"
        rows = []
        for md in sa.manual or []:
            dirs = ("inbound", "outbound") if md.direction == "bidirectional" else (md.direction,)
            rows += [(d, md) for d in dirs]
        for direction, md in rows:
            e = r.add("ipsec-security-associations")
            for k, v in (("sa-direction", direction), ("sa-spi", md.spi), ("sa-aux-spi", md.aux_spi or 0),
                         ("sa-mode", mode), ("sa-type", "manual"), ("sa-protocol", (md.protocol or "").upper())):
                e.add(k, v)
            text += (f"  {direction:<9} {md.spi or 0:<11} {md.aux_spi or 0:<11} {mode:<10} {'manual':<8} "
                     f"{(md.protocol or '').upper()}\n")
            if detail:
                text += (f"    Authentication: {md.auth_alg or 'none'}, Encryption: {md.enc_alg or 'none'}\n")
        if sa.dynamic:
            tm = session.device.tunnels
            for u in (u for u in cfg.es_units.values() if u.ipsec_sa == sa.name):
                st = tm.tunnel(f"es/{u.name}") if tm is not None else None
                live = [x for x in (st.ipsec_sas or []) if not x.superseded] if st is not None else []
                # both ends start "immediately": a simultaneous pair is possible; traffic uses the newest
                for ipsa in sorted(live, key=lambda x: x.created_at)[-1:]:
                    for direction, spi in (("inbound", ipsa.inbound_spi), ("outbound", ipsa.outbound_spi)):
                        e = r.add("ipsec-security-associations")
                        for k, v in (("sa-direction", direction), ("sa-spi", spi), ("sa-aux-spi", 0), ("sa-mode", mode),
                                     ("sa-type", "dynamic"), ("sa-protocol", ipsa.protocol.upper())):
                            e.add(k, v)
                        text += (f"  {direction:<9} {spi:<11} {0:<11} {mode:<10} {'dynamic':<8} "
                                 f"{ipsa.protocol.upper()}\n")
    if want and not text:
        return f"error: security association {want} not found\n"
    return render(session, rec, text)


@handler("op-show-es-ipsec-redundancy")
async def show_ipsec_redundancy(session, match, out, io):
    cfg = _cfg(session)
    want = (match.args.get("interface-name") or match.args.get("interface"))
    rec = Record("ipsec-redundancy-information")
    text = ""
    for u in cfg.es_units.values():
        if want and u.name != want:
            continue
        dest, role = active_destination(session.device, u)
        r = rec.add("ipsec-redundancy")
        for k, v in (("interface-name", u.name), ("primary-destination", u.destination or ""),
                     ("backup-destination", u.backup or ""), ("active-destination", dest or ""), ("active-role", role)):
            r.add(k, v)
        text += (f"Interface: {u.name}\n  Source: {u.source}, Destination: {u.destination}, "
                 f"Backup destination: {u.backup or 'none'}\n  Active: {dest} ({role})\n")
    if want and not text:
        return f"error: interface {want} is not an ES PIC tunnel interface\n"
    return render(session, rec, text)


@handler("op-request-es-ipsec-switch")
async def request_ipsec_switch(session, match, out, io):
    cfg = _cfg(session)
    name = (match.args.get("interface-name") or match.args.get("interface"))
    u = cfg.es_units.get(name)
    if u is None:
        return f"error: interface {name} is not an ES PIC tunnel interface\n"
    if not u.backup:
        return f"error: interface {name} has no backup-destination\n"
    dev = session.device
    state = getattr(dev, "es_active", None)
    if state is None:
        state = dev.es_active = {}
    _dest, role = active_destination(dev, u)
    new = "primary" if role == "backup" else "backup"
    state[u.name] = ((u.destination, u.backup), new)
    target = u.backup if new == "backup" else u.destination
    from ..ipsec import hooks

    hooks.apply(dev)  # the es- tunnel's SA now points at the other destination
    dev.syslog(f"kmd: KMD_VPN_SWITCH: {u.name} switched from {role} to {new} destination {target} (operator request)")
    return f"{u.name}: switched to {new} destination {target}\n"


@handler("op-show-es-ike-sa")
async def show_ike_sas(session, match, out, io):
    """IKE SAs of the es- tunnels' endpoints (dynamic SAs), in the AS/MS PIC layout."""
    from ..ipsec import shows as as_pic_shows

    dev = session.device
    tm = dev.tunnels
    sas: list[Any] = []
    local_of: dict[str, str] = {}
    locals_ = dict.fromkeys(u.source for u in _cfg(session).es_units.values() if u.source)
    for local in locals_ if tm is not None else ():
        ep = tm.endpoint(local)
        for sa in (ep.sadb.ike.values() if ep is not None else ()):
            if not getattr(sa, "superseded", False):
                sas.append(sa)
                local_of[sa.peer[0]] = local
    peer = match.args.get("peer-address")
    if peer:
        sas = [s for s in sas if s.peer[0] == str(peer)]
    rec, text = as_pic_shows.ike_sas(sas, dev.now(), bool(match.args.get("detail")), local_of)
    return render(session, rec, text)
