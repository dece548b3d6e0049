"""The IPsec show commands render their text from the record they build (issue 10), and the
detailed IKE SA show ends with the reference layout's IPsec SA counts (issue 17 #8)."""

from __future__ import annotations

import copy

from routershell.engine.sa import ExchangeState
from routershell.platforms.junos.ipsec import shows

from .harness import Transcript, lab
from .ipsec.test_shows import _ike, _states


def _set(rec, path: str, text: str) -> None:
    node = rec.find(path)
    assert node is not None, path
    node.text = text


def test_text_is_rendered_from_the_record():
    rec, text = shows.ipsec_sas(_states(), 10.0)
    assert shows.ipsec_sas_text(rec, False) == text
    edited = copy.deepcopy(rec)
    _set(edited, "service-set-security-associations-information/sa-tunnel-information/sa-remote-gateway", "192.0.2.99")
    assert "Remote gateway: 192.0.2.99\n" in shows.ipsec_sas_text(edited, False)

    rec, text = shows.ipsec_sas(_states(), 100.0, detail=True)
    assert shows.ipsec_sas_text(rec, True) == text
    _set(rec, "service-set-security-associations-information/sa-tunnel-information/sa-block/sa-hard-lifetime", "7")
    assert "    Hard lifetime: Expires in 7 seconds\n" in shows.ipsec_sas_text(rec, True)

    rec, text = shows.ike_sas([_ike("10.12.7.5")], 57.0, detail=True, local_of={"10.12.7.5": "10.8.7.2"})
    assert shows.ike_sas_text(rec, True) == text
    _set(rec, "ike-security-associations/ike-sa-local-address", "10.9.9.9")
    assert "  Local: 10.9.9.9:500, Remote: 10.12.7.5:500\n" in shows.ike_sas_text(rec, True)

    rec, text = shows.ipsec_statistics(_states())
    assert shows.ipsec_statistics_text(rec) == text
    _set(rec, "usp-ipsec-statistics-information/esp-statistics/esp-decrypted-packets", "42")
    assert "  Decrypted packets:             42\n" in shows.ipsec_statistics_text(rec)

    rec, text = shows.pic_status([("3/3", False, "Adaptive Services PIC")])
    assert shows.pic_status_text(rec) == text


def test_ike_detail_counts_ipsec_sas_and_phase_2_in_progress():
    sa = _ike("10.12.7.5")
    sa.ipsec_created, sa.ipsec_deleted = 3, 2
    sa.exchanges[7] = ExchangeState("quick", "initiator", 7, "qm1-sent", 50.0)
    done = ExchangeState("quick", "initiator", 8, "done", 40.0)
    done.purge_at = 80.0
    sa.exchanges[8] = done
    _, text = shows.ike_sas([sa], 57.0, detail=True)
    assert text.endswith("  Flags: IKE SA created\n"
                         "  IPSec security associations: 3 created, 2 deleted\n"
                         "  Phase 2 negotiations in progress: 1\n")


async def test_ike_detail_counts_a_rekey_on_the_lab_clock(mock_clock):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("lab clock advance 5s")
        out = await t.run("show services ipsec-vpn ike security-associations detail")
        assert "  IPSec security associations: 1 created, 0 deleted\n  Phase 2 negotiations in progress: 0\n" in out
        # the IPsec SA (lifetime 3600 s) is rekeyed at its soft lifetime under the same IKE SA
        await t.run("lab clock advance 3300s")
        out = await t.run("show services ipsec-vpn ike security-associations detail")
        assert "  IPSec security associations: 2 created, 1 deleted\n" in out
