"""The Junos side of PKI: a device's store (in its home directory), the CA profiles of the active
configuration, online enrollment on the lab clock, CRL downloads, the pkid log lines, and the
certificate material IKE uses for rsa-signatures.

Defaults where seed 002 gives only ranges (documented in docs/pki.md): `enrollment retry` 10
(retries after the first attempt; 0: no retries), `retry-interval` 900 seconds, CRL
`refresh-interval` 24 hours; revocation checking is on (seed 002: "By default, CRL
verification is enabled"). Log tags (pkid) are reconstructed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509

from ....config.tree import ConfigNode
from ....runtime import pki as rp
from ..ipsec.config import child, entries, flag, value

PKID = "pkid"
DEFAULT_RETRY = 10
DEFAULT_RETRY_INTERVAL = 900.0
DEFAULT_REFRESH_HOURS = 24


@dataclass(frozen=True)
class CaProfile:
    name: str
    identity: str
    url: str | None
    retry: int
    retry_interval: float
    revocation: str  # crl | disable | crl-optional (disable on-download-failure)
    crl_url: str | None
    refresh_hours: int


def profiles(tree: ConfigNode | None) -> dict[str, CaProfile]:
    pki = child(child(tree, "security"), "pki")
    out = {}
    for p in entries(pki, "ca-profile"):
        name = p.key or ""
        rc = child(p, "revocation-check")
        crl = child(rc, "crl")
        revocation = "disable" if flag(rc, "disable") else (
            "crl-optional" if flag(crl, "disable", "on-download-failure") else "crl")
        url_node = child(crl, "url")
        ri = value(p, "enrollment", "retry-interval")
        out[name] = CaProfile(
            name, value(p, "ca-identity") or name, value(p, "enrollment", "url"),
            int(value(p, "enrollment", "retry") or DEFAULT_RETRY),
            float(ri) if ri is not None else DEFAULT_RETRY_INTERVAL, revocation,
            url_node.value if url_node is not None else None,
            int(value(crl, "refresh-interval") or DEFAULT_REFRESH_HOURS))
    return out


def store_of(device: Any) -> rp.PkiStore:
    """The device's PKI store, created on first use (persisted under its home directory)."""
    st = getattr(device, "pki", None)
    if st is None:
        st = rp.PkiStore(device.home / "pki" if device.home is not None else None)
        device.pki = st
        st.listeners.append(lambda: _recompile(device))
    return st


def _recompile(device: Any) -> None:
    """Certificates changed: tunnels using rsa-signatures pick them up, and re-enrollment
    timers follow the new validity."""
    from ..ipsec import hooks

    hooks.apply(device)
    schedule_reenrollment(device)


def world_of(device: Any) -> Any:
    return getattr(device.driver, "world", None)


def log(device: Any, tag: str, text: str) -> None:
    device.syslog(f"{PKID}: {tag}: {text}")


def subject_text(name: x509.Name) -> str:
    """`CN=r1, O=example, C=US` (most specific first, as the device prints a DN)."""
    return ", ".join(a.rfc4514_string() for a in reversed(list(name)))


# ---- CA lookups, enrollment ------------------------------------------------------------------

def ca_for(device: Any, profile: CaProfile) -> Any:
    world = world_of(device)
    if world is None or not profile.url:
        return None
    return world.ca_at(profile.url)


def start_enrollment(device: Any, profile: CaProfile, cert_id: str, csr: x509.CertificateSigningRequest,
                     key: Any = None, days: int | None = None) -> None:
    """Poll the CA now and then every retry-interval until issued, rejected or out of retries."""
    st = store_of(device)
    old = st.enrollments.pop(cert_id, None)
    if old is not None and old.timer is not None:
        old.timer.cancel()
    st.put("csr", cert_id, csr)
    en = rp.Enrollment(cert_id, profile.name, csr, 0, profile.retry, profile.retry_interval, key=key, days=days)
    st.enrollments[cert_id] = en
    _attempt(device, en)


def _attempt(device: Any, en: rp.Enrollment) -> None:
    st = store_of(device)
    en.timer = None
    if st.enrollments.get(en.cert_id) is not en:
        return  # superseded or cleared
    en.attempts += 1
    prof = profiles(device.store.active).get(en.ca_profile)
    ca = ca_for(device, prof) if prof is not None else None
    result = ca.enroll(en.request, en.days) if ca is not None else None
    status = result.status if result is not None else "unreachable"
    who = f"certificate-id {en.cert_id}, CA profile {en.ca_profile}"
    if status == "issued":
        cert = result.certificate
        cacert = st.ca.get(en.ca_profile)
        if cacert is None or not _issued_by(cert, cacert):
            log(device, "PKID_CERT_ENROLL_FAILED", f"{who}: certificate not signed by the CA certificate of the profile")
        else:
            del st.enrollments[en.cert_id]
            if en.key is not None:
                st.put("key", en.cert_id, en.key)
            st.put("cert", en.cert_id, cert)
            st.put("csr", en.cert_id, None)
            log(device, "PKID_CERT_ENROLLED", f"Local certificate {en.cert_id} enrolled from CA profile "
                f"{en.ca_profile} (serial {cert.serial_number:x}, attempt {en.attempts})")
        return
    if status == "rejected":
        del st.enrollments[en.cert_id]
        log(device, "PKID_CERT_ENROLL_FAILED", f"{who}: request rejected by the CA")
        return
    if en.attempts > en.max_attempts:
        del st.enrollments[en.cert_id]
        log(device, "PKID_CERT_ENROLL_FAILED", f"{who}: no certificate after {en.attempts} attempts "
            f"({'CA not reachable' if status == 'unreachable' else 'request still pending'})")
        return
    what = "CA not reachable" if status == "unreachable" else "request pending at the CA"
    log(device, "PKID_CERT_ENROLL_RETRY", f"{who}: {what}, attempt {en.attempts} of {en.max_attempts + 1}, "
        f"retrying in {en.interval:g} seconds")
    en.timer = device.driver.scheduler.call_later(en.interval, lambda: _attempt(device, en),
                                                  name=f"{device.name} pki enroll {en.cert_id}")


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
        return True
    except Exception:  # noqa: BLE001 - wrong issuer or bad signature
        return False


# ---- CRLs ------------------------------------------------------------------------------------

def crl_for(device: Any, profile_name: str) -> x509.CertificateRevocationList | None:
    """The CRL to check against: the stored one while fresh (refresh-interval, next update),
    else a download from the profile's CRL URL (or the CA's distribution point); a failed
    download keeps the stored CRL."""
    st = store_of(device)
    prof = profiles(device.store.active).get(profile_name)
    cacert = st.ca.get(profile_name)
    if prof is None or cacert is None:
        return None
    now = device.now()
    have = st.crls.get(profile_name)
    fetched = st.crl_fetched.get(profile_name)
    fresh = (have is not None and fetched is not None
             and (prof.refresh_hours == 0 or now - fetched < prof.refresh_hours * 3600)
             and (have.next_update_utc is None or device.clock.datetime() < have.next_update_utc))
    if fresh:
        return have
    got = download_crl(device, prof, cacert)
    return got if got is not None else have


def download_crl(device: Any, prof: CaProfile, cacert: x509.Certificate) -> x509.CertificateRevocationList | None:
    world = world_of(device)
    url = prof.crl_url
    if url is None and world is not None:
        ca = next((c for c in world.cas.values() if c.certificate == cacert), None)
        url = ca.crl_url if ca is not None else None
    ca = world.ca_at(url) if world is not None and url else None
    if ca is None:
        log(device, "PKID_CRL_DOWNLOAD_FAILED", f"CA profile {prof.name}: no answer from {url or '(no CRL URL)'}")
        return None
    crl = ca.crl()
    if not crl.is_signature_valid(cacert.public_key()):
        log(device, "PKID_CRL_DOWNLOAD_FAILED", f"CA profile {prof.name}: CRL signature does not verify")
        return None
    st = store_of(device)
    st.put("crl", prof.name, crl)
    st.crl_fetched[prof.name] = device.now()
    log(device, "PKID_CRL_DOWNLOADED", f"CA profile {prof.name}: CRL from {url}, "
        f"{len(list(crl))} revoked certificate(s)")
    return crl


# ---- IKE -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IkeMaterial:
    certificate: x509.Certificate
    private_key: Any
    trusted_cas: tuple[x509.Certificate, ...]
    check: rp.CertificateCheck


def ike_material(device: Any, tree: ConfigNode, local_cert: str | None, trusted: list[str]
                 ) -> IkeMaterial | None:
    """What an rsa-signatures IKE policy needs: the local certificate and its key pair, the CA
    certificates of the trusted CA profiles (all loaded ones when none is named), and the check
    a peer certificate goes through. None while the certificate or key is missing."""
    st = store_of(device)
    if not local_cert or local_cert not in st.local or local_cert not in st.keys:
        return None
    profs = profiles(tree)
    names = [n for n in (trusted or sorted(st.ca)) if n in st.ca]
    cas = tuple(st.ca[n] for n in names)
    key = ("_pki_check", tuple((n, profs[n].revocation if n in profs else "crl") for n in names))
    checks = device.__dict__.setdefault("_pki_checks", {})
    check = checks.get(key)
    if check is None:
        check = rp.CertificateCheck(device.clock.datetime, lambda n: crl_for(device, n), st, key[1],
                                    report=lambda cert, reason: _rejected(device, cert, reason))
        checks[key] = check
    return IkeMaterial(st.local[local_cert], st.keys[local_cert], cas, check)


_REASONS = {rp.CERT_EXPIRED: "certificate has expired", rp.CERT_NOT_YET_VALID: "certificate is not yet valid",
            rp.CERT_REVOKED: "certificate has been revoked", rp.CRL_UNAVAILABLE: "no CRL available"}


def _rejected(device: Any, cert: x509.Certificate, reason: str) -> None:
    log(device, "PKID_PV_CERT_VERIFY_FAILED", f"Peer certificate {subject_text(cert.subject)} "
        f"(serial {cert.serial_number:x}) rejected: {_REASONS.get(reason, reason)}")


# ---- auto-re-enrollment ----------------------------------------------------------------------

@dataclass(frozen=True)
class AutoReenroll:
    cert_id: str
    ca_profile: str
    percentage: int  # of the validity period left when re-enrollment starts
    regenerate: bool
    days: int | None


DEFAULT_TRIGGER_PERCENTAGE = 10  # documented choice: the statement's range is 1..99


def auto_reenrollment(tree: ConfigNode | None) -> dict[str, AutoReenroll]:
    node = child(child(child(tree, "security"), "pki"), "auto-re-enrollment")
    out = {}
    for c in entries(node, "certificate-id"):
        prof = value(c, "ca-profile")
        if not prof:
            continue
        days = value(c, "validity-period")
        out[c.key or ""] = AutoReenroll(c.key or "", prof,
                                        int(value(c, "re-enroll-trigger-time-percentage") or DEFAULT_TRIGGER_PERCENTAGE),
                                        flag(c, "re-generate-keypair"), int(days) if days else None)
    return out


def schedule_reenrollment(device: Any) -> None:
    """(Re)arm one timer per configured certificate: at the moment `percentage` of its validity
    period is left, enroll again with the same subject and alternative names."""
    timers = device.__dict__.setdefault("_pki_reenroll", {})
    for t in timers.values():
        t.cancel()
    timers.clear()
    st = store_of(device)
    for cid, auto in auto_reenrollment(device.store.active).items():
        cert = st.local.get(cid)
        if cert is None:
            continue
        life = cert.not_valid_after_utc - cert.not_valid_before_utc
        trigger = cert.not_valid_after_utc - life * (auto.percentage / 100)
        deadline = max(device.now(), (trigger - device.clock.epoch).total_seconds())
        timers[cid] = device.driver.scheduler.call_at(
            deadline, lambda a=auto: _reenroll(device, a), name=f"{device.name} pki re-enroll {cid}")


def _reenroll(device: Any, auto: AutoReenroll) -> None:
    st = store_of(device)
    device.__dict__.get("_pki_reenroll", {}).pop(auto.cert_id, None)
    cert, key = st.local.get(auto.cert_id), st.keys.get(auto.cert_id)
    prof = profiles(device.store.active).get(auto.ca_profile)
    if cert is None or key is None or auto.cert_id in st.enrollments:
        return
    if prof is None or not prof.url:
        log(device, "PKID_CERT_ENROLL_FAILED", f"certificate-id {auto.cert_id}: re-enrollment needs CA profile "
            f"{auto.ca_profile} with an enrollment URL")
        return
    new_key = rp.generate_rsa_key(key.key_size, device.rng(f"pki re-key {auto.cert_id}")) if auto.regenerate else None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        alt = {"domain": next(iter(san.get_values_for_type(x509.DNSName)), None),
               "ip": next((str(a) for a in san.get_values_for_type(x509.IPAddress)), None),
               "email": next(iter(san.get_values_for_type(x509.RFC822Name)), None)}
    except x509.ExtensionNotFound:
        alt = {}
    csr = rp.make_csr(new_key or key, cert.subject, **alt)
    log(device, "PKID_CERT_AUTO_REENROLL", f"certificate-id {auto.cert_id}: {auto.percentage}% of the validity "
        f"period left, re-enrolling with CA profile {auto.ca_profile}"
        + (" (new key pair)" if new_key is not None else ""))
    start_enrollment(device, prof, auto.cert_id, csr, key=new_key, days=auto.days)
