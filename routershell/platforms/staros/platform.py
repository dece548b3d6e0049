"""Cisco StarOS as a platform (platforms/base.Platform): an ASR 5000/5500 with IKEv1 crypto maps
and crypto groups (redundant IPSec tunnel fail-over, seed 003)."""

from __future__ import annotations

from dataclasses import dataclass

from ...runtime.device import Device
from ..base import BuildContext

BOOT_CONFIG = "flash/system.cfg"  # under the device home: `save configuration /flash/system.cfg`


@dataclass(frozen=True)
class StarosPlatform:
    name: str = "staros"
    title: str = "Cisco StarOS 21 (ASR 5000/5500, IKEv1 crypto groups)"
    default_model: str = "ASR 5000"

    def check_startup(self, text: str) -> tuple[int, str] | None:
        from .config_text import ReplayError, replay

        try:
            replay(text, self.default_model)
        except ReplayError as e:
            return e.line, e.message
        return None

    def build_device(self, ctx: BuildContext) -> Device:
        from .device import make_staros_device

        model = ctx.model or self.default_model
        startup = ctx.config
        saved = ctx.home / BOOT_CONFIG
        if ctx.state_dir is not None and saved.is_file():
            # with persistent state the chassis boots from its saved configuration, as an ASR
            # boots from its boot configuration file (save configuration /flash/system.cfg)
            startup = saved.read_text(encoding="utf-8", errors="replace")
        dev = make_staros_device(ctx.name, startup, model=model, hostname=ctx.hostname or ctx.name,
                                 ports=ctx.ports, clock=ctx.clock, streams=ctx.streams, home=ctx.home)
        dev.modules = list(ctx.modules)
        return dev

    def new_session(self, device: Device, user: str, client: str):
        from .session import StarosSession

        return StarosSession(device, user=user, client=client)

    def login_prompts(self, device: Device) -> tuple[str, str]:
        return "login: ", "password: "

    def authenticate(self, device: Device, user: str, password: str | None) -> bool:
        """The lab device has no local users configured: any user may log in (our choice;
        StarOS administrators are configured outside the crypto configuration we model)."""
        return bool(user)


PLATFORM = StarosPlatform()
