"""What a platform asks the runtime for (TunnelSpec) and what it reads back (TunnelState).

A platform compiles its configuration into TunnelSpecs (Junos: `[edit services ipsec-vpn]` rule
terms inside service sets; JunosE: tunnel interfaces; StarOS: crypto maps in crypto groups;
AlliedWare: ISAKMP/IPsec policies) and hands the list to its device's TunnelManager with
`apply(specs, now)` after every commit. The runtime reconciles: new tunnels start (now, or at the
first matching traffic), removed ones are torn down with a Delete to the peer, changed ones are
restarted. Show commands read `TunnelManager.tunnels()`; nothing here carries vendor wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine.dpd import DpdPolicy
from ..engine.peer import ChildConfig, PeerConfig


@dataclass(frozen=True)
class TunnelSpec:
    """One IPsec tunnel a device wants (dynamic SA through IKE, or a manual SA)."""

    name: str  # unique on the device, stable across commits (e.g. "ss1/rule1/term1")
    local: str  # local gateway address (the IKE endpoint binds it, port 500)
    peer: PeerConfig | None  # primary remote gateway: proposals, PSK/cert, DPD, retransmits
    child: ChildConfig | None  # phase-2 policy: proposals, PFS, traffic selectors
    backup: str | None = None  # backup remote gateway (failover with DPD, Junos seed 001)
    establish: str = "immediately"  # "immediately" | "on-traffic" | "responder" (dynamic peers)
    failover: Any = None  # policy data for the platform's controller (engine.failover.FailoverPolicy ...)
    dpd_initiate: bool = False  # this side sends R-U-THERE (backup gateway or explicit knob)
    selectors: tuple[tuple[str, str], ...] = ()  # (local prefix, remote prefix) traffic matched
    manual: Any = None  # a manual SA description (no IKE) — platform-defined, passed back in state
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # for show

    @property
    def gateways(self) -> tuple[str, ...]:
        g = (self.peer.address,) if self.peer is not None else ()
        return g + ((self.backup,) if self.backup else ())


@dataclass
class TunnelState:
    """A tunnel as the runtime holds it now (read-only for show commands)."""

    spec: TunnelSpec
    index: int  # 1-based tunnel index on the device, in creation order
    active_gateway: str | None  # the gateway currently used (primary or backup)
    role: str  # "primary" | "backup"
    state: str  # "down" | "negotiating" | "up" | "standby" | "not-present"
    ike_sa: Any = None  # engine.sa.IkeSa of the active gateway, if any
    ipsec_sas: list[Any] = field(default_factory=list)  # engine.sa.IpsecSa (both directions in one)
    failover: Any = None  # status() of the tunnel's controller (runtime/tunnel_control), if any
    carrying: bool = True  # False: standby (its controller routes the traffic through another)
    last_failure: str | None = None  # neutral reason of the last failed negotiation
    established_at: float | None = None


__all__ = ["ChildConfig", "DpdPolicy", "PeerConfig", "TunnelSpec", "TunnelState"]
