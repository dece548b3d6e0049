"""After controller actions (and a negotiation timeout) the tunnel manager pumps only the
endpoints those actions called into (`_pump_locals`), not every endpoint of the device: the
others have nothing queued and timers that did not move. The lab must run exactly as with the
full sweep, and the narrow pump must be the one taken."""

from __future__ import annotations

import pytest

from routershell.runtime.tunnels import TunnelManager

from .test_event_dispatch import _run


def test_narrow_pumps_run_the_lab_as_the_full_sweep():
    sizes: list[int] = []
    real = TunnelManager._pump_these

    def spy(self, everyone, now):
        sizes.append(len(everyone))
        return real(self, everyone, now)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(TunnelManager, "_pump_these", spy)
        narrow, _ = _run()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(TunnelManager, "_pump_locals", lambda self, locals_, now: self._pump_all(now))
        full, _ = _run()
    assert narrow == full
    assert sizes.count(1) >= 5  # controller actions pumped their own endpoint only
    assert max(sizes) == 2  # (the device has two; a full sweep takes both)
