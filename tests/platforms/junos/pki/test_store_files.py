"""The PKI store survives a restart (PEM files under the device's home in the state directory);
certificates, CA certificates and CRLs load from files; [ca.NAME] in lab files is validated."""

from __future__ import annotations

import pytest

from routershell.labs.labfile import LabError, parse_lab
from routershell.runtime import pki as rp

from ..harness import Transcript, lab
from .helpers import LAB, LABS, enroll, lab_spec, on, pki_lab


async def test_store_persists_across_restart(mock_clock, tmp_path):
    async with lab(mock_clock, lab=lab_spec(approval_delay=0), state_dir=tmp_path) as app:
        t = Transcript(app)
        await enroll(t, "r1")
        before = await t.run("show security pki local-certificate detail")
        assert "r1-cert" in before
    assert sorted(p.name for p in (tmp_path / "r1" / "home" / "pki").iterdir()) == \
        ["lab-ca.ca.pem", "r1-cert.cert.pem", "r1-cert.key.pem"]
    async with lab(mock_clock, lab=lab_spec(approval_delay=0), state_dir=tmp_path) as app:
        t = Transcript(app)
        assert await t.run("show security pki local-certificate detail") == before
        assert "lab-ca" in await t.run("show security pki ca-certificate")


async def test_load_certificates_crl_from_files(mock_clock):
    async with pki_lab(mock_clock) as (app, t):
        await on(t, "r1")
        ca = app.world.cas["lab-ca"]
        home = app.devices["r1"].home
        (home / "ca.pem").write_text(rp.pem(ca.certificate))
        assert await t.run("request security pki crl load ca-profile lab-ca filename crl.pem") == \
            "error: CA certificate for profile lab-ca is not loaded\n"
        out = await t.run("request security pki ca-certificate load ca-profile lab-ca filename ca.pem", ["yes"])
        assert out.endswith("CA certificate for profile lab-ca loaded successfully\n")
        # manual enrollment: a request on the router, signed by the CA out of band, loaded back
        await t.run("request security pki generate-key-pair certificate-id man")
        await t.run('request security pki generate-certificate-request certificate-id man subject "CN=r1" filename man.csr')
        from cryptography import x509

        csr = x509.load_pem_x509_csr((home / "man.csr").read_bytes())
        (home / "man.pem").write_text(rp.pem(ca.issue(csr)))
        await t.run("request security pki generate-key-pair certificate-id other")
        assert await t.run("request security pki local-certificate load certificate-id other filename man.pem") == \
            "error: Certificate does not match the key pair of certificate-id other\n"
        assert await t.run("request security pki local-certificate load certificate-id man filename man.pem") == \
            "Local certificate man loaded successfully\n"
        assert "Certificate identifier: man" in await t.run("show security pki local-certificate")
        assert await t.run("show security pki certificate-request") == ""
        (home / "crl.pem").write_text(rp.pem(ca.crl()))
        assert await t.run("request security pki crl load ca-profile lab-ca filename crl.pem") == \
            "CRL for CA profile lab-ca loaded successfully\n"
        assert "CA profile: lab-ca" in await t.run("show security pki crl")
        assert await t.run("request security pki crl load ca-profile lab-ca filename nothere.pem") == \
            "error: could not read file nothere.pem\n"
        (home / "junk.pem").write_text("junk")
        assert await t.run("request security pki ca-certificate load ca-profile lab-ca filename junk.pem") == \
            "error: junk.pem: not a valid PEM file\n"
        assert await t.run("clear security pki key-pair certificate-id man") == ""
        assert await t.run("clear security pki key-pair all") == ""
        assert app.devices["r1"].pki.keys == {}
        assert not (home / "pki" / "man.key.pem").exists()


def test_shipped_lab_loads_and_ca_keys_are_checked():
    spec = parse_lab(LAB.read_text(), str(LAB), base=LABS)
    (ca,) = spec.cas
    assert (ca.name, ca.url, ca.approval_delay, ca.crl_hours) == ("lab-ca", "http://ca.lab.example/scep", 45.0, 24.0)
    base = 'name = "x"\n[devices.r1]\nplatform = "junos"\nconfig = "system { host-name r1; }"\n'
    for body, msg in [('[ca.a]\nurl = "u"\nkey_size = 512\n', "'key_size' must be an integer (1024..4096)"),
                      ('[ca.a]\nurl = "u"\nkey_size = 3000\n', "'key_size' is 1024, 2048 or 4096"),
                      ('[ca.a]\nurl = "u"\nsubject = "XX=1"\n', "'subject': bad subject field"),
                      ('[ca.a]\nurl = "u"\ncolour = 1\n', "unknown key 'colour'"),
                      ('[ca.a]\nidentity = "a"\n', "needs 'url'"),
                      ('[ca.a]\nurl = "u"\n[ca.b]\nurl = "u"\n', "CA url")]:
        with pytest.raises(LabError) as e:
            parse_lab(base + body, "x.toml")
        assert msg in str(e.value), str(e.value)


async def test_lab_reset_brings_a_downed_ca_back(mock_clock):
    async with pki_lab(mock_clock) as (app, t):
        await on(t, "r1")
        assert await t.run("lab ca lab-ca down") == "CA lab-ca is not answering.\n"
        assert "no CA 'nope' in this lab" in await t.run("lab ca nope down")
        await t.run("lab reset")
        assert app.world.cas["lab-ca"].reachable
        assert "loaded successfully" in await t.run("request security pki ca-certificate enroll ca-profile lab-ca", ["yes"])
