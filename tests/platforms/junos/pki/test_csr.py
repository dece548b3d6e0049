"""Key pairs and PKCS#10 requests are real: the PEM a router prints parses and verifies with
`cryptography` and with `openssl req -verify`; certificates and CRLs of the lab CA verify with
`openssl verify` / `openssl crl`."""

from __future__ import annotations

import re
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from routershell.runtime import pki as rp
from tests.conftest import require_tool

from .helpers import enroll, on, pki_lab

PEM_CSR = re.compile(r"-----BEGIN CERTIFICATE REQUEST-----\n.*?-----END CERTIFICATE REQUEST-----\n", re.S)


@pytest.mark.parametrize("size", [1024, 2048])
async def test_generated_request_verifies_with_cryptography_and_openssl(mock_clock, tmp_path, size):
    openssl = require_tool("openssl")
    async with pki_lab(mock_clock) as (app, t):
        await on(t, "r1")
        await t.run(f"request security pki generate-key-pair certificate-id k1 size {size}")
        out = await t.run('request security pki generate-certificate-request certificate-id k1 '
                          'subject "CN=r1,OU=lab,O=example,C=US" domain-name r1.example.net '
                          'ip-address 192.0.2.1 email ops@example.net')
    assert out.startswith("Generated certificate request\n")
    text = PEM_CSR.search(out).group(0)
    csr = x509.load_pem_x509_csr(text.encode())
    assert csr.is_signature_valid
    assert isinstance(csr.public_key(), rsa.RSAPublicKey) and csr.public_key().key_size == size
    assert csr.subject.rfc4514_string() == "C=US,O=example,OU=lab,CN=r1"
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["r1.example.net"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.0.2.1"]
    assert f"{rp.fingerprint(csr, 'sha1')} (sha1)" in out
    f = tmp_path / "r1.csr"
    f.write_text(text)
    res = subprocess.run([openssl, "req", "-in", str(f), "-verify", "-noout", "-text"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "verify OK" in res.stdout + res.stderr
    assert f"Public-Key: ({size} bit)" in res.stdout
    # a damaged request is refused by openssl (the check above can fail)
    body = text.splitlines()
    body[3] = body[3][:10] + ("A" if body[3][10] != "A" else "B") + body[3][11:]
    f.write_text("\n".join(body) + "\n")
    bad = subprocess.run([openssl, "req", "-in", str(f), "-verify", "-noout"], capture_output=True, text=True)
    assert bad.returncode != 0 or "verify OK" not in bad.stdout + bad.stderr


async def test_request_written_to_file_and_errors(mock_clock):
    async with pki_lab(mock_clock) as (app, t):
        await on(t, "r1")
        assert await t.run('request security pki generate-certificate-request certificate-id nokey subject "CN=r1"') == \
            "error: Key pair for certificate-id nokey not found\n"
        await t.run("request security pki generate-key-pair certificate-id k1")
        assert await t.run("request security pki generate-key-pair certificate-id k1") == \
            "error: Key pair with certificate-id k1 already exists\n"
        assert (await t.run('request security pki generate-certificate-request certificate-id k1 subject "XX=1"')
                ).startswith("error: Invalid subject")
        out = await t.run('request security pki generate-certificate-request certificate-id k1 subject "CN=r1" '
                          'filename r1.csr')
        home = app.devices["r1"].home
        assert (home / "r1.csr").read_text() == PEM_CSR.search(out).group(0)
        # the key pair is stored as PEM in the device's home (a real RSA key, 1024 bits by default)
        key = (home / "pki" / "k1.key.pem").read_bytes()
        from cryptography.hazmat.primitives import serialization

        assert serialization.load_pem_private_key(key, None).key_size == 1024
        assert "Certificate identifier: k1\n  Issued to: r1\n" in await t.run("show security pki certificate-request")


def test_seeded_keys_are_reproducible_and_valid():
    import random

    a = rp.generate_rsa_key(1024, random.Random(7))
    b = rp.generate_rsa_key(1024, random.Random(7))
    c = rp.generate_rsa_key(1024, random.Random(8))
    assert a.private_numbers() == b.private_numbers() != c.private_numbers()
    n = a.private_numbers()
    assert n.p * n.q == n.public_numbers.n and a.key_size == 1024
    with pytest.raises(ValueError):
        rp.generate_rsa_key(512, random.Random(1))


async def test_issued_certificate_and_crl_verify_with_openssl(mock_clock, tmp_path):
    openssl = require_tool("openssl")
    async with pki_lab(mock_clock, approval_delay=0) as (app, t):
        await enroll(t, "r1")
        assert "issued no certificate with serial 1" in await t.run("lab ca lab-ca revoke 1")
        dev = app.devices["r1"]
        cert = dev.pki.local["r1-cert"]
        ca = app.world.cas["lab-ca"]
        out = await t.run(f"lab ca lab-ca revoke {cert.serial_number:x}")
        assert out == f"CA lab-ca revoked certificate {cert.serial_number:x}; its next CRL lists it.\n"
        crl = ca.crl()
    (tmp_path / "ca.pem").write_text(rp.pem(ca.certificate))
    (tmp_path / "r1.pem").write_text(rp.pem(cert))
    (tmp_path / "crl.pem").write_text(rp.pem(crl))
    ok = subprocess.run([openssl, "verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "r1.pem")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "r1.pem: OK" in ok.stdout, ok.stdout + ok.stderr
    res = subprocess.run([openssl, "crl", "-in", str(tmp_path / "crl.pem"), "-CAfile", str(tmp_path / "ca.pem"),
                          "-noout", "-text"], capture_output=True, text=True)
    assert res.returncode == 0 and "verify OK" in res.stdout + res.stderr
    assert f"Serial Number: {cert.serial_number:X}" in res.stdout.replace("\n        ", " ")
    # the CRL makes openssl refuse the revoked certificate
    rev = subprocess.run([openssl, "verify", "-crl_check", "-CAfile", str(tmp_path / "ca.pem"),
                          "-CRLfile", str(tmp_path / "crl.pem"), str(tmp_path / "r1.pem")],
                         capture_output=True, text=True)
    assert rev.returncode != 0 and "revoked" in rev.stdout + rev.stderr


async def test_served_session_files_stay_in_the_device_home(mock_clock, tmp_path):
    # an SSH/telnet/NETCONF user must not write or read outside the device's home (README:
    # one rule for files); the PKI file names used to go anywhere, /etc/passwd included
    async with pki_lab(mock_clock) as (app, t):
        await on(t, "r1")
        t.session = app.new_session(client="ssh")
        await t.run("request security pki generate-key-pair certificate-id k1")
        outside = tmp_path / "x.csr"
        for name in (str(outside), "../../x.csr"):
            out = await t.run('request security pki generate-certificate-request certificate-id k1 subject "CN=r1" '
                              f"filename {name}")
            assert out == f"error: could not write file {name}\n"
        assert not outside.exists()
        outside.write_text("x")
        assert await t.run(f"request security pki local-certificate load certificate-id k1 filename {outside}") == \
            f"error: could not read file {outside}\n"
        out = await t.run('request security pki generate-certificate-request certificate-id k1 subject "CN=r1" '
                          "filename in-home.csr")
        assert out.startswith("Generated certificate request\n")
        assert (app.devices["r1"].home / "in-home.csr").is_file()
