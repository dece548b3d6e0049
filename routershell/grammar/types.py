"""Value types that grammar files declare inline (`<name:int(0..4094)>`, `<a:ipv4prefix>`).

A type checks one token and returns its canonical text, or raises ValueTypeError with the
device-neutral reason; platforms word the message the way their device does.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass


class ValueTypeError(ValueError):
    """A token is not a valid value of a type. `kind` lets the platform pick its wording."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind  # "range", "number", "enum", "address", "prefix", "string", "name"
        self.detail = detail


@dataclass(frozen=True)
class ValueType:
    """One value type. `name` is what help shows between angle brackets."""

    name: str
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    min_len: int = 1
    max_len: int | None = None

    def check(self, token: str) -> str:
        return _CHECKERS[self.base](self, token)

    @property
    def base(self) -> str:
        return self.name if self.name in _CHECKERS else "string"

    def describe(self) -> str:
        """What `?` prints for this value, e.g. `<unit>` or `(0..4094)`."""
        if self.base == "int" and self.lo is not None:
            return f"({self.lo}..{self.hi})"
        return ""


def _check_int(t: ValueType, token: str) -> str:
    if not re.fullmatch(r"\d+", token):
        raise ValueTypeError("number", token)
    value = int(token)
    if (t.lo is not None and value < t.lo) or (t.hi is not None and value > t.hi):
        raise ValueTypeError("range", f"{value} ({t.lo}..{t.hi})")
    return str(value)


def _check_enum(t: ValueType, token: str) -> str:
    if token not in t.choices:
        raise ValueTypeError("enum", token)
    return token


def _check_ipv4(t: ValueType, token: str) -> str:
    try:
        return str(ipaddress.IPv4Address(token))
    except ValueError:
        raise ValueTypeError("address", token) from None


def _check_ipv6(t: ValueType, token: str) -> str:
    try:
        return str(ipaddress.IPv6Address(token))
    except ValueError:
        raise ValueTypeError("address", token) from None


def _check_ip(t: ValueType, token: str) -> str:
    try:
        return str(ipaddress.ip_address(token))
    except ValueError:
        raise ValueTypeError("address", token) from None


def _check_ipv4prefix(t: ValueType, token: str) -> str:
    """An interface address keeps its host bits (10.0.0.1/24); a bare address means /32."""
    try:
        return str(ipaddress.IPv4Interface(token)) if "/" in token else f"{ipaddress.IPv4Address(token)}/32"
    except ValueError:
        raise ValueTypeError("prefix", token) from None


def _check_ipv4network(t: ValueType, token: str) -> str:
    """A route destination: host bits are cleared as the device does."""
    try:
        return str(ipaddress.IPv4Network(token, strict=False))
    except ValueError:
        raise ValueTypeError("prefix", token) from None


def _check_ipv6prefix(t: ValueType, token: str) -> str:
    try:
        return str(ipaddress.IPv6Interface(token))
    except ValueError:
        raise ValueTypeError("prefix", token) from None


def _check_ipprefix(t: ValueType, token: str) -> str:
    try:
        return str(ipaddress.ip_interface(token))
    except ValueError:
        raise ValueTypeError("prefix", token) from None


def _check_string(t: ValueType, token: str) -> str:
    if len(token) < t.min_len:
        raise ValueTypeError("string", token)
    if t.max_len is not None and len(token) > t.max_len:
        raise ValueTypeError("length", f"{len(token)} > {t.max_len}")
    return token


_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/\-]*")


def _check_name(t: ValueType, token: str) -> str:
    if not _NAME.fullmatch(token):
        raise ValueTypeError("name", token)
    return _check_string(t, token)


_CHECKERS = {
    "int": _check_int,
    "enum": _check_enum,
    "ipv4": _check_ipv4,
    "ipv6": _check_ipv6,
    "ip": _check_ip,
    "ipv4prefix": _check_ipv4prefix,
    "ipv4network": _check_ipv4network,
    "ipv6prefix": _check_ipv6prefix,
    "ipprefix": _check_ipprefix,
    "string": _check_string,
    "name": _check_name,
}

Checker = Callable[[ValueType, str], str]


def register_type(name: str, checker: Checker) -> None:
    """A platform's own value type (interface names, …): grammar files name it like the
    built-in ones (`<interface-name:interface>`). Register before loading the trees."""
    if _CHECKERS.get(name, checker) is not checker:
        raise ValueError(f"value type {name!r} registered twice")
    _CHECKERS[name] = checker


def parse_type(spec: str) -> ValueType:
    """`int(0..4094)`, `string(1..255)`, `enum(a|b)`, `ipv4` → ValueType."""
    m = re.fullmatch(r"([a-z0-9\-]+)(?:\((.*)\))?", spec.strip())
    if not m:
        raise ValueError(f"bad type {spec!r}")
    base, arg = m.group(1), m.group(2)
    if base not in _CHECKERS:
        raise ValueError(f"unknown type {base!r}")
    if base == "enum":
        return ValueType("enum", choices=tuple(c.strip() for c in (arg or "").split("|")))
    if arg:
        lo, _, hi = arg.partition("..")
        if base == "int":
            return ValueType("int", lo=int(lo), hi=int(hi))
        return ValueType(base, min_len=int(lo), max_len=int(hi))
    return ValueType(base)
