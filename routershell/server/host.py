"""The server process: asyncio host with the lab in trio as a guest, and the listeners.

`--listen` takes `PROTO:PORT` or `PROTO:ADDRESS:PORT` (PROTO: ssh, telnet, netconf; port 0
picks a free port; the address defaults to 127.0.0.1, give 0.0.0.0 to serve the network).
One listener serves every device of the lab: the login name picks the device — `NAME@DEVICE`
(e.g. `ssh -l user@r2 -p 2222 host`, netmiko `username="user@r2"`), a bare `NAME` logs in to
the lab's first device (or `--device`). `lab show` lists the listeners.

`ServerThread` runs a whole server in a background thread (tests, benchmarks): synchronous
clients such as netmiko drive it from the calling thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import trio

from ..shell.guest import TrioGuest

log = logging.getLogger(__name__)

PROTOCOLS = ("ssh", "telnet", "netconf")
KEY_FILE = "ssh_host_ed25519_key"
# Seconds a connection may take to log in (telnet's login:/Password: dialogue, SSH's
# authentication) before it is dropped, as a router drops an unattended login: FreeBSD's
# login(1), which Junos runs for telnet, waits 300 s; OpenSSH's LoginGraceTime is 120 s; we
# take 60 s, short enough that abandoned connections do not pile up in a lab.
LOGIN_TIMEOUT = 60.0
PROFILE_ENV = "ROUTERSHELL_PROFILE"


class ListenError(ValueError):
    pass


@dataclass(frozen=True)
class Listen:
    proto: str
    address: str
    port: int
    ui: str = "auto"  # ssh: auto | plain | rich (server/rich.py)
    device: str | None = None  # a lab file's per-device port: bare logins land on it

    def __str__(self) -> str:
        ui = f" ({self.ui} front-end)" if self.ui != "auto" else ""
        only = f" -> {self.device}" if self.device else ""
        return f"{self.proto} {self.address}:{self.port}{only}{ui}"


def parse_listen(text: str) -> Listen:
    """`ssh:2222`, `telnet:0`, `netconf:0.0.0.0:830`, `ssh:2222/plain` (front-end for every
    shell on the port: plain or rich; default auto)."""
    text, _, ui = text.partition("/")
    if ui not in ("", "auto", "plain", "rich") or (ui and not text.startswith("ssh:")):
        raise ListenError(f"invalid listen {text}/{ui}: only ssh takes /plain or /rich")
    proto, _, rest = text.partition(":")
    address, sep, port = rest.rpartition(":")
    if not sep:
        address = ""
    if proto not in PROTOCOLS or not port.isdigit() or int(port) > 65535:
        raise ListenError(f"invalid listen {text!r}: use PROTO:PORT or PROTO:ADDRESS:PORT "
                          f"with PROTO one of {', '.join(PROTOCOLS)}")
    return Listen(proto, address or "127.0.0.1", int(port), ui or "auto")


class Host:
    """Serves one App on the given listeners."""

    def __init__(self, app: Any, listens: list[Listen], login_timeout: float = LOGIN_TIMEOUT
                 ) -> None:
        self.app = app
        self.login_timeout = login_timeout  # wall-clock seconds: people log in in real time
        # the command line's listeners, then each device's own (`listen` in the lab file)
        self.listens = list(listens) + [
            replace(parse_listen(text), device=d.name)
            for d in app.spec.devices for text in getattr(d, "listen", ())]
        self.bound: list[Listen] = []
        self.default_device: str = app.current  # --device, else the lab's first device
        self.guest = TrioGuest(app.clock.trio_clock)
        self._servers: list[Any] = []
        self._key: Any = None

    # ---- bridging ------------------------------------------------------------------------
    def to_trio(self, afn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Start `afn(*args)` as a task in the lab's nursery."""
        assert self.guest.nursery is not None
        self.call_soon(self.guest.nursery.start_soon, afn, *args)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` inside trio (data from a socket, a closed connection)."""
        try:
            self.guest.token.run_sync_soon(fn, *args)  # type: ignore[union-attr]
        except trio.RunFinishedError:
            pass

    # ---- keys ----------------------------------------------------------------------------
    def host_key(self) -> Any:
        """The SSH host key: generated once and kept in the state directory (the same key on
        every run), or only for this process without --state."""
        if self._key is None:
            import asyncssh

            state = getattr(self.app, "state_dir", None)
            path = Path(state) / KEY_FILE if state is not None else None
            if path is not None and path.exists():
                self._key = asyncssh.read_private_key(str(path))
            else:
                self._key = asyncssh.generate_private_key("ssh-ed25519")
                if path is not None:
                    from ..config.files import write_atomic

                    path.parent.mkdir(parents=True, exist_ok=True)
                    # an empty 0600 file first: write_atomic keeps an existing file's mode,
                    # so the private key is never readable by others, not even briefly
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                    write_atomic(path, self._key.export_private_key())
        return self._key

    def netconf_capable(self, target: Any) -> bool:
        from ..platforms import registry

        if target is None:
            return False
        dev = self.app.devices[target.device]
        return hasattr(registry.get(dev.platform), "netconf_handler")

    # ---- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        async def setup(nursery: trio.Nursery) -> None:
            await self.app.start(nursery)

        await self.guest.start(setup)
        from .ssh import listen_ssh
        from .telnet import listen_telnet

        for spec in self.listens:
            if spec.proto == "telnet":
                server = await listen_telnet(self, spec.address, spec.port, spec.device)
            else:
                server = await listen_ssh(self, spec.address, spec.port,
                                          netconf_only=spec.proto == "netconf", ui=spec.ui,
                                          device=spec.device)
            self._servers.append(server)
            port = server.sockets[0].getsockname()[1]
            self.bound.append(replace(spec, port=port))
        self.app.served = {
            "listeners": [str(b) for b in self.bound],
            "default": self.default_device,
        }

    async def aclose(self) -> None:
        for server in self._servers:
            server.close()
        self._servers.clear()
        if self.guest.done is not None and not self.guest.done.done():
            try:
                await self.guest.call(self.app.aclose)
            except Exception:
                log.debug("app close failed", exc_info=True)
            await self.guest.aclose()

    def port(self, proto: str, device: str | None = None) -> int:
        return next(b.port for b in self.bound if b.proto == proto and b.device == device)


async def serve(app: Any, listens: list[Listen], ready: Callable[[Host], None] | None = None,
                stop: asyncio.Event | None = None, login_timeout: float = LOGIN_TIMEOUT) -> None:
    """Serve until `stop` is set (or forever). With ROUTERSHELL_PROFILE=FILE in the
    environment, the served time (sockets, SSH, the lab; not the start) is profiled with
    cProfile and the stats written to FILE when serving ends (SIGINT, not SIGTERM)."""
    host = Host(app, listens, login_timeout)
    profile_to = os.environ.get(PROFILE_ENV)
    profile = None
    try:
        await host.start()
        if ready is not None:
            ready(host)
        if profile_to:
            import cProfile

            profile = cProfile.Profile()
            profile.enable()  # one thread holds asyncio, asyncssh and the trio guest
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        if profile is not None:
            profile.disable()
            profile.dump_stats(profile_to)
        await host.aclose()


class ServerThread:
    """A server in a background thread: `with ServerThread(app, ["ssh:0"]) as srv: srv.port("ssh")`."""

    def __init__(self, app: Any, listens: list[str], login_timeout: float = LOGIN_TIMEOUT) -> None:
        self.app = app
        self.listens = [parse_listen(x) for x in listens]
        self.login_timeout = login_timeout
        self.host: Host | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="routershell-server", daemon=True)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(host: Host) -> None:
                self.host = host
                self._ready.set()

            await serve(self.app, self.listens, ready, self._stop, self.login_timeout)

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            self._ready.set()

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(60)
        if self.host is None:
            raise RuntimeError(f"server did not start: {self._error!r}")
        return self

    def port(self, proto: str, device: str | None = None) -> int:
        assert self.host is not None
        return self.host.port(proto, device)

    def run(self, afn: Callable[..., Awaitable[Any]], *args: Any, timeout: float = 60) -> Any:
        """Run a trio coroutine function in the lab (tests inspect the devices this way)."""
        assert self._loop is not None and self.host is not None
        fut = asyncio.run_coroutine_threadsafe(self.host.guest.call(afn, *args), self._loop)
        return fut.result(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
