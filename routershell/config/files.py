"""Files a user names (`save FILE`, `load merge FILE`, `| save FILE`, `lab capture start FILE`)
and files the store writes.

One rule for every file a session reads or writes:
- a person at their own terminal (the front-ends' "terminal" sessions) names their own files:
  absolute paths as they are, relative paths from the directory routershell was started in;
- everyone else — sessions served over SSH/telnet/NETCONF, lab-file events, hidden lab
  sessions — is confined to the device's home directory: relative names resolve there, and
  anything that would leave it (`..`, an absolute path elsewhere, a symlink pointing out) is
  refused.

Writes are atomic: a kill at any moment leaves either the old or the new file, never a torn
one. Temporaries get unpredictable names created with O_EXCL (a planted symlink cannot redirect
them) and are swept at start (`remove_stale_temporaries`).
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


def resolve_user_path(home: str | os.PathLike[str], name: str, *, confined: bool = True,
                      cwd: str | os.PathLike[str] | None = None) -> Path:
    """The absolute path `name` means, or FileAccessError.

    Confined (the default): relative names are taken from `home`, and symlinks are followed
    before the check, so a link inside home that points outside is refused. Not confined:
    absolute names as they are, relative ones from `cwd` (default: the process's directory).
    """
    if not name or "\0" in name or not name.strip() or _has_surrogates(name):
        raise FileAccessError("invalid", name)
    if not confined:
        base = Path(cwd) if cwd is not None else Path.cwd()
        return Path(name) if os.path.isabs(name) else base / name
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


TMP_MARK = ".tmp-"


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _regular_target(path: Path) -> tuple[Path, int | None]:
    """Where a write of `path` lands and the mode to keep: a symlink is written through to the
    file it names; anything that exists and is not a regular file (a directory, a FIFO, a
    device such as /dev/full) is refused rather than replaced."""
    import errno
    import stat

    real = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return real, None
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return real, stat.S_IMODE(st.st_mode)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Replace `path` with `data`: a new temporary in the same directory (random name,
    O_EXCL: never an existing file or a planted link), flush, fsync, os.replace, fsync the
    directory. On failure the temporary is removed and the old file is intact. Text that
    carries undecodable input bytes (surrogate escapes) is stored as those bytes. An existing
    file keeps its permissions; a new one gets the usual ones (0666 less the umask); a
    non-regular target is refused (OSError)."""
    import tempfile

    target, mode = _regular_target(Path(path))
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}{TMP_MARK}", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(target.parent)


MAX_READ = 16 * 1024 * 1024  # a configuration file a user loads is at most this big


def read_user_text(path: str | os.PathLike[str], limit: int = MAX_READ) -> str:
    """A text file a user names (`load merge FILE`): regular files only (not /dev/zero, a
    FIFO or a directory), at most `limit` bytes, undecodable bytes kept as surrogates."""
    import errno
    import stat

    with open(path, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // (1024 * 1024)} MB", str(path))
    return raw.decode("utf-8", "surrogateescape")


def remove_stale_temporaries(directory: str | os.PathLike[str]) -> int:
    """Delete temporaries a killed writer left in `directory` (`.NAME.tmp-…`); the number
    removed. Only regular files matching our own pattern are touched."""
    n = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for e in entries:
        if e.name.startswith(".") and TMP_MARK in e.name and e.is_file(follow_symlinks=False):
            try:
                os.unlink(e.path)
                n += 1
            except OSError:
                pass
    return n
