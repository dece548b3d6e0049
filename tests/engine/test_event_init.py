"""Events keep the dataclass's constructor after `events._direct_init` replaced its body: the
same parameters and defaults, the same fields, repr, equality and hash, still frozen."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from routershell.engine import events

CLASSES = [c for c in vars(events).values() if isinstance(c, type) and issubclass(c, events.Event)]


def _reference(cls: type) -> type:
    """The class as @dataclass(frozen=True, slots=True) makes it, with the dataclass's __init__."""
    fields = [(f.name, f.type, dataclasses.field(default=f.default))
              if f.default is not dataclasses.MISSING else (f.name, f.type)
              for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True, slots=True)


def _sample(f: dataclasses.Field, i: int):
    return {"peer": ("192.0.2.1", 500)}.get(f.name, f"v{i}" if "str" in str(f.type) else i)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_event_constructor_is_the_dataclass_one(cls):
    ref = _reference(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(ref))
    fields = dataclasses.fields(cls)
    args = [_sample(f, i) for i, f in enumerate(fields)]
    required = [a for a, f in zip(args, fields, strict=True) if f.default is dataclasses.MISSING]
    for call in (args, required):
        ev, want = cls(*call), ref(*call)
        assert repr(ev) == repr(want)
        assert ev == cls(**{f.name: v for f, v in zip(fields, call, strict=False)})
        assert hash(ev) == hash(cls(*call))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(ev, fields[0].name, None)
    with pytest.raises(TypeError):
        cls(*required[:-1])  # a required field missing
    with pytest.raises(TypeError):
        cls(*args, "one too many")


def test_every_event_class_got_the_direct_constructor():
    assert len(CLASSES) > 15
    assert all(c.__init__.__qualname__ == f"{c.__qualname__}.__init__" for c in CLASSES)
    assert all("_set0" in c.__init__.__globals__ for c in CLASSES)
