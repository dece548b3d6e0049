"""`show security pki …` records and text layouts (reconstructed from the JUNOS System Basics
and Services Command Reference; dates as the device prints them: `01- 1-2026 00:00 UTC`)."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ....cli.records import Record
from ....runtime.pki import fingerprint
from .state import subject_text


def when(dt: datetime) -> str:
    return f"{dt.month:02d}-{dt.day:2d}-{dt.year} {dt:%H:%M} UTC"


def _cn(name: x509.Name) -> str:
    cns = name.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else subject_text(name)


def _keyalg(key: object) -> str:
    return f"rsaEncryption({key.key_size} bits)" if isinstance(key, rsa.RSAPublicKey) else "unknown"


def _alt(obj: x509.Certificate | x509.CertificateSigningRequest) -> tuple[str, str, str]:
    try:
        san = obj.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "", "", ""
    first = lambda kind: next((str(v) for v in san.get_values_for_type(kind)), "")  # noqa: E731
    return first(x509.RFC822Name), first(x509.DNSName), first(x509.IPAddress)


def _cdp(cert: x509.Certificate) -> list[str]:
    try:
        cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [n.value for dp in cdp for n in (dp.full_name or []) if isinstance(n, x509.UniformResourceIdentifier)]


def certificates(tag: str, label: str, items: list[tuple[str, x509.Certificate]], detail: bool,
                 keypair: dict[str, str] | None = None) -> tuple[Record, str]:
    """Local (`label` "Certificate identifier") or CA certificates, one block each."""
    rec = Record(f"pki-{tag}-certificate-information")
    lines: list[str] = []
    for name, cert in items:
        r = rec.add(f"pki-{tag}-certificate")
        r.add("certificate-identifier", name)
        r.add("issued-to", _cn(cert.subject))
        r.add("issued-by", subject_text(cert.issuer))
        r.add("not-before", when(cert.not_valid_before_utc))
        r.add("not-after", when(cert.not_valid_after_utc))
        r.add("public-key-algorithm", _keyalg(cert.public_key()))
        lines.append(f"{label}: {name}")
        if not detail:
            lines += [f"  Issued to: {_cn(cert.subject)}, Issued by: {subject_text(cert.issuer)}",
                      "  Validity:", f"    Not before: {when(cert.not_valid_before_utc)}",
                      f"    Not after: {when(cert.not_valid_after_utc)}",
                      f"  Public key algorithm: {_keyalg(cert.public_key())}"]
            if keypair is not None:
                lines.append(f"  Keypair Location: {keypair.get(name, 'Keypair not found')}")
            lines.append("")
            continue
        email, fqdn, ip = _alt(cert)
        serial = f"{cert.serial_number:x}"
        r.add("serial-number", serial)
        r.add("subject", subject_text(cert.subject))
        lines += [f"  Certificate version: {cert.version.value + 1}", f"  Serial number: {serial}",
                  "  Issuer:", f"    {subject_text(cert.issuer)}",
                  "  Subject:", f"    {subject_text(cert.subject)}",
                  f"  Alternate subject: email {email or 'empty'}, fqdn {fqdn or 'empty'}, ip {ip or 'empty'}",
                  "  Validity:", f"    Not before: {when(cert.not_valid_before_utc)}",
                  f"    Not after: {when(cert.not_valid_after_utc)}",
                  f"  Public key algorithm: {_keyalg(cert.public_key())}",
                  f"  Signature algorithm: {cert.signature_algorithm_oid._name}"]
        cdp = _cdp(cert)
        if cdp:
            lines += ["  Distribution CRL:"] + [f"    {u}" for u in cdp]
        lines += ["  Fingerprint:", f"    {fingerprint(cert, 'sha1')} (sha1)", f"    {fingerprint(cert, 'md5')} (md5)"]
        r.add("fingerprint-sha1", fingerprint(cert, "sha1"))
        if keypair is not None:
            lines.append(f"  Keypair Location: {keypair.get(name, 'Keypair not found')}")
        lines.append("")
    return rec, "\n".join(lines) + ("\n" if lines and lines[-1] else "")


def requests(items: list[tuple[str, x509.CertificateSigningRequest]], detail: bool) -> tuple[Record, str]:
    rec = Record("pki-certificate-request-information")
    lines: list[str] = []
    for name, csr in items:
        r = rec.add("pki-certificate-request")
        r.add("certificate-identifier", name)
        r.add("issued-to", _cn(csr.subject))
        r.add("public-key-algorithm", _keyalg(csr.public_key()))
        lines += [f"Certificate identifier: {name}", f"  Issued to: {_cn(csr.subject)}",
                  f"  Public key algorithm: {_keyalg(csr.public_key())}"]
        if detail:
            email, fqdn, ip = _alt(csr)
            lines += ["  Subject:", f"    {subject_text(csr.subject)}",
                      f"  Alternate subject: email {email or 'empty'}, fqdn {fqdn or 'empty'}, ip {ip or 'empty'}",
                      "  Fingerprint:", f"    {fingerprint(csr, 'sha1')} (sha1)", f"    {fingerprint(csr, 'md5')} (md5)"]
        lines.append("")
    return rec, "\n".join(lines) + ("\n" if lines and lines[-1] else "")


def crls(items: list[tuple[str, x509.CertificateRevocationList]], detail: bool) -> tuple[Record, str]:
    rec = Record("pki-crl-information")
    lines: list[str] = []
    for name, crl in items:
        r = rec.add("pki-crl")
        try:
            number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        except x509.ExtensionNotFound:
            number = 0
        nxt = crl.next_update_utc
        r.add("ca-profile", name)
        r.add("crl-version", f"V{number:08x}")
        r.add("crl-issuer", subject_text(crl.issuer))
        r.add("effective-date", when(crl.last_update_utc))
        r.add("next-update", when(nxt) if nxt else "")
        lines += [f"CA profile: {name}", f"CRL version: V{number:08x}", f"CRL issuer: {subject_text(crl.issuer)}",
                  f"Effective date: {when(crl.last_update_utc)}", f"Next update: {when(nxt) if nxt else 'none'}"]
        revoked = sorted(crl, key=lambda rc: rc.serial_number)
        if detail:
            lines.append("Revocation List:")
            lines.append("  Serial number                     Revocation date")
            for rc in revoked:
                rr = r.add("revoked-certificate")
                rr.add("serial-number", f"{rc.serial_number:x}")
                rr.add("revocation-date", when(rc.revocation_date_utc))
                lines.append(f"  {rc.serial_number:<32x}  {when(rc.revocation_date_utc)}")
        lines.append("")
    return rec, "\n".join(lines) + ("\n" if lines and lines[-1] else "")
