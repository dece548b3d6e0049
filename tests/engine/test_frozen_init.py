"""The classes given `frozen_init.direct_init` (engine events, ISAKMP messages and payloads)
keep the dataclass's constructor: the same parameters and defaults, the same fields, repr,
equality and hash, still frozen; and a message decodes to the same objects."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from routershell.engine import events, isakmp
from routershell.engine.frozen_init import direct_init

EVENTS = [c for c in vars(events).values() if isinstance(c, type) and issubclass(c, events.Event)]
ISAKMP = [c for c in vars(isakmp).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
          and c.__module__ == isakmp.__name__]
CLASSES = EVENTS + ISAKMP


def _reference(cls: type) -> type:
    """The class as @dataclass makes it, with the dataclass's own __init__."""
    fields = [(f.name, f.type, dataclasses.field(default=f.default, repr=f.repr, compare=f.compare,
                                                 hash=f.hash))
              for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True,
                                      slots="__slots__" in cls.__dict__)


def _sample(f: dataclasses.Field, i: int):
    return {"peer": ("192.0.2.1", 500)}.get(f.name, f"v{i}" if "str" in str(f.type) else i)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_constructor_is_the_dataclass_one(cls):
    ref = _reference(cls)
    assert str(inspect.signature(cls)) == str(inspect.signature(ref))
    fields = dataclasses.fields(cls)
    args = [_sample(f, i) for i, f in enumerate(fields)]
    required = [a for a, f in zip(args, fields, strict=True) if f.default is dataclasses.MISSING]
    for call in (args, required):
        obj, want = cls(*call), ref(*call)
        assert repr(obj) == repr(want)
        assert [getattr(obj, f.name) for f in fields] == [getattr(want, f.name) for f in fields]
        assert obj == cls(**{f.name: v for f, v in zip(fields, call, strict=False)})
        if cls is not isakmp.Attribute:  # (its hash encodes the value: ints here are fine too)
            assert hash(obj) == hash(cls(*call))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, fields[0].name, None)
    with pytest.raises(TypeError):
        cls(*required[:-1])  # a required field missing
    with pytest.raises(TypeError):
        cls(*args, "one too many")


def test_every_class_got_the_direct_constructor():
    assert len(EVENTS) > 15 and len(ISAKMP) == 21
    assert all(c.__init__.__qualname__ == f"{c.__qualname__}.__init__" for c in CLASSES)
    assert all("direct_init" in (c.__init__.__doc__ or "") for c in CLASSES)


def test_decoded_message_is_the_encoded_one():
    sa = isakmp.SaPayload((isakmp.Proposal(1, 1, b"", (isakmp.Transform(
        1, 1, (isakmp.Attribute(1, 7), isakmp.Attribute(11, 1), isakmp.Attribute(12, 86400))),)),))
    msg = isakmp.Message(b"i" * 8, b"r" * 8, 2, 0, (
        sa, isakmp.VendorIdPayload(b"v" * 16),
        isakmp.NotifyPayload(24578, 1, b"s" * 16, b"x"),
        isakmp.DeletePayload(3, (b"abcd", b"efgh"))))
    back = isakmp.decode(msg.encode())
    assert back == msg and back.encode() == msg.encode()
    assert [p.raw for p in back.payloads] and all(p.raw for p in back.payloads)


def test_refuses_what_it_cannot_reproduce():
    @dataclasses.dataclass(frozen=True)
    class WithFactory:
        x: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class WithPostInit:
        x: int

        def __post_init__(self) -> None:
            pass

    for cls in (WithFactory, WithPostInit):
        with pytest.raises(TypeError):
            direct_init(cls)


@pytest.mark.parametrize("slots", [False, True], ids=["dict", "slots"])
def test_fields_named_like_the_generated_code_keep_their_values(slots):
    """The generated constructor's own names cannot capture a field: `d` once held the
    instance's __dict__ and a field `self` did not compile (review)."""

    @dataclasses.dataclass(frozen=True, slots=slots)
    class Odd:
        d: int
        self: int = 2
        _set0: int = 3
        _default1: int = 4

    direct_init(Odd)
    o = Odd(1)
    assert (o.d, o.self, o._set0, o._default1) == (1, 2, 3, 4)
    assert Odd(5, 6, 7, 8) == Odd(d=5, self=6, _set0=7, _default1=8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.d = 9  # type: ignore[misc]
