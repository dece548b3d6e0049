"""The tunnel controller seam (runtime/tunnel_control.py): one test per hook, each with a tiny
controller of its own, through real datagrams on the virtual clock."""

from __future__ import annotations

from routershell.engine import failover as fo
from routershell.engine.events import AUTHENTICATION_FAILED, NegotiationFailed, Phase2Up
from routershell.engine.retry import BackoffTimer, doubling
from routershell.runtime.device import Device, Module
from routershell.runtime.tunnel_control import (
    ControllerBase,
    FailoverTunnel,
    ForgetSas,
    OnTunnel,
    TunnelController,
    default_controller,
)

from .helpers import BACKUP, LAN1, LAN2, PRIMARY, PSK, R1, device, peer_spec, spec


def record(dev, world):
    log = []
    dev.tunnels.subscribe(lambda name, ev: log.append((round(world.now(), 3), name, ev)))
    return log


def test_default_hook_is_seed_001_failover_only_where_it_was():
    assert default_controller(spec()) is None
    ctl = default_controller(spec(backup=BACKUP))
    assert isinstance(ctl, FailoverTunnel) and isinstance(ctl, TunnelController)
    assert isinstance(default_controller(spec(dpd_initiate=True)), FailoverTunnel)
    assert isinstance(ControllerBase(spec()), TunnelController)


class BackingOff(ControllerBase):
    """Pluggable retry: a failed negotiation is retried after 60, 120, 240, 240 ... s."""

    def __init__(self, s) -> None:
        super().__init__(s)
        self.timer = BackoffTimer(doubling(60, 240))

    def negotiation_failed(self, now, gateway, reason, phase):
        return [fo.Negotiate(gateway, at=self.timer.failed(now))]

    negotiation_timeout = lambda self, now, gateway: self.negotiation_failed(now, gateway, "timeout", 1)  # noqa: E731

    def tunnel_up(self, now, gateway):
        self.timer.succeeded(now)
        return []

    def status(self):
        return self.timer.failures


async def test_retry_hook_replaces_the_fixed_retry_after(mock_clock, world):
    # controller_for given to the constructor through World.add_device
    dev = Device("r1", "test", clock=world.clock)
    world.add_device(dev, (R1,), controller_for=BackingOff)
    world.add_peer(peer_spec())
    world.peer_config(PRIMARY, psk="not-the-key")
    log = record(dev, world)
    dev.tunnels.apply([spec()], world.now())
    await world.clock.advance(60 + 120 + 240 + 30)
    fails = [t for t, _, e in log if isinstance(e, NegotiationFailed)]
    assert [e.reason for _, _, e in log if isinstance(e, NegotiationFailed)] == [AUTHENTICATION_FAILED] * 4
    # each attempt starts exactly the back-off after the previous failure (not every 60 s); a
    # wrong key is found the same time into every attempt (the first attempt starts at 0)
    found = round(fails[0])
    gaps = [round(b - a) - found for a, b in zip(fails, fails[1:], strict=False)]
    assert gaps == [60, 120, 240]
    st = dev.tunnels.tunnels()[0]
    assert st.state == "down" and st.failover == 4
    world.peer_config(PRIMARY, psk=PSK)
    await world.clock.advance(240)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up" and st.failover == 0


class StartsLate(ControllerBase):
    """Delayed start: negotiation begins 180 s after the tunnel should come up."""

    def start(self, now):
        return [fo.Negotiate(self.primary, at=now + 180)]


async def test_delayed_start_and_module_reassignment_by_relabelling(mock_clock, world):
    mods = [Module("1", "m1", "sm", 100), Module("2", "m2", "sm", 100)]
    dev = device(world, modules=mods)
    dev.tunnels.controller_for = StartsLate  # settable before the first apply
    world.add_peer(peer_spec())
    dev.tunnels.apply([spec(module="m1")], world.now())
    await world.clock.advance(179.9)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "down" and world.network.stats.sent == 0
    await world.clock.advance(1)
    assert dev.tunnels.tunnels()[0].state == "up"
    # module m1 fails: not present; the platform reassigns it to m2 by re-applying with a new label
    world.module_fail("r1", "1")
    assert dev.tunnels.tunnels()[0].state == "not-present"
    failed_at = world.now()
    dev.tunnels.apply([spec(module="m2")], world.now())
    st = dev.tunnels.tunnels()[0]
    assert st.state == "down" and st.index == 1  # the same tunnel, not restarted
    await world.clock.advance(179.9)
    assert dev.tunnels.tunnels()[0].state == "down"
    await world.clock.advance(1)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up" and 180 <= st.established_at - failed_at < 180.1


class Group:
    """A crypto-group-like pair: both members report here; `active` carries the traffic."""

    def __init__(self) -> None:
        self.active = "a"
        self.seen: list[tuple[str, str]] = []
        self.up: set[str] = set()


class Member(ControllerBase):
    GW = {"a": PRIMARY, "b": BACKUP}

    def __init__(self, s, group: Group) -> None:
        super().__init__(s)
        self.group, self.me = group, s.name

    def start(self, now):
        # the secondary waits until the group needs it
        return [fo.Negotiate(self.primary)] if self.me == "a" else []

    def tunnel_up(self, now, gateway):
        self.group.seen.append((self.me, "up"))
        self.group.up.add(self.me)
        return []

    def tunnel_down(self, now, gateway, reason):
        self.group.seen.append((self.me, reason))
        self.group.up.discard(self.me)
        if self.me == self.group.active:
            other = "b" if self.me == "a" else "a"
            self.group.active = other
            return [OnTunnel(other, fo.Negotiate(self.GW[other]))]
        return []

    def carrying(self):
        return self.group.active == self.me


async def test_group_routes_by_its_choice_and_acts_on_a_sibling(mock_clock, world):
    dev = device(world)
    world.add_peer(peer_spec())
    world.add_peer(peer_spec("p2", BACKUP))
    group = Group()
    dev.tunnels.controller_for = lambda s: Member(s, group)
    dev.tunnels.apply([spec("a"), spec("b", peer=BACKUP)], world.now())
    await world.wait_settled(10)
    assert [st.state for st in dev.tunnels.tunnels()] == ["up", "down"]
    assert dev.tunnels.route("10.1.0.1", "10.2.0.1") == "a"
    # the primary member's SAs are cleared: the group moves the traffic and brings "b" up
    log = record(dev, world)
    dev.tunnels.clear_ipsec("a", world.now())
    await world.wait_settled(10)
    assert group.seen == [("a", "up"), ("a", "cleared"), ("b", "up")]
    assert any(n == "a" and isinstance(e, OnTunnel) for _, n, e in log)
    assert any(n == "b" and isinstance(e, Phase2Up) for _, n, e in log)
    states = {st.spec.name: (st.state, st.carrying) for st in dev.tunnels.tunnels()}
    assert states["b"] == ("up", True) and states["a"][1] is False
    assert dev.tunnels.route("10.1.0.1", "10.2.0.1") == "b"
    # a platform command drives a controller directly
    assert dev.tunnels.controller("b") is not None
    assert dev.tunnels.act("a", [fo.Negotiate(PRIMARY)], world.now())
    await world.wait_settled(10)
    assert dev.tunnels.tunnel("a").state == "up"
    assert not dev.tunnels.act("nope", [], world.now())


async def test_unknown_actions_are_reported_not_executed(mock_clock, world):
    class Says(ControllerBase):
        def start(self, now):
            return ["a platform notification", fo.Negotiate(self.primary)]

    dev = device(world)
    dev.tunnels.controller_for = Says
    world.add_peer(peer_spec())
    log = record(dev, world)
    dev.tunnels.apply([spec(lan=(LAN1, LAN2))], world.now())
    await world.wait_settled(10)
    assert ("t1", "a platform notification") in [(n, e) for _, n, e in log]
    assert dev.tunnels.tunnels()[0].state == "up"


class Watching(ControllerBase):
    """Records the rekey and phase-1 hooks."""

    seen: list[tuple] = []

    def rekey_failed(self, now, gateway, reason, phase):
        self.seen.append(("rekey", round(now), gateway, reason, phase))
        return []

    def phase1_down(self, now, gateway, reason):
        self.seen.append(("phase1", round(now), gateway, reason))
        return []


async def test_rekey_failure_and_phase1_down_reach_the_controller(mock_clock, world):
    from routershell.engine.peer import ChildConfig
    from routershell.engine.proposals import IpsecProposal
    from routershell.runtime.ipsec import TunnelSpec

    Watching.seen = []
    dev = device(world)
    dev.tunnels.controller_for = Watching
    peer = world.add_peer(peer_spec())
    base = spec()
    short = TunnelSpec(base.name, base.local, base.peer,
                       ChildConfig("x", (IpsecProposal(lifetime_s=600),), LAN1, LAN2),
                       selectors=base.selectors)
    dev.tunnels.apply([short], world.now())
    await world.clock.advance(530)
    world.peer_down(PRIMARY)  # the rekey at the soft lifetime (540 s) goes unanswered
    await world.clock.advance(60)
    assert Watching.seen == [("rekey", 580, PRIMARY, "timeout", 2)]
    assert dev.tunnels.tunnels()[0].state == "up"  # the old SAs still stand
    world.peer_up(PRIMARY)
    assert peer.delete_ike(R1, world.now())  # the peer deletes phase 1
    await world.clock.advance(1)
    assert Watching.seen[-1] == ("phase1", 590, PRIMARY, "peer-delete")


class OnTheModule(ControllerBase):
    """A platform whose modules hold the IKE SAs too: a failed module forgets them silently."""

    def tunnel_down(self, now, gateway, reason):
        if reason == "not-present":
            return [ForgetSas(gateway)]
        return super().tunnel_down(now, gateway, reason)


async def test_forget_sas_drops_the_ike_sa_of_a_failed_module_silently(mock_clock, world):
    dev = device(world, modules=[Module("1", "m1", "sm", 100)])
    dev.tunnels.controller_for = OnTheModule
    peer = world.add_peer(peer_spec())
    dev.tunnels.apply([spec(module="m1")], world.now())
    await world.wait_settled(10)
    ep = dev.tunnels.endpoint(R1)
    assert ep.sadb.ike_for((PRIMARY, 500)) is not None
    sent = world.network.stats.sent
    world.module_fail("r1", "1")
    assert ep.sadb.ike_for((PRIMARY, 500)) is None and ep.sadb.ipsec == {}
    assert world.network.stats.sent == sent and peer.established()  # nothing told the peer
    world.module_restore("r1", "1")
    await world.wait_settled(10)
    st = dev.tunnels.tunnels()[0]
    assert st.state == "up" and st.ike_sa is not None  # a new phase 1 and quick mode


class _AckCounter(ControllerBase):
    """Engine DPD every 10 s on its gateway; counts the DPD ACKs the manager hands it."""

    def __init__(self, s) -> None:
        super().__init__(s)
        self.acks = 0

    def engine_dpd(self, configured):
        from routershell.engine.dpd import DpdPolicy

        return DpdPolicy(10.0, 2.0, 3)

    def dpd_ack(self, now, gateway=None):
        self.acks += 1
        return []


class _IgnoresAcks(_AckCounter):
    wants_dpd_ack = False


async def test_dpd_ack_named_after_first_tunnel_and_given_only_to_controllers_that_want_it(mock_clock, world):
    # three tunnels share the IKE SA with one gateway; the manager names each ACK after the
    # first of them and runs only the controllers that want ACKs (`wants_dpd_ack`), whether
    # none or some of them do
    made: dict[str, _AckCounter] = {}

    def controller_for(s):
        made[s.name] = (_AckCounter if s.name == "t2" else _IgnoresAcks)(s)
        return made[s.name]

    dev = Device("r1", "test", clock=world.clock)
    world.add_device(dev, (R1,), controller_for=controller_for)
    world.add_peer(peer_spec())
    log = record(dev, world)
    dev.tunnels.apply([spec("t1"), spec("t2"), spec("t3")], world.now())
    await world.clock.advance(35)
    acks = [(name, e) for _, name, e in log if type(e).__name__ == "DpdAck"]
    assert len(acks) >= 2 and {name for name, _ in acks} == {"t1"}
    assert made["t2"].acks == len(acks) and made["t1"].acks == made["t3"].acks == 0
    # and with no controller that wants them: still named, nobody run
    made.clear()
    dev2 = Device("r2", "test", clock=world.clock)
    world.add_device(dev2, ("192.0.2.9",), controller_for=lambda s: made.setdefault(s.name, _IgnoresAcks(s)))
    log2 = record(dev2, world)
    dev2.tunnels.apply([spec("u1", local="192.0.2.9"), spec("u2", local="192.0.2.9")], world.now())
    await world.clock.advance(35)
    names = {name for _, name, e in log2 if type(e).__name__ in ("DpdAck", "DpdSent")}
    assert names == {"u1"} and sum(c.acks for c in made.values()) == 0
