"""Junos as a platform (platforms/base.Platform): Junos 9.3 on an M/T-series router with
AS/MS services PICs."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ...runtime.device import Device
from ..base import BuildContext


@dataclass(frozen=True)
class JunosPlatform:
    name: str = "junos"
    title: str = "Juniper Junos 9.3 (M/T-series, AS/MS PIC IPsec)"
    default_model: str = "m7i"

    def check_startup(self, text: str, model: str = "") -> tuple[int, str] | None:
        """Parse, then commit check: a startup configuration that would refuse every later
        commit is refused at load. The text itself is not quoted back (a lab may point
        `config_file` at any file; its contents stay out of the message)."""
        from .check import check_config
        from .config_text import ConfigSyntaxError, parse
        from .grammar import grammar, path_words

        schema = grammar().schema
        try:
            tree = parse(text, schema)
        except ConfigSyntaxError as e:
            return e.line, f"{e.message} (column {e.column + 1})"
        errors = check_config(tree, schema, model or self.default_model)
        if errors:
            err = errors[0]
            where = " ".join(path_words(err.path, schema))
            return 1, f"commit check: [edit {where}] {err.statement}: {err.message}".replace("[edit ]", "[edit]")
        return None

    def build_device(self, ctx: BuildContext) -> Device:
        from .device import make_junos_device

        dev = make_junos_device(
            ctx.name, ctx.config, model=ctx.model or self.default_model, ports=ctx.ports,
            clock=ctx.clock, scheduler=ctx.scheduler, streams=ctx.streams, home=ctx.home,
            state_dir=ctx.state_dir,
        )
        dev.modules = list(ctx.modules)
        return dev

    def new_session(self, device: Device, user: str, client: str):
        from .session import JunosSession

        return JunosSession(device, user=user, client=client)

    def login_prompts(self, device: Device) -> tuple[str, str]:
        return "login: ", "Password:"

    def login_timed_out(self, device: Device, seconds: float) -> str:
        """What FreeBSD's login(1), which Junos runs for telnet, prints when nobody logs in."""
        return f"\nLogin timed out after {seconds:g} seconds\n"

    def authenticate(self, device: Device, user: str, password: str | None) -> bool:
        """`system login user NAME authentication plain-text-password|encrypted-password`; the
        secret is stored `$9$`- or crypt-encoded and compared after decoding."""
        from .secrets import decrypt9, is_encrypted9

        node = device.store.active.get((("system", None), ("login", None), ("user", user),
                                        ("authentication", None)))
        if node is None or password is None:
            return False
        for leaf in ("plain-text-password", "encrypted-password"):
            stored = node.get(((leaf, None),))
            if stored is not None and stored.value:
                clear = decrypt9(stored.value) if is_encrypted9(stored.value) else stored.value
                if hmac.compare_digest(clear.encode(), password.encode()):
                    return True
        return False

    def authorized_keys(self, device: Device, user: str) -> list[str]:
        """`system login user NAME authentication ssh-rsa|ssh-dsa "KEY"`: OpenSSH public keys."""
        node = device.store.active.get((("system", None), ("login", None), ("user", user),
                                        ("authentication", None)))
        if node is None:
            return []
        return [key for (name, key), child in node.children.items()
                if name in ("ssh-rsa", "ssh-dsa") and key and not child.inactive]

    def netconf_handler(self, device: Device, session, run):
        """The Junos XML protocol for one NETCONF session (platforms/junos/netconf.py)."""
        from .netconf import JunosNetconf

        return JunosNetconf(device, session, run)


PLATFORM = JunosPlatform()
