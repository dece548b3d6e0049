"""The running application: one lab clock, one scheduler, the lab's devices, and sessions.

Front-ends build an App, `await app.start(nursery)` inside trio, then ask `new_session()` for
each terminal. Until lab files arrive (runtime issue) the built-in default lab is one Junos
router, r1, whose startup configuration ships in routershell/labs/.
"""

from __future__ import annotations

import importlib.resources
import tempfile
from pathlib import Path

import trio

from .cli.session import CliSession
from .runtime.clock import LabClock
from .runtime.device import Device, Port
from .runtime.rng import Streams
from .runtime.scheduler import Scheduler


class App:
    def __init__(
        self,
        clock_mode: str | None = None,
        seed: int = 0,
        state_dir: Path | None = None,
        lab: Path | None = None,
        device: str | None = None,
        trio_clock=None,
        ike_bridges: dict[str, tuple[str, int]] | None = None,
    ) -> None:
        # trio_clock: adopt an existing MockClock (tests run on pytest-trio's mock_clock)
        self.clock = LabClock(clock_mode or "virtual", trio_clock=trio_clock)
        self.scheduler = Scheduler(self.clock)
        self.streams = Streams(seed)
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.devices: dict[str, Device] = {}
        self.lab = lab
        self._build_default_lab()
        self.current = device or next(iter(self.devices))
        if self.current not in self.devices:
            raise ValueError(f"no device {self.current!r} in this lab")
        # device -> real (address, port) for runtime/bridge.IkeBridge; opened with the world
        self.ike_bridges = dict(ike_bridges or {})
        self._check_bridges()

    def _check_bridges(self) -> None:
        from .runtime.bridge import BridgeError

        for name in self.ike_bridges:
            if name not in self.devices:
                raise BridgeError(f"--ike-bridge: no device {name!r} in this lab")
        if self.ike_bridges and self.clock.mode != "real" and self.clock.rate != 1.0:
            raise BridgeError(f"an IKE bridge needs the lab clock in real time (--clock real "
                              f"or x1), not {self.clock.mode!r}")

    # ---- lab ---------------------------------------------------------------------------------
    def _home(self, name: str) -> Path:
        if self.state_dir is not None:
            home = self.state_dir / name / "home"
        else:
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="routershell-")
            home = Path(self._tmp.name) / name / "home"
        home.mkdir(parents=True, exist_ok=True)
        return home

    def _build_default_lab(self) -> None:
        from .platforms.junos.device import make_junos_device

        text = importlib.resources.files("routershell.labs").joinpath("default_r1.conf").read_text()
        ports = [Port(n) for n in ("ge-0/0/0", "ge-0/0/1", "ge-0/0/2", "ge-0/0/3", "fxp0", "lo0")]
        dev = make_junos_device(
            "r1",
            text,
            model="m7i",
            ports=ports,
            clock=self.clock,
            scheduler=self.scheduler,
            streams=self.streams,
            home=self._home("r1"),
            state_dir=self.state_dir / "r1" / "config" if self.state_dir is not None else None,
        )
        self.devices[dev.name] = dev

    # ---- life --------------------------------------------------------------------------------
    async def start(self, nursery: trio.Nursery) -> None:
        await nursery.start(self.scheduler.run)
        await self.clock.boot(lambda: True, max_wait=60.0)

    def new_session(self, user: str = "user", client: str = "terminal") -> CliSession:
        dev = self.devices[self.current]
        from .platforms import session_class

        return session_class(dev.platform)(dev, user=user, client=client)

    async def aclose(self) -> None:
        for dev in self.devices.values():
            for s in list(dev.sessions.values()):
                s.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
