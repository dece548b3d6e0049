"""Public-key material of a device, vendor-neutral: seeded RSA key generation, PKCS#10 requests,
the per-device store of key pairs, requests, local and CA certificates and CRLs, and the check
IKE runs on a peer's certificate (validity on the lab clock, revocation by CRL).

Keys are real RSA keys built with `cryptography` from primes drawn from the device's seeded
stream (runtime/rng.py), so one seed gives the same keys, requests and fingerprints every run;
signatures are PKCS#1 v1.5 (deterministic). The store keeps everything in memory and, when it
has a directory (the device's home), also as PEM files written atomically.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_SIZES = (1024, 2048, 4096)
_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % q for q in range(2, int(p ** 0.5) + 1))]
_SMALL_PRODUCT = 1
for _p in _SMALL_PRIMES:
    _SMALL_PRODUCT *= _p


def _mr_rounds(bits: int) -> int:
    """Miller-Rabin rounds for a random candidate of `bits` bits (FIPS 186-4, Table C.2: error
    below 2^-100)."""
    return 4 if bits >= 1536 else 5 if bits >= 1024 else 7 if bits >= 512 else 40


def _probable_prime(n: int, rng: random.Random, rounds: int) -> bool:
    import math

    if math.gcd(n, _SMALL_PRODUCT) != 1:  # one gcd instead of hundreds of divisions
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for i in range(rounds):
        a = 2 if i == 0 else rng.randrange(3, n - 2)  # base 2 first: rejects most composites cheaply
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random, e: int) -> int:
    rounds = _mr_rounds(bits)
    while True:
        # top two bits set: the product of two such primes has exactly 2*bits bits
        n = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (n - 1) % e and _probable_prime(n, rng, rounds):
            return n


def generate_rsa_key(bits: int, rng: random.Random) -> rsa.RSAPrivateKey:
    """A real RSA key of `bits` bits from the seeded stream `rng` (e = 65537)."""
    if bits not in KEY_SIZES:
        raise ValueError(f"key size is one of {KEY_SIZES}")
    e = 65537
    while True:
        p, q = _prime(bits // 2, rng, e), _prime(bits // 2, rng, e)
        if p != q:
            break
    if p < q:
        p, q = q, p
    d = pow(e, -1, (p - 1) * (q - 1))
    nums = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q))
    return nums.private_key()


def parse_subject(text: str) -> x509.Name:
    """`CN=r1,OU=lab,O=example,C=US` (commas; also `/`-separated) -> a Name, order kept."""
    oids = {"CN": NameOID.COMMON_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "O": NameOID.ORGANIZATION_NAME,
            "C": NameOID.COUNTRY_NAME, "L": NameOID.LOCALITY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME,
            "DC": NameOID.DOMAIN_COMPONENT, "SERIALNUMBER": NameOID.SERIAL_NUMBER}
    parts = [p.strip() for p in text.replace("/", ",").split(",") if p.strip()]
    attrs = []
    for p in parts:
        k, sep, v = p.partition("=")
        oid = oids.get(k.strip().upper())
        if not sep or oid is None or not v.strip():
            raise ValueError(f"bad subject field {p!r}")
        if oid == NameOID.COUNTRY_NAME and len(v.strip()) != 2:
            raise ValueError("country is two letters")
        attrs.append(x509.NameAttribute(oid, v.strip()))
    if not attrs:
        raise ValueError("empty subject")
    return x509.Name(attrs)


def make_csr(key: rsa.RSAPrivateKey, subject: x509.Name, domain: str | None = None,
             ip: str | None = None, email: str | None = None) -> x509.CertificateSigningRequest:
    """A PKCS#10 request signed with `key` (SHA-256), alternative names from domain/ip/email."""
    import ipaddress

    b = x509.CertificateSigningRequestBuilder().subject_name(subject)
    alt: list[x509.GeneralName] = []
    if domain:
        alt.append(x509.DNSName(domain))
    if ip:
        alt.append(x509.IPAddress(ipaddress.ip_address(ip)))
    if email:
        alt.append(x509.RFC822Name(email))
    if alt:
        b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return b.sign(key, hashes.SHA256())


def pem(obj: Any) -> str:
    """PEM text of a certificate, request or CRL."""
    return obj.public_bytes(serialization.Encoding.PEM).decode()


def fingerprint(cert: Any, algorithm: str = "sha1") -> str:
    h = {"sha1": hashes.SHA1(), "md5": hashes.MD5(), "sha256": hashes.SHA256()}[algorithm]
    if isinstance(cert, x509.Certificate):
        digest = cert.fingerprint(h)
    else:  # a request: the digest of its DER encoding
        hh = hashes.Hash(h)
        hh.update(cert.public_bytes(serialization.Encoding.DER))
        digest = hh.finalize()
    return ":".join(f"{b:02x}" for b in digest)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class Enrollment:
    """A local-certificate enrollment in progress (the device polls the CA on the lab clock)."""

    cert_id: str
    ca_profile: str
    request: x509.CertificateSigningRequest
    attempts: int = 0
    max_attempts: int = 0  # 0: until granted
    interval: float = 0.0
    timer: Any = None
    key: Any = None  # a new key pair (re-enrollment with re-generate-keypair): stored with the certificate
    days: int | None = None  # validity period asked of the CA (None: the CA's own)


@dataclass
class PkiStore:
    """One device's key pairs, requests, certificates and CRLs (by certificate id / CA profile)."""

    directory: Path | None = None
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    requests: dict[str, x509.CertificateSigningRequest] = field(default_factory=dict)
    local: dict[str, x509.Certificate] = field(default_factory=dict)
    ca: dict[str, x509.Certificate] = field(default_factory=dict)
    crls: dict[str, x509.CertificateRevocationList] = field(default_factory=dict)
    crl_fetched: dict[str, float] = field(default_factory=dict)  # lab seconds of the last download
    enrollments: dict[str, Enrollment] = field(default_factory=dict)
    listeners: list[Callable[[], None]] = field(default_factory=list)  # certificates changed

    def __post_init__(self) -> None:
        if self.directory is not None:
            self._load()

    # ---- persistence (PEM files, one per object) ---------------------------------------------

    _KINDS = {"key": "keys", "csr": "requests", "cert": "local", "ca": "ca", "crl": "crls"}

    def _path(self, kind: str, name: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{name}.{kind}.pem"

    def _load(self) -> None:
        assert self.directory is not None
        if not self.directory.is_dir():
            return
        loaders = {"key": lambda b: serialization.load_pem_private_key(b, None),
                   "csr": x509.load_pem_x509_csr, "cert": x509.load_pem_x509_certificate,
                   "ca": x509.load_pem_x509_certificate, "crl": x509.load_pem_x509_crl}
        for f in sorted(self.directory.glob("*.pem")):
            name, _, kind = f.name[:-4].rpartition(".")
            if kind in loaders and name:
                try:
                    getattr(self, self._KINDS[kind])[name] = loaders[kind](f.read_bytes())
                except ValueError:
                    continue  # a damaged file is skipped, never fatal

    def _save(self, kind: str, name: str, obj: Any) -> None:
        if self.directory is None:
            return
        if obj is None:
            self._path(kind, name).unlink(missing_ok=True)
            return
        if kind == "key":
            data = obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        else:
            data = obj.public_bytes(serialization.Encoding.PEM)
        _write_atomic(self._path(kind, name), data)

    def put(self, kind: str, name: str, obj: Any) -> None:
        """Store (or with obj None, delete) one object; certificate changes tell the listeners."""
        table = getattr(self, self._KINDS[kind])
        if obj is None:
            table.pop(name, None)
        else:
            table[name] = obj
        self._save(kind, name, obj)
        if kind in ("key", "cert", "ca", "crl"):
            for cb in list(self.listeners):
                cb()


class Rejected(Exception):
    """The peer's certificate is not acceptable: `reason` is a neutral reason code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


CERT_EXPIRED = "certificate-expired"
CERT_NOT_YET_VALID = "certificate-not-yet-valid"
CERT_REVOKED = "certificate-revoked"
CRL_UNAVAILABLE = "crl-unavailable"


@dataclass(eq=False)
class CertificateCheck:
    """What IKE asks about a peer certificate that chains to a trusted CA: `check(cert)` returns
    None or a reason code. `now()` is the lab's date; `crl(profile)` the CRL to use for a CA
    profile (None: none could be had); `profiles` the trusted CA profiles with their revocation
    setting ("crl", "disable" or "crl-optional": disable on-download-failure)."""

    now: Callable[[], datetime]
    crl: Callable[[str], x509.CertificateRevocationList | None]
    store: PkiStore
    profiles: tuple[tuple[str, str], ...]
    report: Callable[[x509.Certificate, str], None] | None = None  # told of each rejection

    def __call__(self, cert: x509.Certificate) -> str | None:
        reason = self._reason(cert)
        if reason is not None and self.report is not None:
            self.report(cert, reason)
        return reason

    def _reason(self, cert: x509.Certificate) -> str | None:
        when = self.now()
        if when < cert.not_valid_before_utc:
            return CERT_NOT_YET_VALID
        if when > cert.not_valid_after_utc:
            return CERT_EXPIRED
        for profile, revocation in self.profiles:
            ca = self.store.ca.get(profile)
            if ca is None or cert.issuer != ca.subject:
                continue
            if revocation == "disable":
                return None
            crl = self.crl(profile)
            if crl is None:
                return None if revocation == "crl-optional" else CRL_UNAVAILABLE
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                return CERT_REVOKED
            return None
        return None

    def __eq__(self, other: object) -> bool:
        # compiled tunnel specs compare equal across recompiles while the settings are the same
        return (isinstance(other, CertificateCheck) and other.store is self.store
                and other.profiles == self.profiles)

    def __hash__(self) -> int:
        return hash((id(self.store), self.profiles))
