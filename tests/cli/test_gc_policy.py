"""The GC policy of GC-paused handlers (cli/grammar_session.keep_survivors): a handler that
leaves much new state alive (a commit) has it collected once and frozen, so CPython's full
collections stop walking the configuration history; a handler that leaves little does not."""

import gc

from routershell.cli import grammar_session
from tests.platforms.junos.harness import Transcript, lab


def nodes(tree) -> int:
    return 1 + sum(nodes(c) for c in tree.children.values())


async def test_a_commit_that_leaves_much_state_freezes_it(mock_clock, monkeypatch):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set system host-name r1b")
        monkeypatch.setattr(grammar_session, "KEEP_AFTER", 50)  # the default lab's tree is small
        before = gc.get_freeze_count()
        assert (await t.run("commit")).rstrip().endswith("commit complete")
        tree = app.devices["r1"].store.active
        # the new active tree (and its copies: history entry, shared candidate) were frozen
        assert gc.get_freeze_count() - before >= 2 * nodes(tree)
        assert gc.get_count()[0] < 50


async def test_a_commit_that_leaves_little_state_is_left_to_the_collector(mock_clock, monkeypatch):
    async with lab(mock_clock) as app:
        t = Transcript(app)
        await t.run("configure")
        await t.run("set system host-name r1b")
        monkeypatch.setattr(grammar_session, "KEEP_AFTER", 10_000_000)
        before = gc.get_freeze_count()
        assert (await t.run("commit")).rstrip().endswith("commit complete")
        assert gc.get_freeze_count() <= before  # (frozen objects freed since make it smaller)
