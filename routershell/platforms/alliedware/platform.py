"""AlliedWare as a platform (platforms/base.Platform): Allied Telesis AlliedWare 2.8.1 (classic)
on an AR450S router, with ISAKMP/IPsec policies, message back-off and retryikeattempts."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ...runtime.device import Device
from ..base import BuildContext

VERSION = "2.8.1"


@dataclass(frozen=True)
class AlliedWarePlatform:
    name: str = "alliedware"
    title: str = "Allied Telesis AlliedWare 2.8.1 (AR400 series, ISAKMP/IPsec policies)"
    default_model: str = "AR450S"

    def check_startup(self, text: str) -> tuple[int, str] | None:
        """The first line of a startup script the device refuses, with its error."""
        from .operations import Executor
        from .router import Router

        failed = Executor(Router(Device("check", self.name))).run_script(text)
        if failed:
            n, _line, err = failed[0]
            return n, err.strip()
        return None

    def build_device(self, ctx: BuildContext) -> Device:
        from .operations import Executor
        from .router import Router

        dev = Device(ctx.name, self.name, model=ctx.model or self.default_model, ports=ctx.ports,
                     clock=ctx.clock, home=ctx.home, facts={"version": VERSION})
        dev.streams = ctx.streams.child(ctx.name)
        dev.modules = list(ctx.modules)
        router = Router(dev, home=ctx.home)
        dev.driver = router
        router.load_secure()
        # the boot script SET CONFIG chose in an earlier run (state directory), else the lab's
        text = ctx.config
        boot = router.load_boot()
        if boot is not None:
            try:
                text = (ctx.home / boot).read_text(encoding="utf-8")
            except OSError:
                pass
        Executor(router).run_script(text)
        router.on_change = dev.changed  # from now on the world hears of every change
        return dev

    def new_session(self, device: Device, user: str, client: str):
        from .session import AlliedWareSession

        return AlliedWareSession(device, user=user, client=client)

    def login_prompts(self, device: Device) -> tuple[str, str]:
        return "login: ", "Password: "

    def authenticate(self, device: Device, user: str, password: str | None) -> bool:
        u = device.driver.config.users.get(user.lower())
        if u is None or password is None:
            return False
        return hmac.compare_digest(u.password.encode(), password.encode())


PLATFORM = AlliedWarePlatform()
