"""What the Junos device driver runs after every commit (and PIC state change): compile and hand
the specs to the device's TunnelManager. The last compiled specs stay on the driver
(`device.driver.ipsec_specs`) for show commands, also before a world is attached."""

from __future__ import annotations

import logging
from typing import Any

from ....runtime.ipsec import TunnelSpec
from .compile import CompileError, compile_specs
from .pics import pic_up

log = logging.getLogger(__name__)


def apply(device: Any) -> list[TunnelSpec]:
    """Compile the active configuration and reconcile the device's tunnels."""
    tunnels = device.tunnels
    # With chassis modules the runtime takes a failed PIC's tunnels down itself (module_changed);
    # without them, service sets on an offline PIC simply get no tunnels.
    modules = bool(device.modules) and hasattr(tunnels, "module_changed")
    from ..pki.state import ike_material

    tree = device.store.active
    try:
        specs = compile_specs(tree, (lambda slot: True) if modules else (lambda slot: pic_up(device, slot)),
                              lambda local_cert, trusted: ike_material(device, tree, local_cert, trusted))
    except CompileError as e:  # commit check refuses what compile cannot build; keep going
        log.warning("ipsec compile: %s", e)
        specs = []
    device.driver.ipsec_specs = specs
    if tunnels is not None:
        from ..security.compile import es_specs  # ES PIC es- tunnels (manual SAs) share the manager

        tunnels.apply(specs + es_specs(device, device.store.active), device.now())
    return specs


def join(device: Any) -> None:
    """The device joined the lab's world: its tunnel events become syslog lines and traps, and
    its startup configuration brings tunnels up."""
    from . import events

    events.attach(device)
    apply(device)


def pic_changed(device: Any) -> None:
    """A services PIC went offline or online (request chassis pic, lab module fail/restore)."""
    tunnels = device.tunnels
    if device.modules and hasattr(tunnels, "module_changed"):
        tunnels.module_changed(device.now())
    else:
        apply(device)
