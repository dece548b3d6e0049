"""JunosE as a platform (platforms/base.Platform): an E-series router (ERX-1440) with IPsec
Service Modules carrying static IPsec tunnel interfaces."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ...runtime.device import Device
from ..base import BuildContext


@dataclass(frozen=True)
class JunosePlatform:
    name: str = "junose"
    title: str = "Juniper JunosE 11.2 (E-series, IPsec Service Modules)"
    default_model: str = "ERX-1440"

    def check_startup(self, text: str) -> tuple[int, str] | None:
        from .actions import replay
        from .config import JunoseConfig

        errors = replay(JunoseConfig(), text)
        return errors[0] if errors else None

    def build_device(self, ctx: BuildContext) -> Device:
        from .actions import replay
        from .device import make_device

        dev = make_device(ctx.name, ctx.config, hostname=ctx.hostname, model=ctx.model or self.default_model,
                          ports=ctx.ports, modules=ctx.modules, clock=ctx.clock,
                          scheduler=ctx.scheduler, streams=ctx.streams, home=ctx.home,
                          state_dir=ctx.state_dir)
        saved = dev.driver.startup_text() if ctx.state_dir is not None else None
        # a configuration saved with `write memory` under --state wins over the lab's
        replay(dev.driver.cfg, saved if saved is not None else ctx.config)
        return dev

    def new_session(self, device: Device, user: str, client: str):
        from .session import JunoseSession

        return JunoseSession(device, user=user, client=client)

    def login_prompts(self, device: Device) -> tuple[str, str]:
        return "Login: ", "Password: "

    def authenticate(self, device: Device, user: str, password: str | None) -> bool:
        """`username NAME password SECRET` in the running configuration ([U]: IOS-style local
        users; compared in constant time)."""
        stored = device.driver.cfg.users.get(user)
        if stored is None or password is None:
            return False
        return hmac.compare_digest(stored.encode(), password.encode())


PLATFORM = JunosePlatform()
