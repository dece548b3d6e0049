"""An emulated Junos router with a certificate enrolled from the lab CA against a real
strongSwan charon whose certificate the same lab CA issued: IKEv1 main mode with RSA signatures
both ways; a revoked charon certificate makes r1 refuse phase 1 with its pkid and kmd lines.
Ephemeral ports only (the fixture of test_junos_strongswan)."""

from __future__ import annotations

import random
from contextlib import asynccontextmanager

import pytest
import trio
from cryptography.hazmat.primitives import serialization

from routershell.app import App
from routershell.engine.events import NegotiationFailed
from routershell.labs.labfile import parse_lab
from routershell.runtime import pki as rp

from .ports import free_udp_pair, free_udp_ports
from .test_junos_strongswan import (
    CHARON,
    LAN_R1,
    LAN_SWAN,
    R1,
    SETS,
    Ports,
    Router,
    conn,
    initiate,
    lab_text,
    start_charon,
)

pytestmark = pytest.mark.external

CA = """
[ca.lab-ca]
url = "http://ca.lab.example/scep"
subject = "CN=Lab CA,O=example,C=US"
key_size = 2048
"""


@pytest.fixture
def ports() -> Ports:
    """Ports the system reports free: a pair for r1's bridge, two for charon."""
    bridge = free_udp_pair()
    while True:
        charon, charon_nat = free_udp_ports(2)
        if not {charon, charon_nat} & {bridge, bridge + 1}:
            return Ports(bridge, charon, charon_nat)


def rsa_services(establish: str = "on-traffic") -> list[str]:
    p = "set services ipsec-vpn"
    s = SETS[0]
    return [
        "set security pki ca-profile lab-ca ca-identity lab-ca",
        "set security pki ca-profile lab-ca enrollment url http://ca.lab.example/scep",
        "set services service-set ss-real interface-service service-interface sp-1/2/0",
        f"set services service-set ss-real ipsec-vpn-options local-gateway {R1}",
        "set services service-set ss-real ipsec-vpn-options trusted-ca lab-ca",
        "set services service-set ss-real ipsec-vpn-rules real",
        "set interfaces ge-0/0/0 unit 0 family inet service input service-set ss-real",
        "set interfaces ge-0/0/0 unit 0 family inet service output service-set ss-real",
        f"{p} ike proposal ike-p authentication-method rsa-signatures",
        f"{p} ike proposal ike-p authentication-algorithm {s.hash}",
        f"{p} ike proposal ike-p encryption-algorithm {s.cipher}",
        f"{p} ike proposal ike-p dh-group {s.group}",
        f"{p} ike policy ike-pol mode main",
        f"{p} ike policy ike-pol proposals ike-p",
        f"{p} ike policy ike-pol local-certificate r1-cert",
        f"{p} ipsec proposal esp-p protocol esp",
        f"{p} ipsec proposal esp-p authentication-algorithm hmac-sha1-96",
        f"{p} ipsec proposal esp-p encryption-algorithm {s.esp_cipher}",
        f"{p} ipsec policy esp-pol perfect-forward-secrecy keys group2",
        f"{p} ipsec policy esp-pol proposals esp-p",
        f"{p} rule real term t1 from source-address {LAN_R1}",
        f"{p} rule real term t1 from destination-address {LAN_SWAN}",
        f"{p} rule real term t1 then remote-gateway {CHARON}",
        f"{p} rule real term t1 then dynamic ike-policy ike-pol",
        f"{p} rule real term t1 then dynamic ipsec-policy esp-pol",
        f"{p} rule real match-direction output",
        f"{p} establish-tunnels {establish}",
    ]


@asynccontextmanager
async def pki_router(mock_clock, ports: Ports):
    """The interop lab of test_junos_strongswan with the lab CA added."""
    app = App("real", trio_clock=mock_clock, lab=parse_lab(lab_text(ports) + CA, "interop-pki.toml"))
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            yield Router(app)
        finally:
            n.cancel_scope.cancel()
            await app.aclose()


async def enroll_r1(r, establish: str = "on-traffic") -> None:
    await r.configure(rsa_services(establish))
    t = r.t
    assert "loaded successfully" in await t.run("request security pki ca-certificate enroll ca-profile lab-ca", ["yes"])
    await t.run("request security pki generate-key-pair certificate-id r1-cert size 2048")
    await t.run('request security pki local-certificate enroll certificate-id r1-cert ca-profile lab-ca '
                f'subject "CN=r1,O=example,C=US" ip-address {R1}')
    assert "r1-cert" in r.dev.pki.local


def charon_credentials(tmp_path, ca) -> tuple[str, str, str, int]:
    """A key and certificate for charon from the lab CA, written as PEM files."""
    key = rp.generate_rsa_key(2048, random.Random("charon"))
    cert = ca.issue(rp.make_csr(key, rp.parse_subject("CN=swan,O=example,C=US"), ip=CHARON))
    d = tmp_path / "creds"
    d.mkdir()
    (d / "swan.pem").write_text(rp.pem(cert))
    (d / "swan.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                   serialization.PrivateFormat.TraditionalOpenSSL,
                                                   serialization.NoEncryption()))
    (d / "ca.pem").write_text(rp.pem(ca.certificate))
    return str(d / "swan.pem"), str(d / "swan.key"), str(d / "ca.pem"), cert.serial_number


async def test_rsa_signatures_against_strongswan(mock_clock, ports, charon_factory, tmp_path):
    async with pki_router(mock_clock, ports) as r:
        await enroll_r1(r)
        cert, key, cacert, _ = charon_credentials(tmp_path, r.app.world.cas["lab-ca"])
        charon = start_charon(charon_factory, ports, conn(ports, auth="pubkey", cert=cert, key=key, cacert=cacert))
        res = await initiate(charon)
        assert res.returncode == 0, res.stdout + res.stderr + charon.log_text()[-3000:]
        (ike,) = charon.list_sas().values()
        assert ike["state"] == "ESTABLISHED" and ike["version"] == "1"
        assert ike["remote-id"].startswith("CN=r1")  # the DN of r1's certificate
        out = await r.show("ike security-associations detail")
        assert "Authentication method: RSA-signatures" in out, out
        assert ike["initiator-spi"] in out


async def test_revoked_strongswan_certificate_is_refused(mock_clock, ports, charon_factory, tmp_path):
    # charon's certificate is revoked before r1 starts phase 1 (establish-tunnels immediately):
    # r1 downloads the CRL, refuses charon's certificate in main mode's last message and logs it
    async with pki_router(mock_clock, ports) as r:
        ca = r.app.world.cas["lab-ca"]
        cert, key, cacert, serial = charon_credentials(tmp_path, ca)
        assert "revoked" in await r.t.run(f"lab ca lab-ca revoke {serial:x}")
        start_charon(charon_factory, ports, conn(ports, auth="pubkey", cert=cert, key=key, cacert=cacert))
        await enroll_r1(r, establish="immediately")
        await r.until(lambda: r.of(NegotiationFailed), timeout=20, what="phase 1 failure")
        assert r.of(NegotiationFailed)[0].reason == "certificate-revoked"
        log = [ln.text for ln in r.dev.log]
        assert any("PKID_CRL_DOWNLOADED" in x and "1 revoked certificate(s)" in x for x in log), log
        assert any(f"(serial {serial:x}) rejected: certificate has been revoked" in x for x in log), log
        assert any(f"KMD_PM_PHASE1_NEGOTIATION_FAILED: Local gateway: {R1}, Remote gateway: {CHARON}, "
                   "reason: certificate-revoked" in x for x in log), log
