"""What the Junos device driver runs after every commit (and PIC state change): compile and hand
the specs to the device's TunnelManager. The last compiled specs stay on the driver
(`device.driver.ipsec_specs`) for show commands, also before a world is attached."""

from __future__ import annotations

import logging
from typing import Any

from ....runtime.ipsec import TunnelSpec
from .compile import CompileError, compile_specs
from .config import take_checked
from .pics import is_pic, pic_up

log = logging.getLogger(__name__)


def apply(device: Any) -> list[TunnelSpec]:
    """Compile the active configuration and reconcile the device's tunnels."""
    tunnels = device.tunnels
    from ..pki.state import ike_material

    tree = device.store.active
    try:
        specs = compile_specs(tree, lambda slot: runtime_handles(device, slot) or pic_up(device, slot),
                              lambda local_cert, trusted: ike_material(device, tree, local_cert, trusted),
                              take_checked(tree))  # the commit check's view of this tree
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


def runtime_handles(device: Any, slot: str) -> bool:
    """A PIC that is a chassis module of a device in a world: the runtime takes its tunnels
    down and back itself (TunnelManager.module_changed). Any other PIC that is offline simply
    gets no tunnels from the compile."""
    return device.tunnels is not None and any(is_pic(m, slot) for m in device.modules)


def pic_changed(device: Any, slot: str) -> None:
    """A services PIC went offline or online (request chassis pic, lab module fail/restore)."""
    if runtime_handles(device, slot):
        device.tunnels.module_changed(device.now())
    else:
        apply(device)
