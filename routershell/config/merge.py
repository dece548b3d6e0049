"""Combining configuration trees: `load merge`, `load override`, `load replace`, and the
three-way merge a private candidate's commit uses. All functions return new trees and leave
their arguments untouched."""

from __future__ import annotations

from collections.abc import Iterable

from ..grammar.schema import Node
from .tree import ConfigNode, Path


def merge(base: ConfigNode, incoming: ConfigNode, schema: Node | None = None) -> ConfigNode:
    """`load merge`: incoming statements are added; a leaf takes the incoming value; a leaf-list
    gains the incoming values it lacks; a statement of a `@choice` group displaces the other
    members of its group (given the schema)."""
    return replace(base, incoming, (), schema)


def override(base: ConfigNode, incoming: ConfigNode) -> ConfigNode:
    """`load override`: the incoming configuration replaces everything."""
    return incoming.copy()


def replace(base: ConfigNode, incoming: ConfigNode, replace_paths: Iterable[Path], schema: Node | None = None) -> ConfigNode:
    """`load replace`: like merge, except that a statement tagged `replace:` (its path is in
    `replace_paths`) replaces the whole existing statement of the same identity."""
    out = base.copy()
    _merge_into(out, incoming, schema, (), frozenset(replace_paths))
    return out


def _merge_into(dst: ConfigNode, src: ConfigNode, sc: Node | None, path: Path, replace_paths: frozenset[Path]) -> None:
    for step, s in src.children.items():
        csc = sc.child(s.name) if sc is not None else None
        here = path + (step,)
        if csc is not None and csc.choice_group is not None:
            _drop_choice_rivals(dst, sc, csc)
        d = dst.children.get(step)
        if d is None or here in replace_paths:
            dst.children[step] = s.copy()
            continue
        if s.value is not None:
            d.value = s.value
        d.values = d.values + [v for v in s.values if v not in d.values]
        d.inactive = d.inactive or s.inactive
        if s.annotation is not None:
            d.annotation = s.annotation
        _merge_into(d, s, csc, here, replace_paths)


def _drop_choice_rivals(dst: ConfigNode, sc: Node | None, chosen: Node) -> None:
    if sc is None:
        return
    for step in list(dst.children):
        other = sc.child(step[0])
        if other is not None and other is not chosen and other.choice_group == chosen.choice_group:
            del dst.children[step]


def merge3(base: ConfigNode, mine: ConfigNode, theirs: ConfigNode) -> ConfigNode:
    """Apply the changes `mine` made relative to `base` onto `theirs` (a private candidate's
    commit: only that session's changes land on the configuration others committed since)."""
    out = ConfigNode(theirs.name, theirs.key)
    for attr in ("value", "inactive", "annotation"):
        setattr(out, attr, getattr(mine if getattr(mine, attr) != getattr(base, attr) else theirs, attr))
    out.values = list(mine.values if mine.values != base.values else theirs.values)
    for step, t in theirs.children.items():
        b = base.children.get(step)
        m = mine.children.get(step)
        if b is not None and m is None:
            continue  # I deleted it
        if m is None:
            out.children[step] = t.copy()  # someone else's, untouched by me
        elif b is None:
            out.children[step] = merge3(ConfigNode(step[0], step[1]), m, t)  # both added
        elif m == b:
            out.children[step] = t.copy()
        else:
            out.children[step] = merge3(b, m, t)
    for step, m in mine.children.items():
        if step in out.children or step in theirs.children:
            continue
        b = base.children.get(step)
        if b is None or m != b:
            out.children[step] = m.copy()  # I added it, or changed what others deleted
    return out
