"""The shipped labs: the TOML files in routershell/labs, by name, and the ones still to come."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .labfile import LabError, LabSpec, load_lab

__all__ = ["PENDING", "Entry", "catalog", "find_lab", "labs_dir"]

#: labs the training library lists before they ship: (name, platforms, title, where it comes from)
PENDING = (
    ("junos-pki", "junos", "Junos: PKI enrollment and certificate-based IKE (seed 002)", "issue 16"),
)


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
    for path in sorted(labs_dir().glob("*.toml")):
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
