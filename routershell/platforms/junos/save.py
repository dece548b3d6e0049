"""Writing text a user names a file for: `save FILE` (configuration) and `| save FILE` (any
command's output). One path rule for both (config/files.py, through the session: a person at
their own terminal names real paths, served sessions stay in the device home) and one
wording: `Wrote N lines of <what> to 'FILE'`."""

from __future__ import annotations

from typing import Any

from ...config import files


def save_text(session: Any, name: str, text: str, what: str) -> str:
    """Write `text` atomically to the file `name` means on this device; the message to print."""
    try:
        path = session.user_path(name)
        files.write_atomic(path, text)
    except files.FileAccessError:
        return f"error: invalid filename: {name}\n"
    except OSError as e:
        return f"error: could not write {name}: {e.strerror}\n"
    return f"Wrote {len(text.splitlines())} lines of {what} to '{name}'\n"
