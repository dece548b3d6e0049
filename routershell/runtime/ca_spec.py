"""What a lab file says about a certificate authority (`[ca.NAME]`), without the cryptography
the CA itself needs (runtime/ca.py): lab files load at startup, certificates only when used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaSpec:
    """A lab file's `[ca.NAME]` table."""

    name: str
    identity: str  # the ca-identity a device's CA profile names
    url: str  # enrollment URL (what `enrollment url` must say)
    subject: str = ""  # default: CN=<name>
    crl_url: str = ""  # CRL distribution point (default: <url>/crl)
    key_size: int = 2048
    validity_days: int = 365  # of the certificates it issues
    ca_validity_days: int = 3650
    crl_hours: float = 24.0  # next-update of each CRL it publishes
    approval_delay: float = 0.0  # lab seconds a request stays pending
    reachable: bool = True
    reject: bool = False
