"""Record trees and text layouts of the Junos AS/MS PIC IPsec show commands.

Pure functions of runtime state (TunnelState, engine IkeSa/IpsecSa) and the lab time `now`, so
golden tests can feed hand-built states. Layouts: seed 002 (ipsec security-associations) and
the Junos 9.3 Services Interfaces Configuration Guide (the rest, reconstructed).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
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


# Each show builds its record first and renders the text from that record only, so what a
# person reads and what `| display xml|json` prints cannot drift apart.


def _text(rec: Record, tag: str) -> str:
    return rec.findtext(tag, "") or ""


def _field(rec: Record, prefix: str, tag: str) -> str:
    return _text(rec, prefix + tag)


# ---- IKE -------------------------------------------------------------------------------------


def _phase2_in_progress(sa: Any) -> int:
    return sum(1 for ex in getattr(sa, "exchanges", {}).values() if ex.kind == "quick" and ex.purge_at is None)


def ike_sas(sas: Iterable[Any], now: float, detail: bool = False, local_of: dict[str, str] | None = None) -> tuple[Record, str]:
    rec = Record("ike-security-associations-information")
    for sa in sorted(sas, key=lambda s: (s.peer[0], s.created_at)):
        r = rec.add("ike-security-associations")
        r.add("ike-sa-remote-address", sa.peer[0])
        r.add("ike-sa-state", _matured(sa))
        r.add("ike-sa-initiator-cookie", sa.icookie.hex())
        r.add("ike-sa-responder-cookie", sa.rcookie.hex())
        r.add("ike-sa-exchange-type", sa.mode.capitalize())
        if not detail:
            continue
        p = sa.proposal
        life = sa.remaining(now)
        r.add("ike-sa-role", sa.role.capitalize())
        r.add("ike-sa-authentication-method", "Pre-shared-keys" if (p is None or p.auth == "psk") else "RSA-signatures")
        if life is not None:
            r.add("ike-sa-lifetime", _secs(life))
        r.add("ike-sa-local-address", (local_of or {}).get(sa.peer[0], ""))
        r.add("ike-sa-local-port", 500)
        r.add("ike-sa-remote-port", sa.peer[1])
        r.add("ike-sa-authentication-algorithm", p.hash if p else "-")
        r.add("ike-sa-encryption-algorithm", _CIPHER.get(p.cipher, p.cipher) if p else "-")
        r.add("ike-sa-prf-algorithm", f"hmac-{p.hash if p else 'sha1'}")
        r.add("ike-sa-input-bytes", sa.bytes_in)
        r.add("ike-sa-output-bytes", sa.bytes_out)
        r.add("ike-sa-input-packets", sa.packets_in)
        r.add("ike-sa-output-packets", sa.packets_out)
        r.add("ike-sa-flags", "IKE SA created" if sa.state == "established" else "IKE SA negotiating")
        r.add("ike-sa-ipsec-sas-created", getattr(sa, "ipsec_created", 0))
        r.add("ike-sa-ipsec-sas-deleted", getattr(sa, "ipsec_deleted", 0))
        r.add("ike-sa-phase2-negotiations-in-progress", _phase2_in_progress(sa))
    return rec, ike_sas_text(rec, detail)


def ike_sas_text(rec: Record, detail: bool) -> str:
    lines: list[str] = []
    if not detail:
        lines.append(f"{'Remote Address':<16}{'State':<14}{'Initiator cookie':<18}{'Responder cookie':<18}Exchange type")
    for r in rec.findall("ike-security-associations"):
        t = partial(_field, r, "ike-sa-")
        if not detail:
            lines.append(f"{t('remote-address'):<16}{t('state'):<14}{t('initiator-cookie'):<18}{t('responder-cookie'):<18}{t('exchange-type')}")
            continue
        life = r.findtext("ike-sa-lifetime")
        lines += [
            f"IKE peer {t('remote-address')}",
            f"  Role: {t('role')}, State: {t('state')}",
            f"  Initiator cookie: {t('initiator-cookie')}, Responder cookie: {t('responder-cookie')}",
            f"  Exchange type: {t('exchange-type')}, Authentication method: {t('authentication-method')}",
            f"  Local: {t('local-address')}:{t('local-port')}, Remote: {t('remote-address')}:{t('remote-port')}",
            f"  Lifetime: Expires in {life} seconds" if life is not None else "  Lifetime: Not established",
            "  Algorithms:",
            f"   Authentication        : {t('authentication-algorithm')}",
            f"   Encryption            : {t('encryption-algorithm')}",
            f"   Pseudo random function: {t('prf-algorithm')}",
            "  Traffic statistics:",
            f"   Input  bytes  : {t('input-bytes'):>20}",
            f"   Output bytes  : {t('output-bytes'):>20}",
            f"   Input  packets: {t('input-packets'):>20}",
            f"   Output packets: {t('output-packets'):>20}",
            f"  Flags: {t('flags')}",
            f"  IPSec security associations: {t('ipsec-sas-created')} created, {t('ipsec-sas-deleted')} deleted",
            f"  Phase 2 negotiations in progress: {t('phase2-negotiations-in-progress')}",
            "",
        ]
    return "\n".join(lines) + ("\n" if lines and lines[-1] != "" else "")


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
    by_set: dict[str, list[TunnelState]] = {}
    for t in tunnels:
        ss = t.spec.labels.get("service-set", "")
        if service_set and ss != service_set:
            continue
        if peer and t.active_gateway != peer:
            continue
        if not _directions(t) and not detail:
            continue
        by_set.setdefault(ss, []).append(t)
    for ss, ts in by_set.items():
        block = rec.add("service-set-security-associations-information")
        block.add("service-set-name", ss)
        for t in ts:
            lab = t.spec.labels
            b = block.add("sa-tunnel-information")
            b.add("sa-rule-name", lab.get("rule") or "dynamic")
            b.add("sa-term-name", lab.get("term") or "dynamic")
            b.add("sa-tunnel-index", t.index)
            b.add("sa-local-gateway", t.spec.local)
            if lab.get("routing-instance"):
                b.add("sa-local-gateway-routing-instance", lab["routing-instance"])
            b.add("sa-remote-gateway", t.active_gateway or "")
            if lab.get("inside-interface"):
                b.add("sa-ipsec-inside-interface", lab["inside-interface"])
            if detail:
                if t.spec.selectors:
                    lo, re_ = t.spec.selectors[0]
                    b.add("sa-local-identity", lo)
                    b.add("sa-remote-identity", re_)
                b.add("sa-tunnel-state", t.state)
                b.add("sa-ike-state", "Matured" if (t.ike_sa is not None and t.ike_sa.state == "established") else "Not matured")
                b.add("sa-tunnel-role", t.role)
                probe = getattr(t, "failover", None)
                if probe is not None and probe.hellos_sent:
                    b.add("sa-dpd-hellos-sent", probe.hellos_sent)
            for row in _directions(t):
                d = b.add("sa-block")
                d.add("sa-direction", row["direction"])
                d.add("sa-spi", row["spi"])
                d.add("sa-aux-spi", row["aux"])
                d.add("sa-mode", "tunnel")
                d.add("sa-type", row["type"])
                d.add("sa-protocol", row["protocol"])
                sa = row["sa"]
                hard = sa.remaining(now) if sa is not None else None
                if hard is not None:
                    d.add("sa-hard-lifetime", _secs(hard))
                if not detail:
                    continue
                d.add("sa-state", "Installed")
                d.add("sa-authentication-algorithm", row["auth"] or "none")
                d.add("sa-encryption-algorithm", row["enc"] or "none")
                if sa is not None:
                    if sa.soft_at is not None:
                        d.add("sa-soft-lifetime", _secs(max(0.0, sa.soft_at - now)))
                    d.add("sa-anti-replay-service", "Disabled" if lab.get("no-anti-replay") else "Enabled")
                    d.add("sa-replay-window-size", 64)
    return rec, ipsec_sas_text(rec, detail)


def ipsec_sas_text(rec: Record, detail: bool) -> str:
    lines: list[str] = []
    for block in rec.findall("service-set-security-associations-information"):
        lines += [f"Service set: {_text(block, 'service-set-name')}", ""]
        for b in block.findall("sa-tunnel-information"):
            t = partial(_field, b, "sa-")
            ri = b.findtext("sa-local-gateway-routing-instance")
            local = t("local-gateway") + (f" ({ri})" if ri else "")
            lines.append(f"  Rule: {t('rule-name')}, Term: {t('term-name')}, Tunnel index: {t('tunnel-index')}")
            lines.append(f"  Local gateway: {local}, Remote gateway: {t('remote-gateway')}")
            if b.find("sa-ipsec-inside-interface") is not None:
                lines.append(f"  IPSec inside interface: {t('ipsec-inside-interface')}")
            if detail:
                if b.find("sa-local-identity") is not None:
                    lines.append(f"  Local identity: ipv4_subnet(any:0,[0..7]={t('local-identity')})")
                    lines.append(f"  Remote identity: ipv4_subnet(any:0,[0..7]={t('remote-identity')})")
                lines.append(f"  Tunnel state: {t('tunnel-state')}, IKE SA: {t('ike-state')}, Role: {t('tunnel-role')}")
                if b.find("sa-dpd-hellos-sent") is not None:
                    lines.append(f"  Dead peer detection: in progress, hellos sent: {t('dpd-hellos-sent')}")
            lines.append("")
            rows = b.findall("sa-block")
            if not detail and rows:
                lines.append(f"    {'Direction':<10}{'SPI':<12}{'AUX-SPI':<12}{'Mode':<10}{'Type':<9}Protocol")
            for d in rows:
                r = partial(_field, d, "sa-")
                if not detail:
                    lines.append(f"    {r('direction'):<10}{r('spi'):<12}{r('aux-spi'):<12}{r('mode'):<10}{r('type'):<9}{r('protocol')}")
                    continue
                lines += [
                    f"    Direction: {r('direction')}, SPI: {r('spi')}, AUX-SPI: {r('aux-spi')}",
                    f"    Mode: {r('mode')}, Type: {r('type')}, State: {r('state')}",
                    f"    Protocol: {r('protocol')}, Authentication: {r('authentication-algorithm')}, Encryption: {r('encryption-algorithm')}",
                ]
                if d.find("sa-anti-replay-service") is not None:  # a negotiated SA (not a manual one)
                    if d.find("sa-soft-lifetime") is not None:
                        lines.append(f"    Soft lifetime: Expires in {r('soft-lifetime')} seconds")
                    lines.append(f"    Hard lifetime: Expires in {r('hard-lifetime')} seconds")
                    lines.append(f"    Anti-replay service: {r('anti-replay-service')}, Replay window size: {r('replay-window-size')}")
                lines.append("")
            if rows and not detail:
                lines.append("")
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


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
        x = b.add("error-statistics")
        for tag in ("ah-authentication-failures", "replay-errors", "esp-authentication-failures",
                    "esp-decryption-failures", "bad-headers", "bad-trailers"):
            x.add(tag, 0)
    return rec, ipsec_statistics_text(rec)


def ipsec_statistics_text(rec: Record) -> str:
    lines: list[str] = []
    for b in rec.findall("usp-ipsec-statistics-information"):
        e = partial(_field, b, "esp-statistics/esp-")
        h = partial(_field, b, "ah-statistics/ah-")
        x = partial(_field, b, "error-statistics/")
        lines += [
            f"PIC: {_text(b, 'pic-name')}, Service set: {_text(b, 'service-set-name')}", "", "ESP Statistics:",
            f"  Encrypted bytes:   {e('encrypted-bytes'):>14}", f"  Decrypted bytes:   {e('decrypted-bytes'):>14}",
            f"  Encrypted packets: {e('encrypted-packets'):>14}", f"  Decrypted packets: {e('decrypted-packets'):>14}",
            "AH Statistics:",
            f"  Input bytes:       {h('input-bytes'):>14}", f"  Output bytes:      {h('output-bytes'):>14}",
            f"  Input packets:     {h('input-packets'):>14}", f"  Output packets:    {h('output-packets'):>14}",
            "Errors:",
            f"  AH authentication failures: {x('ah-authentication-failures')}, Replay errors: {x('replay-errors')}",
            f"  ESP authentication failures: {x('esp-authentication-failures')}, ESP decryption failures: {x('esp-decryption-failures')}",
            f"  Bad headers: {x('bad-headers')}, Bad trailers: {x('bad-trailers')}", "",
        ]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


def service_sets_summary(service_sets: list[Any], tunnels: list[TunnelState], pic_up: Any) -> tuple[Record, str]:
    """`show services service-sets summary`: per services PIC, service sets and IPsec tunnels."""
    from .compile import service_set_pic

    rec = Record("service-set-summary-information")
    per_pic: dict[str, list[Any]] = {}
    for ss in service_sets:
        per_pic.setdefault(service_set_pic(ss) or "0/0", []).append(ss)
    for pic, sets in sorted(per_pic.items()):
        names = {s.name for s in sets}
        r = rec.add("service-set-summary-information-entry")
        r.add("interface-name", f"sp-{pic}/0")
        r.add("service-sets-configured", len(sets))
        r.add("ipsec-tunnels", sum(1 for t in tunnels if t.spec.labels.get("service-set") in names and t.ipsec_sas))
        r.add("pic-state", "Online" if pic_up(pic) else "Offline")
    return rec, service_sets_summary_text(rec)


def service_sets_summary_text(rec: Record) -> str:
    lines = [f"{'Interface':<13}{'Service sets':>13}{'IPsec tunnels':>15}  State"]
    for r in rec.findall("service-set-summary-information-entry"):
        lines.append(f"{_text(r, 'interface-name'):<13}{_text(r, 'service-sets-configured'):>13}"
                     f"{_text(r, 'ipsec-tunnels'):>15}  {_text(r, 'pic-state'):<8}".rstrip())
    return "\n".join(lines) + "\n"


_SS_STATS = (("input-bytes", "Input bytes:    "), ("output-bytes", "Output bytes:   "),
             ("input-packets", "Input packets:  "), ("output-packets", "Output packets: "))


def service_sets_statistics(service_sets: list[Any], tunnels: list[TunnelState]) -> tuple[Record, str]:
    rec = Record("service-set-statistics-information")
    for ss in service_sets:
        sas = [sa for t in tunnels if t.spec.labels.get("service-set") == ss.name for sa in t.ipsec_sas]
        r = rec.add("service-set-statistics")
        r.add("service-set-name", ss.name)
        r.add("input-bytes", sum(sa.bytes_in for sa in sas))
        r.add("output-bytes", sum(sa.bytes_out for sa in sas))
        r.add("input-packets", sum(sa.packets_in for sa in sas))
        r.add("output-packets", sum(sa.packets_out for sa in sas))
    return rec, service_sets_statistics_text(rec)


def service_sets_statistics_text(rec: Record) -> str:
    lines: list[str] = []
    for r in rec.findall("service-set-statistics"):
        lines.append(f"Service set: {_text(r, 'service-set-name')}")
        lines += [f"  {label}{_text(r, tag):>14}" for tag, label in _SS_STATS]
        lines.append("")
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


def _cert_date(dt: Any) -> str:
    """`2005 Nov 21st, 23:28:22 GMT` (the Junos 9.3 Services Interfaces Configuration Guide, layout [U])."""
    d = dt.day
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{dt.year} {dt:%b} {d}{suffix}, {dt:%H:%M:%S} GMT"


def certificates(service_sets: list[Any], ca_profiles: dict[str, str], ca_certs: dict[str, Any] | None = None,
                 local_certs: dict[str, list[Any]] | None = None) -> tuple[Record, str]:
    """Per service set: its trusted CA profiles (Root Trusted; with the loaded CA certificate's
    names and validity once there is one) and the local certificates its IKE policies use
    (Non-root Trusted)."""
    from cryptography.x509.oid import NameOID

    def cn(name: Any) -> str:
        v = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(v[0].value) if v else name.rfc4514_string()

    ca_certs = ca_certs or {}
    local_certs = local_certs or {}
    rec = Record("certificate-information")
    for ss in service_sets:
        locals_ = local_certs.get(ss.name, [])
        if not ss.trusted_ca and not locals_:
            continue
        b = rec.add("service-set-certificates")
        b.add("service-set-name", ss.name)
        b.add("total-entries", len(ss.trusted_ca) + len(locals_))
        entries = [("Root Trusted", ca, ca_certs.get(ca)) for ca in ss.trusted_ca]
        entries += [("Non-root Trusted", "", c) for c in locals_]
        for i, (flags, ca, cert) in enumerate(entries, 1):
            e = b.add("certificate-cache-entry")
            e.add("entry-number", i)
            e.add("flags", flags)
            e.add("issued-by", cn(cert.issuer) if cert is not None else ca_profiles.get(ca, ca))
            e.add("issued-to", cn(cert.subject) if cert is not None else ca_profiles.get(ca, ca))
            if cert is not None:
                e.add("not-before", _cert_date(cert.not_valid_before_utc))
                e.add("not-after", _cert_date(cert.not_valid_after_utc))
    return rec, certificates_text(rec)


def certificates_text(rec: Record) -> str:
    lines: list[str] = []
    for b in rec.findall("service-set-certificates"):
        lines.append(f"Service set: {_text(b, 'service-set-name')}, Total entries: {_text(b, 'total-entries')}")
        for e in b.findall("certificate-cache-entry"):
            lines += [f"  Certificate cache entry: {_text(e, 'entry-number')}", f"    Flags: {_text(e, 'flags')}",
                      f"    Issued by: {_text(e, 'issued-by')}", f"    Issued to: {_text(e, 'issued-to')}"]
            if e.find("not-before") is not None:
                lines += ["    Validity:", f"      Not before: {_text(e, 'not-before')}",
                          f"      Not after: {_text(e, 'not-after')}"]
    return "\n".join(lines) + ("\n" if lines else "")


def pic_status(slots: list[tuple[str, bool, str]]) -> tuple[Record, str]:
    """`show chassis fpc pic-status`: (slot "F/P", online, description)."""
    rec = Record("fpc-information")
    fpcs: dict[str, list[tuple[str, bool, str]]] = {}
    for slot, up, desc in slots:
        fpcs.setdefault(slot.split("/")[0], []).append((slot, up, desc))
    for fpc, pics in sorted(fpcs.items(), key=lambda kv: int(kv[0])):
        f = rec.add("fpc")
        f.add("slot", fpc)
        f.add("state", "Online")
        for slot, up, desc in pics:
            p = f.add("pic")
            p.add("pic-slot", slot.split("/")[1])
            p.add("pic-state", "Online" if up else "Offline")
            p.add("pic-type", desc)
    return rec, pic_status_text(rec)


def pic_status_text(rec: Record) -> str:
    lines: list[str] = []
    for f in rec.findall("fpc"):
        lines.append(f"Slot {_text(f, 'slot')}   {_text(f, 'state')}       ")
        for p in f.findall("pic"):
            lines.append(f"  PIC {_text(p, 'pic-slot')}  {_text(p, 'pic-state'):<11}  {_text(p, 'pic-type')}")
    return "\n".join(line.rstrip() for line in lines) + ("\n" if lines else "")
