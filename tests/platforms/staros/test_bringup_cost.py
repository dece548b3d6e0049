"""Bring-up without copies: the compiled specs of one context share their proposals and peer
configs, each child is named after its spec so the tunnel manager hands the engine the spec's
own ChildConfig (no renamed copy per spec and apply), and a gateway's children are found by
name without a walk over them (engine.peer.PeerConfig.child)."""

from __future__ import annotations

from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.platforms.staros.compile import compile_config, local_address, ready
from routershell.platforms.staros.compile import ipsec_proposals as plain_ipsec

from .helpers import LOCAL, PEERS, config, make_rig, start


def test_specs_of_a_context_share_what_they_can_and_equal_a_plain_compile(mock_clock):
    rig = make_rig(mock_clock)
    specs = compile_config(rig.cfg, {}).specs
    ctx = rig.cfg.contexts["ipsec"]
    assert len(specs) == 4
    for s in specs:
        mp = ctx.maps[s.labels["map"]]
        assert s.child.name == s.name and ready(ctx, mp) and s.local == local_address(ctx, mp.name)
        assert s.child.proposals == plain_ipsec(ctx, mp)
        assert s.peer == PeerConfig(mp.peer, ike_proposals=s.peer.ike_proposals, psk=b"lab-secret")
    assert len({id(s.child.proposals) for s in specs}) == 1
    assert len({id(s.peer.ike_proposals) for s in specs}) == 1
    assert {s.peer.address for s in specs} == set(PEERS.values())
    again = compile_config(rig.cfg, {}).specs
    assert again == specs  # an unchanged configuration restarts nothing


async def test_the_engine_gets_the_specs_own_children(mock_clock, nursery):
    rig = make_rig(mock_clock, config())
    await start(rig, nursery)
    await rig.world.clock.advance(1)
    ep = rig.device.tunnels.endpoint(LOCAL)
    for spec in compile_config(rig.cfg, {}).specs:
        cfg = ep.peers[spec.peer.address]
        (child,) = cfg.children
        assert child.name == spec.name
        running = rig.device.tunnels._tunnels[spec.name].spec
        assert child is running.child  # not a renamed copy


def test_child_by_name_is_the_first_of_the_walk():
    kids = (ChildConfig("a"), ChildConfig("b", local_ts="10.0.0.0/8", remote_ts="10.1.0.0/16"),
            ChildConfig("a", local_ts="10.2.0.0/16", remote_ts="10.3.0.0/16"))
    cfg = PeerConfig("192.0.2.9", psk=b"k", children=kids)
    for name in ("a", "b", "c"):
        assert cfg.child(name) is next((c for c in kids if c.name == name), None)
    assert cfg == PeerConfig("192.0.2.9", psk=b"k", children=kids)  # the table is no field
    assert "_children_by_name" not in repr(cfg)


async def test_a_member_tunnel_is_timed_by_its_group_controller_directly(mock_clock, nursery):
    """The scheduler asks a group member's tunnel for its deadline through the group
    controller's own get_timer (no delegating calls): the same answer the delegation gave,
    before and after a member's negotiation failed and armed its reconnect back-off."""
    from routershell.platforms.staros.groups import Member

    rig = make_rig(mock_clock, config())
    await start(rig, nursery)
    await rig.world.clock.advance(1)
    mgr = rig.device.tunnels
    members = [t for t in mgr._tunnels.values() if isinstance(t.ctl, Member)]
    assert members
    for t in members:
        assert t.get_timer == t.ctl.get_timer == t.ctl.group.ctl.get_timer
    t = members[0]
    ctl = t.ctl.group.ctl
    assert t.get_timer() is None
    role = ctl.role_of(t.name)
    ctl.tunnel_down(1.0, t.name)
    ctl.negotiation_failed(2.0, t.name)
    assert t.get_timer() == ctl._reconnect[role].next_attempt is not None
