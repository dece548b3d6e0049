"""AlliedWare scenario helpers: a router in a small world on the virtual clock, configured by
typed commands (the Executor), a remote peer, and the send times of its datagrams."""

from __future__ import annotations

from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.platforms.alliedware.commands import Ctx
from routershell.platforms.alliedware.operations import Executor
from routershell.platforms.alliedware.router import Router
from routershell.runtime.device import Device, Port
from routershell.runtime.peers import PeerSpec

R1 = "192.0.2.1"
PEER = "203.0.113.2"
LAN = "192.168.1.0/24"
REMOTE_LAN = "10.2.0.0/16"
PSK = "lab-secret"

BASE = f"""
enable ip
add ip interface=eth0 ipaddress={R1} mask=255.255.255.0
add ip interface=vlan1 ipaddress=192.168.1.1 mask=255.255.255.0
create enco key=1 type=general value={PSK}
create ipsec saspecification=1 keymanagement=isakmp protocol=esp encalg=3desouter hashalg=sha
create ipsec bundlespecification=1 keymanagement=isakmp string="1" expiryseconds=3600
create isakmp policy=vpn peer={PEER} key=1 encalg=3desouter hashalg=sha group=2 {{isakmp}}
create ipsec policy=vpn interface=eth0 action=ipsec keymanagement=isakmp bundlespecification=1 isakmppolicy=vpn peeraddress={PEER}
set ipsec policy=vpn laddress=192.168.1.0 lmask=255.255.255.0 raddress=10.2.0.0 rmask=255.255.0.0
"""


def peer(**kw) -> PeerSpec:
    kw.setdefault("psk", PSK.encode())
    kw.setdefault("ike_proposals", (IkeProposal("psk", "sha1", "3des", 2, 86400),))
    kw.setdefault("ipsec_proposals", (IpsecProposal("esp", "3des", "hmac-sha1", None, 3600),))
    kw.setdefault("answers_dpd", False)
    return PeerSpec("hq", PEER, local_ts=REMOTE_LAN, remote_ts=LAN, **kw)


class Lab:
    """r1 (AlliedWare) in `world`; `cmd()` types a command as Manager."""

    def __init__(self, world, home=None) -> None:
        self.world = world
        self.dev = Device("r1", "alliedware", model="AR450S", clock=world.clock,
                          ports=[Port("eth0"), Port("eth1")])
        world.add_device(self.dev, (R1,))
        self.router = Router(self.dev, home=home)
        self.ex = Executor(self.router)
        self.sends: list[tuple[float, str]] = []  # (time, destination) of r1's IKE datagrams
        world.network.capture = self._tap

    def _tap(self, now, src, dst, payload) -> None:
        if src[0] == R1:
            self.sends.append((round(now, 3), dst[0]))

    def cmd(self, line: str, level: str = "MANAGER") -> str:
        return self.ex.run(line, Ctx(level=level))

    def configure(self, isakmp: str = "", enable: bool = True) -> None:
        errors = self.ex.run_script(BASE.replace("{isakmp}", isakmp))
        assert not errors, errors
        if enable:
            assert "successful" in self.cmd("enable isakmp")
            assert "successful" in self.cmd("enable ipsec")

    def send_times(self, since: float = 0.0) -> list[float]:
        return [t for t, d in self.sends if d == PEER and t >= since]

    def events(self, kind, **attrs) -> list[tuple[float, object]]:
        return [(round(t, 3), ev) for t, _n, ev in self.dev.tunnels.events
                if isinstance(ev, kind) and all(getattr(ev, k) == v for k, v in attrs.items())]

    def controller_status(self, name: str = "vpn"):
        return self.dev.tunnels.tunnel(name).failover

    async def advance(self, seconds: float) -> None:
        await self.world.clock.advance(seconds)
