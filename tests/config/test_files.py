"""resolve_user_path keeps `save`/`load` inside the device home; write_atomic never tears."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from routershell.config.files import FileAccessError, resolve_user_path, write_atomic


def test_relative_and_absolute_inside_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "sub").mkdir(parents=True)
    assert resolve_user_path(home, "r1.conf") == home.resolve() / "r1.conf"
    assert resolve_user_path(home, "sub/../a.conf") == home.resolve() / "a.conf"
    assert resolve_user_path(home, str(home / "sub" / "b.conf")) == home.resolve() / "sub" / "b.conf"


@pytest.mark.parametrize("name", ["../x.conf", "sub/../../x.conf", "/etc/passwd", "..", "/"])
def test_escapes_refused(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    (home / "sub").mkdir(parents=True)
    with pytest.raises(FileAccessError) as ei:
        resolve_user_path(home, name)
    assert ei.value.code == "outside-home"


def test_symlinks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (home / "out").symlink_to(outside)
    (home / "in").symlink_to(home)
    with pytest.raises(FileAccessError):
        resolve_user_path(home, "out/x.conf")
    assert resolve_user_path(home, "in/x.conf") == home.resolve() / "x.conf"
    (home / "loop").symlink_to(home / "loop")
    with pytest.raises(FileAccessError):
        resolve_user_path(home, "loop/x")


@pytest.mark.parametrize("name", ["", "  ", "a\0b"])
def test_invalid_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(FileAccessError) as ei:
        resolve_user_path(tmp_path, name)
    assert ei.value.code == "invalid"


def test_write_atomic_failure_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.conf"
    write_atomic(target, "old\n")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["f.conf"]  # no temp file left behind


def test_a_planted_link_at_a_predictable_temporary_name_is_never_followed(tmp_path):
    """Issue 18: the temporary has an unpredictable name and is created with O_EXCL."""
    import os

    from routershell.config.files import write_atomic

    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    home = tmp_path / "home"
    home.mkdir()
    for pid in (os.getpid(), 1, 12345):  # the old `.NAME.tmp-PID` names
        (home / f".x.conf.tmp-{pid}").symlink_to(outside)
    write_atomic(home / "x.conf", "new\n")
    assert (home / "x.conf").read_text() == "new\n"
    assert outside.read_text() == "precious\n"


def test_stale_temporaries_are_swept_when_the_store_opens(tmp_path):
    from routershell.config.store import ConfigStore
    from routershell.config.tree import ConfigNode

    ConfigStore(ConfigNode(), state_dir=tmp_path)
    (tmp_path / ".commit-7.conf.tmp-abc123").write_text("half a config")
    (tmp_path / ".metadata.json.tmp-zz").write_text("{")
    (tmp_path / "keep.txt").write_text("not ours")
    ConfigStore(ConfigNode(), state_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp-" in p.name) == []
    assert (tmp_path / "keep.txt").exists()


def test_undecodable_bytes_are_stored_as_they_came(tmp_path):
    from routershell.config.files import write_atomic

    write_atomic(tmp_path / "f", "caf\udce9\n")  # surrogate-escaped byte 0xe9
    assert (tmp_path / "f").read_bytes() == b"caf\xe9\n"


async def test_a_non_utf8_byte_typed_into_a_command_gets_the_device_error(mock_clock, tmp_path):
    from tests.platforms.junos.harness import Transcript, lab

    async with lab(mock_clock, state_dir=tmp_path) as app:
        t = Transcript(app)
        await t.run("configure")
        out = await t.run('set interfaces ge-0/0/0 description "caf\udce9"')
        assert "syntax error." in out and "^" in out and "internal error" not in out
        assert await t.run("commit") == "commit complete\n"


def test_a_fifo_a_device_or_a_directory_is_never_replaced(tmp_path):
    """Review: `| save /tmp/f` turned a FIFO (and, as root, /dev/full) into a regular file."""
    import os

    import pytest

    from routershell.config.files import write_atomic

    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    for target in (fifo, tmp_path, "/dev/null"):
        with pytest.raises(OSError, match="not a regular file"):
            write_atomic(target, "x\n")
    assert fifo.is_fifo()


def test_a_symlink_is_written_through_and_permissions_are_kept(tmp_path):
    import os
    import stat

    from routershell.config.files import write_atomic

    real = tmp_path / "real.conf"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "link.conf"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    write_atomic(tmp_path / "fresh.conf", "x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh.conf").stat().st_mode) == 0o666 & ~umask


def test_loading_reads_regular_files_only_and_not_without_limit(tmp_path):
    import pytest

    from routershell.config.files import read_user_text

    with pytest.raises(OSError, match="not a regular file"):
        read_user_text("/dev/zero")
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(OSError, match="larger than"):
        read_user_text(big, limit=1024)
    assert read_user_text(big, limit=4096) == "x" * 2048
