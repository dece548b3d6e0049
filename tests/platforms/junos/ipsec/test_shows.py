"""Show renderers on hand-built tunnel states: seed-002 layout, lifetimes counting down on the
clock, detail, filters, JSON/XML from the same record, and the commands through a session."""

from __future__ import annotations

from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.engine.sa import IkeSa, IpsecSa
from routershell.platforms.junos.ipsec import shows
from routershell.platforms.junos.ipsec.compile import compile_specs
from routershell.runtime.ipsec import TunnelState

from ..harness import Transcript, lab
from .helpers import conf, load, tree

PROP = IpsecProposal("esp", "3des", "hmac-sha1", None, 28800)


def _ike(peer: str, state: str = "established") -> IkeSa:
    sa = IkeSa(bytes.fromhex("d82610c59114fd37"), bytes.fromhex("ec4391f76783ef28"), (peer, 500), "initiator", "main", 0.0,
               state=state, auth="psk", proposal=IkeProposal("psk", "sha1", "3des", 2, 3600),
               established_at=1.0 if state == "established" else None, lifetime_s=3600)
    sa.bytes_in, sa.bytes_out, sa.packets_in, sa.packets_out = 1140, 1304, 5, 6
    return sa


def _states() -> list[TunnelState]:
    """The seed-002 routed-tunnels example: term 1 failed over to its backup, term 2 up."""
    s1, s2 = compile_specs(tree(conf("routed_tunnels.conf")))
    t1 = TunnelState(s1, 1, "10.8.7.1", "backup", "up", _ike("10.8.7.1"),
                     [IpsecSa(("10.8.7.1", 500), s1.name, "initiator", PROP, 3216392497, 398917249, 2.0)])
    t2 = TunnelState(s2, 2, "10.12.7.5", "primary", "up", _ike("10.12.7.5"),
                     [IpsecSa(("10.12.7.5", 500), s2.name, "initiator", PROP, 762146783, 319191515, 2.0)])
    return [t1, t2]


SEED_LAYOUT = """\
Service set: link_type_ss_1

  Rule: link_rule_1, Term: 1, Tunnel index: 1
  Local gateway: 10.8.7.2, Remote gateway: 10.8.7.1
  IPSec inside interface: sp-3/3/0.3

    Direction SPI         AUX-SPI     Mode      Type     Protocol
    inbound   3216392497  0           tunnel    dynamic  ESP
    outbound  398917249   0           tunnel    dynamic  ESP

  Rule: link_rule_1, Term: 2, Tunnel index: 2
  Local gateway: 10.8.7.2, Remote gateway: 10.12.7.5
  IPSec inside interface: sp-3/3/0.5

    Direction SPI         AUX-SPI     Mode      Type     Protocol
    inbound   762146783   0           tunnel    dynamic  ESP
    outbound  319191515   0           tunnel    dynamic  ESP
"""


def test_ipsec_sas_seed_layout_with_active_gateway():
    rec, text = shows.ipsec_sas(_states(), 10.0)
    assert text == SEED_LAYOUT
    assert [b.findtext("sa-remote-gateway") for b in rec.findall("service-set-security-associations-information/sa-tunnel-information")] == ["10.8.7.1", "10.12.7.5"]


def test_ipsec_sas_filters_and_down_tunnels_hidden():
    states = _states()
    states[1].ipsec_sas = []
    states[1].state = "negotiating"
    _, text = shows.ipsec_sas(states, 10.0)
    assert "Term: 2" not in text and "Term: 1" in text
    _, text = shows.ipsec_sas(_states(), 10.0, peer="10.12.7.5")
    assert "Term: 1," not in text and "Term: 2," in text
    assert shows.ipsec_sas(_states(), 10.0, service_set="other")[1] == ""


def test_ipsec_detail_lifetimes_count_down():
    _, at100 = shows.ipsec_sas(_states(), 100.0, detail=True)
    _, at400 = shows.ipsec_sas(_states(), 400.0, detail=True)
    # created at 2 s, lifetime 28800 s, soft at 90 %
    assert "    Hard lifetime: Expires in 28702 seconds\n" in at100
    assert "    Soft lifetime: Expires in 25822 seconds\n" in at100
    assert "    Hard lifetime: Expires in 28402 seconds\n" in at400
    assert "  Tunnel state: up, IKE SA: Matured, Role: backup\n" in at100
    assert "    Protocol: ESP, Authentication: hmac-sha1-96, Encryption: 3des-cbc\n" in at100


def test_ike_sas_brief_and_detail():
    sas = [_ike("10.12.7.5"), _ike("10.8.7.1", "negotiating")]
    _, text = shows.ike_sas(sas, 44.0)
    assert text == (
        "Remote Address  State         Initiator cookie  Responder cookie  Exchange type\n"
        "10.12.7.5       Matured       d82610c59114fd37  ec4391f76783ef28  Main\n"
        "10.8.7.1        Not matured   d82610c59114fd37  ec4391f76783ef28  Main\n")
    _, detail = shows.ike_sas(sas[:1], 57.0, detail=True, local_of={"10.12.7.5": "10.8.7.2"})
    assert detail.startswith("IKE peer 10.12.7.5\n  Role: Initiator, State: Matured\n")
    assert "  Local: 10.8.7.2:500, Remote: 10.12.7.5:500\n  Lifetime: Expires in 3544 seconds\n" in detail
    assert "   Input  bytes  :                 1140\n" in detail


def test_statistics_and_manual_rows():
    states = _states()
    states[0].ipsec_sas[0].account(1500, 3, 5.0, inbound=True)
    states[0].ipsec_sas[0].account(3000, 6, 5.0, inbound=False)
    _, text = shows.ipsec_statistics(states)
    assert text.startswith("PIC: sp-3/3/0, Service set: link_type_ss_1\n\nESP Statistics:\n")
    assert "  Encrypted bytes:             3000\n  Decrypted bytes:             1500\n" in text
    (mspec,) = compile_specs(tree(conf("manual_sa.conf")))
    _, text = shows.ipsec_sas([TunnelState(mspec, 1, "10.5.5.2", "primary", "up")], 0.0)
    assert "    inbound   16000       0           tunnel    manual   ESP\n" in text
    assert "    outbound  16000       0           tunnel    manual   ESP\n" in text


def test_pic_status_layout():
    _, text = shows.pic_status([("3/3", False, "Adaptive Services PIC"), ("3/1", True, "Adaptive Services PIC")])
    assert text == "Slot 3   Online\n  PIC 3  Offline      Adaptive Services PIC\n  PIC 1  Online       Adaptive Services PIC\n"


class _FakeTunnels:
    """Stands in for W1's TunnelManager surface the show/request commands read (tunnels, switch)."""

    def __init__(self, states):
        self.states = states
        self.applied = []
        self.switched = []

    def apply(self, specs, now):
        self.applied.append([s.name for s in specs])

    def tunnels(self):
        return self.states

    def endpoint(self, local):
        return None

    def switch(self, local, remote, now):
        self.switched.append((local, remote, now))
        return [("link_type_ss_1/link_rule_1/1", remote)] if remote == "10.8.7.1" else []

    def settled(self):
        return True


async def test_commands_through_a_session(mock_clock):
    async with lab(mock_clock) as app:
        dev = next(iter(app.devices.values()))
        dev.tunnels = _FakeTunnels(_states())
        t = Transcript(app)
        await t.run("configure")
        await load(t, conf("routed_tunnels.conf"))
        assert await t.run("commit") == "commit complete\n"
        seed = [[n for n in names if n.startswith("link_type")] for names in dev.tunnels.applied]
        assert seed == [["link_type_ss_1/link_rule_1/1", "link_type_ss_1/link_rule_1/2"]]
        await t.run("exit")
        assert await t.run("show services ipsec-vpn ipsec security-associations") == SEED_LAYOUT
        js = await t.run("show services ipsec-vpn ipsec security-associations | display json")
        assert '"sa-spi" : [\n' in js or '"sa-spi" : [' in js
        assert '"data" : "3216392497"' in js
        xml = await t.run("show services ipsec-vpn ipsec security-associations | display xml")
        assert "<sa-remote-gateway>10.8.7.1</sa-remote-gateway>" in xml
        out = await t.run("request services ipsec-vpn ipsec switch tunnel local-gateway 10.8.7.2 remote-gateway 10.8.7.1")
        assert out == "IPSec tunnel switched to remote-gateway 10.8.7.1\n"
        # PIC offline: its service set's tunnels leave the applied specs; online brings them back
        assert (await t.run("request chassis pic fpc-slot 3 pic-slot 3 offline")).startswith("fpc 3 pic 3 offline initiated")
        assert dev.tunnels.applied[-1] == ["vpn-hq/to-hq/lan-to-hq"]  # the default lab's, on PIC 1/2
        assert "PIC 3  Offline" in await t.run("show chassis fpc pic-status")
        assert "sp-3/3/0                 1              2  Offline" in await t.run("show services service-sets summary")
        await t.run("request chassis pic fpc-slot 3 pic-slot 3 online")
        assert len(dev.tunnels.applied[-1]) == 3
