"""A certificate authority that lives in the lab world: its own RSA key and self-signed
certificate, real X.509 certificates issued from PKCS#10 requests, revocation and a CRL published
on the lab clock.

Enrollment is modelled at the level a device sees it (no SCEP on the wire): `enroll(request,
now)` answers "issued" with the certificate, or "pending" while the request waits for the CA
administrator (`approval_delay` lab seconds after the CA first saw that public key), or
"rejected" (`reject` set). `reachable` false makes the CA not answer at all (the device's retry
counter runs out). Serial numbers come from the world's seeded stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .ca_spec import CaSpec
from .pki import generate_rsa_key, parse_subject


@dataclass
class EnrollResult:
    status: str  # issued | pending | rejected | unreachable
    certificate: x509.Certificate | None = None


@dataclass
class LabCa:
    spec: CaSpec
    now: Callable[[], datetime]  # the lab's date (clock.datetime)
    clock: Callable[[], float]  # lab seconds
    rng: random.Random
    key: rsa.RSAPrivateKey = field(init=False)
    certificate: x509.Certificate = field(init=False)
    issued: dict[int, x509.Certificate] = field(default_factory=dict)
    revoked: dict[int, datetime] = field(default_factory=dict)
    first_seen: dict[bytes, float] = field(default_factory=dict)  # public key -> lab seconds
    crl_number: int = 0
    reachable: bool = True  # `lab ca NAME down|up` (starts as the lab file says)

    def __post_init__(self) -> None:
        self.reachable = self.spec.reachable
        self.key = generate_rsa_key(self.spec.key_size, self.rng)
        name = parse_subject(self.spec.subject) if self.spec.subject else x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, self.spec.name)])
        start = self.now() - timedelta(days=1)
        self.certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(self._serial()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=self.spec.ca_validity_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256()))

    @property
    def crl_url(self) -> str:
        return self.spec.crl_url or self.spec.url.rstrip("/") + "/crl"

    def _serial(self) -> int:
        return self.rng.getrandbits(63) | (1 << 62)

    def answers(self, url: str) -> bool:
        return self.reachable and url in (self.spec.url, self.crl_url)

    def issue(self, csr: x509.CertificateSigningRequest, days: float | None = None,
              not_before: datetime | None = None) -> x509.Certificate:
        """Sign a request (its subject and alternative names) for `days` (default validity_days)."""
        if not csr.is_signature_valid:
            raise ValueError("request signature does not verify")
        start = not_before or self.now()
        b = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(self.certificate.subject)
             .public_key(csr.public_key()).serial_number(self._serial()).not_valid_before(start)
             .not_valid_after(start + timedelta(days=days if days is not None else self.spec.validity_days))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
             .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                 [x509.UniformResourceIdentifier(self.crl_url)], None, None, None)]), critical=False))
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            b = b.add_extension(san.value, critical=False)
        except x509.ExtensionNotFound:
            pass
        cert = b.sign(self.key, hashes.SHA256())
        self.issued[cert.serial_number] = cert
        return cert

    def enroll(self, csr: x509.CertificateSigningRequest, days: int | None = None) -> EnrollResult:
        """One enrollment attempt (a device's poll) at the lab's current time."""
        if not self.reachable:
            return EnrollResult("unreachable")
        if self.spec.reject or not csr.is_signature_valid:
            return EnrollResult("rejected")
        pub = csr.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        seen = self.first_seen.setdefault(pub, self.clock())
        if self.clock() - seen < self.spec.approval_delay:
            return EnrollResult("pending")
        return EnrollResult("issued", self.issue(csr, days))

    def revoke(self, serial: int) -> bool:
        if serial not in self.issued or serial in self.revoked:
            return False
        self.revoked[serial] = self.now()
        return True

    def crl(self) -> x509.CertificateRevocationList:
        """The CRL as published now (a new CRL number each time it is fetched)."""
        self.crl_number += 1
        now = self.now()
        b = (x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject)
             .last_update(now).next_update(now + timedelta(hours=self.spec.crl_hours))
             .add_extension(x509.CRLNumber(self.crl_number), critical=False))
        for serial, when in sorted(self.revoked.items()):
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
        return b.sign(self.key, hashes.SHA256())
