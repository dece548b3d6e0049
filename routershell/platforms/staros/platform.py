"""Cisco StarOS as a platform (platforms/base.Platform): an ASR 5000/5500 with IKEv1 crypto maps
and crypto groups (redundant IPSec tunnel fail-over, seed 003)."""

from __future__ import annotations

import hmac
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
        """An `administrator NAME password SECRET` of context `local` (StarOS authenticates a
        bare login name in the local context; `NAME@CONTEXT` would pick another, but here `@`
        picks the device). Unknown users, `nopassword` administrators and wrong passwords are
        refused; the comparison takes constant time."""
        admin = device.driver.config.contexts["local"].administrators.get(user)
        if admin is None or admin.password is None or password is None:
            return False
        return hmac.compare_digest(admin.password.encode(), password.encode())


PLATFORM = StarosPlatform()
