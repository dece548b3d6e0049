"""PeerConfig.certificate_check: the runtime's verdict on a peer certificate (expiry, revocation)
fails phase 1 with INVALID-CERTIFICATE and its reason; None lets it through."""

from __future__ import annotations

from routershell.engine.constants import Notify
from routershell.engine.events import NegotiationFailed, Phase1Up
from routershell.engine.proposals import IkeProposal

from .helpers import make_pair, up

RSA = (IkeProposal("rsa-sig"),)


def test_check_rejecting_the_initiator_certificate_fails_phase1():
    seen = []

    def check(cert):
        seen.append(cert.subject.rfc4514_string())
        return "certificate-revoked"

    pair = up(make_pair(dict(ike=RSA), dict(ike=RSA, certificate_check=check)))
    pair.advance(1.5)  # refused again on the retransmission
    (fb,) = pair.all_events("b", NegotiationFailed)
    assert (fb.phase, fb.reason, fb.notify, fb.sent) == (1, "certificate-revoked", Notify.INVALID_CERTIFICATE, True)
    assert seen and all("gw-a" in s for s in seen)
    assert not pair.all_events("a", Phase1Up)


def test_check_on_the_initiator_and_accepting_check():
    pair = up(make_pair(dict(ike=RSA, certificate_check=lambda cert: "certificate-expired"),
                        dict(ike=RSA, certificate_check=lambda cert: None)))
    pair.advance(1.5)
    (fa,) = pair.all_events("a", NegotiationFailed)
    assert (fa.reason, fa.notify) == ("certificate-expired", Notify.INVALID_CERTIFICATE)
    ok = up(make_pair(dict(ike=RSA, certificate_check=lambda cert: None),
                      dict(ike=RSA, certificate_check=lambda cert: None)))
    assert ok.all_events("a", Phase1Up) and ok.all_events("b", Phase1Up)
