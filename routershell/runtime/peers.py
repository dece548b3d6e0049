"""Remote peers: IKE gateways outside the emulated routers, each a real IkeEndpoint.

A `PeerSpec` describes one (lab file `[[peer]]`): its address, IKE and IPsec proposals, PSK,
whether it answers DPD and whether it sends DPD itself (a J-series router answers but never
sends), whether it initiates negotiations (and towards which gateway), its traffic selectors
(from its own point of view), reachability, latency and loss.

A `RemotePeer` binds its address on the Network (port 500) and exchanges real ISAKMP datagrams.
It accepts any initiator (a PeerConfig is made from the spec for each new source address), so
the emulated router's address need not be listed. Its single child is named after the peer.
`update(**changes)` changes the spec at run time (wrong PSK, other proposals): new negotiations
use it, SAs already up are left alone (as on a real gateway).

`reject_proposals = N`: the peer refuses the next N phase-1 negotiations started towards it with
NO-PROPOSAL-CHOSEN (it answers with an offer none of the initiator's transforms matches), then
accepts as configured — a gateway whose policy is fixed after a first failed attempt.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ..engine.constants import Exchange
from ..engine.dpd import DpdPolicy
from ..engine.events import Event, Phase2Up
from ..engine.ike import IkeEndpoint
from ..engine.isakmp import DecodeError, SaPayload, decode
from ..engine.peer import DEFAULT_SCHEDULE, ChildConfig, PeerConfig
from ..engine.proposals import IkeProposal, IpsecProposal, NoProposalChosen, choose_ike
from ..engine.retransmit import Schedule
from ..engine.sa import ZERO_COOKIE, IpsecSa
from .network import Addr, Network
from .scheduler import Scheduler
from .tunnels import IKE_PORT, matches

__all__ = ["PeerError", "PeerSpec", "RemotePeer"]


class PeerError(ValueError):
    """A peer description that cannot work (message fit to show a user)."""


@dataclass(frozen=True)
class PeerSpec:
    name: str
    address: str
    psk: bytes | None = None
    ike_proposals: tuple[IkeProposal, ...] = (IkeProposal(),)
    ipsec_proposals: tuple[IpsecProposal, ...] = (IpsecProposal(),)
    mode: str = "main"
    answers_dpd: bool = True
    initiates_dpd: bool = False
    dpd_interval: float = 10.0
    dpd_retry_interval: float = 2.0
    dpd_retries: int = 5
    initiates: bool = False
    target: str | None = None  # gateway the peer initiates to (an emulated router's address)
    local_ts: str | None = None  # the peer's protected network (its side)
    remote_ts: str | None = None  # the router's protected network, as the peer sees it
    reachable: bool = True
    latency: float = 0.0  # one-way seconds added at this address
    jitter: float = 0.0
    loss: float = 0.0  # percent
    retransmit: Schedule = DEFAULT_SCHEDULE
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    reject_proposals: int = 0  # refuse this many phase-1 negotiations first (see above)

    def __post_init__(self) -> None:
        if self.initiates and not self.target:
            raise PeerError(f"peer {self.name}: initiates needs a target gateway")
        if (self.local_ts is None) != (self.remote_ts is None):
            raise PeerError(f"peer {self.name}: give both traffic selectors or neither")

    def config_for(self, address: str) -> PeerConfig:
        """The PeerConfig this peer uses towards the gateway at `address`."""
        dpd = None
        if self.answers_dpd or self.initiates_dpd:
            dpd = DpdPolicy(self.dpd_interval, self.dpd_retry_interval, self.dpd_retries,
                            initiate=self.initiates_dpd, respond=self.answers_dpd)
        child = ChildConfig(self.name, tuple(self.ipsec_proposals), self.local_ts, self.remote_ts)
        try:
            return PeerConfig(address, IKE_PORT, tuple(self.ike_proposals), self.psk, self.mode,
                              children=(child,), dpd=dpd, retransmit=self.retransmit)
        except ValueError as e:
            raise PeerError(f"peer {self.name}: {e}") from None


class RemotePeer:
    def __init__(self, spec: PeerSpec, network: Network, scheduler: Scheduler,
                 rng: random.Random) -> None:
        spec.config_for(spec.target or "0.0.0.0")  # validate now: errors at add time
        self.spec = spec
        self.network = network
        self.scheduler = scheduler
        self.endpoint = IkeEndpoint((spec.address, IKE_PORT), rng)
        # the scheduler re-reads the timer after every datagram: the endpoint's own method,
        # not one that delegates to it (one call fewer each time)
        self.get_timer: Callable[[], float | None] = self.endpoint.get_timer
        # recent events only (a long lab must not grow per peer): at least the last
        # `max_events`, at most half as many again (trimmed in batches, not per event)
        self.events: list[tuple[float, Event]] = []
        self.max_events = 64
        self.rejects_left = spec.reject_proposals
        self._subscribers: list[Callable[[str, object], None]] = []
        network.bind(spec.address, IKE_PORT, self._receive)
        scheduler.add_engine(self, name=f"peer {spec.name}")
        self._slot = scheduler.slot_of(self)  # _pump's unchanged-deadline check (see there)
        self._apply_faults()

    # ----- scheduler engine ---------------------------------------------------------------

    def handle_timer(self, now: float) -> None:
        self.endpoint.handle_timer(now)
        self._pump(now, reschedule=False)

    # ----- public -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def address(self) -> str:
        return self.spec.address

    def start(self, now: float) -> None:
        """Initiate towards the target if the spec says so."""
        if self.spec.initiates and self.spec.target:
            self.initiate(self.spec.target, now)

    def initiate(self, gateway: str, now: float) -> None:
        ep = self.endpoint
        if gateway not in ep.peers:
            ep.add_peer(self.spec.config_for(gateway))
        ep.initiate((gateway, IKE_PORT), now, child=self.spec.name)
        self._pump(now)

    def delete_ike(self, gateway: str, now: float) -> bool:
        """Delete the IKE SA with `gateway`, telling it (a Delete). False if there is none."""
        done = self.endpoint.delete_ike((gateway, IKE_PORT), now)
        self._pump(now)
        return done

    def delete_ipsec(self, now: float) -> int:
        """Delete the most recent IPsec SA with each gateway, telling it (a Delete SA
        notification; the IKE SA stays). The number of SAs deleted."""
        newest: dict[tuple[str, int], IpsecSa] = {}
        for sa in self.endpoint.sadb.ipsec.values():
            if not sa.superseded and (sa.peer not in newest or sa.created_at >= newest[sa.peer].created_at):
                newest[sa.peer] = sa
        done = sum(self.endpoint.delete_child(sa.peer, sa.child, now) for sa in newest.values())
        self._pump(now)
        return done

    def update(self, now: float, **changes: object) -> PeerSpec:
        """Change the peer's description (psk=..., answers_dpd=..., reachable=...)."""
        try:
            spec = dataclasses.replace(self.spec, **changes)  # type: ignore[arg-type]
        except TypeError as e:
            raise PeerError(f"peer {self.name}: {e}") from None
        if spec.address != self.spec.address:
            raise PeerError(f"peer {self.name}: the address cannot change")
        spec.config_for(spec.target or "0.0.0.0")
        self.spec = spec
        for addr in list(self.endpoint.peers):
            self.endpoint.add_peer(spec.config_for(addr))
        self._apply_faults()
        if "initiates" in changes or "target" in changes:
            self.start(now)
        return spec

    def subscribe(self, cb: Callable[[str, object], None]) -> None:
        self._subscribers.append(cb)

    def sas(self) -> list[IpsecSa]:
        return list(self.endpoint.sadb.ipsec.values())

    def route(self, src: str, dst: str) -> bool:
        """True if a packet src -> dst leaving this peer goes into its tunnel."""
        s = self.spec
        if s.local_ts is None or s.remote_ts is None:
            return False
        return matches(((s.local_ts, s.remote_ts),), src, dst)

    def current_sa(self, gateway: str | None = None) -> IpsecSa | None:
        best = None
        for sa in self.endpoint.sadb.ipsec.values():
            if gateway is not None and sa.peer[0] != gateway:
                continue
            if not sa.superseded and (best is None or sa.created_at >= best.created_at):
                best = sa
        return best

    def account(self, spi: int, octets: int, packets: int, now: float, inbound: bool) -> None:
        self.endpoint.account(spi, octets, packets, now, inbound=inbound)
        self._pump(now)

    def settled(self) -> bool:
        """No exchange of this peer waits for an answer (as initiator or responder)."""
        for sa in self.endpoint.sadb.ike.values():
            if sa.state == "negotiating":
                return False
            if any(ex.deadline is not None for ex in sa.exchanges.values()):
                return False
        return True

    def established(self) -> bool:
        return self.current_sa() is not None

    # ----- internals ----------------------------------------------------------------------

    def _apply_faults(self) -> None:
        s = self.spec
        self.network.set_down(s.address, not s.reachable)
        self.network.set_latency(s.address, s.latency, s.jitter)
        self.network.set_loss(s.loss, s.address)

    def _receive(self, data: bytes, src: Addr, now: float) -> None:
        if src[0] not in self.endpoint.peers:
            self.endpoint.add_peer(self.spec.config_for(src[0]))
        refusal = self._refusal(data) if self.rejects_left > 0 else None
        if refusal is not None:
            cfg = self.endpoint.peers[src[0]]
            self.endpoint.add_peer(dataclasses.replace(cfg, ike_proposals=(refusal,)))
            self.endpoint.receive(data, src, now)  # answered at once with NO-PROPOSAL-CHOSEN
            self.endpoint.add_peer(cfg)
            self.rejects_left -= 1
        else:
            self.endpoint.receive(data, src, now)
        self._pump(now)

    @staticmethod
    def _refusal(data: bytes) -> IkeProposal | None:
        """For the first message of a new phase 1: a proposal none of its offers matches."""
        try:
            msg = decode(data)
        except DecodeError:
            return None
        if msg.exchange not in (Exchange.MAIN, Exchange.AGGRESSIVE) or msg.rcookie != ZERO_COOKIE:
            return None
        offers = msg.find(SaPayload)
        if not offers:
            return None
        for cand in (IkeProposal("psk", "md5", "des", 1), IkeProposal("psk", "sha256", "aes256", 14),
                     IkeProposal("psk", "sha1", "aes192", 5)):
            try:
                choose_ike(offers[0], (cand,))
            except NoProposalChosen:
                return cand
        return None

    def _pump(self, now: float, reschedule: bool = True) -> None:
        """Send what the endpoint queued and log its events until both queues are empty (the
        engine's queues asked directly, as ep.has_output() does)."""
        ep = self.endpoint
        events, subscribers = self.events, self._subscribers
        while ep._out or ep._events:
            if ep._out:
                send, local = self.network.send, ep.local
                for data, dst in ep.datagrams_to_send():
                    send(local, dst, data)
            while ep._events:  # (re-read: the engine may replace its queue)
                ev = ep.next_event()
                events.append((now, ev))
                if subscribers:
                    for cb in list(subscribers):  # a copy: a subscriber may unsubscribe
                        cb(self.name, ev)
            if len(events) > self.max_events * 3 // 2:
                del events[: len(events) - self.max_events]
        if reschedule:
            # Scheduler.reschedule's unchanged case inline: after almost every datagram the
            # peer's deadline is the one on the heap already (anything else goes through it)
            nd = self.get_timer()
            if nd is None or nd != self._slot.deadline:
                self.scheduler.reschedule(self)

    def up_events(self) -> list[Phase2Up]:
        return [e for _, e in self.events if isinstance(e, Phase2Up)]
