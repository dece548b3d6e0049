"""StarOS show commands, rendered from the running configuration and live runtime state (the
crypto group controllers, the TunnelManager's tunnels and the IKE endpoints' SA databases) at
the lab time given. Layouts are our reconstruction (the StarOS 'Redundant IPSec Tunnel Fail-over' chapter, docs/staros.md).

Every function is pure: (configuration, state, time) -> text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...engine.cryptogroup import CryptoGroupStatus, DownReason
from ...engine.sa import IkeSa, IpsecSa
from ...runtime.tunnels import IKE_PORT
from . import config_text
from .compile import DEFAULT_PHASE2_LIFETIME, local_address, map_acl, ready, spec_name
from .groups import CryptoGroups
from .model import Config, Context, CryptoGroup, CryptoMap
from .traps import Notification

_IKE_CIPHER = {"3des": "3des-cbc", "aes128": "aes-cbc-128", "aes192": "aes-cbc-192",
               "aes256": "aes-cbc-256", "des": "des-cbc"}
_ESP_CIPHER = {**_IKE_CIPHER, None: "null"}
_HMAC = {"hmac-md5": "md5-96", "hmac-sha1": "sha1-96", "hmac-sha256": "sha256-128", None: "none"}
_REASON = {DownReason.PEER_UNREACHABLE: "peer unreachable: DPD", DownReason.REKEY_FAILED: "failed to rekey",
           DownReason.CLEARED: "cleared"}


@dataclass(frozen=True)
class State:
    """What the shows read besides the configuration."""

    now: float
    epoch: datetime
    tunnels: Any  # runtime TunnelManager (or None before the lab is built)
    groups: CryptoGroups | None

    def stamp(self, when: float) -> str:
        return (self.epoch + timedelta(seconds=when)).strftime("%a %b %d %H:%M:%S %Y")

    def tunnel_state(self, name: str) -> str:
        if self.tunnels is None:
            return "down"
        return self.tunnels.state_of(name) or "down"


def _state_word(state: str) -> str:
    return {"up": "UP", "negotiating": "NEGOTIATING", "not-present": "NOT PRESENT"}.get(state, "DOWN")


def _switchover(g: CryptoGroup) -> str:
    return {"auto": "auto (revert to primary)", "auto-do-not-revert": "auto do-not-revert (manual return)",
            "manual": "manual"}[g.switchover]


def _dpd_text(ctx: Context, st: State) -> str:
    groups = st.groups
    eff = groups.effective.get(ctx.name, ctx.dpd) if groups is not None else ctx.dpd
    text = (f"interval {eff.interval}s timeout {eff.timeout}s num-retry {eff.num_retry}" if eff is not None
            else "disabled")
    if groups is not None and ctx.name in groups.pending:
        n = len(groups.pending[ctx.name])
        text += f" (configured change pending: {n} tunnel{'s' if n != 1 else ''} to clear)"
    return text


def _maps_of(ctx: Context, group: str) -> dict[str, CryptoMap]:
    return {mp.role: mp for mp in ctx.maps.values() if mp.group == group and mp.role}


# ---- show crypto group ----------------------------------------------------------------------------


def crypto_group(cfg: Config, context: str, st: State, name: str | None = None) -> str:
    ctx = cfg.contexts[context]
    names = [name] if name is not None else list(ctx.groups)
    blocks = [_group_block(ctx, ctx.groups[n], st, detail=name is not None) for n in names]
    if not blocks:
        elsewhere = [c.name for c in cfg.contexts.values() if c.groups and c.name != context]
        hint = f" (crypto groups are configured in context {', '.join(elsewhere)})" if elsewhere else ""
        return f"No crypto groups are configured in context {context}{hint}.\n"
    return "\n".join(blocks)


RECENT = 6  # notifications `show crypto group name G` lists


def _group_block(ctx: Context, g: CryptoGroup, st: State, detail: bool = False) -> str:
    grp = st.groups.group(ctx.name, g.name) if st.groups is not None else None
    status: CryptoGroupStatus | None = grp.ctl.status() if grp is not None else None
    maps = _maps_of(ctx, g.name)
    width = max([len(m.name) for m in maps.values()] + [6])
    lines = [f"Crypto Group {g.name}:", f"  Context: {ctx.name}", f"  Switchover: {_switchover(g)}"]
    if g.match_address:
        pref = f" preference {g.preference}" if g.preference is not None else ""
        lines.append(f"  Match address: {g.match_address}{pref}")
    if g.pool:
        lines.append(f"  Match IP pool: {g.pool}")
    lines.append(f"  DPD: {_dpd_text(ctx, st)}")
    for role, label in (("primary", "Primary map  "), ("secondary", "Secondary map")):
        mp = maps.get(role)
        if mp is None:
            lines.append(f"  {label} (none)")
            continue
        peer = mp.peer or "-"
        notes: list[str] = []
        if status is None:
            state, use = ("NOT READY" if not ready(ctx, mp) else "DOWN"), "-"
        else:
            ms = next(m for m in status.maps if m.role.value == role)
            state = "UP" if ms.up else "DOWN"
            use = "Active" if ms.carrying else "Standby"
            if grp is not None and ms.map in grp.since:
                notes.append(f"{'up' if ms.up else 'down'} {_duration(st.now - grp.since[ms.map][1])}")
            if not ms.up and ms.last_down is not None:
                notes.append(_REASON[ms.last_down])
            if st.tunnel_state(ms.map) == "negotiating":
                notes.append("negotiating")
            if ms.carrying and not ms.up:
                notes.append("traffic waiting")
        note = f"  ({'; '.join(notes)})" if notes else ""
        lines.append(f"  {label} {mp.name.ljust(width)}  Peer {peer.ljust(15)}  "
                     f"Tunnel state: {state.ljust(9)}  {use.ljust(7)}{note}".rstrip())
    if status is None:
        lines.append("  Status: not running (the group needs a ready primary and secondary map)")
        lines.append("  Number of switchovers: 0")
    else:
        lines.append(f"  Number of switchovers: {status.switchovers}")
        lines.append(f"  Unsuccessful fail-overs: {status.failed_switchovers}")
        last = grp.last_switch if grp is not None else None
        if last is None:
            lines.append("  Last switchover: never")
        else:
            how = "manual" if last.manual else "automatic"
            lines.append(f"  Last switchover: {st.stamp(last.when)} {_short(last.from_map)} -> {_short(last.to_map)} ({how})")
    if detail and st.groups is not None:
        recent = [n for n in st.groups.sent if n.context == ctx.name and n.group == g.name][-RECENT:]
        lines.append("  Recent notifications:" if recent else "  Recent notifications: none")
        for n in recent:
            moved = f", from {n.from_map}" if n.from_map else ""
            lines.append(f"    {st.stamp(n.when)}  {n.text} ({n.map}{moved})")
    return "\n".join(lines) + "\n"


def _short(spec: str) -> str:
    return spec.partition("/")[2]


def crypto_group_summary(cfg: Config, context: str, st: State) -> str:
    ctx = cfg.contexts[context]
    rows = []
    counts = {"primary": 0, "secondary": 0, "down": 0, "not running": 0}
    for g in ctx.groups.values():
        grp = st.groups.group(ctx.name, g.name) if st.groups is not None else None
        maps = _maps_of(ctx, g.name)
        states = {r: "-" for r in ("primary", "secondary")}
        if grp is None:
            active = "-"
            counts["not running"] += 1
        else:
            s = grp.ctl.status()
            for m in s.maps:
                states[m.role.value] = _state_word(st.tunnel_state(m.map))
            carrying = next(m for m in s.maps if m.carrying)
            if carrying.up:
                active = carrying.role.value
                counts[active] += 1
            else:
                active = "down"
                counts["down"] += 1
        sw = {"auto": "auto", "auto-do-not-revert": "do-not-revert", "manual": "manual"}[g.switchover]
        nsw = str(grp.ctl.switchovers) if grp is not None else "0"
        rows.append((g.name, sw, active, f"{maps['primary'].name if 'primary' in maps else '-'}",
                     states["primary"], f"{maps['secondary'].name if 'secondary' in maps else '-'}",
                     states["secondary"], nsw))
    out = ["Crypto Group Summary",
           f"  Total groups: {len(rows)}   Groups in primary: {counts['primary']}   "
           f"Groups in secondary: {counts['secondary']}   Groups down: {counts['down']}   "
           f"Not running: {counts['not running']}", ""]
    if rows:
        head = ("Group", "Switchover", "Active", "Primary Map", "State", "Secondary Map", "State", "Switchovers")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(out) + "\n"


# ---- ISAKMP and IPsec SAs --------------------------------------------------------------------------


def _context_sas(cfg: Config, context: str, st: State) -> list[tuple[IkeSa, str, str]]:
    """(IKE SA, local address, crypto map names) for the context's maps, in map order."""
    ctx = cfg.contexts[context]
    if st.tunnels is None:
        return []
    out: list[tuple[IkeSa, str, str]] = []
    seen: set[int] = set()
    pairs: dict[tuple[str, str], list[str]] = {}
    for mp in ctx.maps.values():
        local = local_address(ctx, mp.name)
        if local and mp.peer:
            pairs.setdefault((local, mp.peer), []).append(mp.name)
    for (local, peer), names in pairs.items():
        ep = st.tunnels.endpoint(local)
        if ep is None:
            continue
        for sa in ep.sadb.ike.values():
            if sa.peer == (peer, IKE_PORT) and id(sa) not in seen and sa.state == "established":
                seen.add(id(sa))
                out.append((sa, local, ",".join(names)))
    return out


def _dpd_word(sa: IkeSa) -> str:
    return "Yes" if sa.dpd is not None else "No"


def _remaining(sa: IkeSa | IpsecSa, now: float) -> str:
    r = sa.remaining(now)
    return "-" if r is None else str(int(r))


def isakmp_sa_summary(cfg: Config, context: str, st: State) -> str:
    sas = _context_sas(cfg, context, st)
    head = ("Local Address", "Remote Address", "State", "Lifetime", "DPD", "Crypto Map")
    rows = [(local, sa.peer[0], "ESTABLISHED", _remaining(sa, st.now), _dpd_word(sa), maps)
            for sa, local, maps in sas]
    widths = (17, 17, 13, 10, 5, 0)
    out = ["".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    out.append(f"Total ISAKMP SAs: {len(rows)}")
    return "\n".join(out) + "\n"


def isakmp_sas(cfg: Config, context: str, st: State, cookie: str | None = None) -> str:
    sas = _context_sas(cfg, context, st)
    if cookie is not None:
        want = cookie.lower().replace(":", "")
        sas = [x for x in sas if x[0].icookie.hex() == want or x[0].icookie.hex() + x[0].rcookie.hex() == want]
        if not sas:
            return f"No ISAKMP SA with cookie {cookie} in this context.\n"
    if not sas:
        return "No ISAKMP SAs in this context.\n"
    blocks = []
    for sa, local, maps in sas:
        p = sa.proposal
        lines = [f"ISAKMP SA {local} <-> {sa.peer[0]}  (crypto map {maps})",
                 f"  Initiator cookie: {sa.icookie.hex()}  Responder cookie: {sa.rcookie.hex()}",
                 f"  State: ESTABLISHED  Role: {sa.role}  Mode: {sa.mode}"]
        if p is not None:
            lines.append(f"  Encryption: {_IKE_CIPHER.get(p.cipher, p.cipher)}  Hash: {p.hash}  "
                         f"DH group: {p.dh_group}  Authentication: pre-shared-key")
        lines.append(f"  Lifetime: {sa.lifetime_s} seconds, remaining {_remaining(sa, st.now)} seconds")
        if sa.dpd is not None:
            d = sa.dpd.policy
            probing = (f", {sa.dpd.attempts} R-U-THERE unanswered, last heard "
                       f"{_duration(st.now - sa.dpd.last_received)} ago") if sa.dpd.attempts else ""
            lines.append(f"  DPD: Yes (interval {int(d.interval)}s timeout {int(d.retry_interval)}s "
                         f"num-retry {d.retries}){probing}")
        elif not sa.dpd_vid_sent:
            lines.append("  DPD: No (not enabled when this SA was negotiated)")
        else:
            lines.append("  DPD: No (the peer does not support RFC 3706)")
        lines.append(f"  Established: {_duration(st.now - (sa.established_at or st.now))} ago")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def _sas_of(st: State, context: str, mp: CryptoMap) -> list[IpsecSa]:
    if st.tunnels is None:
        return []
    name = spec_name(context, mp.name)
    local = st.tunnels.local_of(name)
    ep = st.tunnels.endpoint(local) if local else None
    if ep is None:
        return []
    return sorted((sa for sa in ep.sadb.ipsec.values() if sa.child == name and not sa.superseded),
                  key=lambda sa: sa.created_at)


def ipsec_sas(cfg: Config, context: str, st: State, map_name: str | None = None) -> str:
    ctx = cfg.contexts[context]
    maps = [ctx.maps[map_name]] if map_name is not None else list(ctx.maps.values())
    blocks = []
    for mp in maps:
        name = spec_name(context, mp.name)
        sas = _sas_of(st, context, mp)
        group = f", crypto group {mp.group} {mp.role}" if mp.group and mp.role else ""
        lines = [f"Crypto map {mp.name}{group}",
                 f"  Peer: {mp.peer or '-'}  Local: {local_address(ctx, mp.name) or '-'}  "
                 f"Tunnel state: {_state_word(st.tunnel_state(name)) if ready(ctx, mp) else 'NOT READY'}"]
        acl = map_acl(ctx, mp)
        if acl:
            lines.append(f"  Match address: {acl}")
        if not sas:
            lines.append("  No IPSec SAs")
        for sa in sas:
            p = sa.proposal
            algs = f"{_ESP_CIPHER.get(p.cipher, p.cipher)} {_HMAC.get(p.auth, p.auth)}"
            pfs = f" PFS group {p.pfs_group}" if p.pfs_group else ""
            lines.append(f"  Inbound  {p.protocol.upper()} SPI 0x{sa.inbound_spi:08x}  {algs}{pfs}  "
                         f"packets {sa.packets_in}  bytes {sa.bytes_in}")
            lines.append(f"  Outbound {p.protocol.upper()} SPI 0x{sa.outbound_spi:08x}  {algs}{pfs}  "
                         f"packets {sa.packets_out}  bytes {sa.bytes_out}")
            lines.append(f"    Lifetime {sa.lifetime_s} seconds, remaining {_remaining(sa, st.now)} seconds  "
                         f"Mode {p.encap}")
        blocks.append("\n".join(lines) + "\n")
    if not blocks:
        return "No crypto maps are configured in this context.\n"
    return "\n".join(blocks)


def ipsec_sa_summary(cfg: Config, context: str, st: State) -> str:
    ctx = cfg.contexts[context]
    head = ("Crypto Map", "Peer", "Group", "State", "Inbound SPI", "Outbound SPI", "Remaining")
    rows = []
    for mp in ctx.maps.values():
        name = spec_name(context, mp.name)
        sas = _sas_of(st, context, mp)
        sa = sas[-1] if sas else None
        group = f"{mp.group}/{mp.role}" if mp.group and mp.role else "-"
        state = _state_word(st.tunnel_state(name)) if ready(ctx, mp) else "NOT READY"
        rows.append((mp.name, mp.peer or "-", group, state,
                     f"0x{sa.inbound_spi:08x}" if sa else "-", f"0x{sa.outbound_spi:08x}" if sa else "-",
                     _remaining(sa, st.now) if sa else "-"))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    up = sum(1 for r in rows if r[3] == "UP")
    out.append(f"Total crypto maps: {len(rows)}  Tunnels up: {up}")
    return "\n".join(out) + "\n"


# ---- show crypto map -------------------------------------------------------------------------------


def crypto_map(cfg: Config, context: str, st: State, tag: str | None = None) -> str:
    ctx = cfg.contexts[context]
    maps = [ctx.maps[tag]] if tag is not None else list(ctx.maps.values())
    if not maps:
        return "No crypto maps are configured in this context.\n"
    blocks = []
    for mp in maps:
        name = spec_name(context, mp.name)
        itf = next((i.name for i in ctx.interfaces.values() if mp.name in i.crypto_maps), None)
        local = local_address(ctx, mp.name)
        lines = [f"Map Name : {mp.name}",
                 "  Type: ipsec-isakmp" + (f"  Sequence: {mp.seq}" if mp.seq is not None else ""),
                 f"  Peer: {mp.peer or '(not set)'}",
                 f"  Local: {local or '-'}" + (f" (interface {itf})" if itf else " (not applied to an interface)"),
                 f"  Transform sets: {', '.join(mp.transform_sets) or '(none)'}",
                 f"  Pre-shared key: {'configured (hidden)' if mp.psk else '(not set)'}",
                 f"  Phase-2 lifetime: {mp.lifetime or DEFAULT_PHASE2_LIFETIME} seconds"]
        acl = map_acl(ctx, mp)
        if acl:
            src = " (from crypto group)" if not mp.match_address else ""
            prio = f" priority {mp.match_priority}" if mp.match_priority is not None else ""
            lines.append(f"  Match address: {acl}{prio}{src}")
            lines += [f"    {config_text.rule_text(r)}" for r in ctx.acls.get(acl, [])]
        if mp.group and mp.role:
            carrying = ""
            grp = st.groups.group(context, mp.group) if st.groups is not None else None
            if grp is not None:
                carrying = ", carrying traffic" if grp.carrying(name) else ", standby"
            lines.append(f"  Crypto group: {mp.group} ({mp.role}{carrying})")
        if ready(ctx, mp):
            status = _state_word(st.tunnel_state(name))
        else:
            missing = [what for what, ok in (("no peer", mp.peer), ("no pre-shared key", mp.psk),
                                             ("no transform set", mp.transform_sets),
                                             ("not applied to an interface with an address", local))
                       if not ok]
            status = f"NOT READY ({'; '.join(missing) or 'transform set missing'})"
        lines.append(f"  Status: {status}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


# ---- show snmp trap history --------------------------------------------------------------------------


def trap_history(history: list[Notification], st: State, maximum: int) -> str:
    out = [f"There are {len(history)} historical trap records ({maximum} maximum)", "",
           "     Timestamp               Trap Information",
           "------------------------  " + "-" * 54]
    out += [f"{st.stamp(n.when)}  {n.information()}" for n in history]
    return "\n".join(out) + "\n"


def event_log(lines: list[tuple[float, str]], st: State) -> str:
    """`show logs`: the event log, oldest first, with StarOS-style timestamps."""
    out = []
    for when, text in lines:
        t = st.epoch + timedelta(seconds=when)
        out.append(f"{t.strftime('%Y-%b-%d+%H:%M:%S')}.{t.microsecond // 1000:03d} {text}")
    return "\n".join(out) + "\n" if out else "No event log entries.\n"


__all__ = ["State", "event_log", "crypto_group", "crypto_group_summary", "crypto_map", "ipsec_sa_summary", "ipsec_sas",
           "isakmp_sa_summary", "isakmp_sas", "trap_history"]



def version(model: str, release: str, hostname: str, uptime_s: float) -> str:
    """`show version` (the layout of StarOS 21.x, shortened to what the emulation knows)."""
    up = int(uptime_s)
    days, rest = divmod(up, 86400)
    return (
        "Active Software:\n"
        f"  Image Version:            {release}\n"
        "  Image Description:        Production_Build\n"
        f"  Hostname:                 {hostname}\n"
        f"  Platform:                 {model}\n"
        f"  Uptime:                   {days}D {rest // 3600:02d}H {rest % 3600 // 60:02d}M\n"
    )
