"""The shipped labs: the TOML files in routershell/labs, by name, and the ones still to come."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .labfile import LabError, LabSpec, load_lab

__all__ = ["Entry", "catalog", "find_lab", "labs_dir", "pending"]



def pending() -> list[tuple[str, str, str, str]]:
    """Labs listed before they ship: (name, platforms, title, where it comes from), from
    _pending.toml beside the labs."""
    import tomllib

    try:
        data = tomllib.loads((labs_dir() / "_pending.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    return [(str(x.get("name", "")), str(x.get("platforms", "")), str(x.get("title", "")), str(x.get("where", "")))
            for x in data.get("pending", []) if isinstance(x, dict)]


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    spec: LabSpec | None
    error: str = ""

    @property
    def platforms(self) -> str:
        if self.spec is None:
            return "-"
        return ",".join(dict.fromkeys(d.platform for d in self.spec.devices))

    @property
    def title(self) -> str:
        if self.spec is None:
            return self.error
        return self.spec.title or self.spec.description


def labs_dir() -> Path:
    return Path(__file__).parent


def catalog() -> list[Entry]:
    out = []
    for path in sorted(p for p in labs_dir().glob("*.toml") if not p.name.startswith("_")):
        try:
            out.append(Entry(path.stem, path, load_lab(path)))
        except LabError as e:  # a shipped lab that does not load is listed with its error
            out.append(Entry(path.stem, path, None, str(e)))
    return out


def find_lab(text: str) -> Path | None:
    """A lab file by path, or a shipped lab by name (`junos-failover`)."""
    p = Path(text)
    if p.is_file():
        return p
    import re

    shipped = labs_dir() / f"{text}.toml"
    if re.fullmatch(r"[A-Za-z0-9_.-]+", text) and shipped.is_file():
        return shipped
    return None
