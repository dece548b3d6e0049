"""AlliedWare show commands, rendered from state: pure functions of a `View` (the running
configuration, the tunnel states, the IKE engines' SA tables, the counters and the clock).

Layouts: `SHow IPSec SA[=id]` follows the Software Reference sample (columns, label lines with
dots to column 44); the others follow the same two styles — a table for the list form and
label lines for one object — with the 2.8.1 `Message Back-off` line on the specific ISAKMP policy,
SA and exchange forms. Where the manual's sample was not available the fields are ours
(docs/alliedware.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...engine.sa import IkeSa, IpsecSa
from .compile import schedule
from .counters import GENERAL, SPD, IsakmpCounters, PolicyCounters
from .model import CONTINUOUS, Config, IsakmpPolicy

_CIPHER = {"des": "DES", "3des": "3DESOUTER", "aes128": "AES128", "aes192": "AES192",
           "aes256": "AES256", None: "NULL"}
_HASH = {"sha1": "SHA", "md5": "MD5", "hmac-sha1": "SHA", "hmac-md5": "MD5", None: "NULL"}
RULE = "-" * 79


@dataclass
class View:
    config: Config
    tunnels: list[Any]  # runtime TunnelState
    endpoints: dict[str, Any]  # local address -> engine IkeEndpoint
    counters: IsakmpCounters
    policy_counters: dict[str, PolicyCounters]
    ids: Any  # router.Ids
    now: float

    def isakmp_policy_for(self, local: str, peer: str) -> IsakmpPolicy | None:
        for t in self.tunnels:  # a responder tunnel serves whichever peer it answered
            if t.spec.local == local and (peer in t.spec.gateways or t.active_gateway == peer):
                return self.config.isakmp.get(t.spec.labels.get("isakmp", "").lower())
        return next((p for p in self.config.isakmp.values() if p.peer == peer), None)


def line(label: str, value: object) -> str:
    return f"{label} {'.' * max(3, 42 - len(label))} {value}\n"


def _backoff(p: IsakmpPolicy | None) -> str:
    return "-" if p is None else ("None" if p.msgbackoff == "NONE" else "Incremental")


def _retry(v: int | str) -> str:
    return "Continuous" if v == CONTINUOUS else str(v)


def _secs(x: float) -> int:
    return max(0, int(x))


# ---- ISAKMP policies --------------------------------------------------------------------------


def isakmp_policy(v: View, name: str | None) -> str:
    cfg = v.config
    if name is not None:
        p = cfg.isakmp.get(name.lower())
        if p is None:
            return None  # type: ignore[return-value]  # the caller prints the device's error
        out = [
            line("Name", p.name), line("Peer Address", "ANY" if p.peer == "ANY" else p.peer),
            line("Key", p.key if p.key is not None else "-"), line("Mode", p.mode),
            line("Encryption Algorithm", p.encalg), line("Hash Algorithm", p.hashalg),
            line("Group", p.group), line("Expiry Time Limit (s)", p.expiry),
            line("Local ID", p.localid or "-"), line("Remote ID", p.remoteid or "-"),
            line("Send Notify", "True" if p.sendnotify else "False"),
            line("Message Retry Limit", p.msgretrylimit), line("Message Timeout (s)", p.msgtimeout),
            line("Message Back-off", _backoff(p)), line("Retry IKE Attempts", _retry(p.retryike)),
            line("Exchange Timeout (s)", int(schedule(p).timeout())),
        ]
        return "".join(out)
    rows = ["", f"{'Name':<24}{'Peer Address':<17}{'Mode':<12}{'Encalg':<11}{'Hash':<6}"
            f"{'Group':<7}Retry", RULE]
    for p in cfg.isakmp.values():
        rows.append(f"{p.name:<24}{p.peer:<17}{p.mode:<12}{p.encalg:<11}{p.hashalg:<6}"
                    f"{p.group:<7}{_retry(p.retryike)}")
    return "\n".join(rows) + "\n"


# ---- ISAKMP SAs and exchanges -----------------------------------------------------------------


def _ike_sas(v: View) -> list[tuple[int, str, IkeSa]]:
    out = []
    for local, ep in sorted(v.endpoints.items()):
        for sa in ep.sadb.ike.values():
            if sa.state == "established" and not sa.superseded:
                out.append((v.ids.get("ike", sa.icookie), local, sa))
    return sorted(out, key=lambda r: r[0])


def isakmp_sa(v: View, sid: int | None) -> str | None:
    sas = _ike_sas(v)
    if sid is not None:
        found = [r for r in sas if r[0] == sid]
        if not found:
            return None
        n, local, sa = found[0]
        pol = v.isakmp_policy_for(local, sa.peer[0])
        prop = sa.proposal
        est = sa.established_at or sa.created_at
        out = [
            line("SA Id", n), line("Policy", pol.name if pol else "-"),
            line("Local Address", local), line("Peer Address", sa.peer[0]),
            line("Role", sa.role.upper()), line("Mode", sa.mode.upper()), line("State", "ESTABLISHED"),
            line("Initiator Cookie", sa.icookie.hex()), line("Responder Cookie", sa.rcookie.hex()),
            line("Encryption Algorithm", _CIPHER.get(prop.cipher, "-") if prop else "-"),
            line("Hash Algorithm", _HASH.get(prop.hash, "-") if prop else "-"),
            line("Group", prop.dh_group if prop else "-"),
            line("Time Established (s)", _secs(est)),
            line("Expiry Time Limit (s)", sa.lifetime_s or "-"),
            line("Time Remaining (s)", _secs(est + sa.lifetime_s - v.now) if sa.lifetime_s else "-"),
            line("Bytes In", sa.bytes_in), line("Bytes Out", sa.bytes_out),
            line("Packets In", sa.packets_in), line("Packets Out", sa.packets_out),
            line("Message Retry Limit", pol.msgretrylimit if pol else "-"),
            line("Message Timeout (s)", pol.msgtimeout if pol else "-"),
            line("Message Back-off", _backoff(pol)),
            line("Retry IKE Attempts", _retry(pol.retryike) if pol else "-"),
        ]
        return "".join(out)
    rows = ["", f"{'SA Id':<7}{'Peer Address':<17}{'Policy':<24}{'Mode':<11}{'Encalg':<11}"
            "Expiry (s)", RULE]
    for n, local, sa in sas:
        pol = v.isakmp_policy_for(local, sa.peer[0])
        est = sa.established_at or sa.created_at
        left = _secs(est + sa.lifetime_s - v.now) if sa.lifetime_s else "-"
        cipher = _CIPHER.get(sa.proposal.cipher, "-") if sa.proposal else "-"
        rows.append(f"{n:<7}{sa.peer[0]:<17}{(pol.name if pol else '-'):<24}{sa.mode.upper():<11}"
                    f"{cipher:<11}{left}")
    return "\n".join(rows) + "\n"


def _exchanges(v: View) -> list[tuple[int, str, IkeSa, Any]]:
    out = []
    for local, ep in sorted(v.endpoints.items()):
        for sa in ep.sadb.ike.values():
            if sa.p1 is not None and sa.p1.state != "done" and sa.state == "negotiating":
                out.append((v.ids.get("exchange", (sa.icookie, "p1")), local, sa, sa.p1))
            for ex in sa.exchanges.values():
                if ex.state != "done":
                    out.append((v.ids.get("exchange", (sa.icookie, ex.message_id)), local, sa, ex))
    return sorted(out, key=lambda r: r[0])


def isakmp_exchange(v: View, xid: int | None) -> str | None:
    exs = _exchanges(v)
    if xid is not None:
        found = [r for r in exs if r[0] == xid]
        if not found:
            return None
        n, local, sa, ex = found[0]
        pol = v.isakmp_policy_for(local, sa.peer[0])
        sent = ex.sent_count
        out = [
            line("Exchange Id", n), line("Type", ex.kind.upper()), line("Role", ex.role.upper()),
            line("State", ex.state), line("Policy", pol.name if pol else "-"),
            line("Local Address", local), line("Peer Address", sa.peer[0]),
            line("Started (s)", _secs(ex.started)),
            line("Messages Sent", sent),
            line("Retransmissions", max(0, sent - 1)),
            line("Next Event (s)", _secs(ex.deadline - v.now) if ex.deadline is not None else "-"),
            line("Message Retry Limit", pol.msgretrylimit if pol else "-"),
            line("Message Timeout (s)", pol.msgtimeout if pol else "-"),
            line("Message Back-off", _backoff(pol)),
        ]
        return "".join(out)
    rows = ["", f"{'Id':<6}{'Type':<12}{'Role':<11}{'Peer Address':<17}{'Sent':<6}{'Next (s)':<10}"
            "Back-off", RULE]
    for n, local, sa, ex in exs:
        pol = v.isakmp_policy_for(local, sa.peer[0])
        nxt = _secs(ex.deadline - v.now) if ex.deadline is not None else "-"
        rows.append(f"{n:<6}{ex.kind.upper():<12}{ex.role.upper():<11}{sa.peer[0]:<17}"
                    f"{ex.sent_count:<6}{nxt!s:<10}{_backoff(pol)}")
    return "\n".join(rows) + "\n"


def _counter_rows(title: str, names: tuple[str, ...], values: dict[str, int]) -> list[str]:
    rows = [title, RULE]
    for i in range(0, len(names), 2):
        pair = names[i:i + 2]
        rows.append("  ".join(f"{n:<28}{values[n]:>10}" for n in pair).rstrip())
    return rows


def isakmp_counters(v: View, which: str | None) -> str:
    rows = [""]
    if which in (None, "GENERAL"):
        rows += _counter_rows("ISAKMP General Counters", GENERAL, v.counters.general) + [""]
    if which in (None, "SPD"):
        rows += _counter_rows("ISAKMP Policy Counters", SPD, v.counters.spd) + [""]
    return "\n".join(rows)


def isakmp_module(v: View) -> str:
    cfg = v.config
    return "".join([
        "\n", line("ISAKMP Module Status", "ENABLED" if cfg.isakmp_enabled else "DISABLED"),
        line("Policies", len(cfg.isakmp)), line("Security Associations", len(_ike_sas(v))),
        line("Exchanges In Progress", len(_exchanges(v))),
    ])


# ---- IPsec ------------------------------------------------------------------------------------


def _ipsec_sas(v: View) -> list[tuple[int, Any, IpsecSa]]:
    out = []
    for t in v.tunnels:
        for sa in t.ipsec_sas or []:
            out.append((v.ids.get("ipsec", sa.inbound_spi), t, sa))
    return sorted(out, key=lambda r: r[0])


def _policy_name(v: View, t: Any) -> str:
    p = v.config.ipsec.get(t.spec.name.lower())
    return p.name if p else t.spec.name


def _bundle(v: View, t: Any) -> int | None:
    p = v.config.ipsec.get(t.spec.name.lower())
    return p.bundle if p else None


def ipsec_sa(v: View, sid: int | None) -> str | None:
    sas = _ipsec_sas(v)
    if sid is not None:
        found = [r for r in sas if r[0] == sid]
        if not found:
            return None
        n, t, sa = found[0]
        bundle = _bundle(v, t)
        spec_used: object = "-"
        b = v.config.bundles.get(bundle) if bundle is not None else None
        if b is not None and t.spec.child is not None:
            for i, prop in enumerate(t.spec.child.proposals):
                if prop.same_algorithms(sa.proposal) and i < len(b.alternatives()):
                    spec_used = b.alternatives()[i][0]
                    break
        prop = sa.proposal
        out = [
            line("SA Id", n), line("Policy", _policy_name(v, t)),
            line("Bundle", bundle if bundle is not None else "-"),
            line("SA Specification Used", spec_used), line("State", "Valid"),
            line("Protocol", prop.protocol.upper()), line("Role", sa.role.upper()),
            line("Mode", prop.encap.upper()), line("Outbound SPI", sa.outbound_spi),
            line("Inbound SPI", sa.inbound_spi),
            line("Encryption algorithm", _CIPHER.get(prop.cipher, "NULL")),
            line("Hash algorithm", _HASH.get(prop.auth, "NULL")),
            line("Peer Address", sa.peer[0]),
            line("Expiry Time Limit (s)", sa.lifetime_s or "-"),
            line("Time Remaining (s)", _secs(sa.created_at + sa.lifetime_s - v.now) if sa.lifetime_s else "-"),
            line("Bytes In", sa.bytes_in), line("Bytes Out", sa.bytes_out),
        ]
        return "".join(out)
    rows = ["", f"{'SA Id':<7}{'Policy':<23}{'Bundle':<8}{'State':<10}{'Protocol':<10}{'OutSPI':<12}InSPI",
            RULE]
    for n, t, sa in sas:
        bundle = _bundle(v, t)
        rows.append(f"{n:<7}{_policy_name(v, t):<23}{(bundle if bundle is not None else '-')!s:<8}"
                    f"{'Valid':<10}{sa.protocol.upper():<10}{sa.outbound_spi:<12}{sa.inbound_spi}")
    return "\n".join(rows) + "\n"


def _tunnel(v: View, name: str) -> Any:
    return next((t for t in v.tunnels if t.spec.name.lower() == name.lower()), None)


def _tunnel_state(t: Any) -> str:
    if t is None:
        return "-"
    return {"up": "Established", "negotiating": "Negotiating", "down": "Down"}.get(t.state, t.state)


def ipsec_policy(v: View, name: str | None, counter: bool) -> str | None:
    cfg = v.config
    if name is not None:
        p = cfg.ipsec.get(name.lower())
        if p is None:
            return None
        t = _tunnel(v, p.name)
        if counter:
            pc = v.policy_counters.get(p.name.lower(), PolicyCounters())
            sas = t.ipsec_sas if t is not None else []
            st = t.failover if t is not None else None
            return "".join([
                line("Policy", p.name), line("Negotiations Started", pc.negotiations),
                line("Negotiations Succeeded", pc.established), line("Negotiations Failed", pc.failures),
                line("IKE Retries", pc.retries),
                line("Retries Since Last Success", st.attempts_used if st is not None else 0),
                line("SAs Deleted", pc.sas_deleted),
                line("Packets Out", sum(s.packets_out for s in sas)),
                line("Packets In", sum(s.packets_in for s in sas)),
                line("Bytes Out", sum(s.bytes_out for s in sas)),
                line("Bytes In", sum(s.bytes_in for s in sas)),
            ])
        isa = cfg.isakmp_for(p) if p.action == "IPSEC" else None
        out = [
            line("Name", p.name), line("Interface", p.interface), line("Position", p.position),
            line("Action", p.action),
        ]
        if p.action == "IPSEC":
            out += [
                line("Key Management", p.keymanagement),
                line("Bundle Specification", p.bundle if p.bundle is not None else "-"),
                line("ISAKMP Policy", isa.name if isa else "-"),
                line("Peer Address", p.peeraddress or "-"),
                line("Use PFS Key", "True" if p.usepfskey else "False"),
            ]
        out += [
            line("Local Address", p.laddress), line("Local Mask", p.lmask or "-"),
            line("Remote Address", p.raddress), line("Remote Mask", p.rmask or "-"),
        ]
        if p.action == "IPSEC":
            out.append(line("Tunnel State", _tunnel_state(t)))
            if t is not None and t.last_failure and t.state != "up":
                out.append(line("Last Failure", t.last_failure))
        return "".join(out)
    rows = ["", f"{'Name':<24}{'Interface':<11}{'Action':<8}{'Pos':<5}{'Peer Address':<17}State", RULE]
    for p in cfg.ipsec_ordered():
        t = _tunnel(v, p.name) if p.action == "IPSEC" else None
        state = _tunnel_state(t) if p.action == "IPSEC" else "-"
        rows.append(f"{p.name:<24}{p.interface:<11}{p.action:<8}{p.position:<5}"
                    f"{(p.peeraddress or '-'):<17}{state}")
    return "\n".join(rows) + "\n"


def ipsec_module(v: View) -> str:
    cfg = v.config
    return "".join([
        "\n", line("IPsec Module Status", "ENABLED" if cfg.ipsec_enabled else "DISABLED"),
        line("Policies", len(cfg.ipsec)), line("SA Specifications", len(cfg.saspecs)),
        line("Bundle Specifications", len(cfg.bundles)), line("Security Associations", len(_ipsec_sas(v))),
    ])


def ipsec_saspec(v: View, sid: int | None) -> str | None:
    specs = sorted(v.config.saspecs.values(), key=lambda s: s.id)
    if sid is not None:
        specs = [s for s in specs if s.id == sid]
        if not specs:
            return None
    rows = ["", f"{'Id':<6}{'Key Man':<10}{'Protocol':<10}{'Encalg':<12}{'Hashalg':<9}Mode", RULE]
    rows += [f"{s.id:<6}{s.keyman:<10}{s.protocol:<10}{s.encalg:<12}{s.hashalg:<9}{s.mode}" for s in specs]
    return "\n".join(rows) + "\n"


def ipsec_bundle(v: View, bid: int | None) -> str | None:
    bundles = sorted(v.config.bundles.values(), key=lambda b: b.id)
    if bid is not None:
        bundles = [b for b in bundles if b.id == bid]
        if not bundles:
            return None
    rows = ["", f"{'Id':<6}{'Key Man':<10}{'Expiry (s)':<12}String", RULE]
    rows += [f"{b.id:<6}{b.keyman:<10}{b.expiry:<12}{b.string}" for b in bundles]
    return "\n".join(rows) + "\n"


def enco_keys(v: View, kid: int | None) -> str | None:
    keys = sorted(v.config.keys.values(), key=lambda k: k.id)
    if kid is not None:
        keys = [k for k in keys if k.id == kid]
        if not keys:
            return None
    # the value of a key is never shown
    rows = ["", f"{'Id':<8}{'Type':<12}{'Length':<8}Description", RULE]
    rows += [f"{k.id:<8}{k.type:<12}{len(k.value):<8}{k.description}" for k in keys]
    return "\n".join(rows) + "\n"
