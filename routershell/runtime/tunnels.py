"""TunnelManager: a device's IPsec tunnels (TunnelSpecs) driven through IkeEndpoints.

One per device (`device.tunnels`, made by `World.add_device`). It keeps one IkeEndpoint per local
gateway address, bound on the Network at port 500 and driven by the lab Scheduler (no trio task of
its own), and one `_Tunnel` per spec: its state for show commands, its controller, and a phase-1
watchdog (`phase1_timeout`, 30 s).

Controllers (the platform seam, runtime/tunnel_control.py): `controller_for(spec) ->
TunnelController | None` is asked once per tunnel when the spec first appears (or changes). Pass it
to the constructor (`World.add_device(dev, addrs, controller_for=...)`) or set
`device.tunnels.controller_for = ...` before the first `apply` (a platform's
`DeviceDriver.join`); the default, `tunnel_control.default_controller`, gives a spec with a backup
gateway or DPD initiation the seed-001 failover controller and every other spec none (built-in
behaviour: negotiate at start, renegotiate after expiry, retry a failed "immediately" tunnel every
`retry_after` s). A controller's actions are listed in tunnel_control's docstring (delayed
negotiation: `Negotiate(gw, at=...)`; acting on a sibling: `OnTunnel`); `route()` prefers a
matching tunnel whose controller says `carrying()`; `controller(name)` / `act(name, actions, now)`
let a platform command drive a controller.

Each spec's child SA is negotiated under the spec's name (the ChildConfig is renamed), so engine
events map back to tunnels by child name; the children of every spec sharing (local, gateway) are
merged into one PeerConfig per gateway on the endpoint.

Establishment (`spec.establish`): "immediately" negotiates at apply and after the SA goes away;
"on-traffic" waits for `traffic()` to see outbound packets with no SA; "responder" never initiates
and accepts peers it has no PeerConfig for. For those, `responder_template(src) -> PeerConfig |
None` is asked first (a platform's dynamic-peer template; children should be named after the
responder spec they belong to); without a hook, or when it returns None, the responder specs on
that local address serve as the template (their `peer` with the source address put in).

Liveness for failover follows seed 001 through the controller: a global poll (from lab time 0),
a hello at the poll that finds >= 10 s without inbound data traffic, two retries 2 s apart, dead
2 s later. The hellos are real R-U-THERE notifies on the tunnel's IKE SA (`IkeEndpoint.probe`); an
R-U-THERE-ACK ends the probe and is not traffic unless the spec's FailoverPolicy says
`ack_is_traffic` (seed 001: it is not, so the inactivity clock is not reset by it). The engine's own DPD
timer is switched off for those gateways (it only answers).

A failed module (`module_changed`) takes the tunnels whose `spec.labels["module"]` names it (by
name or slot) to "not-present": their SAs vanish without a Delete; they renegotiate on restore.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..engine import failover as fo
from ..engine.events import (
    TIMEOUT,
    DpdAck,
    Event,
    NegotiationFailed,
    PeerDead,
    Phase1Down,
    Phase2Down,
    Phase2Up,
    SaRekeyed,
)
from ..engine.ike import IkeEndpoint
from ..engine.peer import ChildConfig, PeerConfig
from ..engine.sa import IpsecSa
from .ipsec import TunnelSpec, TunnelState
from .network import Addr, Network
from .scheduler import Scheduler, Timer
from .tunnel_control import ControllerFor, ForgetSas, OnTunnel, TunnelController, default_controller

__all__ = ["IKE_PORT", "ModuleDown", "ModuleUp", "TunnelManager", "matches"]

IKE_PORT = 500
Subscriber = Callable[[str, object], None]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModuleDown:
    """The module carrying the tunnel failed: the tunnel is not present (SAs gone silently)."""

    module: str


@dataclass(frozen=True)
class ModuleUp:
    """The module came back; the tunnel is down and renegotiates per its spec."""

    module: str


@functools.lru_cache(maxsize=65536)
def _in(addr: str, prefix: str) -> bool:
    # every data packet asks this of every selector: parse each (address, prefix) pair once
    # (bounded cache: a long lab's flows reuse the same few pairs)
    try:
        return ipaddress.ip_address(addr) in ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False


def matches(selectors: tuple[tuple[str, str], ...], src: str, dst: str) -> bool:
    """True if a packet src -> dst is covered by one (local prefix, remote prefix) pair."""
    return any(_in(src, lp) and _in(dst, rp) for lp, rp in selectors)


class _Driver:
    """Scheduler adapter for one endpoint: fire its timers, then flush what they produced;
    `receive` is the endpoint's handler on the Network."""

    # get_timer is the endpoint's own bound method: the scheduler re-reads it after every
    # firing and every flush, and a delegating method would be one more call each time
    __slots__ = ("mgr", "local", "ep", "get_timer")

    def __init__(self, mgr: TunnelManager, local: str, ep: IkeEndpoint) -> None:
        self.mgr, self.local, self.ep = mgr, local, ep
        self.get_timer: Callable[[], float | None] = ep.get_timer

    def handle_timer(self, now: float) -> None:
        self.ep.handle_timer(now)
        self.mgr._pump(self, now, reschedule=False)

    def receive(self, data: bytes, src: Addr, now: float) -> None:
        """A datagram for this endpoint (bound on the Network as the handler of its address)."""
        ep = self.ep
        if src[0] not in ep.peers:
            cfg = self.mgr._template(self.local, src[0])
            if cfg is not None:
                ep.add_peer(cfg)
        ep.receive(data, src, now)
        self.mgr._pump(self, now)


class _Tunnel:
    """One spec's runtime state; a scheduler engine when it has a failover controller."""

    def __init__(self, mgr: TunnelManager, spec: TunnelSpec, index: int) -> None:
        self.mgr = mgr
        self.spec = spec
        # the spec's name, a plain attribute (read on every controller input, negotiation and
        # timeout): a re-applied spec keeps its name (apply() only swaps in new labels)
        self.name: str = spec.name
        primary = spec.peer.address if spec.peer is not None else None
        self.state = TunnelState(spec, index, primary, "primary", "down")
        self.ctl: TunnelController | None = mgr.controller_for(spec) if spec.child is not None else None
        # the controller's get_timer itself (ctl is never replaced): the scheduler re-reads it
        # after every controller input and firing, one delegating call fewer each time
        self.get_timer: Callable[[], float | None] = (
            self.ctl.get_timer if self.ctl is not None else _no_timer)
        self.watchdog: Timer | None = None
        self.retry: Timer | None = None
        self.spis: set[int] = set()  # inbound SPIs of this tunnel's IPsec SAs (any gateway)
        self.started = False  # its batch of apply() ran (a big commit starts tunnels in batches)

    @property
    def active(self) -> str | None:
        return self.state.active_gateway

    def handle_timer(self, now: float) -> None:
        if self.ctl is not None:
            self.mgr._run(self, self.ctl.handle_timer(now), now)


def _no_timer() -> float | None:
    """get_timer of a tunnel without a controller: nothing to fire."""
    return None


def _wants_ack(ctl: object) -> bool:
    """A tunnel controller hears DPD ACKs unless it says it ignores them (`wants_dpd_ack =
    False`, optional: the engine's own DPD keeps the gateway alive, and hundreds of tunnels may
    share one IKE SA)."""
    return ctl is not None and getattr(ctl, "wants_dpd_ack", True)


class TunnelManager:
    def __init__(
        self,
        device: str,
        network: Network,
        scheduler: Scheduler,
        rng: Callable[[str], random.Random],
        *,
        phase1_timeout: float = 30.0,
        retry_after: float = 60.0,
        responder_template: Callable[[str], PeerConfig | None] | None = None,
        module_up: Callable[[str], bool] | None = None,
        controller_for: ControllerFor | None = None,
    ) -> None:
        self.device = device
        self.network = network
        self.scheduler = scheduler
        self.errors: dict[str, dict[str, int]] = {}  # tunnel -> refused packets by reason (manual SAs)
        self._rng = rng
        self.phase1_timeout = float(phase1_timeout)
        self.retry_after = float(retry_after)  # re-try an "immediately" tunnel without failover
        self.responder_template = responder_template
        self.module_up = module_up or (lambda name: True)
        # the platform's per-tunnel policy (see the module docstring); settable before apply
        self.controller_for: ControllerFor = controller_for or default_controller
        self._drivers: dict[str, _Driver] = {}
        self._everyone: dict[_Driver, None] | None = None  # _drivers' values, for _pump_all
        self._tunnels: dict[str, _Tunnel] = {}
        self._next_index = 1
        self._index: dict[tuple[str, str], list[_Tunnel]] | None = None  # see _candidates
        self._acks: dict[tuple[str, str], bool] = {}  # see _ack_listeners
        self._routes: dict[tuple[str, str], list[_Tunnel]] = {}  # see route
        self._subscribers: list[Subscriber] = []
        # the world's echo path (World.add_device sets it to Traffic.echo); see echo()
        self.echo_path: Callable[..., float | None] | None = None
        self._dirty: dict[_Driver, None] = {}  # ordered: the flush reschedules in marking order
        self._pump_queue: dict[_Driver, None] | None = None  # endpoints to pump; see _pump
        self._flush_pending = False  # a flush is posted for this instant; see _flush
        self._flush_name = f"{device} ike timers"
        # engine events by type: the DPD ones, which only name a tunnel, take a short path
        self._handlers: dict[type, Callable[[_Driver, Event, float], None]] = {}
        self._pending_starts = 0  # deferred batches of apply() not started yet
        # recent (time, tunnel, event), for labs: at least the last `max_events`, at most half
        # as many again (trimmed in batches: trimming per event copied the list every time)
        self.events: list[tuple[float, str, object]] = []
        self.max_events = 2000

    # ================================================================ public API

    def apply(self, specs: list[TunnelSpec], now: float) -> None:
        """Reconcile with the committed specs: start new ones, tear down removed ones, restart
        changed ones (a spec equal to the running one is left alone)."""
        wanted = {s.name: s for s in specs}
        self._index = None
        self._routes.clear()
        for name in [n for n in self._tunnels if n not in wanted or wanted[n] != self._tunnels[n].spec]:
            self._teardown(self._tunnels.pop(name), now)
        fresh: list[_Tunnel] = []
        relabelled = False
        for spec in specs:
            t = self._tunnels.get(spec.name)
            if t is None:
                t = _Tunnel(self, spec, self._next_index)
                self._next_index += 1
                self._tunnels[spec.name] = t
                fresh.append(t)
            elif spec.labels != t.spec.labels:
                t.spec = dataclasses.replace(t.spec, labels=dict(spec.labels))
                t.state.spec = t.spec
                relabelled = True
        # the teardowns above may have rebuilt these indexes from the old set of tunnels: a
        # restarted tunnel must be found again (its peer's DPD death, timeouts, routes)
        self._index = None
        self._routes.clear()
        self._sync_endpoints(now)
        if relabelled:
            # a label change may move a tunnel to another module (JunosE reassignment)
            self.module_changed(now)
        # The first START_NOW tunnels start inside this call; the rest in batches of
        # START_BATCH, each its own scheduler callback at the same lab instant and in the same
        # order, so a commit of 10k tunnels never holds the event loop (the scheduler yields
        # between callbacks) and the lab timeline is unchanged.
        for i in range(0, len(fresh), self.START_BATCH):
            batch = fresh[i:i + self.START_BATCH]
            if i < self.START_NOW:
                self._start_fresh(batch, now)
            else:
                self._pending_starts += 1
                self.scheduler.call_at(now, lambda b=batch: self._start_fresh(b, now, True),
                                       name=f"{self.device} start tunnels")

    START_NOW = 256
    START_BATCH = 64

    def _start_fresh(self, batch: list[_Tunnel], now: float, deferred: bool = False) -> None:
        if deferred:
            self._pending_starts -= 1
        for t in batch:
            if self._tunnels.get(t.name) is not t:
                continue  # removed by a later apply before its turn
            t.started = True
            if t.ctl is not None:
                self.scheduler.add_engine(t, name=f"{self.device} tunnel {t.name}")
            if t.spec.child is None:
                t.state.state = "up" if t.spec.manual is not None else "down"
                self._install_manual(t, now)
                continue
            if not self._module_ok(t):
                t.state.state = "not-present"
            elif t.spec.establish == "immediately":
                self._start(t, now)
        self._pump_all(now)

    def _install_manual(self, t: _Tunnel, now: float) -> None:
        """A manual SA whose description can build engine SAs (`spec.manual.ipsec_sas(name,
        peer, now)`) goes straight into the endpoint's SA database: traffic then flows on it
        like on a negotiated one, and `traffic.py` checks that both ends hold the same keys."""
        make = getattr(t.spec.manual, "ipsec_sas", None)
        drv = self._drivers.get(t.spec.local)
        if make is None or drv is None or t.spec.peer is None:
            return
        for sa in make(t.name, (t.spec.peer.address, IKE_PORT), now):
            drv.ep.sadb.add_ipsec(sa)
            t.spis.add(sa.inbound_spi)

    def refused(self, name: str | None, packets: int, reason: str) -> None:
        """Packets the far end sent that this device's SA refused (`reason`: "bad-spi" when
        no SA holds the SPI, "authentication" when the keys differ); per tunnel ("" if none)."""
        row = self.errors.setdefault(name or "", {})
        row[reason] = row.get(reason, 0) + packets

    def tunnels(self) -> list[TunnelState]:
        out = []
        for t in sorted(self._tunnels.values(), key=lambda t: t.state.index):
            st = t.state
            drv = self._drivers.get(t.spec.local)
            st.ike_sa = st.ipsec_sas = None
            if drv is not None and st.active_gateway is not None:
                st.ike_sa = drv.ep.sadb.ike_for((st.active_gateway, IKE_PORT))
            st.ipsec_sas = self._sas(t)
            st.failover = t.ctl.status() if t.ctl is not None else None
            st.carrying = t.ctl.carrying() if t.ctl is not None else True
            out.append(st)
        return out

    def tunnel(self, name: str) -> TunnelState | None:
        t = self._tunnels.get(name)
        return None if t is None else next(s for s in self.tunnels() if s.spec.name == name)

    def state_of(self, name: str) -> str | None:
        """The state of one tunnel ("down", "negotiating", "up", ...) without building the
        TunnelStates of every tunnel (cheap enough for a platform to ask per tunnel)."""
        t = self._tunnels.get(name)
        return None if t is None else t.state.state

    def endpoint(self, local: str) -> IkeEndpoint | None:
        drv = self._drivers.get(local)
        return drv.ep if drv is not None else None

    def endpoints(self) -> dict[str, IkeEndpoint]:
        return {a: d.ep for a, d in self._drivers.items()}

    def switch(self, local: str, remote: str, now: float) -> list[tuple[str, str]]:
        """Manual primary/backup switch of the tunnels between `local` and `remote` (either
        gateway of the pair). Returns (tunnel name, gateway now active) per tunnel switched;
        empty when no such tunnel has a backup."""
        done: list[tuple[str, str]] = []
        for t in self._ordered():
            if t.spec.local != local or remote not in t.spec.gateways or t.ctl is None or t.spec.backup is None:
                continue
            self._cancel_watchdog(t)
            self._run(t, t.ctl.manual_switch(now), now)
            if t.active is not None:
                done.append((t.name, t.active))
        self._pump_all(now)
        return done

    def clear_ike(self, peer: str | None, now: float, local: str | None = None) -> int:
        """Delete IKE SAs (all, or with `peer`; of every local gateway, or of `local` only),
        telling the peer; IPsec SAs stay. Returns the number deleted."""
        n = 0
        for drv in self._drivers.values():
            if local is not None and drv.local != local:
                continue
            for sa in list(drv.ep.sadb.ike.values()):
                if sa.state == "established" and (peer is None or sa.peer[0] == peer):
                    n += drv.ep.delete_ike(sa.peer, now)
        self._pump_all(now)
        return n

    def clear_ipsec(self, name: str | None, now: float) -> int:
        """Delete the IPsec SAs of one tunnel (or all), telling the peer; tunnels established
        immediately renegotiate at once. Returns the number of tunnels cleared."""
        n = 0
        for t in self._ordered():
            if name is not None and t.name != name:
                continue
            if self._clear(t, now, notify=True):
                n += 1
            if t.state.state in ("up", "down"):
                t.state.state = "down"
                if t.ctl is not None:  # the controller decides whether to renegotiate
                    self._run(t, t.ctl.tunnel_down(now, t.active or self._primary(t), "cleared"), now)
                elif t.spec.establish == "immediately":
                    self._start(t, now)
        self._pump_all(now)
        return n

    def traffic(self, spec_name: str, octets: int, packets: int, now: float,
                inbound: bool, spi: int | None = None) -> IpsecSa | None:
        """Data packets of tunnel `spec_name`: move the SA counters (and prove liveness when
        inbound). Outbound packets with no SA trigger negotiation (they are dropped). Returns
        the SA that carried them, or None. `spi`: the inbound SPI the packets arrived on
        (default: the tunnel's newest SA)."""
        t = self._tunnels.get(spec_name)
        if t is None or not t.started:  # its batch starts later this instant: dropped, no trigger
            return None
        sa = self._current_sa(t)
        if spi is not None and t.spec.local in self._drivers:
            sa = self._drivers[t.spec.local].ep.sadb.ipsec.get(spi) or sa
        if sa is None:
            if not inbound:
                self._trigger(t, now)
            return None
        drv = self._drivers[t.spec.local]
        drv.ep.account(sa.inbound_spi, octets, packets, now, inbound=inbound)
        if inbound and t.ctl is not None:
            self._run(t, t.ctl.traffic_received(now, sa.peer[0]), now, pump=False)
        self._pump(drv, now)
        return sa

    def echo(self, src: str, dst: str, octets: int) -> float | None:
        """One ping from this device (`src`, a local address) to `dst`: through a tunnel
        whose selectors cover it (moving its counters), else in the clear. The round-trip
        time, or None when no reply comes back."""
        if self.echo_path is not None:
            return self.echo_path(src, dst, octets, origin=self)
        return self.network.echo(src, dst)

    def gateway_of(self, name: str) -> str | None:
        """The remote gateway tunnel `name` uses now (None: none chosen yet)."""
        t = self._tunnels.get(name)
        return t.active if t is not None else None

    def local_of(self, name: str) -> str | None:
        t = self._tunnels.get(name)
        return t.spec.local if t is not None else None

    def route(self, src: str, dst: str) -> str | None:
        """The tunnel (name) whose selectors cover a packet src -> dst leaving this device: the
        first that carries traffic (its controller's `carrying()`), else the first matching
        (a standby one, so traffic still triggers negotiation)."""
        key = (src, dst)
        covering = self._routes.get(key)
        if covering is None:  # per (src, dst) until the next apply: a packet costs O(1), not O(N)
            if len(self._routes) > 65536:
                self._routes.clear()
            covering = self._routes[key] = [t for t in self._ordered() if matches(t.spec.selectors, src, dst)]
        for t in covering:
            if t.ctl is None or t.ctl.carrying():
                return t.name
        return covering[0].name if covering else None

    def controller(self, name: str) -> TunnelController | None:
        """The controller of tunnel `name` (None: none, or no such tunnel)."""
        t = self._tunnels.get(name)
        return t.ctl if t is not None else None

    def act(self, name: str, actions: list[object], now: float) -> bool:
        """Carry out controller `actions` on tunnel `name` (a platform command that asked its
        controller directly, e.g. a crypto-group switchover). False: no such tunnel."""
        t = self._tunnels.get(name)
        if t is None:
            return False
        self._run(t, actions, now)
        return True

    def inbound_sa(self, spi: int) -> tuple[str, IpsecSa] | None:
        """(tunnel name, SA) owning inbound SPI `spi` on any endpoint of this device."""
        for drv in self._drivers.values():
            sa = drv.ep.sadb.ipsec.get(spi)
            if sa is not None:
                return sa.child, sa
        return None

    def subscribe(self, cb: Subscriber) -> Callable[[], None]:
        """cb(tunnel name, event): an engine event (engine/events.py), a failover action
        (engine/failover.py), a synthesized phase-1 NegotiationFailed(reason "timeout") from
        the watchdog, or ModuleDown/ModuleUp. Returns an unsubscribe call.
        Gateway-wide events (phase 1) are reported once, under the first tunnel to that
        gateway ("" if none)."""
        self._subscribers.append(cb)
        return lambda: self._subscribers.remove(cb) if cb in self._subscribers else None

    def settled(self) -> bool:
        """No negotiation in progress on this device."""
        if self._pending_starts:
            return False
        if any(t.state.state == "negotiating" for t in self._tunnels.values()):
            return False
        for drv in self._drivers.values():
            for sa in drv.ep.sadb.ike.values():
                if sa.state == "negotiating":
                    return False
                if any(ex.deadline is not None for ex in sa.exchanges.values()):
                    return False
        return True

    def module_changed(self, now: float) -> None:
        """Re-read module states: tunnels on failed modules go "not-present" (SAs gone, no
        Delete sent; IKE SAs stay: on Junos they live on the Routing Engine, and a platform
        whose modules hold them clears them itself); tunnels whose module came back start."""
        for t in self._ordered():
            if t.spec.child is None:
                continue
            ok = self._module_ok(t)
            if not ok and t.state.state != "not-present":
                self._cancel_watchdog(t)
                self._cancel_retry(t)
                self._clear(t, now, notify=False)
                t.state.state = "not-present"
                if t.ctl is not None:
                    self._run(t, t.ctl.tunnel_down(now, t.active or self._primary(t), "not-present"),
                              now, pump=False)
                self._emit(t.name, ModuleDown(t.spec.labels.get("module", "")), now)
            elif ok and t.state.state == "not-present":
                t.state.state = "down"
                self._emit(t.name, ModuleUp(t.spec.labels.get("module", "")), now)
                if t.spec.establish == "immediately":
                    self._start(t, now)
        self._pump_all(now)

    def close(self, now: float) -> None:
        """Tear everything down (device removed)."""
        self.apply([], now)

    # ================================================================ internals

    def _ordered(self) -> list[_Tunnel]:
        # insertion order is index order: a new or restarted spec gets the next index
        return list(self._tunnels.values())

    def _candidates(self, local: str, gw: str) -> list[_Tunnel]:
        """Tunnels that may use `gw` from `local` (by spec gateways, plus responder specs)."""
        if self._index is None:
            idx: dict[tuple[str, str], list[_Tunnel]] = {}
            for t in self._tunnels.values():
                for g in t.spec.gateways:
                    idx.setdefault((t.spec.local, g), []).append(t)
                if t.spec.establish == "responder":
                    idx.setdefault((t.spec.local, "*"), []).append(t)
            self._index = idx
            self._acks.clear()
        direct = self._index.get((local, gw), [])
        dyn = self._index.get((local, "*"), [])
        if not dyn:
            return direct
        return sorted(set(direct) | set(dyn), key=lambda t: t.state.index)

    def _module_ok(self, t: _Tunnel) -> bool:
        mod = t.spec.labels.get("module")
        return mod is None or self.module_up(mod)

    def _emit(self, name: str, ev: object, now: float) -> None:
        events = self.events
        events.append((now, name, ev))
        if len(events) > self.max_events * 3 // 2:
            del events[: len(events) - self.max_events]
        subscribers = self._subscribers
        if subscribers:
            for cb in list(subscribers):  # a copy: a subscriber may unsubscribe
                cb(name, ev)

    # ---- endpoints and peer configs

    def _peer_configs(self, local: str, tunnels: list[_Tunnel] | None = None) -> dict[str, PeerConfig]:
        """One PeerConfig per remote gateway of `local`, with the children of every spec: the
        first spec to name the gateway gives the rest of the config (and its controller the
        engine's DPD). `tunnels`: those of `local` in index order, if the caller has them."""
        first: dict[str, _Tunnel] = {}
        children: dict[str, dict[str, ChildConfig]] = {}
        for t in tunnels if tunnels is not None else self._ordered():
            s = t.spec
            if s.local != local or s.peer is None or s.child is None or s.establish == "responder":
                continue
            child = None
            for gw in s.gateways:
                kids = children.get(gw)
                if kids is None:
                    first[gw], kids = t, children.setdefault(gw, {})
                if s.name not in kids:
                    # a platform that names the child after its spec already (StarOS) gives
                    # the engine the spec's own object, not a copy per apply
                    kids[s.name] = child = child or (
                        s.child if s.child.name == s.name else dataclasses.replace(s.child, name=s.name))
        out: dict[str, PeerConfig] = {}
        for gw, t in first.items():
            peer = t.spec.peer
            assert peer is not None
            cfg = dataclasses.replace(peer, address=gw, children=tuple(children[gw].values()))
            if t.ctl is not None:
                # e.g. a controller that probes itself: the engine only answers
                cfg = dataclasses.replace(cfg, dpd=t.ctl.engine_dpd(peer.dpd))
            out[gw] = cfg
        return out

    def _sync_endpoints(self, now: float) -> None:
        # manual SAs that go into an SA database need the endpoint that holds it
        locals_ = {t.spec.local for t in self._tunnels.values()
                   if t.spec.child is not None or hasattr(t.spec.manual, "ipsec_sas")}
        for local in [a for a in self._drivers if a not in locals_]:
            drv = self._drivers.pop(local)
            self._everyone = None
            self.scheduler.remove_engine(drv)
            self.network.unbind(local, IKE_PORT)
        by_local: dict[str, list[_Tunnel]] = {}  # one pass, not one per local address
        for t in self._ordered():
            by_local.setdefault(t.spec.local, []).append(t)
        for local in sorted(locals_):
            drv = self._drivers.get(local)
            if drv is None:
                ep = IkeEndpoint((local, IKE_PORT), self._rng(f"ike {local}"))
                drv = self._drivers[local] = _Driver(self, local, ep)
                self._everyone = None
                self.network.bind(local, IKE_PORT, drv.receive)
                self.scheduler.add_engine(drv, name=f"{self.device} ike {local}")
            mine = by_local.get(local, [])
            wanted = self._peer_configs(local, mine)
            ep = drv.ep
            dynamic = {t.active for t in mine if t.spec.establish == "responder"}
            for addr in [a for a in ep.peers if a not in wanted and a not in dynamic]:
                del ep.peers[addr]
            for addr, cfg in wanted.items():
                if ep.peers.get(addr) != cfg:
                    ep.add_peer(cfg)
                    # an established IKE SA keeps its config object: give it the new children
                    for sa in ep.sadb.ike.values():
                        if sa.peer[0] == addr:
                            sa.config = dataclasses.replace(sa.config, children=cfg.children)

    def _template(self, local: str, src: str) -> PeerConfig | None:
        if self.responder_template is not None:
            try:
                cfg = self.responder_template(src)
            except Exception:  # noqa: BLE001 - a platform hook must not break the network
                log.exception("responder template failed for %s", src)
                cfg = None
            if cfg is not None:
                return dataclasses.replace(cfg, address=src)
        children, base = [], None
        for t in self._ordered():
            s = t.spec
            if s.local == local and s.establish == "responder" and s.peer is not None and s.child is not None:
                base = base or s.peer
                children.append(dataclasses.replace(s.child, name=s.name))
        if base is None:
            return None
        return dataclasses.replace(base, address=src, children=tuple(children))

    def _pump_all(self, now: float) -> None:
        """`_pump` every endpoint, in order, without paying a call chain per idle one.

        The same as `for drv in drivers: self._pump(drv, now)`: every endpoint is marked for
        the timer flush (the flush timer made before the first is pumped), and inside a pump
        all of them join the queue in order (`dict.update` keeps a queued one in its place).
        At top level an endpoint with nothing queued when its turn comes is skipped: pumping it
        would send nothing and handle no event (a controller action on a device of 100 local
        addresses used to cost 100 pumps)."""
        everyone = self._everyone
        if everyone is None:  # made once per set of endpoints, never changed afterwards
            everyone = self._everyone = dict.fromkeys(self._drivers.values())
        self._pump_these(everyone, now)

    def _pump_locals(self, locals_: set[str], now: float) -> None:
        """`_pump_all` for the endpoints of `locals_` only, in the same order: after controller
        actions, which call into their own tunnels' endpoints only. Every other endpoint has
        nothing queued (each call into an endpoint is followed by a pump) and a timer that did
        not move, so pumping and marking it did nothing but cost a sweep of all of them (100
        on the StarOS bench's device, twice per tunnel and retry while a gateway is down)."""
        if len(locals_) == 1:
            drv = self._drivers.get(next(iter(locals_)))
            if drv is not None:
                self._pump_these({drv: None}, now)
            return
        everyone = self._everyone
        if everyone is None:
            everyone = self._everyone = dict.fromkeys(self._drivers.values())
        self._pump_these(dict.fromkeys(d for d in everyone if d.local in locals_), now)

    def _pump_these(self, everyone: dict[_Driver, None], now: float) -> None:
        """`_pump_all`'s work for `everyone` (endpoints in index order)."""
        if not everyone:
            return
        self._dirty.update(everyone)
        if not self._flush_pending:
            self._flush_pending = True
            self.scheduler.post(now, self._flush, (), self._flush_name)
        queue = self._pump_queue
        if queue is not None:
            queue.update(everyone)
            return
        for drv in everyone:
            ep = drv.ep
            if ep._out or ep._events:  # ep.has_output(), inline: asked of 100 endpoints a time
                self._pump(drv, now, reschedule=False)

    def _pump(self, drv: _Driver, now: float, reschedule: bool = True) -> None:
        """Send what the endpoint queued and act on its events (which may queue more).

        Never re-entered: acting on an event often negotiates, which pumps again; inside a
        pump that only queues the endpoint (`_pump_queue`) and the outer loop drains it, so a
        burst of N events is a loop of N steps, not a chain of N nested calls (a RecursionError
        in large labs, or when the lab catches up after a stall).

        The first pass (the endpoint itself) runs before the queue is looked at: a datagram's
        pump is usually that one pass."""
        if reschedule:  # _mark, inline (once per datagram received)
            self._dirty[drv] = None
            if not self._flush_pending:
                self._flush_pending = True
                self.scheduler.post(now, self._flush, (), self._flush_name)
        queue = self._pump_queue
        if queue is not None:
            queue[drv] = None
            return
        ep = drv.ep
        if not (ep._out or ep._events):  # ep.has_output(), inline: an idle pump does nothing
            return
        queue = self._pump_queue = {}
        try:
            if self._pump_one(drv, now):
                queue[drv] = None  # more left: after the others, so no endpoint starves
            passes = 1
            while queue and passes < self.MAX_PUMP_PASSES:
                # First in, first out, a snapshot at a time: only this loop takes entries out
                # of the queue, so each one of the snapshot is still queued, in order, when its
                # turn comes, and whatever joins meanwhile (again, if already taken) is behind
                # them all, in the next snapshot. (Taking the dict's first key one at a time
                # rescans the deleted slots in front: quadratic when every action queues all
                # 100 endpoints, as at boot.)
                turn = list(queue)[:self.MAX_PUMP_PASSES - passes]
                passes += len(turn)
                for d in turn:
                    del queue[d]
                    # an idle endpoint's pump would do nothing (it still counts as a pass)
                    ep = d.ep
                    if (ep._out or ep._events) and self._pump_one(d, now):
                        queue[d] = None
        finally:
            self._pump_queue = None

    MAX_PUMP_PASSES = 100_000  # of 64 rounds each: a runaway engine cannot hang the lab

    def _pump_one(self, drv: _Driver, now: float) -> bool:
        """Up to 64 rounds of sends and events on one endpoint; True if work is left.

        A round with nothing queued ends it (ep.has_output(), inline: the engine's two
        queues are asked directly rather than drained empty)."""
        ep = drv.ep
        handlers = self._handlers
        for _ in range(64):
            if not ep._out:
                if not ep._events:
                    return False
            else:
                send, local = self.network.send, ep.local
                for data, dst in ep.datagrams_to_send():
                    send(local, dst, data)
            while ep._events:  # (re-read: the engine may replace its queue)
                ev = ep.next_event()
                handler = handlers.get(type(ev))
                if handler is None:
                    handler = self._handler_for(type(ev))
                handler(drv, ev, now)
        return True

    def _flush(self) -> None:
        """Re-read the marked endpoints' timers (`_pump` and `_pump_all` mark them and post
        this once per lab instant), not after every datagram: IkeEndpoint.get_timer() walks
        all its SAs, so per-datagram calls are O(n^2) for one gateway address with thousands
        of tunnels. The flush runs at the same instant, after the datagrams already due, so no
        deadline is missed."""
        self._flush_pending = False
        dirty, self._dirty = self._dirty, {}
        for drv in dirty:
            if self._drivers.get(drv.local) is drv:
                self.scheduler.reschedule(drv)

    def _tunnels_on(self, local: str, gw: str) -> list[_Tunnel]:
        return list(self._iter_on(local, gw))

    def _iter_on(self, local: str, gw: str) -> Iterator[_Tunnel]:
        """The tunnels using `gw` from `local` now, in index order (lazily: a DPD ack needs
        only the first)."""
        for t in self._candidates(local, gw):
            a = t.state.active_gateway
            if a == gw or (a is None and t.spec.establish == "responder" and gw not in t.spec.gateways):
                yield t

    def _ack_listeners(self, local: str, gw: str) -> bool:
        """Some tunnel that may use `gw` from `local` has a controller that wants DPD ACKs
        (`wants_dpd_ack`, default True); cached with the candidate index, since controllers
        are made with their tunnels."""
        self._candidates(local, gw)  # (re)builds the index, which clears this cache
        key = (local, gw)
        found = self._acks.get(key)
        if found is None:
            found = self._acks[key] = any(_wants_ack(t.ctl) for t in self._candidates(local, gw))
        return found

    def _on_event(self, drv: _Driver, ev: Event, now: float) -> None:
        """Act on one engine event (`_pump_one` does this lookup inline)."""
        handler = self._handlers.get(type(ev))
        if handler is None:
            handler = self._handler_for(type(ev))
        handler(drv, ev, now)

    def _handler_for(self, kind: type) -> Callable[[_Driver, Event, float], None]:
        """The handler of an event type, chosen once per type: DpdAck its own; an event with
        no tunnel of its own (no `child` field) that is none of the kinds the general handler
        acts on (DpdSent, DpdAnswered, notifies...) is only logged under the first tunnel on
        its gateway, exactly as the general handler's last branches do; every other goes
        through the general handler."""
        acted_on = (Phase2Up, Phase2Down, NegotiationFailed, PeerDead, DpdAck, Phase1Down)
        if issubclass(kind, DpdAck):
            handler = self._on_dpd_ack
        elif hasattr(kind, "child") or issubclass(kind, acted_on):
            handler = self._on_any
        else:
            handler = self._on_named
        self._handlers[kind] = handler
        return handler

    def _first_on(self, local: str, gw: str) -> str:
        """The name of next(self._iter_on(local, gw), None) ("" if none), without the
        generator (each DPD event is logged under the first tunnel on its gateway)."""
        idx = self._index
        if idx is None or (local, "*") in idx:
            cands = self._candidates(local, gw)
        else:
            cands = idx.get((local, gw), ())
        for t in cands:
            a = t.state.active_gateway
            if a == gw or (a is None and t.spec.establish == "responder" and gw not in t.spec.gateways):
                return t.spec.name
        return ""

    def _on_named(self, drv: _Driver, ev: Event, now: float) -> None:
        """An event that only needs a tunnel's name in the log (e.g. DpdSent): the first tunnel
        on its gateway."""
        self._emit(self._first_on(drv.local, ev.peer[0]), ev, now)

    def _on_dpd_ack(self, drv: _Driver, ev: Event, now: float) -> None:
        local, gw = drv.local, ev.peer[0]
        if self._index is not None:
            listening = self._acks.get((local, gw))
            if listening is None:
                listening = self._ack_listeners(local, gw)
        else:
            listening = self._ack_listeners(local, gw)  # rebuilds the index and the cache
        if not listening:
            # hundreds of tunnels may share the IKE SA: only the first is named (as for any
            # event logged by name only; one call there instead of _first_on and _emit)
            self._on_named(drv, ev, now)
            return
        ts = self._tunnels_on(local, gw)
        self._emit(ts[0].name if ts else "", ev, now)
        for x in ts:
            if _wants_ack(x.ctl):
                self._run(x, x.ctl.dpd_ack(now, gw), now, pump=False)

    def _on_any(self, drv: _Driver, ev: Event, now: float) -> None:
        """Any engine event (the DPD ones take the short paths above, which do the same)."""
        gw = ev.peer[0]
        child = getattr(ev, "child", None)
        t = self._tunnels.get(child) if child else None
        if t is not None and t.spec.local != drv.local:
            t = None
        if t is not None:  # index the tunnel's SAs (the SA table is keyed by SPI only)
            if isinstance(ev, Phase2Up):
                t.spis.add(ev.inbound_spi)
            elif isinstance(ev, SaRekeyed) and ev.kind == "ipsec":
                t.spis.add(int(ev.new, 16))
            if len(t.spis) > 4:  # forget SAs gone from the table (a quiet tunnel is never shown)
                table = drv.ep.sadb.ipsec
                t.spis = {spi for spi in t.spis if spi in table}
        if isinstance(ev, Phase2Up):
            if t is None:
                return self._emit("", ev, now)
            if t.spec.establish == "responder" and t.active != gw:
                t.state.active_gateway = gw
            if t.active != gw or t.state.state == "not-present":
                # an SA for a gateway this tunnel is not using now (e.g. the standby initiated)
                return self._emit(t.name, ev, now)
            self._cancel_watchdog(t)
            self._cancel_retry(t)
            t.state.state = "up"
            t.state.established_at = now
            t.state.last_failure = None
            self._emit(t.name, ev, now)
            if t.ctl is not None:
                self._run(t, t.ctl.tunnel_up(now, gw), now)
            return None
        if isinstance(ev, Phase2Down):
            if t is None:
                return self._emit("", ev, now)
            self._emit(t.name, ev, now)
            if t.active != gw or t.state.state != "up" or self._current_sa(t) is not None:
                return None
            t.state.state = "down"
            if ev.reason == "peer-dead":
                return None  # PeerDead (just before) decides what happens
            if t.ctl is not None:
                self._run(t, t.ctl.tunnel_down(now, gw, ev.reason), now)
            elif ev.reason != "deleted" and t.spec.establish == "immediately":
                self._negotiate(t, gw, now)
            return None
        if isinstance(ev, NegotiationFailed):
            targets = [t] if t is not None else [x for x in self._tunnels_on(drv.local, gw)
                                                   if x.state.state == "negotiating"]
            if not targets:
                return self._emit("", ev, now)
            for i, x in enumerate(targets):
                if i == 0 or ev.phase == 2:
                    self._emit(x.name, ev, now)
                self._failed(x, gw, ev.reason, now, ev.phase)
            return None
        if isinstance(ev, PeerDead):
            ts = self._tunnels_on(drv.local, gw)
            self._emit(ts[0].name if ts else "", ev, now)
            for x in ts:
                x.state.last_failure = "peer-dead"
                if x.ctl is not None:
                    self._run(x, x.ctl.peer_dead(now, gw), now)
                elif x.state.state == "up":
                    x.state.state = "down"
            return None
        if isinstance(ev, DpdAck):
            if not self._ack_listeners(drv.local, gw):
                # hundreds of tunnels may share the IKE SA: only the first is named
                first = next(self._iter_on(drv.local, gw), None)
                self._emit(first.name if first is not None else "", ev, now)
                return None
            ts = self._tunnels_on(drv.local, gw)
            self._emit(ts[0].name if ts else "", ev, now)
            for x in ts:
                if _wants_ack(x.ctl):
                    self._run(x, x.ctl.dpd_ack(now, gw), now, pump=False)
            return None
        if not isinstance(ev, Phase1Down):  # e.g. DpdSent: only the event's name is needed
            if t is None:
                t = next(self._iter_on(drv.local, gw), None)
            self._emit(t.name if t is not None else "", ev, now)
            return None
        ts = self._tunnels_on(drv.local, gw)
        self._emit(t.name if t is not None else (ts[0].name if ts else ""), ev, now)
        for x in ts:
            if x.ctl is not None:
                self._run(x, x.ctl.phase1_down(now, gw, ev.reason), now, pump=False)
        return None

    def _failed(self, t: _Tunnel, gw: str, reason: str, now: float, phase: int = 1) -> None:
        t.state.last_failure = reason
        if t.active != gw:
            return
        if t.state.state == "up" and t.ctl is not None:  # a rekey failed; the SAs still stand
            self._run(t, t.ctl.rekey_failed(now, gw, reason, phase), now)
            return
        if t.state.state != "negotiating":
            return
        self._cancel_watchdog(t)
        # down first: a controller that answers with no action (no backup, gave up) leaves the
        # tunnel down, never "negotiating" with nothing in flight
        t.state.state = "down"
        if reason == TIMEOUT and t.ctl is not None:
            self._run(t, t.ctl.negotiation_timeout(now, gw), now)
            return
        if t.ctl is not None:
            self._run(t, t.ctl.negotiation_failed(now, gw, reason, phase), now)
            return
        self._schedule_retry(t, now)

    # ---- starting, negotiating, clearing

    def _start(self, t: _Tunnel, now: float) -> None:
        if t.spec.child is None or t.spec.peer is None or t.spec.establish == "responder":
            return
        if not self._module_ok(t):
            t.state.state = "not-present"
            return
        if t.ctl is not None:
            self._run(t, t.ctl.start(now), now)
        else:
            self._negotiate(t, t.spec.peer.address, now)

    def _trigger(self, t: _Tunnel, now: float) -> None:
        """Outbound traffic found no SA."""
        if t.state.state in ("down",) and t.spec.establish != "responder":
            if t.ctl is not None and self._module_ok(t):
                self._run(t, t.ctl.traffic_waiting(now), now)
            else:
                self._start(t, now)
            self._pump_all(now)

    def _negotiate(self, t: _Tunnel, gw: str, now: float) -> None:
        drv = self._drivers.get(t.spec.local)
        if drv is None or t.spec.child is None:
            return
        self._cancel_retry(t)
        t.state.active_gateway = gw
        t.state.role = "backup" if gw == t.spec.backup else "primary"
        if self._current_sa(t) is not None:
            t.state.state = "up"
            return
        t.state.state = "negotiating"
        try:
            drv.ep.initiate((gw, IKE_PORT), now, child=t.name)
        except KeyError:
            t.state.state = "down"
            t.state.last_failure = "no-peer-config"
            return
        self._cancel_watchdog(t)
        t.watchdog = self.scheduler.call_at(now + self.phase1_timeout, lambda: self._timeout(t),
                                            name=f"{self.device} {t.name} negotiation timeout")
        self._pump(drv, now)

    def _timeout(self, t: _Tunnel) -> None:
        now = self.scheduler.now()
        t.watchdog = None
        if t.state.state != "negotiating" or t.active is None:
            return
        gw = t.active
        drv = self._drivers.get(t.spec.local)
        if drv is not None:
            self._abort(drv, gw, now)
        self._emit(t.name, NegotiationFailed((gw, IKE_PORT), 1, TIMEOUT, None, False, t.name), now)
        self._failed(t, gw, TIMEOUT, now)  # (its controller's actions pump their endpoints)
        self._pump_locals({t.spec.local}, now)

    @staticmethod
    def _abort(drv: _Driver, gw: str, now: float) -> None:
        """Forget an unfinished phase 1 with `gw`."""
        drv.ep.abort((gw, IKE_PORT), now)

    def _schedule_retry(self, t: _Tunnel, now: float) -> None:
        if t.ctl is not None or t.spec.establish != "immediately" or self.retry_after <= 0:
            return
        self._cancel_retry(t)

        def again() -> None:
            t.retry = None
            if t.state.state == "down" and self._tunnels.get(t.name) is t:
                self._start(t, self.scheduler.now())
                self._pump_all(self.scheduler.now())

        t.retry = self.scheduler.call_at(now + self.retry_after, again, name=f"{self.device} {t.name} retry")

    def _cancel_watchdog(self, t: _Tunnel) -> None:
        if t.watchdog is not None:
            t.watchdog.cancel()
            t.watchdog = None

    def _cancel_retry(self, t: _Tunnel) -> None:
        if t.retry is not None:
            t.retry.cancel()
            t.retry = None

    def _sas(self, t: _Tunnel, gw: str | None = None) -> list[IpsecSa]:
        drv = self._drivers.get(t.spec.local)
        gw = gw or t.active
        if drv is None or gw is None:
            return []
        table = drv.ep.sadb.ipsec
        out = []
        for spi in list(t.spis):
            sa = table.get(spi)
            if sa is None or sa.child != t.name:
                t.spis.discard(spi)  # gone (deleted, expired, rekeyed away)
            elif sa.peer[0] == gw:
                out.append(sa)
        return out

    def _current_sa(self, t: _Tunnel) -> IpsecSa | None:
        best = None
        for s in self._sas(t):
            if not s.superseded and (best is None or s.created_at >= best.created_at):
                best = s
        return best

    def _clear(self, t: _Tunnel, now: float, notify: bool, gw: str | None = None) -> bool:
        """Delete the tunnel's IPsec SAs with `gw` (default: active); with notify=False the
        Deletes are swallowed (the module that held them is gone)."""
        drv = self._drivers.get(t.spec.local)
        gw = gw or t.active
        if drv is None or gw is None:
            return False
        if not notify:  # send what was queued before (events stay for the pump)
            for data, dst in drv.ep.datagrams_to_send():
                self.network.send(drv.ep.local, dst, data)
        found = drv.ep.delete_child((gw, IKE_PORT), t.name, now)
        if not notify:
            drv.ep.datagrams_to_send()
        return found

    def _clear_gateway(self, t: _Tunnel, gw: str, now: float, notify: bool = True) -> None:
        """ClearSas: this tunnel's SAs, and the IKE SA unless another tunnel is up on it.
        ForgetSas (notify=False): the same with nothing sent, and the IKE SA is kept only for
        a tunnel up or negotiating on it."""
        drv = self._drivers.get(t.spec.local)
        if drv is None:
            return
        self._clear(t, now, notify=notify, gw=gw)
        busy = ("up",) if notify else ("up", "negotiating")
        others = [x for x in self._candidates(t.spec.local, gw) if x is not t
                  and x.active == gw and x.state.state in busy]
        if notify:
            self._abort(drv, gw, now)
            if not others:
                drv.ep.delete_ike((gw, IKE_PORT), now)
        elif not others:
            self._abort(drv, gw, now)
            while drv.ep.delete_ike((gw, IKE_PORT), now):
                pass
            drv.ep.datagrams_to_send()  # the Deletes never leave: their module is gone

    def _probe(self, t: _Tunnel, gw: str, now: float) -> bool:
        """Send one R-U-THERE on the IKE SA with `gw` (its ACK comes back as DpdAck)."""
        drv = self._drivers.get(t.spec.local)
        return drv is not None and drv.ep.probe((gw, IKE_PORT), now)

    def _run(self, t: _Tunnel, actions: list[object], now: float, pump: bool = True) -> None:
        """Carry out controller actions (see tunnel_control); others are only reported."""
        for a in actions:
            self._emit(t.name, a, now)
            if isinstance(a, OnTunnel):
                other = self._tunnels.get(a.tunnel)
                if other is not None:
                    self._run(other, [a.action], now, pump=False)
            elif isinstance(a, fo.SendDpdHello):
                self._probe(t, a.gateway, now)
            elif isinstance(a, fo.ClearSas):
                self._cancel_watchdog(t)
                self._clear_gateway(t, a.gateway, now)
            elif isinstance(a, ForgetSas):
                self._cancel_watchdog(t)
                self._clear_gateway(t, a.gateway, now, notify=False)
            elif isinstance(a, fo.Negotiate):
                if a.at is not None and a.at > now:
                    self._negotiate_at(t, a.gateway, a.at)
                else:
                    self._negotiate(t, a.gateway, now)
            elif isinstance(a, fo.Activated):
                t.state.active_gateway = a.gateway
                t.state.role = a.role.value
                if t.state.state == "up":
                    t.state.state = "down"
            elif isinstance(a, fo.PeerDeclaredDead):
                t.state.last_failure = "peer-dead"
                t.state.state = "down"
            elif isinstance(a, fo.Reverted):
                t.state.active_gateway = a.primary
                t.state.role = "primary"
                t.state.state = "down"
        self._resched(t)
        if pump:
            self._pump_locals(self._action_locals(t, actions), now)

    def _action_locals(self, t: _Tunnel, actions: list[object]) -> set[str]:
        """The local addresses whose endpoints `_run(t, actions)` calls into: t's own, and those
        of the tunnels named by OnTunnel actions."""
        out = {t.spec.local}
        for a in actions:
            if isinstance(a, OnTunnel):
                other = self._tunnels.get(a.tunnel)
                if other is not None:
                    out |= self._action_locals(other, [a.action])
        return out

    def _negotiate_at(self, t: _Tunnel, gw: str, at: float) -> None:
        """A delayed start: negotiate with `gw` at lab time `at` unless something else
        negotiates first (any negotiation cancels it)."""
        self._cancel_retry(t)
        t.state.active_gateway = gw
        if t.state.state == "negotiating":
            t.state.state = "down"

        def fire() -> None:
            t.retry = None
            if self._tunnels.get(t.name) is t and t.state.state == "down" and self._module_ok(t):
                now = self.scheduler.now()
                self._negotiate(t, gw, now)
                self._pump_all(now)

        t.retry = self.scheduler.call_at(at, fire, name=f"{self.device} {t.name} delayed start")

    @staticmethod
    def _primary(t: _Tunnel) -> str:
        return t.spec.peer.address if t.spec.peer is not None else ""

    def _resched(self, t: _Tunnel) -> None:
        if t.ctl is not None and t.started and self._tunnels.get(t.name) is t:
            self.scheduler.reschedule(t)

    def _teardown(self, t: _Tunnel, now: float) -> None:
        self._cancel_watchdog(t)
        self._cancel_retry(t)
        if t.ctl is not None:
            self.scheduler.remove_engine(t)
        drv = self._drivers.get(t.spec.local)
        if drv is None:
            return
        for gw in t.spec.gateways:
            drv.ep.delete_child((gw, IKE_PORT), t.name, now)
            still = any(x is not t and self._tunnels.get(x.name) is x and gw in x.spec.gateways
                        for x in self._candidates(t.spec.local, gw))
            if not still:
                drv.ep.delete_ike((gw, IKE_PORT), now)
                self._abort(drv, gw, now)
        self._pump(drv, now)

