"""Online enrollment on the lab clock (retry / retry-interval) and IKE with rsa-signatures
between two emulated routers: up with enrolled certificates, down with a revoked or expired one
(phase 1 fails with the router's kmd and pkid log lines)."""

from __future__ import annotations

from .helpers import enroll, on, pki_lab


def pkid(app, device: str) -> list[tuple[float, str]]:
    return [(ln.when, ln.text) for ln in app.devices[device].log if ln.text.startswith("pkid:")]


def matured(app, device: str) -> bool:
    from routershell.engine.sa import SaState

    tm = app.devices[device].tunnels
    ep = tm.endpoint("192.0.2.1" if device == "r1" else "192.0.2.2")
    return any(sa.state == SaState.ESTABLISHED for sa in ep.sadb.ike.values())


async def test_enrollment_polls_every_retry_interval_until_the_ca_grants(mock_clock):
    # the CA holds a request 45 s; the routers poll every 30 s: granted on the third attempt (60 s)
    async with pki_lab(mock_clock) as (app, t):
        out = await enroll(t, "r1")
        assert out.startswith("Certificate enrollment has started.")
        assert "Certificate identifier: r1-cert" in await t.run("show security pki certificate-request")
        await t.run("lab clock advance 59s")
        assert [w for w, _ in pkid(app, "r1")] == [0.0, 30.0]
        assert await t.run("show security pki local-certificate") == ""
        await t.run("lab clock advance 1s")
        log = pkid(app, "r1")
        assert log[2][0] == 60.0 and "PKID_CERT_ENROLLED: Local certificate r1-cert enrolled from CA profile " \
            "lab-ca" in log[2][1] and "attempt 3" in log[2][1]
        assert await t.run("show security pki certificate-request") == ""
        show = await t.run("show security pki local-certificate")
        assert show.startswith("Certificate identifier: r1-cert\n  Issued to: r1, Issued by: C=US, O=example, CN=Lab CA\n")
        assert "Keypair Location: Keypair generated locally" in show
        assert "pkid[" in await t.run("show log pkid")


async def test_enrollment_gives_up_after_retry_attempts(mock_clock):
    async with pki_lab(mock_clock, approval_delay=10000) as (app, t):
        await enroll(t, "r1")
        await t.run("lab clock advance 10m")
        log = pkid(app, "r1")
        # retry 5: the first attempt and five retries, 30 s apart, then the failure
        assert [w for w, _ in log] == [0.0, 30.0, 60.0, 90.0, 120.0, 150.0]
        assert "PKID_CERT_ENROLL_FAILED" in log[-1][1] and "after 6 attempts (request still pending)" in log[-1][1]
        assert app.devices["r1"].pki.local == {}


async def test_unreachable_ca(mock_clock):
    async with pki_lab(mock_clock, approval_delay=0) as (app, t):
        await on(t, "r1")
        await t.run("lab ca lab-ca down")
        assert (await t.run("request security pki ca-certificate enroll ca-profile lab-ca")) == \
            "error: Failed to retrieve CA certificate for profile lab-ca: no answer from http://ca.lab.example/scep\n"
        await t.run("lab ca lab-ca up")
        await t.run("request security pki ca-certificate enroll ca-profile lab-ca", ["no"])
        assert app.devices["r1"].pki.ca == {}  # answered no: nothing loaded
        await enroll(t, "r1")
        assert "r1-cert" in app.devices["r1"].pki.local
        assert await t.run("request security pki ca-certificate enroll ca-profile nope") == \
            "error: CA profile nope not configured\n"


async def renegotiate(t) -> None:
    """Clear the IKE and IPsec SAs: establish-tunnels immediately starts phase 1 afresh."""
    await t.run("clear services ipsec-vpn ike security-associations")
    await t.run("clear services ipsec-vpn ipsec security-associations")


async def _both_up(t, app) -> None:
    await enroll(t, "r1")
    await enroll(t, "r2")
    await t.run("lab clock advance 2m")
    assert matured(app, "r1") and matured(app, "r2")


async def test_rsa_signature_tunnel_between_two_routers(mock_clock):
    async with pki_lab(mock_clock) as (app, t):
        await enroll(t, "r1")
        await t.run("lab clock advance 2m")
        assert not matured(app, "r1")  # r2 has no certificate: no tunnel yet
        await enroll(t, "r2")
        await t.run("lab clock advance 2m")
        assert matured(app, "r1") and matured(app, "r2")
        await on(t, "r1")
        detail = await t.run("show services ipsec-vpn ike security-associations detail")
        assert "Authentication method: RSA-signatures" in detail
        assert "192.0.2.2" in await t.run("show services ipsec-vpn ipsec security-associations")


async def test_revoked_peer_certificate_fails_phase1(mock_clock):
    async with pki_lab(mock_clock) as (app, t):
        await _both_up(t, app)
        serial = app.devices["r2"].pki.local["r2-cert"].serial_number
        await t.run(f"lab ca lab-ca revoke {serial:x}")
        await on(t, "r1")
        # r1 holds a CRL downloaded at enrollment; until refresh-interval (1 hour) it is trusted
        await renegotiate(t)
        await t.run("lab clock advance 1m")
        assert matured(app, "r1")
        await t.run("lab clock advance 1h")
        await renegotiate(t)
        start = len(app.devices["r1"].log)
        await t.run("lab clock advance 2m")
        new = [ln.text for ln in list(app.devices["r1"].log)[start:]]
        every = [ln.text for ln in app.devices["r1"].log]
        assert any("PKID_CRL_DOWNLOADED" in x and "1 revoked certificate(s)" in x for x in every), every
        assert any(f"PKID_PV_CERT_VERIFY_FAILED: Peer certificate C=US, O=example, CN=r2 (serial {serial:x}) "
                   "rejected: certificate has been revoked" in x for x in new), new
        assert any("KMD_PM_PHASE1_NEGOTIATION_FAILED: Local gateway: 192.0.2.1, Remote gateway: 192.0.2.2, "
                   "reason: certificate-revoked" in x for x in new), new
        assert not matured(app, "r1")
        crl = await t.run("show security pki crl detail")
        assert f"  {serial:<32x}" in crl


async def test_crl_check_disabled_accepts_revoked(mock_clock):
    async with pki_lab(mock_clock) as (app, t):
        await _both_up(t, app)
        serial = app.devices["r2"].pki.local["r2-cert"].serial_number
        await t.run(f"lab ca lab-ca revoke {serial:x}")
        await on(t, "r1")
        for line in ("configure", "set security pki ca-profile lab-ca revocation-check disable",
                     "commit and-quit", "clear security pki crl all"):
            await t.run(line)
        await renegotiate(t)
        await t.run("lab clock advance 2m")
        assert matured(app, "r1")


async def test_expired_peer_certificate_fails_phase1(mock_clock):
    # r2 enrolls half a day before r1: a day later only r2's certificate has expired, and r1
    # (initiating after a clear) refuses it in main mode's last message
    async with pki_lab(mock_clock, validity_days=1) as (app, t):
        await enroll(t, "r2")
        await t.run("lab clock advance 12h")
        await enroll(t, "r1")
        await t.run("lab clock advance 2m")
        assert matured(app, "r1")
        await t.run("lab clock advance 12h")
        start = len(app.devices["r1"].log)
        await renegotiate(t)
        await t.run("lab clock advance 2m")
        new = [ln.text for ln in list(app.devices["r1"].log)[start:]]
        assert any("PKID_PV_CERT_VERIFY_FAILED: Peer certificate C=US, O=example, CN=r2" in x
                   and "rejected: certificate has expired" in x for x in new), new
        assert any("KMD_PM_PHASE1_NEGOTIATION_FAILED: Local gateway: 192.0.2.1, Remote gateway: 192.0.2.2, "
                   "reason: certificate-expired" in x for x in new), new
        assert not matured(app, "r1")


async def test_auto_re_enrollment_at_the_trigger_percentage(mock_clock):
    # validity 10 days, trigger at 20 % left: re-enrollment starts on day 8 with a new key pair
    async with pki_lab(mock_clock, validity_days=10, approval_delay=0) as (app, t):
        await enroll(t, "r1")
        first = app.devices["r1"].pki.local["r1-cert"]
        key = app.devices["r1"].pki.keys["r1-cert"]
        for line in ("configure",
                     "set security pki auto-re-enrollment certificate-id r1-cert ca-profile lab-ca",
                     "set security pki auto-re-enrollment certificate-id r1-cert re-enroll-trigger-time-percentage 20",
                     "set security pki auto-re-enrollment certificate-id r1-cert re-generate-keypair",
                     "set security pki auto-re-enrollment certificate-id r1-cert validity-period 30",
                     "commit and-quit"):
            await t.run(line)
        await t.run("lab clock advance 7d23h59m")
        assert app.devices["r1"].pki.local["r1-cert"] == first
        await t.run("lab clock advance 2m")
        pki = app.devices["r1"].pki
        new = pki.local["r1-cert"]
        assert new != first and new.serial_number != first.serial_number
        assert new.subject == first.subject
        assert (new.not_valid_after_utc - new.not_valid_before_utc).days == 30
        assert pki.keys["r1-cert"] is not key
        assert new.public_key().public_numbers() == pki.keys["r1-cert"].public_key().public_numbers()
        log = [x for _, x in pkid(app, "r1")]
        assert any("PKID_CERT_AUTO_REENROLL: certificate-id r1-cert: 20% of the validity period left, "
                   "re-enrolling with CA profile lab-ca (new key pair)" in x for x in log), log


async def test_lab_objectives_grade_the_enrollment(mock_clock):
    async with pki_lab(mock_clock) as (app, t):
        before = await t.run("lab grade")
        assert before.count("FAIL") == 2, before
        await enroll(t, "r1")
        await enroll(t, "r2")
        await t.run("lab clock advance 2m")
        after = await t.run("lab grade")
        assert "FAIL" not in after and after.count("PASS") == 2, after


async def test_service_set_certificates_show_the_enrolled_certificates(mock_clock):
    async with pki_lab(mock_clock, approval_delay=0) as (app, t):
        await on(t, "r1")
        before = await t.run("show services ipsec-vpn certificates")
        assert before == ("Service set: vpn-cert, Total entries: 1\n  Certificate cache entry: 1\n"
                          "    Flags: Root Trusted\n    Issued by: lab-ca\n    Issued to: lab-ca\n")
        await enroll(t, "r1")
        out = await t.run("show services ipsec-vpn certificates")
        assert out == ("Service set: vpn-cert, Total entries: 2\n"
                       "  Certificate cache entry: 1\n    Flags: Root Trusted\n    Issued by: Lab CA\n"
                       "    Issued to: Lab CA\n    Validity:\n      Not before: 2025 Dec 31st, 00:00:00 GMT\n"
                       "      Not after: 2035 Dec 29th, 00:00:00 GMT\n"
                       "  Certificate cache entry: 2\n    Flags: Non-root Trusted\n    Issued by: Lab CA\n"
                       "    Issued to: r1\n    Validity:\n      Not before: 2026 Jan 1st, 00:00:00 GMT\n"
                       "      Not after: 2027 Jan 1st, 00:00:00 GMT\n")
