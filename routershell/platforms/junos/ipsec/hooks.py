"""Device hooks: after every commit (and PIC state change) compile and hand the specs to the
device's TunnelManager. Until a world is attached (`device.tunnels` is None) the last compiled
specs are kept on the device for show commands and tests."""

from __future__ import annotations

import logging
from typing import Any

from ....runtime.ipsec import TunnelSpec
from .compile import CompileError, compile_specs
from .pics import pic_up

log = logging.getLogger(__name__)


def apply(device: Any) -> list[TunnelSpec]:
    """Compile the active configuration and reconcile the device's tunnels."""
    try:
        specs = compile_specs(device.store.active, lambda slot: pic_up(device, slot))
    except CompileError as e:  # commit check refuses what compile cannot build; keep going
        log.warning("ipsec compile: %s", e)
        specs = []
    device.ipsec_specs = specs
    tunnels = getattr(device, "tunnels", None)
    if tunnels is not None:
        tunnels.apply(specs, device.now())
    return specs


def install(device: Any) -> None:
    """Chain the IPsec compile after the device's existing commit hook."""
    previous = device.on_commit

    def on_commit() -> None:
        previous()
        apply(device)

    device.on_commit = on_commit
