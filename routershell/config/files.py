"""Files a user names (`save FILE`, `load merge FILE`) and files the store writes.

User paths resolve inside the device's home directory; anything that would leave it (`..`, an
absolute path elsewhere, a symlink pointing out) is refused. Writes are atomic: a kill at any
moment leaves either the old or the new file, never a torn one.
"""

from __future__ import annotations

import os
from pathlib import Path


class FileAccessError(Exception):
    """A user-supplied file name cannot be used. `code`: "invalid" or "outside-home"."""

    def __init__(self, code: str, name: str) -> None:
        super().__init__(f"{code}: {name}")
        self.code = code
        self.name = name


def resolve_user_path(home: str | os.PathLike[str], name: str) -> Path:
    """The absolute path `name` means on the device, or FileAccessError if it escapes `home`.

    Relative names are taken from `home`; symlinks are followed before the check, so a link
    inside home that points outside is refused.
    """
    if not name or "\0" in name or not name.strip():
        raise FileAccessError("invalid", name)
    root = Path(home).resolve()
    candidate = Path(name) if os.path.isabs(name) else root / name
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):  # symlink loop
        raise FileAccessError("invalid", name) from None
    if resolved != root and not resolved.is_relative_to(root):
        raise FileAccessError("outside-home", name)
    return resolved


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename in `directory` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text`: temp file in the same directory, flush, fsync, os.replace,
    fsync the directory. On failure the temp file is removed and the old file is intact."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    fsync_dir(target.parent)
