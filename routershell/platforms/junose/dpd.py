"""The JunosE on-demand DPD check (the JunosE IPSec Service Module documentation): an inquiry goes out when
the interface sent traffic in the last 30 s but received nothing in the last 60 s.

The idle check (2.5 minutes with nothing at all) is the IKE engine's own DPD (compile.py). This
check needs to know what the interface sends, which the engine does not watch: the tunnel's
controller (ism.IsmTunnel) polls the outbound packet count of its IPsec SAs every `POLL`
seconds while the interface is up and has been silent for 60 s, up to the idle check, where
the engine's DPD takes over. A send is therefore seen up to `POLL` seconds late (documented in
docs/junose.md). Inquiries and the dead verdict use the idle check's numbers: 3 inquiries 10 s
apart, dead 10 s after the third without an answer.
"""

from __future__ import annotations

from dataclasses import dataclass

SENT_WINDOW = 30.0  # traffic sent in the last 30 s ...
SILENT = 60.0  # ... and nothing received in the last 60 s
POLL = 5.0  # [U] how often a silent interface's outbound count is looked at
IDLE = 150.0  # the engine's idle check takes over here (compile.DPD_IDLE)
INQUIRY_INTERVAL = 10.0
INQUIRIES = 3


@dataclass
class OnDemandDpd:
    """Per interface: `up`, `heard`, `down` as things happen; `on_timer(now, sent)` with the
    SAs' outbound packet count returns "inquire", "dead" or None."""

    last_received: float = 0.0
    sent_count: int = 0
    sent_at: float | None = None  # when the outbound count was last seen to grow
    inquiries: int = 0
    next_at: float | None = None
    active: bool = False  # the interface is up

    def up(self, now: float, sent: int) -> None:
        self.active = True
        self.last_received, self.sent_count, self.sent_at = now, sent, None
        self.inquiries = 0
        self.next_at = now + SILENT

    def heard(self, now: float) -> None:
        """Data or a DPD answer from the peer."""
        if not self.active:
            return
        self.last_received = max(self.last_received, now)
        self.inquiries = 0
        self.next_at = self.last_received + SILENT

    def down(self) -> None:
        self.active = False
        self.next_at = None
        self.inquiries = 0

    def on_timer(self, now: float, sent: int) -> str | None:
        if self.next_at is None or now < self.next_at:
            return None
        if sent > self.sent_count:
            self.sent_count, self.sent_at = sent, now
        if self.inquiries:
            if self.inquiries >= INQUIRIES:
                self.down()
                return "dead"
            self.inquiries += 1
            self.next_at = now + INQUIRY_INTERVAL
            return "inquire"
        silent = now - self.last_received
        if self.sent_at is not None and now - self.sent_at <= SENT_WINDOW and silent >= SILENT:
            self.inquiries = 1
            self.next_at = now + INQUIRY_INTERVAL
            return "inquire"
        # keep looking until the idle check, which the engine runs
        self.next_at = now + POLL if silent + POLL < IDLE else None
        return None
