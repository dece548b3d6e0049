"""Service PIC state: which FPC/PIC slots are online (Device.modules when the world provides it,
else a per-device set of offline slots)."""

from __future__ import annotations

from typing import Any


def _modules(device: Any) -> list[Any]:
    return list(device.modules)


def is_pic(m: Any, slot: str) -> bool:
    """Module slot "F/P/0" (runtime/device.Module) or "F/P" names the PIC "F/P"."""
    s = str(getattr(m, "slot", ""))
    return s == slot or s.startswith(slot + "/")


def pic_up(device: Any, slot: str) -> bool:
    for m in _modules(device):
        if is_pic(m, slot):
            return bool(m.up)
    return slot not in device.driver.pics_offline


def set_pic(device: Any, slot: str, up: bool) -> None:
    for m in _modules(device):
        if is_pic(m, slot):
            m.up = up
            return
    offline = device.driver.pics_offline
    (offline.discard if up else offline.add)(slot)


def configured_pics(tree: Any) -> list[str]:
    """FPC/PIC slots of the sp-/ms- interfaces in the configuration, sorted."""
    from .compile import pic_of
    from .config import child, entries

    slots = {pic_of(i.key) for i in entries(child(tree, "interfaces"), "<interface-name>")
             if (i.key or "").startswith(("sp-", "ms-"))}
    return sorted(s for s in slots if s)
