"""The configuration database of one device: active configuration, candidates, locks, commit
history, commit confirmed, persistence.

Vendor-neutral: refusals are StoreError codes and records carry data; the platform words them.

* The **shared candidate** survives a session leaving configuration mode.
* A **private** session (`configure private`) edits its own copy; its commit applies only that
  session's changes onto the current active configuration (three-way merge) and is refused while
  the shared candidate holds uncommitted changes.
* An **exclusive** session (`configure exclusive`) holds the lock: others may look but not change
  or commit; leaving discards its uncommitted changes.
* History keeps 50 commits (0 = active). `commit confirmed N` arms a deadline on the runtime
  clock; the runtime's timer heap drives `get_timer()` / `handle_timer(now)`. If no commit
  confirms in time, the configuration before the first unconfirmed commit comes back and the
  rollback is recorded in history like any commit.
* With `state_dir` every commit is written before it takes effect: one file per history entry
  plus `store.json` naming them, each written atomically; `store.json` is the commit point.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path

from .codec import from_json, to_json
from .files import remove_stale_temporaries, write_atomic
from .merge import merge3
from .tree import ConfigNode
from .tree import Path as TreePath

MAX_HISTORY = 50
METADATA = "store.json"


class EditMode(Enum):
    SHARED = "shared"
    EXCLUSIVE = "exclusive"
    PRIVATE = "private"


@dataclass(frozen=True)
class CheckError:
    """One commit-check failure: the tree path of the level it is reported under, the offending
    statement as the user would type it there, the reason (platform wording)."""

    path: TreePath
    statement: str
    message: str


class StoreError(Exception):
    """A refused operation. Codes:

    * "locked" — another session holds the exclusive lock (`holder` says who);
    * "modified" — exclusive edit refused: the shared candidate has uncommitted changes;
    * "shared-modified" — private edit or private commit refused for the same reason;
    * "no-rollback" — no such history entry;
    * "not-editing" — the session has not opened the configuration;
    * "check-failed" — commit check errors (`errors`);
    * "write-failed" — the state directory could not be written (nothing changed);
    * "corrupt" — the state directory could not be read.
    """

    def __init__(self, code: str, detail: str = "", *, holder: EditSession | None = None, errors: tuple[CheckError, ...] = ()) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.holder = holder
        self.errors = errors


@dataclass
class EditSession:
    """A session in configuration mode (who/when for `Users currently editing` and lock messages)."""

    session: str
    user: str
    client: str
    since: datetime | None
    mode: EditMode
    candidate: ConfigNode | None = None  # private copy
    base: ConfigNode | None = None  # active configuration the private copy started from


@dataclass
class CommitRecord:
    tree: ConfigNode
    user: str
    client: str
    when: datetime | None
    comment: str
    sequence: int
    confirm_minutes: int | None = None  # `commit confirmed N`
    automatic: bool = False  # the rollback of an unconfirmed commit


@dataclass(frozen=True)
class RolledBack:
    """Event: an unconfirmed commit was rolled back (the platform broadcasts it)."""

    record: CommitRecord


@dataclass
class _Pending:
    deadline: float
    minutes: int
    fallback: ConfigNode
    fallback_sequence: int
    when0: datetime | None
    now0: float


Listener = Callable[[ConfigNode, CommitRecord], None]
Check = Callable[[ConfigNode], list[CheckError]]


class ConfigStore:
    def __init__(
        self,
        initial: ConfigNode | None = None,
        *,
        state_dir: str | os.PathLike[str] | None = None,
        to_text: Callable[[ConfigNode], str] = to_json,
        from_text: Callable[[str], ConfigNode] = from_json,
        when: datetime | None = None,
        system_user: str = "root",
        system_client: str = "other",
    ) -> None:
        """`initial` is the startup configuration, used unless `state_dir` already holds one.
        `system_user`/`system_client` sign commits the device makes itself (startup,
        automatic rollback)."""
        self._to_text = to_text
        self._from_text = from_text
        self._dir = Path(state_dir) if state_dir is not None else None
        self.system_user = system_user
        self.system_client = system_client
        self.history: list[CommitRecord] = []
        self._sessions: dict[str, EditSession] = {}
        self._lock: str | None = None
        self._pending: _Pending | None = None
        self._listeners: list[Listener] = []
        self._next_seq = 0
        if self._dir is not None:
            remove_stale_temporaries(self._dir)  # a writer killed mid-write leaves its temporary
        if self._dir is not None and (self._dir / METADATA).exists():
            self._load(when)
        else:
            tree = initial.copy() if initial is not None else ConfigNode()
            rec = CommitRecord(tree, system_user, system_client, when, "", self._take_seq())
            self._persist([rec], None)
            self.history = [rec]
        self._active_text: str | None = None  # rendered on first comparison
        self._shared = self.active.copy()

    # ---- reading ----------------------------------------------------------------------------
    @property
    def active(self) -> ConfigNode:
        """The committed configuration (treat as read-only)."""
        return self.history[0].tree

    def editors(self) -> list[EditSession]:
        return list(self._sessions.values())

    @property
    def lock_holder(self) -> EditSession | None:
        return self._sessions.get(self._lock) if self._lock is not None else None

    def session(self, session: str) -> EditSession | None:
        return self._sessions.get(session)

    def candidate(self, session: str | None = None) -> ConfigNode:
        """The candidate `session` sees (its private copy, else the shared one)."""
        es = self._sessions.get(session) if session is not None else None
        if es is not None and es.candidate is not None:
            return es.candidate
        return self._shared

    def _same(self, a: ConfigNode, b: ConfigNode) -> bool:
        if a == b:  # the usual answer (nothing edited, or rolled back), without rendering
            return True
        if b is self.active:
            if self._active_text is None:
                self._active_text = self._to_text(self.active)
            return self._to_text(a) == self._active_text
        return self._to_text(a) == self._to_text(b)

    def is_modified(self, session: str | None = None) -> bool:
        """Uncommitted changes in the candidate `session` edits."""
        es = self._sessions.get(session) if session is not None else None
        if es is not None and es.candidate is not None:
            assert es.base is not None
            return not self._same(es.candidate, es.base)
        return not self._same(self._shared, self.active)

    # ---- entering and leaving configuration mode ---------------------------------------------
    def open(self, session: str, mode: EditMode, user: str, client: str, when: datetime | None = None) -> EditSession:
        """Enter configuration mode. Refusals: "locked" (exclusive or private while someone else
        holds the lock), "modified" (exclusive), "shared-modified" (private)."""
        holder = self.lock_holder
        if mode is not EditMode.SHARED and holder is not None and holder.session != session:
            raise StoreError("locked", holder=holder)
        if mode is EditMode.EXCLUSIVE and self.is_modified():
            raise StoreError("modified")
        if mode is EditMode.PRIVATE and self.is_modified():
            raise StoreError("shared-modified")
        es = EditSession(session, user, client, when, mode)
        if mode is EditMode.PRIVATE:
            es.candidate = self.active.copy()
            es.base = self.active.copy()
        if mode is EditMode.EXCLUSIVE:
            self._lock = session
        self._sessions[session] = es
        return es

    def close(self, session: str) -> None:
        """Leave configuration mode. Exclusive: uncommitted changes are discarded and the lock
        released. Private: the private copy is dropped. Shared: the candidate stays."""
        es = self._sessions.pop(session, None)
        if es is None:
            return
        if self._lock == session:
            self._lock = None
            self._shared = self.active.copy()

    def writable(self, session: str | None = None) -> ConfigNode:
        """The candidate `session` may change, or StoreError("locked") while another session
        holds the exclusive lock."""
        self._check_lock(session)
        return self.candidate(session)

    def set_candidate(self, tree: ConfigNode, session: str | None = None) -> None:
        """Replace the session's candidate (`load override`, `rollback N`)."""
        self._check_lock(session)
        es = self._sessions.get(session) if session is not None else None
        if es is not None and es.candidate is not None:
            es.candidate = tree
        else:
            self._shared = tree

    def update(self, session: str) -> None:
        """Private `update`: bring others' commits into the private copy, keeping its changes."""
        es = self._sessions.get(session)
        if es is None or es.candidate is None or es.base is None:
            raise StoreError("not-editing")
        es.candidate = merge3(es.base, es.candidate, self.active)
        es.base = self.active.copy()

    def _check_lock(self, session: str | None) -> None:
        holder = self.lock_holder
        if holder is not None and holder.session != session:
            raise StoreError("locked", holder=holder)

    # ---- commit -------------------------------------------------------------------------------
    def _proposed(self, session: str | None) -> ConfigNode:
        es = self._sessions.get(session) if session is not None else None
        if es is not None and es.candidate is not None:
            assert es.base is not None
            return merge3(es.base, es.candidate, self.active)
        return self._shared.copy()

    def check(self, check: Check | None, session: str | None = None) -> list[CheckError]:
        """`commit check`: errors the commit would be refused with (does not confirm anything)."""
        return list(check(self._proposed(session))) if check is not None else []

    def commit(
        self,
        user: str,
        client: str,
        when: datetime | None,
        comment: str = "",
        check: Check | None = None,
        *,
        session: str | None = None,
        confirm_minutes: int | None = None,
        now: float | None = None,
    ) -> CommitRecord:
        """Make the session's candidate active. With `confirm_minutes`, arm a rollback at
        `now + 60 * confirm_minutes` on the runtime clock (`now` required); a later commit
        without it confirms. Raises StoreError ("locked", "shared-modified", "check-failed",
        "write-failed"); on any refusal the candidate is kept as it is."""
        self._check_lock(session)
        es = self._sessions.get(session) if session is not None else None
        private = es is not None and es.candidate is not None
        if private and not self._same(self._shared, self.active):
            raise StoreError("shared-modified")
        if confirm_minutes is not None and now is None:
            raise ValueError("commit confirmed needs the runtime time `now`")
        tree = self._proposed(session)  # built and checked once: what is checked is what commits
        errors = list(check(tree)) if check is not None else []
        if errors:
            raise StoreError("check-failed", errors=tuple(errors))
        rec = CommitRecord(tree, user, client, when, comment, self._next_seq, confirm_minutes)
        pending = self._pending
        if confirm_minutes is not None:
            assert now is not None
            if pending is None:
                pending = _Pending(0.0, 0, self.active, self.history[0].sequence, None, 0.0)
            pending = _Pending(now + 60.0 * confirm_minutes, confirm_minutes, pending.fallback, pending.fallback_sequence, when, now)
        else:
            pending = None
        # A shared commit built `tree` as a copy of the shared candidate, so the candidate
        # already holds the new active configuration: it stays (no second copy of a large tree).
        self._install(rec, pending, shared_follows=not private)
        if private:
            assert es is not None
            es.candidate = tree.copy()
            es.base = tree.copy()
        return rec

    def _install(self, rec: CommitRecord, pending: _Pending | None, *, shared_follows: bool = False) -> None:
        """Persist, then switch: a failed write leaves everything as it was. `shared_follows`:
        the shared candidate already equals `rec.tree` (a shared commit copied it from there)."""
        history = [rec] + self.history[: MAX_HISTORY - 1]
        self._persist(history, pending)
        self._next_seq += 1
        self.history = history
        self._pending = pending
        self._active_text = None  # a commit need not pay for a render nobody asked for yet
        # The shared candidate follows: a shared commit made the new tree from it, a private
        # commit is refused unless it is unmodified, and an automatic rollback discards it.
        if not shared_follows:
            self._shared = rec.tree.copy()
        for listener in list(self._listeners):
            listener(rec.tree, rec)

    def add_listener(self, listener: Listener) -> None:
        """Called with (new active tree, record) after every commit, including rollbacks."""
        self._listeners.append(listener)

    # ---- rollback ----------------------------------------------------------------------------
    def rollback(self, n: int, session: str | None = None) -> ConfigNode:
        """`rollback N`: load history entry N (0..49) into the session's candidate."""
        if not 0 <= n < len(self.history):
            raise StoreError("no-rollback", str(n))
        tree = self.history[n].tree.copy()
        self.set_candidate(tree, session)
        return tree

    # ---- commit confirmed: the runtime's timer interface -------------------------------------
    @property
    def confirm_deadline(self) -> float | None:
        return self._pending.deadline if self._pending is not None else None

    def get_timer(self) -> float | None:
        """Deadline of the pending `commit confirmed` rollback on the runtime clock, or None."""
        return self.confirm_deadline

    def handle_timer(self, now: float) -> list[RolledBack]:
        """Roll back an unconfirmed commit whose deadline has passed."""
        p = self._pending
        if p is None or now < p.deadline:
            return []
        when = p.when0 + timedelta(seconds=now - p.now0) if p.when0 is not None else None
        return [self._expire(p, when)]

    def _expire(self, p: _Pending, when: datetime | None) -> RolledBack:
        rec = CommitRecord(p.fallback.copy(), self.system_user, self.system_client, when, "", self._next_seq, automatic=True)
        self._install(rec, None)
        return RolledBack(rec)

    # ---- persistence -------------------------------------------------------------------------
    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    @staticmethod
    def _file(seq: int) -> str:
        return f"commit-{seq}.conf"

    def _persist(self, history: list[CommitRecord], pending: _Pending | None) -> None:
        if self._dir is None:
            return
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            existing = set(os.listdir(self._dir))
            # A file left by a commit that crashed before its metadata landed may carry the same
            # sequence number: everything not yet recorded is (re)written.
            recorded = {r.sequence for r in self.history}
            for rec in history:
                if rec.sequence not in recorded:
                    write_atomic(self._dir / self._file(rec.sequence), self._to_text(rec.tree))
            meta = {
                "version": 1,
                "next_sequence": max(r.sequence for r in history) + 1,
                "history": [
                    {
                        "sequence": r.sequence,
                        "user": r.user,
                        "client": r.client,
                        "when": r.when.isoformat() if r.when is not None else None,
                        "comment": r.comment,
                        "confirm_minutes": r.confirm_minutes,
                        "automatic": r.automatic,
                    }
                    for r in history
                ],
                "pending": None if pending is None else {"fallback_sequence": pending.fallback_sequence, "minutes": pending.minutes},
            }
            write_atomic(self._dir / METADATA, json.dumps(meta, indent=1) + "\n")
        except OSError as exc:
            raise StoreError("write-failed", str(exc)) from None
        keep = {self._file(r.sequence) for r in history}
        for name in existing:
            if name.startswith("commit-") and name.endswith(".conf") and name not in keep:
                try:
                    os.unlink(self._dir / name)
                except OSError:
                    pass

    def _load(self, when: datetime | None) -> None:
        assert self._dir is not None
        try:
            meta = json.loads((self._dir / METADATA).read_text(encoding="utf-8"))
            history = []
            for r in meta["history"]:
                tree = self._from_text((self._dir / self._file(r["sequence"])).read_text(encoding="utf-8", errors="surrogateescape"))
                history.append(
                    CommitRecord(
                        tree,
                        r["user"],
                        r["client"],
                        datetime.fromisoformat(r["when"]) if r["when"] else None,
                        r["comment"],
                        r["sequence"],
                        r.get("confirm_minutes"),
                        r.get("automatic", False),
                    )
                )
            self._next_seq = int(meta["next_sequence"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError("corrupt", str(exc)) from None
        if not history:
            raise StoreError("corrupt", "empty history")
        self.history = history
        pending = meta.get("pending")
        if pending:
            # The device went down before the commit was confirmed: roll back now, as at boot.
            fallback = next((r.tree for r in history if r.sequence == pending["fallback_sequence"]), None)
            if fallback is not None:
                self._active_text = None
                self._shared = self.active.copy()
                self._expire(_Pending(0.0, pending["minutes"], fallback, pending["fallback_sequence"], None, 0.0), when)
