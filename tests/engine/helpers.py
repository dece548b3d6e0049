"""Test helpers: a CA with two gateway certificates, and a factory for endpoint pairs."""

from __future__ import annotations

import datetime
import functools
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from routershell.engine.dpd import DpdPolicy
from routershell.engine.ike import IkeEndpoint
from routershell.engine.pair import EndpointPair
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.engine.retransmit import Schedule

A, B = ("192.0.2.1", 500), ("198.51.100.2", 500)
NOT_BEFORE = datetime.datetime(2020, 1, 1)
NOT_AFTER = datetime.datetime(2040, 1, 1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "routershell lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, pub, signer, ca: bool):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(pub)
         .serial_number(random.Random(str(subject)).getrandbits(63)).not_valid_before(NOT_BEFORE)
         .not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return b.sign(signer, hashes.SHA256())


@functools.cache
def pki(tag: str = "ca"):
    """(ca_cert, {name: (cert, key)}) for gateways "a" and "b"; cached per tag."""
    ca_key = rsa.generate_private_key(65537, 2048)
    ca = _cert(_name(f"{tag} root"), _name(f"{tag} root"), ca_key.public_key(), ca_key, True)
    out = {}
    for gw in ("a", "b"):
        k = rsa.generate_private_key(65537, 2048)
        out[gw] = (_cert(_name(f"gw-{gw}"), ca.subject, k.public_key(), ca_key, False), k)
    return ca, out


FAST = Schedule((1.0, 2.0, 4.0), "test")


DEFAULT_IKE = (IkeProposal(),)
DEFAULT_CHILD = (IpsecProposal(),)
DEFAULT_DPD = DpdPolicy()


def peer(address: str, side: str, *, ike=DEFAULT_IKE, child=DEFAULT_CHILD,
         ts: tuple[str, str] | None = ("10.1.0.0/16", "10.2.0.0/16"), psk=b"s3cret",
         mode="main", dpd: DpdPolicy | None = DEFAULT_DPD, schedule=FAST,
         ca_tag: str = "ca", trusted_tag: str = "ca", **kw) -> PeerConfig:
    local_ts, remote_ts = (ts if side == "a" else (ts[1], ts[0])) if ts else (None, None)
    certs = {}
    if any(p.auth == "rsa-sig" for p in ike):
        ca, gws = pki(ca_tag)
        cert, key = gws[side]
        certs = dict(certificate=cert, private_key=key, trusted_cas=(pki(trusted_tag)[0],))
    return PeerConfig(address, ike_proposals=tuple(ike), psk=psk, mode=mode,
                      children=(ChildConfig("vpn", tuple(child), local_ts, remote_ts),),
                      dpd=dpd, retransmit=schedule, **certs, **kw)


def make_pair(a_kw: dict | None = None, b_kw: dict | None = None, seed: int = 1,
              drop=None) -> EndpointPair:
    a = IkeEndpoint(A, random.Random(seed), [peer(B[0], "a", **(a_kw or {}))])
    b = IkeEndpoint(B, random.Random(seed + 1000), [peer(A[0], "b", **(b_kw or {}))])
    return EndpointPair(a, b, drop=drop)


def up(pair: EndpointPair, child: str | None = "vpn") -> EndpointPair:
    pair.a.initiate(B, pair.now, child)
    pair.pump()
    return pair


def types(events) -> list[str]:
    return [type(e).__name__ for e in events]
