"""An emulated Junos router, configured through its CLI, against a real strongSwan charon through
the App's IKE bridge (issue 7): IKEv1 main mode + quick mode both ways, the issue's proposal
sets, NO_PROPOSAL_CHOSEN, wrong PSK, DPD, SIGKILL -> seed-001 failover to a lab backup gateway,
clean stop -> DELETE, and a lab capture that tshark decodes. Real (MockClock rate 1) time.

Every port is one the system reports free (`ports`), none of them 500, so all of this runs the
way issue 17 #5 found broken: charon marks every IKE message (RFC 3948 §2.2) and the bridge
answers on the socket and framing it uses; a test holding UDP 500 itself shows nothing here
needs it."""

from __future__ import annotations

import math
import os
import re
import socket
import subprocess
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import trio

from routershell.app import App
from routershell.engine import failover as fo
from routershell.engine.events import (
    AUTHENTICATION_FAILED,
    NO_PROPOSAL_CHOSEN,
    DpdAnswered,
    NegotiationFailed,
    Phase1Down,
    Phase2Up,
)
from routershell.engine.pcap import Datagram, to_pcap
from routershell.labs.labfile import parse_lab
from tests.conftest import require_tool
from tests.platforms.junos.harness import Transcript

from .charon import Conn
from .ports import free_udp_pair, free_udp_ports

pytestmark = pytest.mark.external

R1 = "192.0.2.1"  # r1's local gateway in the lab
CHARON = "127.0.0.2"  # strongSwan (real), r1's remote gateway
BACKUP = "203.0.113.1"  # a lab peer, r1's backup gateway
PSK = "interop-secret"
LAN_R1, LAN_SWAN = "172.16.1.0/24", "10.20.0.0/24"

STARTUP = """system {
    host-name r1;
}
interfaces {
    ge-0/0/0 {
        unit 0 {
            family inet {
                address 192.0.2.1/24;
            }
        }
    }
    ge-0/0/1 {
        unit 0 {
            family inet {
                address 172.16.1.1/24;
            }
        }
    }
    sp-1/2/0 {
        unit 0 {
            family inet;
        }
    }
}
"""

LAB = f"""
name = "interop"
seed = 1

[devices.r1]
platform = "junos"
model = "m7i"
ports = ["ge-0/0/0", "ge-0/0/1", "fxp0", "lo0"]
ike_bridge = "127.0.0.1:@BRIDGE@"
ike_bridge_peers = [{{ address = "{CHARON}", port = @CHARON_PORT@, nat_port = @CHARON_NAT@ }}]
config = '''{STARTUP}'''

[[devices.r1.modules]]
slot = "1/2"
name = "sp-1/2/0"
kind = "services"
capacity = 100

[[peers]]
name = "backup"
address = "{BACKUP}"
psk = "{PSK}"
ike = [{{ auth = "psk", hash = "sha1", cipher = "aes128", dh_group = 2 }}]
ipsec = [{{ protocol = "esp", cipher = "aes128", auth = "hmac-sha1", pfs_group = 2 }}]
local_ts = "{LAN_SWAN}"
remote_ts = "{LAN_R1}"
"""


@dataclass(frozen=True)
class Set:
    """One proposal set: strongSwan's names and the Junos statements that offer the same."""

    ike: str
    esp: str
    cipher: str
    hash: str
    group: str
    esp_cipher: str


SETS = [
    Set("aes128-sha1-modp1024", "aes128-sha1-modp1024", "aes-128-cbc", "sha1", "group2", "aes-128-cbc"),
    Set("3des-sha1-modp1024", "3des-sha1-modp1024", "3des-cbc", "sha1", "group2", "3des-cbc"),
    Set("aes256-sha256-modp1024", "aes128-sha1-modp1024", "aes-256-cbc", "sha256", "group2", "aes-128-cbc"),
    Set("3des-md5-modp768", "3des-sha1-modp1024", "3des-cbc", "md5", "group1", "3des-cbc"),
]


def services(s: Set = SETS[0], psk: str = PSK, establish: str = "on-traffic",
             backup: bool = False) -> list[str]:
    """`set` lines for r1's services ipsec-vpn rule towards strongSwan."""
    p = "set services ipsec-vpn"
    lines = [
        "set services service-set ss-real interface-service service-interface sp-1/2/0",
        f"set services service-set ss-real ipsec-vpn-options local-gateway {R1}",
        "set services service-set ss-real ipsec-vpn-rules real",
        "set interfaces ge-0/0/0 unit 0 family inet service input service-set ss-real",
        "set interfaces ge-0/0/0 unit 0 family inet service output service-set ss-real",
        f"{p} ike proposal ike-p authentication-method pre-shared-keys",
        f"{p} ike proposal ike-p authentication-algorithm {s.hash}",
        f"{p} ike proposal ike-p encryption-algorithm {s.cipher}",
        f"{p} ike proposal ike-p dh-group {s.group}",
        f"{p} ike policy ike-pol mode main",
        f"{p} ike policy ike-pol proposals ike-p",
        f'{p} ike policy ike-pol pre-shared-key ascii-text "{psk}"',
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
    if backup:
        lines.append(f"{p} rule real term t1 then backup-remote-gateway {BACKUP}")
    return lines


@dataclass(frozen=True)
class Ports:
    bridge: int  # r1's bridge (its NAT-T port is the next one)
    charon: int
    charon_nat: int


@pytest.fixture
def ports() -> Ports:
    """Ports the system reports free: a pair for the bridge, two for charon."""
    bridge = free_udp_pair()
    while True:
        charon, charon_nat = free_udp_ports(2)
        if not {charon, charon_nat} & {bridge, bridge + 1}:
            return Ports(bridge, charon, charon_nat)


def lab_text(ports: Ports) -> str:
    return (LAB.replace("@BRIDGE@", str(ports.bridge)).replace("@CHARON_PORT@", str(ports.charon))
            .replace("@CHARON_NAT@", str(ports.charon_nat)))


def conn(ports: Ports, s: Set = SETS[0], **kw) -> Conn:
    return Conn(local=CHARON, remote="127.0.0.1", remote_port=ports.bridge, proposals=s.ike,
                esp_proposals=s.esp, local_ts=LAN_SWAN, remote_ts=LAN_R1, **kw)


def start_charon(charon_factory, ports: Ports, c: Conn):
    return charon_factory(c, port=ports.charon, nat_port=ports.charon_nat)


class Router:
    """The App with r1 and its bridge open; `events` collects (lab time, tunnel, event)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.t = Transcript(app)
        self.dev = app.devices["r1"]
        self.events: list[tuple[float, str, object]] = []
        self.dev.tunnels.subscribe(lambda name, ev: self.events.append((app.clock.now(), name, ev)))

    async def configure(self, lines: list[str]) -> None:
        await self.t.run("configure")
        for line in lines:
            out = await self.t.run(line)
            assert "error" not in out and "syntax" not in out, (line, out)
        out = await self.t.run("commit and-quit")
        assert "commit complete" in out, out

    def of(self, kind: type) -> list:
        return [ev for _, _, ev in self.events if isinstance(ev, kind)]

    async def until(self, pred: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
        with trio.move_on_after(timeout):
            while not pred():
                await trio.sleep(0.02)
            return
        raise AssertionError(f"timed out waiting for {what or pred}")

    async def show(self, what: str) -> str:
        return await self.t.run(f"show services ipsec-vpn {what}")


@asynccontextmanager
async def router(mock_clock, ports: Ports, lines: list[str] | None = None):
    app = App("real", trio_clock=mock_clock, lab=parse_lab(lab_text(ports), "interop.toml"))
    async with trio.open_nursery() as n:
        await app.start(n)
        try:
            r = Router(app)
            if lines is not None:
                await r.configure(lines)
            yield r
        finally:
            n.cancel_scope.cancel()
            await app.aclose()


async def initiate(charon, timeout: int = 5):
    return await trio.to_thread.run_sync(lambda: charon.initiate(timeout=timeout))


async def assert_matching(r: Router, charon) -> None:
    """Established + installed on strongSwan, matured on r1, same cookies and SPIs."""
    sas = charon.list_sas()
    (ike,) = sas.values()
    assert ike["state"] == "ESTABLISHED" and ike["version"] == "1" and ike["nat-any"] == "yes"
    (child,) = ike["child-sas"].values()
    assert child["state"] == "INSTALLED" and child["encap"] == "yes"
    out = await r.show("ike security-associations")
    row = re.search(rf"^{re.escape(CHARON)}\s+(\S+)\s+([0-9a-f]{{16}})\s+([0-9a-f]{{16}})\s+Main$",
                    out, re.M)
    assert row is not None, out
    assert row.groups() == ("Matured", ike["initiator-spi"], ike["responder-spi"])
    out = await r.show("ipsec security-associations")
    spis = dict(re.findall(r"^\s+(inbound|outbound)\s+(\d+)\s", out, re.M))
    assert int(spis["inbound"]) == int(child["spi-out"], 16), out
    assert int(spis["outbound"]) == int(child["spi-in"], 16), out
    assert f"Remote gateway: {CHARON}" in out


async def test_strongswan_initiates_main_mode(charon_factory, mock_clock, ports) -> None:
    charon = start_charon(charon_factory, ports, conn(ports))
    async with router(mock_clock, ports, services()) as r:
        res = await initiate(charon)
        assert res.returncode == 0, charon.log_text()[-3000:]
        await r.until(lambda: r.of(Phase2Up), what="Phase2Up on r1")
        (up,) = r.of(Phase2Up)
        assert up.peer[0] == CHARON
        await assert_matching(r, charon)
        stats = r.app.bridges["r1"].stats
        assert stats.received >= 5 and stats.sent >= 4  # MM 1,3,5 + QM 1,3 in; MM 2,4,6 + QM 2 out


@pytest.mark.parametrize("s", SETS, ids=[s.ike for s in SETS])
async def test_router_initiates_each_proposal_set(charon_factory, mock_clock, ports, s) -> None:
    charon = start_charon(charon_factory, ports, conn(ports, s))
    async with router(mock_clock, ports, services(s, establish="immediately")) as r:
        await r.until(lambda: r.of(Phase2Up), what="Phase2Up on r1")
        await trio.sleep(0.1)  # charon installs the CHILD_SA on QM3
        await assert_matching(r, charon)
        sa = r.dev.tunnels.endpoint(R1).sadb.ike_for((CHARON, 500))
        assert sa is not None and sa.role == "initiator" and sa.floated
        want = {"aes-128-cbc": "aes128", "aes-256-cbc": "aes256", "3des-cbc": "3des"}[s.cipher]
        assert (sa.proposal.cipher, sa.proposal.hash, sa.proposal.dh_group) == (
            want, s.hash, int(s.group[-1]))


async def test_modp2048_is_no_proposal_chosen_both_ways(charon_factory, mock_clock, ports) -> None:
    charon = start_charon(charon_factory, ports, conn(ports, Set("aes128-sha1-modp2048", "aes128-sha1-modp2048", "", "", "", "")))
    async with router(mock_clock, ports, services(establish="immediately")) as r:
        # r1 initiates at commit: charon finds no proposal and says so
        await r.until(lambda: r.of(NegotiationFailed), what="r1's failure")
        first = r.of(NegotiationFailed)[0]
        assert (first.phase, first.reason, first.sent) == (1, NO_PROPOSAL_CHOSEN, False)
        assert "no proposal found" in charon.log_text()
        # charon initiates with modp2048 only: r1 refuses
        res = await initiate(charon, timeout=3)
        assert res.returncode != 0
        await r.until(lambda: any(f.sent for f in r.of(NegotiationFailed)), what="r1 refusing")
        mine = [f for f in r.of(NegotiationFailed) if f.sent][0]
        assert (mine.phase, mine.reason) == (1, NO_PROPOSAL_CHOSEN)
        assert "NO_PROPOSAL_CHOSEN" in charon.log_text()
        assert not charon.list_sas() or all(sa["state"] != "ESTABLISHED"
                                             for sa in charon.list_sas().values())
        assert CHARON not in await r.show("ike security-associations")


async def test_wrong_psk_is_authentication_failure_on_both_sides(charon_factory, mock_clock, ports) -> None:
    charon = start_charon(charon_factory, ports, conn(ports))
    async with router(mock_clock, ports, services(psk="not-the-secret")) as r:
        res = await initiate(charon, timeout=3)
        assert res.returncode != 0
        await r.until(lambda: r.of(NegotiationFailed), what="r1's failure")
        assert r.of(NegotiationFailed)[0].reason == AUTHENTICATION_FAILED
        assert "N(INVAL_HASH)" in charon.log_text()
        assert not r.of(Phase2Up)
        assert "Matured" not in await r.show("ike security-associations")
        assert all(sa["state"] != "ESTABLISHED" for sa in charon.list_sas().values())


async def test_dpd_answered_then_sigkill_fails_over_to_backup(charon_factory, mock_clock, ports) -> None:
    """Seed 001: polls every 10 s from lab time 0; the first poll finding >= 10 s without
    inbound data traffic sends a hello, two retries 2 s apart, dead 2 s later; the backup (a lab
    peer) becomes active. strongSwan's own R-U-THEREs are answered but are not data traffic."""
    charon = start_charon(charon_factory, ports, conn(ports, dpd_delay=1))
    async with router(mock_clock, ports, services(establish="immediately", backup=True)) as r:
        await r.until(lambda: r.of(Phase2Up), what="Phase2Up with strongSwan")
        up = next(t for t, _, e in r.events if isinstance(e, Phase2Up))
        await r.until(lambda: len(r.of(DpdAnswered)) >= 2, timeout=4, what="R-U-THERE answered")
        log = charon.log_text()
        assert "[ HASH N(DPD_ACK) ]" in log, log[-2000:]  # charon parsed r1's acks
        assert charon.list_sas()  # the acks keep strongSwan's SA up
        await trio.to_thread.run_sync(charon.kill)
        await r.until(lambda: r.of(fo.PeerDeclaredDead), timeout=30, what="peer declared dead")
        hellos = [t for t, _, a in r.events if isinstance(a, fo.SendDpdHello)]
        (dead_at,) = [t for t, _, a in r.events if isinstance(a, fo.PeerDeclaredDead)]
        first_poll = 10 * math.ceil((up + 10) / 10)
        assert abs(hellos[0] - first_poll) < 0.1, (up, hellos)
        assert [round(t - hellos[0], 1) for t in hellos[:3]] == [0.0, 2.0, 4.0]
        assert round(dead_at - hellos[0], 1) == 6.0
        await r.until(lambda: r.of(Phase1Down), timeout=2, what="primary SAs cleared")
        actions = [a for t, _, a in r.events if t >= dead_at]
        assert fo.ClearSas(CHARON) in actions and fo.Negotiate(BACKUP) in actions
        assert any(isinstance(a, fo.Activated) and a.gateway == BACKUP for a in actions)
        await r.until(lambda: r.dev.tunnels.tunnels()[0].state == "up", timeout=5,
                      what="tunnel up via the backup")
        (tun,) = r.dev.tunnels.tunnels()
        assert (tun.active_gateway, tun.role) == (BACKUP, "backup")
        assert CHARON not in await r.show("ike security-associations")
        assert f"Remote gateway: {BACKUP}" in await r.show("ipsec security-associations")


async def test_clean_stop_sends_delete_which_r1_handles(charon_factory, mock_clock, ports) -> None:
    charon = start_charon(charon_factory, ports, conn(ports))
    async with router(mock_clock, ports, services()) as r:
        assert (await initiate(charon)).returncode == 0
        await r.until(lambda: r.of(Phase2Up), what="Phase2Up")
        assert "Matured" in await r.show("ike security-associations")
        await trio.to_thread.run_sync(charon.stop)
        await r.until(lambda: r.of(Phase1Down), what="Phase1Down")
        assert r.of(Phase1Down)[0].reason == "peer-delete"
        assert CHARON not in await r.show("ike security-associations")
        assert "inbound" not in await r.show("ipsec security-associations")


async def test_bridge_capture_decodes_in_tshark(charon_factory, mock_clock, ports, tmp_path) -> None:
    """What crossed the real sockets: neither side on 500, so every IKE message carries the
    non-ESP marker (RFC 3948 §2.2), on the bridge's IKE socket; quick mode and DPD follow charon
    to its NAT-T port once it saw the NAT."""
    tshark = require_tool("tshark")
    charon = start_charon(charon_factory, ports, conn(ports, dpd_delay=1))
    log: list[Datagram] = []
    async with router(mock_clock, ports, services()) as r:
        r.app.bridges["r1"].capture = lambda now, src, dst, data: log.append(
            Datagram(now, src[0], src[1], dst[0], dst[1], data))
        assert (await initiate(charon)).returncode == 0
        await r.until(lambda: r.of(Phase2Up), what="Phase2Up")
        await trio.sleep(1.5)  # a DPD exchange (informational)
    path = tmp_path / "bridge.pcap"
    path.write_bytes(to_pcap(log))
    res = subprocess.run([tshark, "-r", str(path), "-d", f"udp.port=={ports.bridge},udpencap",
                          "-T", "fields", "-e", "udp.dstport", "-e",
                          "isakmp.exchangetype"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "HOME": str(tmp_path)}, check=True)
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    kinds = [int(k) for _, k in rows if k]
    assert len(kinds) == len(rows) == len(log)  # every datagram decodes as ISAKMP
    assert kinds[:6] == [2] * 6, rows
    assert kinds.count(32) == 3 and 5 in kinds, rows
    assert all(d.payload[:4] == bytes(4) for d in log)  # every one framed
    assert {d.sport for d in log if d.sport != ports.bridge} <= {ports.charon, ports.charon_nat}
    assert {d.dport for d in log if d.dport != ports.bridge} <= {ports.charon, ports.charon_nat}
    assert {p for p, k in rows if k in ("32", "5")} <= {str(ports.charon_nat), str(ports.bridge)}


async def test_runs_while_another_daemon_holds_udp_500(charon_factory, mock_clock, ports) -> None:
    """Issue 17 #18 / issue 10: nothing here needs port 500 or 4500. Hold both (as a system IKE
    daemon would; if something already holds them, so much the better) and negotiate through
    the bridge all the same."""
    held = []
    for port in (500, 4500):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("0.0.0.0", port))
            held.append(s)
        except OSError:
            s.close()  # taken already: the point stands
    try:
        charon = start_charon(charon_factory, ports, conn(ports))
        async with router(mock_clock, ports, services()) as r:
            assert (await initiate(charon)).returncode == 0, charon.log_text()[-3000:]
            await r.until(lambda: r.of(Phase2Up), what="Phase2Up on r1")
            await assert_matching(r, charon)
    finally:
        for s in held:
            s.close()


async def test_simultaneous_initiation_through_the_bridge(charon_factory, mock_clock, ports) -> None:
    """Issue 17 #5: strongSwan initiates, and while its main mode is under way (its MM3 has
    just reached the bridge) traffic makes r1 initiate too. Both phase 1s complete; r1 deletes
    nothing, charon (its child closes with `restart`) never initiates again, and once charon
    drops the SA it no longer uses (10 s later) both sides hold the same single IKE SA."""
    charon = start_charon(charon_factory, ports,
                          conn(ports, child_extra={"close_action": "restart"}))
    async with router(mock_clock, ports, services()) as r:
        bridge = r.app.bridges["r1"]
        from_charon: list[bytes] = []

        def watch(now, src, dst, data) -> None:
            if src[0] == CHARON:
                from_charon.append(data)
                if len(from_charon) == 2:  # MM3: r1 has a phase 1 of its own to start now
                    r.app.world.traffic_start("lan", "172.16.1.10", "10.20.0.10", rate_pps=1)

        bridge.capture = watch
        # swanctl may report failure: charon moves its quick mode to the SA it adopts (the
        # newer one it responded to), and the request it waits on never sees it finish
        await initiate(charon)
        await r.until(lambda: r.of(Phase2Up), what="Phase2Up on r1")
        ep = r.dev.tunnels.endpoint(R1)
        await r.until(lambda: sum(sa.role == "initiator" and sa.state == "established"
                                  for sa in ep.sadb.ike.values()) >= 1, timeout=5,
                      what="r1's own phase 1")
        await r.until(lambda: len(ep.sadb.ike) == 1, timeout=45,  # charon: ~10 s, slower when loaded
                      what="charon dropping the SA it does not use")
        await trio.sleep(0.5)
        log = charon.log_text()
        assert log.count("initiating Main Mode") == 1, log[-3000:]
        assert "received DELETE for IKE_SA" not in log  # r1 deleted nothing
        assert not r.of(Phase1Down)
        await assert_matching(r, charon)
