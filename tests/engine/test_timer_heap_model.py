"""Property tests of the endpoint's lazy timer heap against a naive model (issue 10).

The endpoint re-reads only the SAs an operation touched and drops stale heap entries lazily.
The model re-reads every SA before each timer call and answers `get_timer` by walking all SAs.
Driven by the same random operations (initiations, lost datagrams, deletes, traffic, aborts,
probes, jumps in time), both must send the same bytes and report the same events, and after
every step each SA's scheduled deadline must equal the one computed afresh.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routershell.engine.dpd import DpdPolicy
from routershell.engine.ike import IkeEndpoint
from routershell.engine.peer import ChildConfig, PeerConfig
from routershell.engine.proposals import IkeProposal, IpsecProposal
from routershell.engine.retransmit import fixed

HUB = "192.0.2.1"
SPOKES = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
IKE = (IkeProposal(dh_group=1, lifetime_s=90),)
CHILD = (IpsecProposal(lifetime_s=40, lifetime_kb=64),)
DPD = DpdPolicy(interval=15, retry_interval=2, retries=2)


def _cfg(address: str) -> PeerConfig:
    return PeerConfig(address, ike_proposals=IKE, psk=b"k", dpd=DPD,
                      retransmit=fixed(2, 2, "test"), children=(ChildConfig("c", CHILD),))


class NaiveEndpoint(IkeEndpoint):
    """Re-reads every SA's deadline before each timer call; get_timer walks all SAs."""

    def _everything_dirty(self) -> None:
        self._dirty |= {sa.peer[0] for sa in self.sadb.ike.values()}
        self._dirty |= {sa.peer[0] for sa in self.sadb.ipsec.values()}

    def get_timer(self) -> float | None:
        ts = [self._ike_deadline(sa) for sa in self.sadb.ike.values()]
        ts += [self._ipsec_deadline(sa) for sa in self.sadb.ipsec.values()]
        return min((t for t in ts if t is not None), default=None)

    def handle_timer(self, now: float) -> None:
        self._everything_dirty()
        super().handle_timer(now)


class World:
    def __init__(self, cls: type[IkeEndpoint]) -> None:
        self.hub = cls((HUB, 500), random.Random(1), [_cfg(s) for s in SPOKES])
        self.spokes = [cls((s, 500), random.Random(10 + i), [_cfg(HUB)])
                       for i, s in enumerate(SPOKES)]
        self.by_addr = {HUB: self.hub, **{s: ep for s, ep in zip(SPOKES, self.spokes, strict=True)}}
        self.now = 0.0
        self.drops: list[bool] = []
        self.trace: list = []

    def endpoints(self) -> list[IkeEndpoint]:
        return [self.hub, *self.spokes]

    def pump(self) -> None:
        for _ in range(200):
            moved = False
            for src in self.endpoints():
                for data, dst in src.datagrams_to_send():
                    moved = True
                    self.trace.append(("dgram", src.local[0], dst[0], data))
                    if self.drops and self.drops.pop(0):
                        continue
                    self.by_addr[dst[0]].receive(data, src.local, self.now)
            if not moved:
                break
        for ep in self.endpoints():
            while (ev := ep.next_event()) is not None:
                self.trace.append((ep.local[0], ev))

    def advance(self, dt: float) -> None:
        to = self.now + dt
        while True:
            ts = [t for ep in self.endpoints() if (t := ep.get_timer()) is not None]
            if not ts or min(ts) > to:
                break
            self.now = max(self.now, min(ts))
            for ep in self.endpoints():
                ep.handle_timer(self.now)
            self.pump()
        self.now = to

    def apply(self, op: tuple) -> None:
        kind, i, x = op
        spoke, addr = self.spokes[i], (SPOKES[i], 500)
        if kind == "initiate":
            (self.hub.initiate(addr, self.now, "c") if x % 2 else
             spoke.initiate((HUB, 500), self.now, "c"))
        elif kind == "advance":
            self.advance(x / 4)
        elif kind == "drop":
            self.drops = [bool(x >> k & 1) for k in range(6)]
        elif kind == "delete_child":
            self.hub.delete_child(addr, "c", self.now)
        elif kind == "delete_ike":
            (self.hub.delete_ike(addr, self.now) if x % 2 else
             spoke.delete_ike((HUB, 500), self.now))
        elif kind == "account":
            for sa in list(self.hub.sadb.ipsec_for(addr)):
                self.hub.account(sa.inbound_spi, x * 1024, x, self.now, inbound=bool(x % 2))
        elif kind == "abort":
            self.hub.abort(addr, self.now)
        elif kind == "probe":
            self.hub.probe(addr, self.now)
        self.pump()


OPS = st.tuples(
    st.sampled_from(["initiate", "advance", "advance", "drop", "delete_child", "delete_ike",
                     "account", "abort", "probe"]),
    st.integers(0, len(SPOKES) - 1),
    st.integers(0, 255),
)


def _exact(ep: IkeEndpoint) -> None:
    """Every live SA's scheduled deadline is the one computed afresh; get_timer is their min."""
    want = None
    ep.get_timer()  # refreshes
    for sa in ep.sadb.ike.values():
        d = ep._ike_deadline(sa)
        assert sa.timer_at == d, (sa.ident, sa.timer_at, d)
        want = d if want is None or (d is not None and d < want) else want
    for sa in ep.sadb.ipsec.values():
        d = ep._ipsec_deadline(sa)
        assert sa.timer_at == d, (sa.inbound_spi, sa.timer_at, d)
        want = d if want is None or (d is not None and d < want) else want
    assert ep.get_timer() == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=18))
def test_lazy_heap_matches_the_naive_model(ops):
    real, model = World(IkeEndpoint), World(NaiveEndpoint)
    for op in ops:
        real.apply(op)
        model.apply(op)
        assert real.trace == model.trace
        assert real.now == model.now
        for ep in real.endpoints():
            _exact(ep)
    real.advance(200)
    model.advance(200)
    assert real.trace == model.trace


def test_heap_stays_compact_under_churn():
    """Stale entries are dropped lazily but never pile up beyond a constant factor."""
    w = World(IkeEndpoint)
    for k in range(60):
        w.apply(("initiate", k % 3, 1))
        w.apply(("account", k % 3, 7))
        w.apply(("advance", 0, 9))
        w.apply(("delete_child", k % 3, 0))
    live = len(w.hub.sadb.ike) + len(w.hub.sadb.ipsec)
    assert len(w.hub._timers) <= max(64, 3 * live)
    _exact(w.hub)


class _WatchedHeap(list):
    reads = 0

    def __getitem__(self, i):
        _WatchedHeap.reads += 1
        return super().__getitem__(i)


def test_get_timer_answers_from_its_last_answer_until_something_moves():
    """A runtime asks after every input: with nothing moved the heap is not looked at; a
    rescheduled SA, a removed one (even straight from its table) or a re-stored one is seen."""
    w = World(IkeEndpoint)
    for i in range(3):
        w.apply(("initiate", i, 1))
        w.advance(1.5)  # one deadline earliest of all
    hub = w.hub
    first = hub.get_timer()
    hub._timers = _WatchedHeap(hub._timers)
    _WatchedHeap.reads = 0
    assert hub.get_timer() == first and _WatchedHeap.reads == 0
    # the SA owning the earliest deadline leaves its table without being touched
    live = [(sa.timer_at, sa) for sa in [*hub.sadb.ike.values(), *hub.sadb.ipsec.values()]
            if sa.timer_at is not None]
    at, sa = min(live, key=lambda e: e[0])
    assert at == first and [t for t, _ in live].count(at) == 1
    table, key = ((hub.sadb.ike, sa.key) if hasattr(sa, "icookie")
                  else (hub.sadb.ipsec, sa.inbound_spi))
    table.pop(key)
    later = min((t for t, s in live if s is not sa), default=None)
    assert hub.get_timer() == later and _WatchedHeap.reads > 0
    table[key] = sa  # stored again: its entry counts again
    assert hub.get_timer() == first
    _exact(hub)


class NoShortcutEndpoint(IkeEndpoint):
    """handle_timer always through its general loop (no `_probe_idle`)."""

    def _probe_idle(self, sa, now: float, root: bool) -> bool:
        return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=18))
def test_probe_shortcut_matches_the_general_loop(ops):
    """With IKE lifetimes of 90 s (rekeys, expiries) and DPD every 15 s, the shortcut for a
    lone due probe changes nothing: same datagrams, events and deadlines."""
    real, general = World(IkeEndpoint), World(NoShortcutEndpoint)
    for op in ops:
        real.apply(op)
        general.apply(op)
        assert real.trace == general.trace
    real.advance(200)
    general.advance(200)
    assert real.trace == general.trace
    for ep, other in zip(real.endpoints(), general.endpoints(), strict=True):
        assert ep.get_timer() == other.get_timer()
