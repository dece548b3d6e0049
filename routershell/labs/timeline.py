"""Tunnel states per peer over the lab clock: what the HTML report plots.

`TunnelTimeline` subscribes to every device's TunnelManager and, after each tunnel event, folds
the device's tunnels into one state per (device, peer): `up` if a tunnel to that peer is up,
else `standby`, `negotiating`, `not-present` or `down` in that order (the peer of a tunnel is its
active gateway, or its first gateway while none is active). It records a transition only when
that state changes, stamped with lab time since the lab (re)started. Events of one lab instant
are folded once, from a scheduler call at that instant (a lab of many tunnels emits bursts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_TRANSITIONS", "Transition", "TunnelTimeline", "peer_states"]

#: a lab that flaps for a year keeps the newest transitions only (the report says how many went)
MAX_TRANSITIONS = 50_000

_RANK = ("up", "standby", "negotiating", "not-present", "down")


@dataclass(frozen=True)
class Transition:
    at: float  # lab seconds since the lab (re)started
    device: str
    peer: str
    state: str


def peer_states(tunnels: Iterable[Any]) -> dict[str, str]:
    """{peer address: state} for a device's TunnelStates (see module docstring)."""
    out: dict[str, str] = {}
    for t in tunnels:
        gws = tuple(getattr(t.spec, "gateways", ()) or ())
        peer = t.active_gateway or (gws[0] if gws else None)
        if not peer:
            continue
        state = t.state if t.state in _RANK else "down"
        if peer not in out or _RANK.index(state) < _RANK.index(out[peer]):
            out[peer] = state
        for gw in gws:  # a backup nobody uses yet is down, and is drawn from the start
            out.setdefault(gw, "down")
    return out


class TunnelTimeline:
    def __init__(self, devices: Mapping[str, Any], now: Callable[[], float],
                 call_soon: Callable[[Callable[[], None]], Any] | None = None) -> None:
        self.devices = devices
        self._now = now
        self._call_soon = call_soon
        self._dirty: set[str] = set()
        self.listeners: list[Callable[[], None]] = []  # told after each burst of tunnel events
        self.origin = 0.0
        self.transitions: list[Transition] = []
        self.dropped = 0  # oldest transitions let go beyond MAX_TRANSITIONS
        self._state: dict[tuple[str, str], str] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        for name, dev in devices.items():
            tunnels = getattr(dev, "tunnels", None)
            if tunnels is not None and hasattr(tunnels, "subscribe"):
                self._unsubscribe.append(tunnels.subscribe(lambda _n, _ev, name=name: self._changed(name)))

    def _changed(self, device: str) -> None:
        if self._call_soon is None:
            self.sample(device)
            for cb in list(self.listeners):
                cb()
            return
        if not self._dirty:
            self._call_soon(self._flush)
        self._dirty.add(device)

    def _flush(self) -> None:
        dirty, self._dirty = sorted(self._dirty), set()
        for name in dirty:
            self.sample(name)
        for cb in list(self.listeners):
            cb()

    def restart(self) -> None:
        """Start a new timeline at the current lab time (lab reset)."""
        self.origin = self._now()
        self.transitions.clear()
        self.dropped = 0
        self._state.clear()
        self.sample_all()

    def sample_all(self) -> None:
        for name in self.devices:
            self.sample(name)

    def sample(self, device: str) -> None:
        tunnels = getattr(self.devices[device], "tunnels", None)
        if tunnels is None:
            return
        at = max(0.0, self._now() - self.origin)
        for peer, state in sorted(peer_states(tunnels.tunnels()).items()):
            key = (device, peer)
            if self._state.get(key) != state:
                self._state[key] = state
                self.transitions.append(Transition(round(at, 3), device, peer, state))
        if len(self.transitions) > MAX_TRANSITIONS:
            extra = len(self.transitions) - MAX_TRANSITIONS
            del self.transitions[:extra]
            self.dropped += extra

    def close(self) -> None:
        for u in self._unsubscribe:
            u()
        self._unsubscribe.clear()
