"""Packet capture of the simulated network to a classic pcap file (engine/pcap.py).

`Capture(network, path)` taps `network.capture` until `stop()`, which writes every datagram seen
(timestamps are lab seconds since boot plus `epoch`, so Wireshark shows the lab's date) and
returns how many were written. The file is written atomically (temporary file + rename).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..engine.pcap import Datagram, LinkType, PcapError, to_pcap
from .network import Addr, Network

__all__ = ["Capture", "CaptureError"]


class CaptureError(OSError):
    """The capture could not be started or written (message fit to show a user)."""


class Capture:
    def __init__(self, network: Network, path: str | Path, epoch: float = 0.0,
                 link: LinkType = LinkType.RAW) -> None:
        if network.capture is not None:
            raise CaptureError("a capture is already running")
        self.network = network
        self.path = Path(path)
        self.epoch = float(epoch)
        self.link = link
        self.records: list[Datagram] = []
        parent = self.path.parent
        if not parent.is_dir():
            raise CaptureError(f"no such directory: {parent}")
        network.capture = self._tap

    def _tap(self, now: float, src: Addr, dst: Addr, payload: bytes) -> None:
        self.records.append(Datagram(self.epoch + now, src[0], src[1], dst[0], dst[1], payload))

    @property
    def running(self) -> bool:
        return self.network.capture == self._tap

    def stop(self) -> int:
        """Stop tapping and write the file; returns the number of datagrams written."""
        if self.running:
            self.network.capture = None
        try:
            data = to_pcap(self.records, self.link)
        except PcapError as e:
            raise CaptureError(f"capture not written: {e}") from None
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as e:
            raise CaptureError(f"capture not written: {e.strerror or e}") from None
        return len(self.records)
