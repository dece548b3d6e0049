"""The sans-IO engine against a real strongSwan charon (IKEv1 main mode, PSK, NAT-T forced by
kernel-libipsec), over real loopback UDP sockets. Real time, a few seconds per test.

Every port is one the system reports free, none of them 500: charon therefore speaks from its
NAT-T port with the non-ESP marker from its first message on (RFC 3948 §2.2), and the endpoint
answers on the socket and framing it used."""

from __future__ import annotations

import os
import random
import subprocess

import pytest
import trio

from routershell.engine.dpd import DpdPolicy
from routershell.engine.events import (
    AUTHENTICATION_FAILED,
    NO_PROPOSAL_CHOSEN,
    DpdAnswered,
    NatDetected,
    NegotiationFailed,
    PeerDead,
    Phase1Down,
    Phase1Up,
    Phase2Down,
    Phase2Up,
)
from routershell.engine.ike import IkeEndpoint
from routershell.engine.pcap import to_pcap
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.engine.retransmit import Schedule
from tests.conftest import require_tool

from .charon import Conn
from .driver import EndpointDriver
from .ports import free_udp_ports

pytestmark = pytest.mark.external

LOCAL_ADDR, CHARON_ADDR = "127.0.0.1", "127.0.0.2"
# (endpoint IKE, endpoint NAT-T, charon IKE, charon NAT-T): fresh for every test (see `ports`)
LOCAL_PORT = NAT_PORT = CHARON_PORT = CHARON_NAT = 0
PSK = "interop-secret"
FAST = Schedule((0.5, 1.0), "test")

# (swanctl IKE, swanctl ESP, engine IKE, engine ESP) — the sets, ESP with PFS group 2
SETS = [
    ("aes128-sha1-modp1024", "aes128-sha1-modp1024", IkeProposal(cipher="aes128", hash="sha1"),
     IpsecProposal(cipher="aes128", auth="hmac-sha1", pfs_group=2)),
    ("3des-sha1-modp1024", "3des-sha1-modp1024", IkeProposal(cipher="3des", hash="sha1"),
     IpsecProposal(cipher="3des", auth="hmac-sha1", pfs_group=2)),
    ("aes256-sha256-modp1024", "aes128-sha1-modp1024",
     IkeProposal(cipher="aes256", hash="sha256"),
     IpsecProposal(cipher="aes128", auth="hmac-sha1", pfs_group=2)),
    ("3des-md5-modp768", "3des-sha1-modp1024",
     IkeProposal(cipher="3des", hash="md5", dh_group=1),
     IpsecProposal(cipher="3des", auth="hmac-sha1", pfs_group=2)),
]


@pytest.fixture(autouse=True)
def ports(monkeypatch) -> tuple[int, int, int, int]:
    """Four ports the system reports free, held by nobody once the test starts."""
    got = free_udp_ports(4)
    for name, port in zip(("LOCAL_PORT", "NAT_PORT", "CHARON_PORT", "CHARON_NAT"), got, strict=True):
        monkeypatch.setitem(globals(), name, port)
    return tuple(got)


def endpoint(ike=SETS[0][2], esp=SETS[0][3], psk=PSK, dpd=None, seed=7) -> IkeEndpoint:
    cfg = PeerConfig(CHARON_ADDR, port=CHARON_PORT, nat_port=CHARON_NAT, psk=psk.encode(),
                     ike_proposals=(ike,), retransmit=FAST, dpd=dpd,
                     children=(ChildConfig("net", (esp,), "203.0.113.0/24", "198.51.100.0/24"),))
    return IkeEndpoint((LOCAL_ADDR, LOCAL_PORT), random.Random(seed), [cfg], nat_port=NAT_PORT)


def conn(**kw) -> Conn:
    return Conn(remote_port=LOCAL_PORT, **kw)


def child_of(sas: dict) -> dict:
    (ike,) = sas.values()
    (child,) = ike["child-sas"].values()
    return child


async def run_both(charon_factory, conn: Conn, ep: IkeEndpoint, body):
    charon = charon_factory(conn, port=CHARON_PORT, nat_port=CHARON_NAT)
    drv = EndpointDriver(ep)
    await drv.bind()
    try:
        async with trio.open_nursery() as n:
            await drv.run(n)
            await body(charon, drv)
            n.cancel_scope.cancel()
    finally:
        drv.close()
    return charon, drv


def assert_matching(charon, drv) -> None:
    sas = charon.list_sas()
    (ike,) = sas.values()
    assert ike["state"] == "ESTABLISHED" and ike["version"] == "1"
    assert ike["nat-any"] == "yes"  # UDP-encapsulated (NAT-T) as libipsec needs
    child = child_of(sas)
    assert child["state"] == "INSTALLED" and child["encap"] == "yes"
    (up,) = drv.of(Phase2Up)
    assert int(child["spi-in"], 16) == up.outbound_spi
    assert int(child["spi-out"], 16) == up.inbound_spi
    p1 = drv.ep.sadb.ike_for((CHARON_ADDR, CHARON_PORT))
    # charon moved to its NAT-T port once it saw the NAT (MM3 on), and we followed it there
    assert p1 is not None and p1.floated and p1.float_port == CHARON_NAT
    assert ike["initiator-spi"] == p1.icookie.hex() and ike["responder-spi"] == p1.rcookie.hex()
    assert drv.ep.sadb.ipsec[up.inbound_spi].proposal.udp == "rfc3947"


async def test_strongswan_initiates_main_mode(charon_factory) -> None:
    async def body(charon, drv):
        res = await trio.to_thread.run_sync(charon.initiate)
        assert res.returncode == 0, charon.log_text()[-3000:]
        await drv.wait_for(Phase2Up)
        assert_matching(charon, drv)
        (p1,) = drv.of(Phase1Up)
        assert p1.role == "responder" and p1.mode == "main"
        # neither port is 500: MM1 came marked, MM2 went back marked from the socket it
        # reached, to the port it came from (issue 17 #5)
        first, second = drv.log[0], drv.log[1]
        assert (first.sport, first.dport, first.payload[:4]) == (
            CHARON_PORT, LOCAL_PORT, b"\0\0\0\0")
        assert (second.sport, second.dport, second.payload[:4]) == (
            LOCAL_PORT, CHARON_PORT, b"\0\0\0\0")
        assert drv.of(NatDetected)[0].remote  # charon's faked NAT-D

    await run_both(charon_factory, conn(), endpoint(), body)


@pytest.mark.parametrize("ike_s,esp_s,ike,esp", SETS, ids=[s[0] for s in SETS])
async def test_engine_initiates_each_proposal_set(charon_factory, ike_s, esp_s, ike, esp) -> None:
    async def body(charon, drv):
        drv.ep.initiate((CHARON_ADDR, CHARON_PORT), trio.current_time(), "net")
        drv.kick()
        await drv.wait_for(Phase2Up)
        await trio.sleep(0.1)  # charon installs on QM3
        assert_matching(charon, drv)
        (p1,) = drv.of(Phase1Up)
        assert (p1.role, p1.cipher, p1.hash, p1.dh_group) == (
            "initiator", ike.cipher, ike.hash, ike.dh_group)

    await run_both(charon_factory, conn(proposals=ike_s, esp_proposals=esp_s),
                   endpoint(ike, esp), body)


async def test_modp2048_only_is_no_proposal_chosen_both_ways(charon_factory) -> None:
    async def body(charon, drv):
        res = await trio.to_thread.run_sync(lambda: charon.initiate(timeout=4))
        assert res.returncode != 0
        (fail,) = drv.of(NegotiationFailed)
        assert (fail.phase, fail.reason, fail.sent) == (1, NO_PROPOSAL_CHOSEN, True)
        assert "NO_PROPOSAL_CHOSEN" in charon.log_text()
        # and the other way round: charon rejects our modp1024 offer
        drv.ep.initiate((CHARON_ADDR, CHARON_PORT), trio.current_time(), "net")
        drv.kick()
        await drv.wait_for(NegotiationFailed, count=2)
        last = drv.of(NegotiationFailed)[-1]
        assert (last.phase, last.reason, last.sent) == (1, NO_PROPOSAL_CHOSEN, False)
        assert "no proposal found" in charon.log_text()
        assert not charon.list_sas()

    await run_both(charon_factory, conn(proposals="aes128-sha1-modp2048"), endpoint(), body)


async def test_wrong_psk_fails_authentication_on_both_sides(charon_factory) -> None:
    async def body(charon, drv):
        res = await trio.to_thread.run_sync(lambda: charon.initiate(timeout=4))
        assert res.returncode != 0
        fails = drv.of(NegotiationFailed)
        assert fails and fails[0].reason == AUTHENTICATION_FAILED and fails[0].phase == 1
        log = charon.log_text()
        assert "N(INVAL_HASH)" in log, log[-3000:]  # charon was told (unprotected, as keys differ)
        assert not drv.of(Phase1Up)
        assert all(sa["state"] != "ESTABLISHED" for sa in charon.list_sas().values())
        # our initiation with the wrong key: charon fails to verify, we are told / time out
        drv.ep.initiate((CHARON_ADDR, CHARON_PORT), trio.current_time(), "net")
        drv.kick()
        await drv.wait_for(NegotiationFailed, count=2)
        assert drv.of(NegotiationFailed)[-1].reason == AUTHENTICATION_FAILED
        log = charon.log_text()
        assert "decryption failed" in log and "ID_PROT request with message ID 0 processing " \
            "failed" in log

    await run_both(charon_factory, conn(), endpoint(psk="not-the-secret"), body)


async def test_dpd_answered_then_sigterm_delete_handled(charon_factory) -> None:
    async def body(charon, drv):
        res = await trio.to_thread.run_sync(charon.initiate)
        assert res.returncode == 0
        await drv.wait_for(DpdAnswered, timeout=5)
        assert "R_U_THERE_ACK" in charon.log_text() or "DPD" in charon.log_text()
        assert charon.list_sas()  # still up: the ACKs kept it alive
        await trio.to_thread.run_sync(charon.stop)
        await drv.wait_for(Phase1Down, timeout=5)
        assert drv.of(Phase1Down)[0].reason == "peer-delete"
        assert drv.of(Phase2Down)[0].reason == "peer-delete"
        assert drv.ep.sadb.ike_for((CHARON_ADDR, CHARON_PORT)) is None

    await run_both(charon_factory, conn(dpd_delay=1), endpoint(dpd=DpdPolicy(30, 1, 2)), body)


async def test_sigkill_peer_declared_dead_by_dpd(charon_factory) -> None:
    async def body(charon, drv):
        res = await trio.to_thread.run_sync(charon.initiate)
        assert res.returncode == 0
        await drv.wait_for(Phase2Up)
        await trio.to_thread.run_sync(charon.kill)
        t0 = trio.current_time()
        (dead,) = await drv.wait_for(PeerDead, timeout=8)
        # interval 1 s after the last packet, then 2 retries 0.5 s apart
        assert 1.0 <= trio.current_time() - t0 <= 4.0
        assert dead.probes >= 2
        assert not drv.ep.sadb.ipsec

    await run_both(charon_factory, conn(), endpoint(dpd=DpdPolicy(1, 0.5, 2)), body)


async def test_capture_decodes_in_tshark(charon_factory, tmp_path) -> None:
    tshark = require_tool("tshark")

    async def body(charon, drv):
        res = await trio.to_thread.run_sync(charon.initiate)
        assert res.returncode == 0
        await drv.wait_for(Phase2Up)
        await trio.to_thread.run_sync(charon.stop)
        await drv.wait_for(Phase1Down, timeout=5)

    _, drv = await run_both(charon_factory, conn(), endpoint(), body)
    path = tmp_path / "interop.pcap"
    path.write_bytes(to_pcap(drv.log))
    # everything went to and from our IKE port, framed per RFC 3948 (charon's NAT-T port is
    # decoded the same way)
    out = subprocess.run([tshark, "-r", str(path), "-d", f"udp.port=={CHARON_NAT},udpencap",
                          "-d", f"udp.port=={CHARON_PORT},udpencap",
                          "-d", f"udp.port=={LOCAL_PORT},udpencap", "-T", "fields", "-e",
                          "isakmp.exchangetype"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "HOME": str(tmp_path)}, check=True).stdout
    kinds = [int(x) for x in out.split() if x.strip()]
    assert kinds[:6] == [2] * 6
    assert kinds.count(32) == 3 and 5 in kinds


async def test_simultaneous_initiation_settles_on_one_sa_without_deletes(charon_factory) -> None:
    """Issue 17 #5: charon and the endpoint run main mode at the same time (the endpoint starts
    when charon's MM3 arrives). Before the fix the endpoint took the SA that came up second
    for a rekey and deleted charon's; charon, whose child closes with `restart`,
    re-initiated on that Delete. Now the endpoint sends no Delete; charon keeps the newer SA it
    responded to and deletes its own 10 s later, and the endpoint follows: one SA, the same on
    both sides, one initiation each."""
    async def body(charon, drv):
        heard: list[bytes] = []

        def on_mm3(data: bytes) -> None:  # our MM4 is queued: start our own main mode now
            heard.append(data)
            if len(heard) == 2:
                drv.ep.initiate((CHARON_ADDR, CHARON_PORT), trio.current_time(), "net")

        drv.after_receive = on_mm3
        # swanctl may report failure: charon moves its quick mode to the SA it adopts (the
        # newer one it responded to), and the request it waits on never sees it finish
        await trio.to_thread.run_sync(lambda: charon.initiate(timeout=6))
        await drv.wait_for(Phase2Up)
        with trio.fail_after(30):  # both phase 1s done on our side (real time: slower when loaded)
            while sum(sa.state == "established" for sa in drv.ep.sadb.ike.values()) < 2:
                await trio.sleep(0.01)

        def established() -> list:
            return [(ike["initiator-spi"], ike["responder-spi"])
                    for ike in charon.list_sas().values() if ike["state"] == "ESTABLISHED"]

        with trio.fail_after(45):  # charon deletes the SA it no longer uses 10 s later
            while len(drv.ep.sadb.ike) > 1:
                await trio.sleep(0.1)
        await trio.sleep(0.5)
        log = charon.log_text()
        assert log.count("initiating Main Mode") == 1, log[-3000:]
        assert "received DELETE for IKE_SA" not in log  # the endpoint deleted nothing
        assert not drv.of(Phase1Down)
        (live,) = [sa for sa in drv.ep.sadb.ike.values()
                   if sa.state == "established" and not sa.superseded]
        assert [(live.icookie.hex(), live.rcookie.hex())] == established()
        sas = charon.list_sas()
        assert any(c["state"] == "INSTALLED" for ike in sas.values()
                   for c in ike.get("child-sas", {}).values())

    # Which SA charon keeps is its own choice, made on the real-time order of two crossing
    # main modes; on a loaded machine it once kept both past the 45 s wait. The scenario then
    # runs once more on a fresh charon (every assertion stands; two failures fail the test).
    seen: list = []

    async def recorded(charon, drv):
        seen.append(charon)
        await body(charon, drv)

    for attempt in (1, 2):
        settled = True
        try:
            await run_both(charon_factory, conn(child_extra={"close_action": "restart"}),
                           endpoint(), recorded)
        except* trio.TooSlowError:
            if attempt == 2:
                raise
            settled = False
            seen[-1].kill()  # its ports are the next attempt's
        if settled:
            break
