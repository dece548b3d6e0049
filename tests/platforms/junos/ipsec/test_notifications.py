"""Tunnel events of the default lab as kmd syslog lines and IF-MIB traps for the sp- unit."""

from __future__ import annotations

from routershell.runtime import notify, snmp

from ..harness import Transcript, lab


def _tags(dev) -> list[tuple[int, str]]:
    return [(int(x.when), x.text.split(": ")[1]) for x in dev.log if x.text.startswith("kmd")]


async def test_failover_syslog_and_traps(mock_clock, monkeypatch):
    sent: list[tuple] = []
    monkeypatch.setattr(snmp, "send_trap", lambda host, port, community, up, oid, vbs: sent.append((community, oid, dict(vbs))))
    async with lab(mock_clock) as app:
        dev = app.devices["r1"]
        t = Transcript(app)
        assert _tags(dev) == [(0, "KMD_PM_SA_ESTABLISHED")] * 2 + [(0, "KMD_VPN_UP_ALARM_USER")]
        await t.run("configure")
        await t.run("set snmp trap-group nms categories services")
        await t.run("set snmp trap-group nms targets 127.0.0.9")
        await t.run("commit")
        await t.run("exit")
        sent.clear()
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab clock advance 30s")
        # hello at the 20 s poll (up at 0.05 s: not yet inactive at 10 s), dead 6 s later
        assert _tags(dev)[3:] == [(26, "KMD_DPD_PEER_DEAD"), (26, "KMD_VPN_FAILOVER"), (26, "KMD_VPN_DOWN_ALARM_USER"),
                                  (26, "KMD_PM_SA_ESTABLISHED"), (26, "KMD_PM_SA_ESTABLISHED"), (26, "KMD_VPN_UP_ALARM_USER")]
        log = await t.run("show log messages | match KMD_VPN_FAILOVER")
        assert "r1 kmd[1263]: KMD_VPN_FAILOVER: VPN vpn-hq/to-hq/lan-to-hq: switching from remote gateway " \
               "198.51.100.1 to backup remote gateway 203.0.113.1" in log
        down, up = notify.IF_MIB_LINK_DOWN, notify.IF_MIB_LINK_UP
        assert [oid for _, oid, _ in sent] == [down, down, down, up]  # dead peer, failover, SA down, SA up
        terse = await t.run("show interfaces sp-1/2/0 | display xml")
        index = int(terse.split("<snmp-index>")[1].split("<")[0]) + 1  # unit 0 follows its interface
        for community, _, vbs in sent:
            assert community == "nms"
            assert vbs[f"{notify.IF_DESCR}.{index}"] == "sp-1/2/0.0"
        assert sent[-1][2][f"{notify.IF_OPER_STATUS}.{index}"] == 1


async def test_revert_is_logged_after_six_failovers(mock_clock):
    async with lab(mock_clock) as app:
        dev = app.devices["r1"]
        t = Transcript(app)
        await t.run("lab peer 198.51.100.1 down")
        await t.run("lab peer 203.0.113.1 down")
        await t.run("lab clock advance 400s")
        tags = [tag for _, tag in _tags(dev)]
        assert tags.count("KMD_VPN_FAILOVER") == 6
        assert tags.count("KMD_VPN_REVERT") == 1
        assert "KMD_VPN_SWITCHBACK" in tags
