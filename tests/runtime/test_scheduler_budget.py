"""The scheduler's per-step time budget: thousands of tunnels come up without one long trio
step, and yielding mid-instant changes nothing in the lab's output (same seed, same bytes).

No wall-clock limits here: the budget is driven by a counting stand-in for time.perf_counter,
so the tests assert how many firings one trio step runs. The wall-clock figure is
scripts/bench_scheduler_steps.py."""

from __future__ import annotations

import hashlib
import ipaddress
import types

import pytest
import trio
from trio.testing import MockClock

from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal
from routershell.runtime import scheduler as scheduler_module
from routershell.runtime.clock import LabClock
from routershell.runtime.device import Device
from routershell.runtime.ipsec import TunnelSpec
from routershell.runtime.peers import PeerSpec
from routershell.runtime.rng import Streams
from routershell.runtime.scheduler import Scheduler
from routershell.runtime.world import World

LOCAL = "192.0.2.1"
PSK = b"budget"
IKE = (IkeProposal(dh_group=2),)


class StepCounter(trio.abc.Instrument):
    """Most scheduler firings inside one trio task step (how long the prompt would wait, in
    firings rather than seconds)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.most = 0
        self.steps = 0
        self._before = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self._before = self.scheduler.fired

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        self.steps += 1
        self.most = max(self.most, self.scheduler.fired - self._before)


class TickingPerfCounter:
    """Stands in for time.perf_counter in the scheduler: every reading is 1 ms later."""

    def __init__(self) -> None:
        self.t = 0.0

    def perf_counter(self) -> float:
        self.t += 0.001
        return self.t


def _world(clock, n: int, budget: float | None) -> tuple[World, Device, list[TunnelSpec]]:
    lab = LabClock("virtual", trio_clock=clock)
    world = World(lab, Scheduler(lab, step_budget=budget), Streams(7))
    dev = Device("r1", "test", clock=lab)
    world.add_device(dev, [LOCAL])
    specs = []
    base = ipaddress.ip_address("100.64.0.1")
    for i in range(n):
        addr = str(base + i)
        lo, re = f"10.{i >> 8}.{i & 255}.0/24", f"172.16.{i & 255}.{(i >> 8) << 4}/28"
        world.add_peer(PeerSpec(f"p{i}", addr, PSK, IKE, local_ts=re, remote_ts=lo))
        specs.append(TunnelSpec(f"t{i}", LOCAL, PeerConfig(addr, ike_proposals=IKE, psk=PSK),
                                ChildConfig("c", local_ts=lo, remote_ts=re), selectors=((lo, re),)))
    return world, dev, specs


async def _bring_up(clock, n: int, budget: float | None, count: bool = False):
    world, dev, specs = _world(clock, n, budget)
    timer = StepCounter(world.scheduler) if count else None
    wire = hashlib.sha256()

    def tap(now, src, dst, payload) -> None:
        wire.update(f"{now!r} {src} {dst} ".encode() + payload)

    world.network.capture = tap
    async with trio.open_nursery() as nursery:
        await nursery.start(world.scheduler.run)
        if timer is not None:
            trio.lowlevel.add_instrument(timer)
        dev.tunnels.apply(specs, world.now())
        assert await world.wait_settled(600)
        await world.clock.advance(30)  # a little life after bring-up (DPD, retransmission purge)
        if timer is not None:
            trio.lowlevel.remove_instrument(timer)
        nursery.cancel_scope.cancel()
    states = [(t.spec.name, t.state, t.active_gateway) for t in dev.tunnels.tunnels()]
    events = [(when, name, repr(ev)) for when, name, ev in dev.tunnels.events]
    return world, states, events, wire.hexdigest(), timer


def _run(n: int, budget: float | None, count: bool = False):
    clock = MockClock()
    *out, timer = trio.run(_bring_up, clock, n, budget, count, clock=clock)
    return (*out, clock.current_time(), timer)


def test_thousands_of_tunnels_never_block_the_loop_long(monkeypatch: pytest.MonkeyPatch):
    # 1 ms per perf_counter reading: a 20 ms budget allows about 20 firings per trio step
    fake = TickingPerfCounter()
    monkeypatch.setattr(scheduler_module, "time", types.SimpleNamespace(
        perf_counter=fake.perf_counter))
    world, states, _, _, _, counter = _run(2000, 0.020, count=True)
    assert all(s == "up" for _, s, _ in states) and len(states) == 2000
    assert world.scheduler.yields > 10  # the budget really split the big instants
    assert world.scheduler.fired > 2000
    # never more than one budget per trio step: 20 readings of 1 ms, plus the firing that
    # crossed the line (it had started before the budget ran out). Two budgets back to back
    # (42) was a bug: after fast-forwarding ran out mid-instant, run() went straight on.
    assert 1 <= counter.most <= 21, counter.most


def test_without_a_budget_one_step_runs_a_whole_instant(monkeypatch: pytest.MonkeyPatch):
    """The counter above measures what the budget bounds: without one, a step runs them all."""
    fake = TickingPerfCounter()
    monkeypatch.setattr(scheduler_module, "time", types.SimpleNamespace(
        perf_counter=fake.perf_counter))
    world, states, _, _, _, counter = _run(300, None, count=True)
    assert all(s == "up" for _, s, _ in states)
    assert world.scheduler.yields == 0 and counter.most > 100


def test_output_is_byte_identical_with_and_without_yielding():
    _, states_a, events_a, wire_a, lab_a, _ = _run(150, None)
    # budget 0: yield to trio after every single firing
    world_b, states_b, events_b, wire_b, lab_b, _ = _run(150, 0.0)
    assert world_b.scheduler.yields > 100
    assert states_a == states_b and all(s == "up" for _, s, _ in states_a)
    assert events_a == events_b and len(events_a) >= 300
    assert wire_a == wire_b
    assert lab_a == lab_b
