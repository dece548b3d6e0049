"""ConfigStore state_dir: commits survive a restart, and a kill mid-write never breaks them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from routershell.config.store import ConfigStore, StoreError
from routershell.platforms.junos.config_text import codec, render
from tests.config.test_merge import put, val
from tests.platforms.junos.test_config_render import SCHEMA, sample

T0 = datetime(2024, 1, 1, 12, 0, 0)
REPO = Path(__file__).resolve().parents[2]


def junos_store(state: Path, initial=None) -> ConfigStore:
    to_text, from_text = codec(SCHEMA)
    return ConfigStore(initial, state_dir=state, to_text=to_text, from_text=from_text, when=T0)


def test_commits_and_history_survive_restart(tmp_path: Path) -> None:
    st = junos_store(tmp_path, sample())
    put(st.writable(), "system host-name", "r2")
    st.commit("alice", "cli", datetime(2024, 1, 2, 3, 4, 5), comment="rename it")
    again = junos_store(tmp_path)  # the initial tree is ignored once state exists
    assert render(again.active, SCHEMA) == render(st.active, SCHEMA)
    assert val(again.active, "system host-name") == "r2"
    rec = again.history[0]
    assert (rec.user, rec.client, rec.comment, rec.when) == ("alice", "cli", "rename it", datetime(2024, 1, 2, 3, 4, 5))
    assert val(again.rollback(1), "system host-name") == "r1"
    assert (tmp_path / "commit-1.conf").read_text().startswith("system {\n    host-name r2;\n")
    put(again.writable(), "system host-name", "r3")
    assert again.commit("bob", "cli", T0).sequence == 2


def test_history_files_are_pruned_to_50(tmp_path: Path) -> None:
    st = junos_store(tmp_path, sample())
    for i in range(55):
        put(st.writable(), "system host-name", f"h{i}")
        st.commit("u", "cli", T0)
    files = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("commit-"))
    assert len(files) == 50 and "commit-0.conf" not in files
    assert len(junos_store(tmp_path).history) == 50


def test_failed_write_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st = junos_store(tmp_path, sample())
    put(st.writable(), "system host-name", "r2")
    seen: list[object] = []
    st.add_listener(lambda tree, rec: seen.append(rec))

    def boom(src: object, dst: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(StoreError) as ei:
        st.commit("u", "cli", T0)
    assert ei.value.code == "write-failed"
    assert val(st.active, "system host-name") == "r1" and len(st.history) == 1 and seen == []
    assert val(st.candidate(), "system host-name") == "r2"  # the candidate is kept
    monkeypatch.undo()
    assert val(junos_store(tmp_path).active, "system host-name") == "r1"


def test_unconfirmed_commit_rolls_back_at_restart(tmp_path: Path) -> None:
    st = junos_store(tmp_path, sample())
    put(st.writable(), "system host-name", "risky")
    st.commit("u", "cli", T0, confirm_minutes=5, now=0.0)
    again = junos_store(tmp_path)
    assert val(again.active, "system host-name") == "r1"
    assert again.history[0].automatic and again.history[0].when == T0
    assert again.get_timer() is None
    assert json.loads((tmp_path / "store.json").read_text())["pending"] is None


def test_corrupt_state_is_a_store_error(tmp_path: Path) -> None:
    junos_store(tmp_path, sample())
    (tmp_path / "commit-0.conf").write_text("system {\n")
    with pytest.raises(StoreError) as ei:
        junos_store(tmp_path)
    assert ei.value.code == "corrupt"


CHILD = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from routershell.config.store import ConfigStore
    from routershell.platforms.junos.config_text import codec
    from tests.config.test_merge import put
    from tests.platforms.junos.test_config_render import SCHEMA, sample
    to_text, from_text = codec(SCHEMA)
    st = ConfigStore(sample(), state_dir=sys.argv[1], to_text=to_text, from_text=from_text)
    i = 0
    while True:
        i += 1
        put(st.writable(), "system host-name", "a" if i % 2 else "b")
        put(st.writable(), "policy proposals", [f"p{j}" for j in range(i % 40)] or ["p"])
        st.commit("u", "cli", datetime(2024, 1, 1))
        print(i, flush=True)
    """
)


@pytest.mark.parametrize("commits_before_kill", [1, 3, 17, 60])
def test_sigkill_mid_commit_leaves_old_or_new(tmp_path: Path, commits_before_kill: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, env=env, cwd=REPO, text=True)
    assert proc.stdout is not None
    last = 0
    for _ in range(commits_before_kill):
        last = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)  # lands at whatever the child is writing now
    proc.wait()
    st = junos_store(tmp_path)  # must load: every referenced file parses
    assert val(st.active, "system host-name") in ("a", "b")
    n = st.history[0].sequence
    assert n >= last  # nothing acknowledged was lost
    assert val(st.active, "system host-name") == ("a" if n % 2 else "b")
    for rec in st.history:
        assert render(rec.tree, SCHEMA)


def test_crash_between_config_file_and_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    st = junos_store(tmp_path, sample())
    put(st.writable(), "system host-name", "lost")
    real_replace = os.replace

    def replace_but_not_metadata(src: str, dst: str) -> None:
        if str(dst).endswith("store.json"):
            raise OSError("killed")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_but_not_metadata)
    with pytest.raises(StoreError):
        st.commit("u", "cli", T0)
    monkeypatch.undo()
    assert (tmp_path / "commit-1.conf").exists()  # the orphan of the interrupted commit
    again = junos_store(tmp_path)
    assert val(again.active, "system host-name") == "r1"
    put(again.writable(), "system host-name", "r3")
    again.commit("u", "cli", T0)
    assert val(junos_store(tmp_path).active, "system host-name") == "r3"
