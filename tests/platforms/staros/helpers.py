"""A StarOS device in a small world: configuration text replayed, crypto groups running on the
lab clock, remote peers as real IKE endpoints, notifications recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from routershell.platforms.staros import config_text
from routershell.platforms.staros.groups import CryptoGroups
from routershell.platforms.staros.model import Config
from routershell.platforms.staros.traps import Notification
from routershell.runtime.clock import LabClock
from routershell.runtime.device import Device
from routershell.runtime.peers import PeerSpec
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

LOCAL = "192.0.2.1"
PEERS = {"pri1": "192.0.2.10", "sec1": "192.0.2.20", "pri2": "192.0.2.30", "sec2": "192.0.2.40"}
LAN_LOCAL = "10.1.0.0/16"
LAN_REMOTE = "10.2.0.0/16"
PSK = "lab-secret"

CONFIG = """\
config
  system hostname asr5k
  context ipsec
    interface wan
      ip address 192.0.2.1 255.255.255.0
      crypto-map cmap-pri1
      crypto-map cmap-sec1
      crypto-map cmap-pri2
      crypto-map cmap-sec2
    #exit
    ip access-list acl-pdn
      permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
    #exit
{dpd}    ikev1 policy 1
      encryption aes-cbc-128
      hash sha1
      group 2
    #exit
    ipsec transform-set ts1
      encryption aes-cbc-128
      hmac sha1-96
    #exit
    crypto-group cg1
      match address acl-pdn
      switchover auto
    #exit
    crypto-group cg2
      match address acl-pdn
      switchover auto do-not-revert
    #exit
{maps}  #exit
end
"""

MAP = """\
    crypto map cmap-{m} ipsec-isakmp
      set peer {addr}
      set ike pre-shared-key lab-secret
      set transform-set ts1
{extra}      match crypto-group {group} {role}
    #exit
"""


def config(dpd: str | None = "interval 10 timeout 10 num-retry 3", lifetime: int | None = None) -> str:
    maps = ""
    extra = f"      set phase2-lifetime {lifetime}\n" if lifetime else ""
    for m, group, role in (("pri1", "cg1", "primary"), ("sec1", "cg1", "secondary"),
                           ("pri2", "cg2", "primary"), ("sec2", "cg2", "secondary")):
        maps += MAP.format(m=m, addr=PEERS[m], group=group, role=role, extra=extra)
    d = f"    ikev1 keepalive dpd {dpd}\n" if dpd else ""
    return CONFIG.format(dpd=d, maps=maps)


def peer(name: str, **kw) -> PeerSpec:
    kw.setdefault("psk", PSK.encode())
    kw.setdefault("answers_dpd", True)
    return PeerSpec(name, PEERS[name], local_ts=LAN_REMOTE, remote_ts=LAN_LOCAL, **kw)


@dataclass
class Rig:
    world: World
    device: Device
    groups: CryptoGroups
    cfg: Config
    notes: list[Notification] = field(default_factory=list)

    def now(self) -> float:
        return self.world.now()

    def configure(self, text: str) -> None:
        self.cfg = config_text.replay(text, self.device.model, self.cfg)
        self.groups.configure(self.cfg, self.now())

    def seen(self) -> list[tuple[int, str, str]]:
        """(second, trap name, map) of each notification so far."""
        return [(int(n.when), n.name, n.map) for n in self.notes]

    def status(self, group: str):
        return self.groups.group("ipsec", group).ctl.status()

    def state(self, m: str) -> str | None:
        return self.device.tunnels.state_of(f"ipsec/cmap-{m}")


def make_rig(clock, text: str | None = None, model: str = "ASR 5000", peers=None, seed: int = 1) -> Rig:
    lab = LabClock("virtual", trio_clock=clock)
    world = World(lab, Scheduler(lab), Streams(seed))
    dev = Device("asr5k", "staros", model=model, clock=lab)
    world.add_device(dev, [LOCAL])
    for p in peers if peers is not None else [peer(n) for n in PEERS]:
        world.add_peer(p)
    notes: list[Notification] = []
    groups = CryptoGroups(dev.tunnels, notes.append)
    cfg = config_text.replay(text if text is not None else config(), model)
    rig = Rig(world, dev, groups, cfg, notes)
    return rig


async def start(rig: Rig, nursery) -> None:
    await nursery.start(rig.world.scheduler.run)
    rig.groups.configure(rig.cfg, rig.now())
