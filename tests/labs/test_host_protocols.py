"""The lab layer's two narrow interfaces hold for what implements them: App is a LabHost, the
real World and the tests' FakeWorld are both LabWorlds (same methods, same parameters)."""

from __future__ import annotations

import inspect
import typing

import pytest

from routershell.app import App
from routershell.labs.host import LabHost, LabWorld
from routershell.runtime.world import World

from .fake_world import FakeWorld


def _methods(proto: type) -> list[str]:
    return [n for n, v in vars(proto).items() if callable(v) and not n.startswith("_")]


def _params(fn) -> list[tuple[str, object, bool]]:
    return [(p.name, p.kind, p.default is inspect.Parameter.empty)
            for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("world", [World, FakeWorld])
@pytest.mark.parametrize("name", _methods(LabWorld))
def test_world_and_its_double_implement_lab_world(world, name):
    assert callable(getattr(world, name, None)), f"{world.__name__} lacks {name}"
    assert _params(getattr(world, name)) == _params(getattr(LabWorld, name))


def test_app_is_a_lab_host():
    app = App("virtual", world_factory=FakeWorld)
    for name in typing.get_type_hints(LabHost):
        assert hasattr(app, name), f"App lacks {name}"
    for name in _methods(LabHost):
        assert callable(getattr(app, name))
    assert app.control.host is app
