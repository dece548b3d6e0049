"""The platform contract: what App, lab files, `lab attach` and the servers ask of a vendor.

A platform package (routershell/platforms/<vendor>/) defines one module-level `PLATFORM` in its
`platform.py` and is named in registry.PLATFORM_MODULES; nothing outside the package and its
grammar directory (commands/<vendor>/) knows the vendor. docs/architecture.md has the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..cli.session import CliSession
    from ..runtime.clock import LabClock
    from ..runtime.device import Device, Module, Port
    from ..runtime.rng import Streams
    from ..runtime.scheduler import Scheduler


@dataclass(frozen=True)
class BuildContext:
    """Everything App hands a platform to build one device of a lab."""

    name: str  # the lab's device name
    model: str  # chassis model ("" = the platform's default_model)
    config: str  # startup configuration text in the platform's own syntax ("" = empty)
    ports: list[Port]
    modules: list[Module]  # service modules from the lab file
    clock: LabClock
    scheduler: Scheduler
    streams: Streams
    home: Path  # the device's home directory (save/load files)
    state_dir: Path | None  # where the device persists its configuration, or None
    hostname: str = ""  # the lab file's hostname for the device ("" = its name)
    options: dict[str, Any] = field(default_factory=dict)  # [devices.NAME.options]: platform knobs


class Platform(Protocol):
    name: str  # the lab file's `platform = "…"`
    title: str  # one line for `routershell --help` and lab listings
    default_model: str

    def check_startup(self, text: str) -> tuple[int, str] | None:
        """The first problem in a startup configuration as (1-based line, message), or None.
        Lab files call it so a bad configuration is refused at load with file:line."""
        ...

    def build_device(self, ctx: BuildContext) -> Device:
        """A device with its store, driver (runtime.device.DeviceDriver) and timers."""
        ...

    def new_session(self, device: Device, user: str, client: str) -> CliSession:
        """A CLI session on the device: `client` is "terminal", "ssh", "telnet", "lab", …"""
        ...

    def login_prompts(self, device: Device) -> tuple[str, str]:
        """("login: ", "Password:") exactly as the device prints them (telnet/serial login)."""
        ...

    def authenticate(self, device: Device, user: str, password: str | None) -> bool:
        """True if the device's configuration lets `user` in with `password`."""
        ...

    # Optional (servers check with hasattr):
    #   authorized_keys(device, user) -> list[str]: OpenSSH public keys that log `user` in;
    #   netconf_handler(device, session, run) -> an object with hello(session_id) -> str,
    #   async rpc(xml_text) -> (reply, end_session) and close(); `run` is App.run (a line with
    #   the front-end's settle wait). server/netconf.py frames the messages.
