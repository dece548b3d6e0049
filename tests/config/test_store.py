"""ConfigStore: candidates, locks, commit, check, history, rollback, commit confirmed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from routershell.config.store import CheckError, ConfigStore, EditMode, RolledBack, StoreError
from routershell.config.tree import ConfigNode
from tests.config.test_merge import put, val

T0 = datetime(2024, 1, 1, 12, 0, 0)


def startup() -> ConfigNode:
    t = ConfigNode()
    put(t, "system host-name", "r1")
    return t


def test_shared_candidate_survives_leaving_and_commit_makes_active() -> None:
    st = ConfigStore(startup(), when=T0)
    st.open("s1", EditMode.SHARED, "alice", "terminal p0", T0)
    put(st.writable("s1"), "system host-name", "r2")
    assert st.is_modified()
    st.close("s1")
    assert st.is_modified() and val(st.candidate(), "system host-name") == "r2"
    assert val(st.active, "system host-name") == "r1"
    rec = st.commit("bob", "cli", T0 + timedelta(minutes=1), comment="rename")
    assert val(st.active, "system host-name") == "r2"
    assert not st.is_modified()
    assert (rec.user, rec.client, rec.comment, rec.when) == ("bob", "cli", "rename", T0 + timedelta(minutes=1))
    assert [r.sequence for r in st.history] == [1, 0]


def test_commit_check_failure_keeps_candidate() -> None:
    st = ConfigStore(startup())
    put(st.writable(), "system host-name", "bad")

    def check(tree: ConfigNode) -> list[CheckError]:
        if val(tree, "system host-name") == "bad":
            return [CheckError(("system",), "host-name bad", "host name not allowed")]
        return []

    assert st.check(check) == [CheckError(("system",), "host-name bad", "host name not allowed")]
    with pytest.raises(StoreError) as ei:
        st.commit("u", "cli", T0, check=check)
    assert ei.value.code == "check-failed" and ei.value.errors[0].message == "host name not allowed"
    assert val(st.candidate(), "system host-name") == "bad" and val(st.active, "system host-name") == "r1"
    assert len(st.history) == 1


def test_history_is_capped_at_50_and_rollback_loads_candidate() -> None:
    st = ConfigStore(startup())
    for i in range(60):
        put(st.writable(), "system host-name", f"h{i}")
        st.commit("u", "cli", T0)
    assert len(st.history) == 50
    assert val(st.history[0].tree, "system host-name") == "h59"
    assert val(st.history[49].tree, "system host-name") == "h10"
    tree = st.rollback(3)
    assert val(tree, "system host-name") == "h56" and val(st.candidate(), "system host-name") == "h56"
    assert st.is_modified()
    st.rollback(0)
    assert not st.is_modified()
    with pytest.raises(StoreError) as ei:
        st.rollback(50)
    assert ei.value.code == "no-rollback"


def test_listeners_see_each_commit() -> None:
    st = ConfigStore(startup())
    seen: list[tuple[str | None, int]] = []
    st.add_listener(lambda tree, rec: seen.append((val(tree, "system host-name"), rec.sequence)))
    put(st.writable(), "system host-name", "r2")
    st.commit("u", "cli", T0)
    assert seen == [("r2", 1)]


def test_exclusive_lock_blocks_others_and_discards_on_exit() -> None:
    st = ConfigStore(startup())
    st.open("a", EditMode.EXCLUSIVE, "alice", "terminal p0", T0)
    assert st.lock_holder is not None and st.lock_holder.user == "alice" and st.lock_holder.since == T0
    st.open("b", EditMode.SHARED, "bob", "terminal p1", T0)  # may enter and look
    with pytest.raises(StoreError) as ei:
        st.writable("b")
    assert ei.value.code == "locked" and ei.value.holder is not None and ei.value.holder.client == "terminal p0"
    with pytest.raises(StoreError) as ei:
        st.commit("bob", "cli", T0, session="b")
    assert ei.value.code == "locked"
    for mode in (EditMode.EXCLUSIVE, EditMode.PRIVATE):
        with pytest.raises(StoreError) as ei:
            st.open("c", mode, "carol", "terminal p2", T0)
        assert ei.value.code == "locked"
    put(st.writable("a"), "system host-name", "uncommitted")
    st.close("a")
    assert st.lock_holder is None
    assert not st.is_modified() and val(st.candidate(), "system host-name") == "r1"
    put(st.writable("b"), "system host-name", "r3")  # lock gone


def test_exclusive_refused_when_candidate_modified() -> None:
    st = ConfigStore(startup())
    put(st.writable(), "system host-name", "r2")
    with pytest.raises(StoreError) as ei:
        st.open("a", EditMode.EXCLUSIVE, "alice", "terminal p0", T0)
    assert ei.value.code == "modified"


def test_private_commit_merges_only_own_changes() -> None:
    st = ConfigStore(startup())
    st.open("p", EditMode.PRIVATE, "alice", "terminal p0", T0)
    put(st.writable("p"), "policy proposals", ["a"])
    assert st.is_modified("p") and not st.is_modified()
    # someone else commits a different change meanwhile
    put(st.writable(), "system host-name", "r9")
    st.commit("bob", "cli", T0)
    st.commit("alice", "cli", T0, session="p")
    assert val(st.active, "system host-name") == "r9"
    assert val(st.active, "policy proposals") == ["a"]
    assert not st.is_modified("p")
    st.close("p")
    assert val(st.candidate(), "policy proposals") == ["a"]


def test_private_refused_while_shared_modified() -> None:
    st = ConfigStore(startup())
    st.open("p", EditMode.PRIVATE, "alice", "terminal p0", T0)
    put(st.writable("p"), "policy proposals", ["a"])
    put(st.writable(), "system host-name", "pending")
    with pytest.raises(StoreError) as ei:
        st.commit("alice", "cli", T0, session="p")
    assert ei.value.code == "shared-modified"
    assert val(st.candidate("p"), "policy proposals") == ["a"]
    with pytest.raises(StoreError) as ei:
        st.open("q", EditMode.PRIVATE, "bob", "terminal p1", T0)
    assert ei.value.code == "shared-modified"


def test_private_update_brings_in_others_commits() -> None:
    st = ConfigStore(startup())
    st.open("p", EditMode.PRIVATE, "alice", "terminal p0", T0)
    put(st.writable("p"), "policy proposals", ["a"])
    put(st.writable(), "system host-name", "r9")
    st.commit("bob", "cli", T0)
    st.update("p")
    assert val(st.candidate("p"), "system host-name") == "r9"
    assert val(st.candidate("p"), "policy proposals") == ["a"]


def test_commit_confirmed_rolls_back_when_not_confirmed() -> None:
    st = ConfigStore(startup(), when=T0)
    assert st.get_timer() is None
    put(st.writable(), "system host-name", "risky")
    st.commit("alice", "cli", T0, confirm_minutes=2, now=100.0)
    assert st.get_timer() == 220.0
    assert st.history[0].confirm_minutes == 2
    broadcast: list[str | None] = []
    st.add_listener(lambda tree, rec: broadcast.append(val(tree, "system host-name")))
    assert st.handle_timer(219.9) == []
    events = st.handle_timer(220.0)
    assert len(events) == 1 and isinstance(events[0], RolledBack)
    rec = events[0].record
    assert rec.automatic and rec.user == "root" and rec.when == T0 + timedelta(seconds=120)
    assert val(st.active, "system host-name") == "r1" and val(st.candidate(), "system host-name") == "r1"
    assert [val(r.tree, "system host-name") for r in st.history] == ["r1", "risky", "r1"]
    assert broadcast == ["r1"]
    assert st.get_timer() is None and st.handle_timer(10_000.0) == []


def test_plain_commit_confirms_and_check_does_not() -> None:
    st = ConfigStore(startup())
    put(st.writable(), "system host-name", "r2")
    st.commit("alice", "cli", T0, confirm_minutes=10, now=0.0)
    assert st.check(lambda tree: []) == []
    assert st.get_timer() == 600.0  # commit check leaves it pending
    st.commit("alice", "cli", T0)
    assert st.get_timer() is None
    assert st.handle_timer(601.0) == []
    assert val(st.active, "system host-name") == "r2"


def test_repeated_commit_confirmed_extends_and_falls_back_to_first_base() -> None:
    st = ConfigStore(startup())
    put(st.writable(), "system host-name", "r2")
    st.commit("a", "cli", T0, confirm_minutes=1, now=0.0)
    put(st.writable(), "system host-name", "r3")
    st.commit("a", "cli", T0, confirm_minutes=5, now=30.0)
    assert st.get_timer() == 330.0
    assert st.handle_timer(60.0) == []
    st.handle_timer(330.0)
    assert val(st.active, "system host-name") == "r1"


def test_commit_confirmed_needs_runtime_time() -> None:
    st = ConfigStore(startup())
    with pytest.raises(ValueError):
        st.commit("a", "cli", T0, confirm_minutes=1)


def test_commit_checks_the_tree_it_installs_once() -> None:
    st = ConfigStore(startup())
    put(st.writable(), "system host-name", "r2")
    seen: list[ConfigNode] = []

    def check(tree: ConfigNode) -> list[CheckError]:
        seen.append(tree)
        return []

    st.commit("u", "cli", None, check=check, confirm_minutes=5, now=0.0)
    assert len(seen) == 1 and seen[0] is st.active


def test_shared_commit_copies_the_tree_once_and_keeps_active_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared candidate already equals what a shared commit installs: the commit copies the
    large tree once (the new active one), not a second time for the candidate; later edits of
    the candidate still leave the active configuration and history alone."""
    st = ConfigStore(startup())
    cand = st.writable()
    put(cand, "system host-name", "r2")
    copies: list[ConfigNode] = []
    real_copy = ConfigNode.copy

    def counting(node: ConfigNode) -> ConfigNode:
        if not copies or node is not copies[-1]:
            copies.append(node)
        return real_copy(node)

    monkeypatch.setattr(ConfigNode, "copy", counting)
    st.commit("u", "cli", None)
    roots = [n for n in copies if n.name == "" and n.key is None]
    assert len(roots) == 1
    assert st.writable() is cand and st.active is not cand and not st.is_modified()
    put(st.writable(), "system host-name", "r3")
    assert val(st.active, "system host-name") == "r2" and st.is_modified()
    st.commit("u", "cli", None)
    assert [val(r.tree, "system host-name") for r in st.history] == ["r3", "r2", "r1"]
    put(st.writable(), "system host-name", "r4")
    assert val(st.history[0].tree, "system host-name") == "r3"


def test_identical_trees_need_no_render_and_order_still_counts() -> None:
    """`is_modified` answers an unchanged candidate from the trees alone; a candidate whose
    children only moved is still compared as text (order can matter to a renderer)."""
    renders: list[ConfigNode] = []

    def to_text(tree: ConfigNode) -> str:
        renders.append(tree)
        return "\n".join(f"{'/'.join(n for n, _ in p)} {c.value}" for p, c in tree.walk())

    base = startup()
    put(base, "system domain-name", "lab")
    st = ConfigStore(base, to_text=to_text)
    assert not st.is_modified() and renders == []
    st.open("s1", EditMode.PRIVATE, "alice", "ssh", T0)
    assert not st.is_modified("s1") and renders == []
    moved = ConfigNode()
    for path in ("system domain-name", "system host-name"):
        put(moved, path, val(base, path))
    st.set_candidate(moved, "s1")
    assert moved != base  # the children's order counts
    assert st.is_modified("s1") and len(renders) == 2  # the text differs in order here
