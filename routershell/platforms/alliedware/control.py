"""The per-tunnel controller of an AlliedWare permanent VPN: ISAKMP `retryikeattempts`.

The decisions are the engine's RetryController (engine/retry.py, seed 004); this class only
connects it to the TunnelManager seam (runtime/tunnel_control.py):

* negotiation failures that are triggers (proposal rejected, authentication failed, phase 1 or
  2 timeout) and a peer Delete of the tunnel's most recent IPsec SA ask the RetryController;
  a `Retry` becomes a new exchange at once (`Negotiate`), reported with the Retry itself so the
  device's retryIkeAttemptsPh1/Ph2 counters move;
* the limit spent (or retries off: retryikeattempts=0, or a peer that is not specific in both
  policies), the tunnel stays down until its policy changes or traffic for it arrives (it is
  not re-attempted by itself — "by default negotiations are not retried");
* the retry policy is read from the running configuration at each failure (`setting`), so a
  new retryikeattempts applies without restarting the tunnel.

The TunnelManager reports a timeout without its phase; the device's event subscriber passes the
phase of the NegotiationFailed it saw just before (`note_phase`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...engine import failover as fo
from ...engine.events import AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN
from ...engine.retry import GiveUp, Retry, RetryController, RetryPolicy, Trigger, negotiation_retry
from ...runtime.ipsec import TunnelSpec
from ...runtime.tunnel_control import ControllerBase
from .compile import RetrySetting

_TRIGGERS = {NO_PROPOSAL_CHOSEN: Trigger.PROPOSAL_REJECTED,
             AUTHENTICATION_FAILED: Trigger.AUTHENTICATION_FAILED}


@dataclass(frozen=True)
class RetryStatus:
    """What shows read back (TunnelState.failover)."""

    limit: int | None  # None = continuous
    eligible: bool
    attempts_used: int
    retries_phase1: int
    retries_phase2: int
    gave_up: bool


SettingFor = Callable[[], "RetrySetting | None"]


class RetryTunnel(ControllerBase):
    """`setting` is read again at every failure: a SET ISAKMP POLICY that changes only
    retryikeattempts applies to the next failure without restarting the tunnel."""

    def __init__(self, spec: TunnelSpec, setting: SettingFor | None = None) -> None:
        super().__init__(spec)
        fixed = spec.failover if isinstance(spec.failover, RetrySetting) else None
        self.setting: SettingFor = setting or (lambda: fixed)
        self.retry = RetryController(negotiation_retry(0))
        self.limit: int | None = 0
        self.eligible = False
        self._read_setting()
        self.phase_hint = 1
        self.gave_up = False

    def _read_setting(self) -> None:
        s = self.setting()
        policy: RetryPolicy = s.policy if s is not None else negotiation_retry(0)
        self.eligible = s.eligible if s is not None else False
        self.limit = policy.attempts
        self.retry.policy = policy if self.eligible else negotiation_retry(0)

    def note_phase(self, phase: int) -> None:
        self.phase_hint = phase

    def _failed(self, now: float, gateway: str, trigger: Trigger | None, phase: int) -> list[object]:
        self._read_setting()
        if trigger is None:
            self.gave_up = True
            return []
        actions: list[object] = []
        for a in self.retry.failed(now, trigger, phase):
            if isinstance(a, Retry):
                self.gave_up = False
                actions += [a, fo.Negotiate(gateway)]
            elif isinstance(a, GiveUp):
                self.gave_up = True
                actions.append(a)  # reported only: the tunnel stays down
        return actions

    def start(self, now: float) -> list[object]:
        self.gave_up = False
        return [fo.Negotiate(self.primary)]

    def tunnel_up(self, now: float, gateway: str) -> list[object]:
        self.gave_up = False
        self.retry.succeeded(now)
        return []

    def negotiation_failed(self, now: float, gateway: str, reason: str, phase: int) -> list[object]:
        return self._failed(now, gateway, _TRIGGERS.get(reason), phase)

    def negotiation_timeout(self, now: float, gateway: str) -> list[object]:
        phase, self.phase_hint = self.phase_hint, 1
        return self._failed(now, gateway, Trigger.TIMEOUT, phase)

    def tunnel_down(self, now: float, gateway: str, reason: str) -> list[object]:
        if reason == "peer-delete":  # the peer deleted the tunnel's most recent IPsec SA
            return self._failed(now, gateway, Trigger.PEER_DELETE, 2)
        if reason == "expired":  # lifetime ran out without a rekey: a permanent VPN renegotiates
            return [fo.Negotiate(gateway)]
        return []

    def status(self) -> RetryStatus:
        self._read_setting()  # shows the policy as configured now
        c = self.retry.counters
        return RetryStatus(self.limit, self.eligible, self.retry.attempts_used,
                           c.retries_phase1, c.retries_phase2, self.gave_up)


def controller_for(spec: TunnelSpec, setting: SettingFor | None = None) -> RetryTunnel | None:
    """The controller of a permanent VPN (None for anything else: the manager's default)."""
    if spec.peer is None or spec.child is None or spec.establish != "immediately":
        return None
    return RetryTunnel(spec, setting)
