"""Packet capture of the simulated network to a classic pcap file (engine/pcap.py).

`Capture(network, path)` taps `network.capture` until `stop()`. Records are streamed to a
temporary file beside the target as they happen (memory stays flat however long the capture
runs; timestamps are lab seconds since boot plus `epoch`, so Wireshark shows the lab's date);
`stop()` flushes, fsyncs and renames it into place and returns how many were written. A capture
that cannot be written removes its temporary and leaves any existing file untouched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..config.files import TMP_MARK
from ..engine.pcap import Datagram, LinkType, PcapError, file_header, record
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
        self.count = 0
        self.error: str | None = None
        parent = self.path.parent
        if not parent.is_dir():
            raise CaptureError(f"no such directory: {parent}")
        if self.path.exists() and not self.path.is_file():  # a directory, a FIFO, a device
            raise CaptureError(f"not a regular file: {self.path}")
        try:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}{TMP_MARK}", dir=parent)
        except OSError as e:
            raise CaptureError(f"can't write {self.path}: {e.strerror or e}") from None
        self._fh = os.fdopen(fd, "wb")
        self._fh.write(file_header(link))
        network.capture = self._tap

    def _tap(self, now: float, src: Addr, dst: Addr, payload: bytes) -> None:
        if self.error is not None:
            return
        try:
            self._fh.write(record(Datagram(self.epoch + now, src[0], src[1], dst[0], dst[1], payload),
                                  self.link, self.count + 1))
            self.count += 1
        except (OSError, PcapError) as e:  # a full disk never stops the lab; stop() reports it
            self.error = str(getattr(e, "strerror", None) or e)

    @property
    def running(self) -> bool:
        return self.network.capture == self._tap

    def stop(self) -> int:
        """Stop tapping and put the file in place; returns the number of datagrams written."""
        if self.running:
            self.network.capture = None
        try:
            if self.error is not None:
                raise OSError(self.error)
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            os.replace(self._tmp, self.path)
        except OSError as e:
            self._fh.close()
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            raise CaptureError(f"capture not written: {e.strerror or e}") from None
        return self.count
