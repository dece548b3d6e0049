"""Record trees and text layouts of the Junos AS/MS PIC IPsec show commands.

Pure functions of runtime state (TunnelState, engine IkeSa/IpsecSa) and the lab time `now`, so
golden tests can feed hand-built states. Layouts: seed 002 (ipsec security-associations) and
reference/cli.md §1.6 (the rest, reconstructed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ....cli.records import Record
from ....runtime.ipsec import TunnelState
from .compile import ManualSa

_CIPHER = {"des": "des-cbc", "3des": "3des-cbc", "aes128": "aes-128-cbc", "aes192": "aes-192-cbc", "aes256": "aes-256-cbc"}
_AUTH = {"hmac-md5": "hmac-md5-96", "hmac-sha1": "hmac-sha1-96", "hmac-sha256": "hmac-sha256-128"}


def _secs(x: float | None) -> int:
    return int(x) if x is not None else 0


def _matured(sa: Any) -> str:
    return "Matured" if getattr(sa, "state", "") == "established" else "Not matured"


# ---- IKE -------------------------------------------------------------------------------------


def ike_sas(sas: Iterable[Any], now: float, detail: bool = False, local_of: dict[str, str] | None = None) -> tuple[Record, str]:
    rec = Record("ike-security-associations-information")
    lines: list[str] = []
    rows = sorted(sas, key=lambda s: (s.peer[0], s.created_at))
    if not detail:
        lines.append(f"{'Remote Address':<16}{'State':<14}{'Initiator cookie':<18}{'Responder cookie':<18}Exchange type")
    for sa in rows:
        r = rec.add("ike-security-associations")
        r.add("ike-sa-remote-address", sa.peer[0])
        r.add("ike-sa-state", _matured(sa))
        r.add("ike-sa-initiator-cookie", sa.icookie.hex())
        r.add("ike-sa-responder-cookie", sa.rcookie.hex())
        r.add("ike-sa-exchange-type", sa.mode.capitalize())
        if not detail:
            lines.append(f"{sa.peer[0]:<16}{_matured(sa):<14}{sa.icookie.hex():<18}{sa.rcookie.hex():<18}{sa.mode.capitalize()}")
            continue
        local = (local_of or {}).get(sa.peer[0], "")
        p = sa.proposal
        auth = "Pre-shared-keys" if (p is None or p.auth == "psk") else "RSA-signatures"
        life = sa.remaining(now)
        r.add("ike-sa-role", sa.role.capitalize())
        r.add("ike-sa-authentication-method", auth)
        r.add("ike-sa-lifetime", _secs(life))
        lines += [
            f"IKE peer {sa.peer[0]}",
            f"  Role: {sa.role.capitalize()}, State: {_matured(sa)}",
            f"  Initiator cookie: {sa.icookie.hex()}, Responder cookie: {sa.rcookie.hex()}",
            f"  Exchange type: {sa.mode.capitalize()}, Authentication method: {auth}",
            f"  Local: {local}:500, Remote: {sa.peer[0]}:{sa.peer[1]}",
            f"  Lifetime: Expires in {_secs(life)} seconds" if life is not None else "  Lifetime: Not established",
            "  Algorithms:",
            f"   Authentication        : {p.hash if p else '-'}",
            f"   Encryption            : {_CIPHER.get(p.cipher, p.cipher) if p else '-'}",
            f"   Pseudo random function: hmac-{p.hash if p else 'sha1'}",
            "  Traffic statistics:",
            f"   Input  bytes  : {sa.bytes_in:>20}",
            f"   Output bytes  : {sa.bytes_out:>20}",
            f"   Input  packets: {sa.packets_in:>20}",
            f"   Output packets: {sa.packets_out:>20}",
            f"  Flags: {'IKE SA created' if sa.state == 'established' else 'IKE SA negotiating'}",
            "",
        ]
    return rec, "\n".join(lines) + ("\n" if lines and lines[-1] != "" else "")


# ---- IPsec -----------------------------------------------------------------------------------


def _directions(t: TunnelState) -> list[dict[str, Any]]:
    """One row per direction: inbound/outbound SPIs of the IPsec SAs (or the manual SA)."""
    rows: list[dict[str, Any]] = []
    manual = t.spec.manual
    if isinstance(manual, ManualSa):
        for md in manual.directions:
            for direction in (("inbound", "outbound") if md.direction == "bidirectional" else (md.direction,)):
                rows.append({"direction": direction, "spi": md.spi, "aux": md.aux_spi or 0, "type": "manual",
                             "protocol": md.protocol.upper(), "auth": md.auth_alg, "enc": md.enc_alg, "sa": None})
        return rows
    for sa in t.ipsec_sas:
        if getattr(sa, "superseded", False):
            continue
        for direction, spi in (("inbound", sa.inbound_spi), ("outbound", sa.outbound_spi)):
            p = sa.proposal
            rows.append({"direction": direction, "spi": spi, "aux": 0, "type": "dynamic", "protocol": sa.protocol.upper(),
                         "auth": _AUTH.get(p.auth or "", p.auth), "enc": _CIPHER.get(p.cipher or "", p.cipher), "sa": sa})
    return rows


def ipsec_sas(tunnels: Iterable[TunnelState], now: float, detail: bool = False,
              service_set: str | None = None, peer: str | None = None) -> tuple[Record, str]:
    rec = Record("services-security-associations-information")
    lines: list[str] = []
    by_set: dict[str, list[TunnelState]] = {}
    for t in tunnels:
        ss = t.spec.labels.get("service-set", "")
        if service_set and ss != service_set:
            continue
        if peer and t.active_gateway != peer:
            continue
        rows = _directions(t)
        if not rows and not detail:
            continue
        by_set.setdefault(ss, []).append(t)
    for ss, ts in by_set.items():
        block = rec.add("service-set-security-associations-information")
        block.add("service-set-name", ss)
        lines += [f"Service set: {ss}", ""]
        for t in ts:
            lab = t.spec.labels
            ri = lab.get("routing-instance")
            local = t.spec.local + (f" ({ri})" if ri else "")
            rule = lab.get("rule") or "dynamic"
            term = lab.get("term") or "dynamic"
            b = block.add("sa-tunnel-information")
            b.add("sa-rule-name", rule)
            b.add("sa-term-name", term)
            b.add("sa-tunnel-index", t.index)
            b.add("sa-local-gateway", t.spec.local)
            b.add("sa-remote-gateway", t.active_gateway or "")
            lines.append(f"  Rule: {rule}, Term: {term}, Tunnel index: {t.index}")
            lines.append(f"  Local gateway: {local}, Remote gateway: {t.active_gateway or ''}")
            if lab.get("inside-interface"):
                b.add("sa-ipsec-inside-interface", lab["inside-interface"])
                lines.append(f"  IPSec inside interface: {lab['inside-interface']}")
            if t.spec.selectors and detail:
                lo, re_ = t.spec.selectors[0]
                lines.append(f"  Local identity: ipv4_subnet(any:0,[0..7]={lo})")
                lines.append(f"  Remote identity: ipv4_subnet(any:0,[0..7]={re_})")
            ike_state = "Matured" if (t.ike_sa is not None and t.ike_sa.state == "established") else "Not matured"
            if detail:
                b.add("sa-tunnel-state", t.state)
                b.add("sa-ike-state", ike_state)
                lines.append(f"  Tunnel state: {t.state}, IKE SA: {ike_state}, Role: {t.role}")
                probe = getattr(t, "failover", None)
                if probe is not None and probe.hellos_sent:
                    b.add("sa-dpd-hellos-sent", probe.hellos_sent)
                    lines.append(f"  Dead peer detection: in progress, hellos sent: {probe.hellos_sent}")
            lines.append("")
            rows = _directions(t)
            if not detail and rows:
                lines.append(f"    {'Direction':<10}{'SPI':<12}{'AUX-SPI':<12}{'Mode':<10}{'Type':<9}Protocol")
            for row in rows:
                d = b.add("sa-block")
                d.add("sa-direction", row["direction"])
                d.add("sa-spi", row["spi"])
                d.add("sa-aux-spi", row["aux"])
                d.add("sa-mode", "tunnel")
                d.add("sa-type", row["type"])
                d.add("sa-protocol", row["protocol"])
                sa = row["sa"]
                hard = sa.remaining(now) if sa is not None else None
                soft = (max(0.0, sa.soft_at - now) if sa is not None and sa.soft_at is not None else None)
                if hard is not None:
                    d.add("sa-hard-lifetime", _secs(hard))
                if not detail:
                    lines.append(f"    {row['direction']:<10}{row['spi']:<12}{row['aux']:<12}{'tunnel':<10}{row['type']:<9}{row['protocol']}")
                    continue
                lines += [
                    f"    Direction: {row['direction']}, SPI: {row['spi']}, AUX-SPI: {row['aux']}",
                    f"    Mode: tunnel, Type: {row['type']}, State: Installed",
                    f"    Protocol: {row['protocol']}, Authentication: {row['auth'] or 'none'}, Encryption: {row['enc'] or 'none'}",
                ]
                if sa is not None:
                    if soft is not None:
                        lines.append(f"    Soft lifetime: Expires in {_secs(soft)} seconds")
                    lines.append(f"    Hard lifetime: Expires in {_secs(hard)} seconds")
                    anti = "Disabled" if lab.get("no-anti-replay") else "Enabled"
                    lines.append(f"    Anti-replay service: {anti}, Replay window size: 64")
                lines.append("")
            if rows and not detail:
                lines.append("")
    while lines and lines[-1] == "":
        lines.pop()
    return rec, "\n".join(lines) + ("\n" if lines else "")


def ipsec_statistics(tunnels: Iterable[TunnelState], service_set: str | None = None,
                     remote: str | None = None) -> tuple[Record, str]:
    rec = Record("usp-ipsec-total-statistics-information")
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for t in tunnels:
        lab = t.spec.labels
        ss = lab.get("service-set", "")
        if (service_set and ss != service_set) or (remote and t.active_gateway != remote):
            continue
        key = (f"sp-{lab.get('pic', '0/0')}/0", ss)
        acc = totals.setdefault(key, {"esp_out_b": 0, "esp_in_b": 0, "esp_out_p": 0, "esp_in_p": 0,
                                      "ah_in_b": 0, "ah_out_b": 0, "ah_in_p": 0, "ah_out_p": 0})
        for sa in t.ipsec_sas:
            pre = "esp" if sa.protocol == "esp" else "ah"
            acc[f"{pre}_in_b"] += sa.bytes_in
            acc[f"{pre}_out_b"] += sa.bytes_out
            acc[f"{pre}_in_p"] += sa.packets_in
            acc[f"{pre}_out_p"] += sa.packets_out
    lines: list[str] = []
    for (pic, ss), a in totals.items():
        b = rec.add("usp-ipsec-statistics-information")
        b.add("pic-name", pic)
        b.add("service-set-name", ss)
        e = b.add("esp-statistics")
        e.add("esp-encrypted-bytes", a["esp_out_b"])
        e.add("esp-decrypted-bytes", a["esp_in_b"])
        e.add("esp-encrypted-packets", a["esp_out_p"])
        e.add("esp-decrypted-packets", a["esp_in_p"])
        h = b.add("ah-statistics")
        h.add("ah-input-bytes", a["ah_in_b"])
        h.add("ah-output-bytes", a["ah_out_b"])
        h.add("ah-input-packets", a["ah_in_p"])
        h.add("ah-output-packets", a["ah_out_p"])
        lines += [
            f"PIC: {pic}, Service set: {ss}", "", "ESP Statistics:",
            f"  Encrypted bytes:   {a['esp_out_b']:>14}", f"  Decrypted bytes:   {a['esp_in_b']:>14}",
            f"  Encrypted packets: {a['esp_out_p']:>14}", f"  Decrypted packets: {a['esp_in_p']:>14}",
            "AH Statistics:",
            f"  Input bytes:       {a['ah_in_b']:>14}", f"  Output bytes:      {a['ah_out_b']:>14}",
            f"  Input packets:     {a['ah_in_p']:>14}", f"  Output packets:    {a['ah_out_p']:>14}",
            "Errors:",
            "  AH authentication failures: 0, Replay errors: 0",
            "  ESP authentication failures: 0, ESP decryption failures: 0",
            "  Bad headers: 0, Bad trailers: 0", "",
        ]
    while lines and lines[-1] == "":
        lines.pop()
    return rec, "\n".join(lines) + ("\n" if lines else "")


def service_sets_summary(service_sets: list[Any], tunnels: list[TunnelState], pic_up: Any) -> tuple[Record, str]:
    """`show services service-sets summary`: per services PIC, service sets and IPsec tunnels."""
    from .compile import service_set_pic

    rec = Record("service-set-summary-information")
    per_pic: dict[str, list[Any]] = {}
    for ss in service_sets:
        per_pic.setdefault(service_set_pic(ss) or "0/0", []).append(ss)
    lines = [f"{'Interface':<13}{'Service sets':>13}{'IPsec tunnels':>15}  State"]
    for pic, sets in sorted(per_pic.items()):
        itf = f"sp-{pic}/0"
        names = {s.name for s in sets}
        up = sum(1 for t in tunnels if t.spec.labels.get("service-set") in names and t.ipsec_sas)
        state = "Online" if pic_up(pic) else "Offline"
        r = rec.add("service-set-summary-information-entry")
        r.add("interface-name", itf)
        r.add("service-sets-configured", len(sets))
        r.add("ipsec-tunnels", up)
        r.add("pic-state", state)
        lines.append(f"{itf:<13}{len(sets):>13}{up:>15}  {state:<8}".rstrip())
    return rec, "\n".join(lines) + "\n"


def service_sets_statistics(service_sets: list[Any], tunnels: list[TunnelState]) -> tuple[Record, str]:
    rec = Record("service-set-statistics-information")
    lines = []
    for ss in service_sets:
        ts = [t for t in tunnels if t.spec.labels.get("service-set") == ss.name]
        octets_in = sum(sa.bytes_in for t in ts for sa in t.ipsec_sas)
        octets_out = sum(sa.bytes_out for t in ts for sa in t.ipsec_sas)
        pk_in = sum(sa.packets_in for t in ts for sa in t.ipsec_sas)
        pk_out = sum(sa.packets_out for t in ts for sa in t.ipsec_sas)
        r = rec.add("service-set-statistics")
        r.add("service-set-name", ss.name)
        for tag, v in (("input-bytes", octets_in), ("output-bytes", octets_out), ("input-packets", pk_in), ("output-packets", pk_out)):
            r.add(tag, v)
        lines += [f"Service set: {ss.name}", f"  Input bytes:    {octets_in:>14}", f"  Output bytes:   {octets_out:>14}",
                  f"  Input packets:  {pk_in:>14}", f"  Output packets: {pk_out:>14}", ""]
    while lines and lines[-1] == "":
        lines.pop()
    return rec, "\n".join(lines) + ("\n" if lines else "")


def certificates(service_sets: list[Any], ca_profiles: dict[str, str]) -> tuple[Record, str]:
    """Trusted CA entries per service set (the lab holds no enrolled certificates yet)."""
    rec = Record("certificate-information")
    lines = []
    for ss in service_sets:
        if not ss.trusted_ca:
            continue
        b = rec.add("service-set-certificates")
        b.add("service-set-name", ss.name)
        b.add("total-entries", len(ss.trusted_ca))
        lines.append(f"Service set: {ss.name}, Total entries: {len(ss.trusted_ca)}")
        for i, ca in enumerate(ss.trusted_ca, 1):
            e = b.add("certificate-cache-entry")
            e.add("entry-number", i)
            e.add("issued-by", ca_profiles.get(ca, ca))
            lines += [f"  Certificate cache entry: {i}", "    Flags: Root Trusted", f"    Issued by: {ca_profiles.get(ca, ca)}",
                      f"    Issued to: {ca_profiles.get(ca, ca)}"]
    return rec, "\n".join(lines) + ("\n" if lines else "")


def pic_status(slots: list[tuple[str, bool, str]]) -> tuple[Record, str]:
    """`show chassis fpc pic-status`: (slot "F/P", online, description)."""
    rec = Record("fpc-information")
    lines = []
    fpcs: dict[str, list[tuple[str, bool, str]]] = {}
    for slot, up, desc in slots:
        fpcs.setdefault(slot.split("/")[0], []).append((slot, up, desc))
    for fpc, pics in sorted(fpcs.items(), key=lambda kv: int(kv[0])):
        f = rec.add("fpc")
        f.add("slot", fpc)
        f.add("state", "Online")
        lines.append(f"Slot {fpc}   Online       ")
        for slot, up, desc in pics:
            p = f.add("pic")
            p.add("pic-slot", slot.split("/")[1])
            p.add("pic-state", "Online" if up else "Offline")
            p.add("pic-type", desc)
            lines.append(f"  PIC {slot.split('/')[1]}  {'Online' if up else 'Offline':<11}  {desc}")
    return rec, "\n".join(line.rstrip() for line in lines) + ("\n" if lines else "")
