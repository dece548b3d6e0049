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
