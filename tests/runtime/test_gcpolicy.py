"""`gcpolicy.booting`: the collector is paused during a lab's boot, everything alive at its end
is frozen, and the collector's own state is restored."""

from __future__ import annotations

import gc

import pytest

from routershell.runtime.gcpolicy import booting


@pytest.fixture
def collector():
    was = gc.isenabled()
    yield
    gc.unfreeze()
    gc.enable() if was else gc.disable()


def test_booting_pauses_then_freezes_and_restores(collector):
    gc.enable()
    gc.unfreeze()
    before = gc.get_freeze_count()
    with booting():
        assert not gc.isenabled()
        made = [[i] for i in range(1000)]  # survivors of the boot
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(made)
    collected = {id(o) for o in gc.get_objects()}  # what full collections still walk
    assert not any(id(x) in collected for x in made)


def test_booting_keeps_a_paused_collector_paused_and_restores_after_an_error(collector):
    gc.disable()
    with pytest.raises(RuntimeError), booting():
        raise RuntimeError("boot failed")
    assert not gc.isenabled()
    gc.enable()
    with booting():
        pass
    assert gc.isenabled()
